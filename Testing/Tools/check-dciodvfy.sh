#!/usr/bin/env bash
# Runs dciodvfy on every file of a folder; fails when any reports an error.
# Usage: check-dciodvfy.sh DCIODVFY FOLDER
set -euo pipefail
dciodvfy=$1 folder=$2
shopt -s nullglob
files=("$folder"/*)
(( ${#files[@]} > 0 )) || { echo "no files in $folder"; exit 1; }
failed=0
for f in "${files[@]}"; do
  report=$("$dciodvfy" "$f" 2>&1) || true
  if grep -q 'Error' <<<"$report" || ! grep -qx 'CTImage' <<<"$report"; then
    echo "== $f"
    echo "$report"
    failed=1
  fi
done
if (( failed )); then echo "dciodvfy found errors"; exit 1; fi
echo "dciodvfy: ${#files[@]} files are valid CT images"
