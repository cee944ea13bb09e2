#!/usr/bin/env bash
# Long mode of the record crash harness (Testing/Cxx/RecordCrashTest.cxx): builds the
# RecordCrashTest target in an existing, configured build folder and runs its crash harness with
# ITERATIONS SIGKILLs (default 5000). Each kill lands at a random point of a child process that
# saves, submits and reviews records in a vault; after it the vault is recovered and must verify,
# and every save the child reported must open to the same bytes. ctest runs the same harness
# with 200 kills (about 40 s here); this is for before a release or after changing
# module/Logic/Records (about 0.2 s per kill on 2 cores: 5000 kills take roughly 15-20 minutes).
#
#   scripts/run-crash-harness.sh [ITERATIONS]
#
# Environment:
#   ANNOTRACE_BUILD_DIR   the build folder (default: <repository>/build); it must already be
#                         configured with CMake (the GUI and benchmarks may be off)
#   ANNOTRACE_CRASH_SEED  the random seed (default 20240507); the harness prints it
#   ANNOTRACE_CRASH_TORN_WITH_PENDING=0  plant torn audit lines only when no save is in flight
#                         (default 1: also the torn "record-created" line of a pending record)
#   ANNOTRACE_JOBS        parallel build jobs (default: the number of CPUs)
#
# Exit status: 0 when every kill was recovered and verified, 1 when the harness failed (the
# first failure is printed with the iteration, the vault folder and every verification
# problem), 2 for bad arguments or a missing build folder.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ $# -gt 1 ]]; then
  echo "usage: $0 [ITERATIONS]" >&2
  exit 2
fi
iterations=${1:-5000}
if ! [[ $iterations =~ ^[0-9]+$ ]] || ((iterations < 1)); then
  echo "run-crash-harness: ITERATIONS must be a positive whole number, not '$iterations'" >&2
  exit 2
fi
build=${ANNOTRACE_BUILD_DIR:-$root/build}
if [[ ! -f $build/CMakeCache.txt ]]; then
  echo "run-crash-harness: $build is not a configured build folder; configure it first, e.g." >&2
  echo "  cmake -S $root -B $build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo" \
    "-DANNOTRACE_BUILD_GUI=OFF -DANNOTRACE_BUILD_BENCHMARKS=OFF" >&2
  exit 2
fi
jobs=${ANNOTRACE_JOBS:-$(nproc 2>/dev/null || echo 2)}

echo "run-crash-harness: building RecordCrashTest in $build" >&2
cmake --build "$build" --target RecordCrashTest -j "$jobs"

binary=$build/Testing/Cxx/RecordCrashTest
if [[ ! -x $binary ]]; then
  echo "run-crash-harness: $binary was not built" >&2
  exit 2
fi
echo "run-crash-harness: $iterations kills (seed ${ANNOTRACE_CRASH_SEED:-20240507})" >&2
start=$(date +%s)
status=0
ANNOTRACE_CRASH_ITERATIONS=$iterations "$binary" \
  --gtest_filter='RecordCrashTest.CrashHarness*' --gtest_color=no || status=$?
echo "run-crash-harness: $((  $(date +%s) - start )) s, exit status $status" >&2
if ((status != 0)); then
  exit 1
fi
