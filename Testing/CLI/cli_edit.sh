#!/usr/bin/env bash
# `annotrace edit` end to end on a real CT: replays an operations file, checks the label map
# with nibabel, resumes from the saved files to undo everything and redo it (the undo history
# survives saving), and checks the errors. Usage: cli_edit.sh ANNOTRACE PYTHON DATA_DIR
set -u
annotrace=$1
python=$2
data=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
checker=$here/../Python/check_edit_output.py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$here/expect.sh"

ct=$data/ct_philips_phantom_tilt/S21570
[[ -d $ct ]] || { echo "FAIL: test data missing: $ct"; exit 1; }

expect edit-runs 0 "Wrote .*seg.nii.gz \(2 segments, 9 undo steps\)" -- \
  "$annotrace" edit --volume "$ct" --ops "$here/edit-ops.json" --out "$work/seg.nii.gz"
"$annotrace" edit --volume "$ct" --ops "$here/edit-ops.json" --out "$work/seg.nii.gz" >"$work/first.txt" 2>&1
for f in seg.nii.gz seg.seg.json seg.undo; do
  [[ -s $work/$f ]]; check "wrote-$f" $? "$f missing"
done
out=$("$python" "$checker" "$work/seg.nii.gz" "$work/first.txt"); check nibabel-counts $? "$out"
grep -q '"10200004"' "$work/seg.seg.json"; check liver-terminology $? "no SNOMED CT code for Liver in the sidecar"
grep -q '"status": "completed"' "$work/seg.seg.json"; check segment-status $? "status not saved"

# Resume from the saved files: undo all nine steps, then redo them.
/usr/bin/python3 -c 'import json; print(json.dumps([{"tool": "undo"}] * 9))' >"$work/undo.json"
/usr/bin/python3 -c 'import json; print(json.dumps([{"tool": "redo"}] * 9))' >"$work/redo.json"
expect undo-after-reload 0 "\[9/9\] Undo: Add segment Liver" -- \
  "$annotrace" edit --volume "$ct" --seg "$work/seg.nii.gz" --ops "$work/undo.json" --out "$work/undone.nii.gz"
"$annotrace" edit --volume "$ct" --seg "$work/seg.nii.gz" --ops "$work/undo.json" --out "$work/undone.nii.gz" >"$work/undone.txt" 2>&1
out=$("$python" "$checker" "$work/undone.nii.gz" "$work/undone.txt" --expect-empty); check undo-all-empty $? "$out"
"$annotrace" edit --volume "$ct" --seg "$work/undone.nii.gz" --ops "$work/redo.json" --out "$work/redone.nii.gz" >"$work/redone.txt" 2>&1
check redo-runs $? "$(tail -3 "$work/redone.txt")"
out=$("$python" "$checker" "$work/redone.nii.gz" "$work/redone.txt" --same-as "$work/seg.nii.gz"); check redo-all-same $? "$out"
undo10=$(/usr/bin/python3 -c 'import json; print(json.dumps([{"tool": "undo"}] * 10))')
echo "$undo10" >"$work/undo10.json"
expect undo-too-far 1 "operation 10 \(undo\) failed: nothing to undo; nothing was written" -- \
  "$annotrace" edit --volume "$ct" --seg "$work/seg.nii.gz" --ops "$work/undo10.json" --out "$work/never.nii.gz"
[[ ! -e $work/never.nii.gz ]]; check failed-edit-writes-nothing $? "a failed edit wrote a label map"

# Errors name the file, the operation and the problem.
echo '[{"tool": "brush", "segment": "Liver", "points": [[0, 0, 0]]}]' >"$work/noradius.json"
expect missing-radius 1 "noradius.json: operation 1: .*radius_mm" -- \
  "$annotrace" edit --volume "$ct" --ops "$work/noradius.json" --out "$work/x.nii.gz"
echo '[{"tool": "add_segment", "segment": "A"}, {"tool": "brush", "segment": "B", "radius_mm": 2, "points": [[0, 110, 761.21]]}]' >"$work/unknown.json"
expect unknown-segment 1 "operation 2 \(brush\) failed: no segment named \"B\"" -- \
  "$annotrace" edit --volume "$ct" --ops "$work/unknown.json" --out "$work/x.nii.gz"
echo '[{"tool": "add_segment", "segment": "A"}, {"tool": "brush", "segment": "A", "radius_mm": 2, "points": [[0, 110, 9000]]}]' >"$work/off.json"
expect off-volume 1 "off the volume" -- \
  "$annotrace" edit --volume "$ct" --ops "$work/off.json" --out "$work/x.nii.gz"
echo '{"tool": ' >"$work/broken.json"
expect bad-json 1 "broken.json: not valid JSON" -- \
  "$annotrace" edit --volume "$ct" --ops "$work/broken.json" --out "$work/x.nii.gz"
expect missing-out 2 "edit needs --volume V, --ops OPS.json and --out" -- \
  "$annotrace" edit --volume "$ct" --ops "$work/broken.json"
[[ ! -e $work/x.nii.gz ]]; check errors-write-nothing $? "an error left a label map behind"

# A label map from another tool (TotalSegmentator) on its own CT: imported, one segment per label.
totalseg=$data/nifti_totalseg
echo '[{"tool": "update_segment", "segment": "Label 1", "changes": {"name": "Spleen"}}]' >"$work/rename.json"
expect import-totalseg 0 "Spleen: [0-9]+ voxels" -- \
  "$annotrace" edit --volume "$totalseg/example_ct_sm.nii.gz" --seg "$totalseg/example_seg.nii.gz" \
  --ops "$work/rename.json" --out "$work/totalseg.nrrd"

finish
