#!/usr/bin/env bash
# Installs what is missing, builds Annotrace and runs it on the bundled sample study: a CT
# phantom the project generates as real DICOM files (Resources/Sample/README.md).
# Under a display, with the workstation built, it opens the study there; otherwise it runs the
# headless pipeline: list the series, print the geometry as JSON, convert to NIfTI, and label
# the phantom's inserts by replaying Resources/Sample/sample-edits.json with `annotrace edit`.
#
# Environment: ANNOTRACE_BUILD_DIR (default build).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${ANNOTRACE_BUILD_DIR:-$root/build}

bash "$root/scripts/install-deps.sh"

# The workstation (module/App) is built only when there is a display to show it on.
gui=OFF
[[ -n ${DISPLAY:-} && -d $root/module/App ]] && gui=ON
# Configure quietly (GDCM's package config warns about its absent command-line tools); show the
# log only when configuring fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cmake -S "$root" -B "$build" -G Ninja -DANNOTRACE_BUILD_GUI=$gui >"$log" 2>&1 || {
  cat "$log" >&2
  exit 1
}
if [[ $gui == ON ]]; then
  cmake --build "$build" -j2  # everything, the workstation included
else
  cmake --build "$build" -j2 --target annotrace annotrace_make_phantom
fi

sample=$build/sample
"$build/bin/annotrace_make_phantom" "$sample"
dicom=$sample/DICOM

# The workstation executable (module/App) is expected to be called annotrace-workstation.
workstation=$(find "$build" -type f -name annotrace-workstation -perm -u+x -print -quit)
if [[ $gui == ON && -n $workstation ]]; then
  echo "run-sample: opening the sample study in $workstation"
  exec "$workstation" "$dicom"
fi

annotrace=$build/module/CLI/annotrace
run() {
  echo
  echo "\$ annotrace $*"
  "$annotrace" "$@"
}
run series "$dicom"
run info --json "$dicom"
rm -f "$sample/phantom.nii.gz"
run convert "$dicom" "$sample/phantom.nii.gz"
[[ -s $sample/phantom.nii.gz ]] || { echo "run-sample: annotrace convert wrote no NIfTI" >&2; exit 1; }
rm -f "$sample/labels.nii.gz" "$sample/labels.seg.json" "$sample/labels.undo"
run edit --volume "$dicom" --ops "$root/Resources/Sample/sample-edits.json" --out "$sample/labels.nii.gz"
echo
echo "run-sample: sample DICOM study: $dicom"
echo "run-sample: its ground truth:   $sample/ground_truth.json"
echo "run-sample: converted volume:   $sample/phantom.nii.gz"
echo "run-sample: labels (int16):     $sample/labels.nii.gz, segment table $sample/labels.seg.json"
