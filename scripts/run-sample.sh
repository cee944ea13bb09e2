#!/usr/bin/env bash
# Installs what is missing, builds Annotrace and runs it on the bundled sample study: a CT
# phantom the project generates as real DICOM files (Resources/Sample/README.md).
# It runs the headless pipeline: list the series, print the geometry as JSON, convert to NIfTI,
# and label the phantom's inserts by replaying Resources/Sample/sample-edits.json with
# `annotrace edit`; under a display it then opens the study with those labels in the workstation.
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
targets=(annotrace annotrace_make_phantom)
[[ $gui == ON ]] && targets+=(annotrace-workstation AnnotationModule)
cmake --build "$build" -j2 --target "${targets[@]}"

sample=$build/sample
"$build/bin/annotrace_make_phantom" "$sample"
dicom=$sample/DICOM

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

# The labels as a signed, encrypted label record in a sample vault, reviewed and verified. The
# passphrases are demo values written to files; real users type theirs (Docs/UserGuide.md).
vault=$sample/vault
rm -rf "$vault"
printf 'sample admin passphrase\n' >"$sample/admin.pw"
printf 'sample annotator passphrase\n' >"$sample/annotator.pw"
printf 'sample reviewer passphrase\n' >"$sample/reviewer.pw"
run vault init "$vault" --admin admin --new-passphrase-file "$sample/admin.pw"
run user add "$vault" --as admin --passphrase-file "$sample/admin.pw" --id annotator \
  --role annotator --new-passphrase-file "$sample/annotator.pw"
run user add "$vault" --as admin --passphrase-file "$sample/admin.pw" --id reviewer \
  --role reviewer --new-passphrase-file "$sample/reviewer.pw"
run record save "$vault" --as annotator --passphrase-file "$sample/annotator.pw" \
  --labels "$sample/labels.nii.gz" --volume "$dicom" --submit
record=$("$annotrace" record list "$vault" --json | sed -n 's/.*"id": "\([0-9a-f]*\)".*/\1/p' | head -1)
run record review "$vault" "$record" --as reviewer --passphrase-file "$sample/reviewer.pw" \
  --approve --reason "sample labels match the phantom's inserts"
run audit show "$vault"
run audit verify "$vault"

if [[ $gui == ON ]]; then
  echo "run-sample: opening the sample study and its labels in the workstation"
  exec "$build/bin/annotrace-workstation" "$dicom" --labels "$sample/labels.nii.gz"
fi
echo
echo "run-sample: sample DICOM study: $dicom"
echo "run-sample: its ground truth:   $sample/ground_truth.json"
echo "run-sample: converted volume:   $sample/phantom.nii.gz"
echo "run-sample: labels (int16):     $sample/labels.nii.gz, segment table $sample/labels.seg.json"
echo "run-sample: label record vault: $vault (record ${record:0:16}, approved)"
