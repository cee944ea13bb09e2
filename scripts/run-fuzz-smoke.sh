#!/usr/bin/env bash
# Builds the label-record fuzzers (Testing/Fuzz: FuzzRecordFile, FuzzAuditLog, FuzzMemberKeys,
# FuzzSegmentationPayload)
# with clang, libFuzzer, ASan and UBSan in BUILD_DIR (records-only fuzz mode: no DICOM libraries
# needed; ccache is used when installed), then runs each for SECONDS over a copy of its committed
# seed corpus (Testing/Fuzz/corpus/<target>; nothing is written into the repository). The three
# run at the same time. Exit status 0 when no fuzzer reported anything; 1 when one crashed, hit
# a sanitizer, leaked, timed out (-timeout=10 per input) or ran out of memory (-rss_limit_mb=2048):
# the input that did it is printed (and kept) as BUILD_DIR/fuzz-runs/<target>/crash-... ; 77
# when clang is not installed (ctest reports the test as skipped).
#
#   scripts/run-fuzz-smoke.sh BUILD_DIR [SECONDS]   SECONDS per target, default 20
#
# CI: ctest runs it as FuzzRecordsSmoke (Testing/CMakeLists.txt) with BUILD_DIR = <build>/fuzz-records
# and 20 s: 2-3 minutes for the first build, seconds once built, plus the 20 s run.
# Long mode, before a release or after changing module/Logic/Records:
#
#   scripts/run-fuzz-smoke.sh build-fuzz-records 600
#
# The corpus a run grew stays in BUILD_DIR/fuzz-runs/<target>/corpus until the next run; add an
# input to Testing/Fuzz/corpus only by hand (small, and named for what it reaches). Environment:
# ANNOTRACE_FUZZ_STRICT=1 also fails on std::exceptions of other types than the API documents,
# ANNOTRACE_FUZZ_SCRYPT_CEILING=abort on scrypt costs above the minimum (see Docs/Fuzzing.md).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 BUILD_DIR [SECONDS_PER_TARGET]" >&2
  exit 2
fi
build=$1
seconds=${2:-20}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "run-fuzz-smoke: SECONDS must be a positive whole number, not '$seconds'" >&2
  exit 2
fi
targets=(FuzzRecordFile FuzzAuditLog FuzzMemberKeys FuzzSegmentationPayload)

if ! command -v clang >/dev/null || ! command -v clang++ >/dev/null; then
  echo "run-fuzz-smoke: clang is not installed: skipped (libFuzzer needs clang)" >&2
  exit 77
fi

start=$SECONDS
mkdir -p "$build"
build=$(cd "$build" && pwd)
# One run per build folder at a time (two ctest runs of one build would share it).
exec 9>"$build/fuzz-smoke.lock"
if ! flock -n 9; then
  echo "run-fuzz-smoke: waiting for another run in $build to finish" >&2
  flock 9
fi
if ! cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DANNOTRACE_BUILD_FUZZERS=ON -DANNOTRACE_FUZZ_RECORDS_ONLY=ON \
  -DANNOTRACE_BUILD_TESTING=OFF -DANNOTRACE_BUILD_BENCHMARKS=OFF -DANNOTRACE_BUILD_GUI=OFF \
  -DANNOTRACE_SANITIZE='address;undefined' >"$build/fuzz-configure.log" 2>&1; then
  cat "$build/fuzz-configure.log" >&2
  echo "run-fuzz-smoke: configuring $build failed" >&2
  exit 1
fi
cmake --build "$build" -j2 --target "${targets[@]}"
echo "run-fuzz-smoke: configured and built in $((SECONDS - start)) s"

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/scripts/lsan.supp}

runs=$build/fuzz-runs
pids=()
for target in "${targets[@]}"; do
  dir=$runs/$target
  rm -rf "$dir"
  mkdir -p "$dir/corpus"
  cp "$root/Testing/Fuzz/corpus/$target/." "$dir/corpus/" -R
  # timeout: a fuzzer that hangs outside an input (where -timeout cannot see it) still ends.
  (cd "$dir" && exec timeout --kill-after=30 $((seconds + 120)) "$build/Testing/Fuzz/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/" corpus >"$dir/fuzz.log" 2>&1) &
  pids+=($!)
done

status=0
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  dir=$runs/$target
  code=0
  wait "${pids[$i]}" || code=$?
  artifacts=$(find "$dir" -maxdepth 1 -type f \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
  summary=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$dir/fuzz.log" | tail -n 1 || true)
  if ((code == 0)) && [[ -z $artifacts ]]; then
    echo "run-fuzz-smoke: $target: ok: ${summary:-(no summary)}"
    continue
  fi
  status=1
  echo "run-fuzz-smoke: $target: FAILED (exit status $code); the end of its log ($dir/fuzz.log):" >&2
  tail -n 60 "$dir/fuzz.log" >&2
  if ((code == 124 || code == 137)); then
    echo "run-fuzz-smoke: $target did not stop within $((seconds + 120)) s" >&2
  fi
  for artifact in $artifacts; do
    echo "run-fuzz-smoke: $target: input that fails: $artifact" >&2
    echo "run-fuzz-smoke:   reproduce: $build/Testing/Fuzz/$target $artifact" >&2
  done
done
echo "run-fuzz-smoke: finished in $((SECONDS - start)) s with status $status"
exit "$status"
