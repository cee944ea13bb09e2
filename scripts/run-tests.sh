#!/usr/bin/env bash
# Installs what is missing, configures a fresh build directory, builds everything with two jobs
# and runs the whole test suite. The exit code is ctest's.
#
# Environment: ANNOTRACE_DATA (default ../shared/data beside the repository),
#              ANNOTRACE_BUILD_DIR (default build-ci), ANNOTRACE_SANITIZE (e.g. address;undefined),
#              CTEST_PARALLEL_LEVEL (tests run at once; default 1).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${ANNOTRACE_BUILD_DIR:-$root/build-ci}
data=${ANNOTRACE_DATA:-$root/../shared/data}

bash "$root/scripts/install-deps.sh"

if [[ ! -f $data/INDEX.md ]]; then
  echo "run-tests: the real test data is missing: expected $data/INDEX.md" >&2
  echo "run-tests: put shared/ beside the repository or set ANNOTRACE_DATA" >&2
  exit 1
fi

cmake_args=(-G Ninja -DANNOTRACE_DATA="$(cd "$data" && pwd)")
if [[ -n ${ANNOTRACE_SANITIZE:-} ]]; then
  cmake_args+=(-DANNOTRACE_SANITIZE="$ANNOTRACE_SANITIZE")
  # Leaks inside third-party libraries are not ours to fix (see scripts/lsan.supp).
  export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/scripts/lsan.supp}
fi

start=$SECONDS
rm -rf "$build"
cmake -S "$root" -B "$build" "${cmake_args[@]}"
cmake --build "$build" -j2
echo "run-tests: configured and built in $((SECONDS - start)) s"

cd "$build"
status=0
ctest --output-on-failure || status=$?
echo "run-tests: finished in $((SECONDS - start)) s with ctest status $status"
exit "$status"
