#!/usr/bin/env bash
# Accuracy harness P4 (Testing/Accuracy/AccuracyP4.cxx): installs what is missing and the peer,
# builds the harness in a Release build and runs it once: interpolation between key slices and
# propagation on the real label maps, beside the peer and the baselines, and the P4 timing.
# Usage: scripts/run-accuracy.sh [BUILD_DIR=build-accuracy-release]
# Environment: ANNOTRACE_DATA (default ../shared/data beside the repository).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build-accuracy-release}
data=${ANNOTRACE_DATA:-$root/../shared/data}

bash "$root/scripts/install-deps.sh"
bash "$root/scripts/install-peers.sh"
if [[ ! -f $data/INDEX.md ]]; then
  echo "run-accuracy: the real test data is missing: expected $data/INDEX.md" >&2
  exit 1
fi

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DANNOTRACE_BUILD_BENCHMARKS=ON \
  -DANNOTRACE_DATA="$(cd "$data" && pwd)" >/dev/null
cmake --build "$build" -j2 --target run_accuracy_p4
