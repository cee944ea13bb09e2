#!/usr/bin/env bash
# Builds and runs benchmark P1 (Testing/Performance/BenchP1.cxx) in a Release build.
# Usage: scripts/run-bench.sh [BUILD_DIR=build-bench-release]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build-bench-release}

bash "$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DANNOTRACE_BUILD_BENCHMARKS=ON \
  >/dev/null
cmake --build "$build" -j2 --target run_bench_p1
