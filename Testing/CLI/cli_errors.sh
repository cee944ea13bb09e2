#!/usr/bin/env bash
# Checks what the annotrace command says and returns on bad, ambiguous and good input, using
# the real data. Usage: cli_errors.sh ANNOTRACE_BINARY DATA_DIR
set -u
annotrace=$1
data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/expect.sh"

tilt=$data/ct_philips_phantom_tilt
[[ -d $tilt ]] || { echo "FAIL: test data missing: $tilt"; exit 1; }

expect missing-path 1 "no such file or folder" -- "$annotrace" info "$work/nothing-here"
expect unknown-command 2 "unknown command" -- "$annotrace" frobnicate
expect no-arguments 2 "[Uu]sage" -- "$annotrace"
mkdir "$work/empty"
expect empty-folder 1 "folder is empty" -- "$annotrace" info "$work/empty"
expect two-stacks-need-a-choice 2 "holds 2 image stacks.*--series" -- "$annotrace" info "$tilt"
expect bad-output-extension 2 "" -- "$annotrace" convert "$tilt" "$work/out.txt" --series 1.3.46.670589.33.1.63
expect unknown-series 1 "no image series with id 'no.such.uid'" -- \
  "$annotrace" info "$tilt" --series no.such.uid

# A folder with a README only, and one with a DICOM file cut inside its pixel data.
mkdir "$work/notdicom" "$work/truncated"
echo "hello" >"$work/notdicom/README.txt"
expect not-dicom 1 "none readable as DICOM.*not a DICOM file" -- "$annotrace" info "$work/notdicom"
first=$(ls "$data/seg_dcmqi/data/segmentations/ct-3slice/"*.dcm | head -1)
size=$(stat -c %s "$first")
head -c $((size * 3 / 4)) "$first" >"$work/truncated/cut.dcm"
expect truncated-pixels 1 "cut.dcm: the pixel data is truncated" -- "$annotrace" info "$work/truncated"

# A write into a folder that does not exist fails cleanly and leaves nothing behind.
expect unwritable-output 1 "" -- \
  "$annotrace" convert "$data/nifti_nibabel/anatomical.nii" "$work/no/such/folder/out.nii.gz"
if [[ -e $work/no ]]; then echo "FAIL unwritable-output left files behind"; failures=$((failures + 1)); fi

# The good path: choose the tilted stack by a prefix of its id; JSON carries the resampled grid.
expect tilted-stack-json 0 '"gantry-tilt"' -- \
  "$annotrace" info "$tilt" --series 1.3.46.670589.33.1.73035 --json
json=$("$annotrace" info "$tilt" --series 1.3.46.670589.33.1.73035 --json 2>/dev/null)
size=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["size"])' <<<"$json")
if [[ $size == "[512, 600, 54]" ]]; then
  echo "ok   tilted-stack-size"; passed=$((passed + 1))
else
  echo "FAIL tilted-stack-size: $size, expected [512, 600, 54]"; failures=$((failures + 1))
fi

echo "$passed passed, $failures failed"
[[ $failures -eq 0 ]]
