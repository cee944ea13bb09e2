#!/usr/bin/env bash
# Builds and runs benchmarks P1 (Testing/Performance/BenchP1.cxx, DICOM loading) and P2/P3
# (BenchP2.cxx, edit commit time and undo memory) and P8 (BenchP8.cxx, slice rendering and brush
# latency in the workstation) and P5 (BenchP5.cxx, saving and opening a label record in a vault)
# in a Release build.
# Usage: scripts/run-bench.sh [BUILD_DIR=build-bench-release]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build-bench-release}

bash "$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DANNOTRACE_BUILD_BENCHMARKS=ON \
  >/dev/null
cmake --build "$build" -j2 --target run_bench_p1
cmake --build "$build" -j2 --target run_bench_p2
cmake --build "$build" -j2 --target run_bench_p5
cmake --build "$build" -j2 --target run_bench_p8
