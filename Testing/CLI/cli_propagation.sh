#!/usr/bin/env bash
# `annotrace interpolate` and `annotrace propagate` end to end on TotalSegmentator's real CT and
# its label map: every 5th slice of each structure kept, the rest filled in following the image
# and by the shapes alone; nibabel checks the files against the full map (key slices unchanged,
# no slice left empty, mean Dice above the measured floor, image beats shapes alone), the
# sidecar's provenance, propagation from one slice, and the errors.
# Usage: cli_propagation.sh ANNOTRACE PYTHON DATA_DIR
set -u
annotrace=$1
python=$2
data=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$here/expect.sh"

ct=$data/nifti_totalseg/example_ct_sm.nii.gz
truth=$data/nifti_totalseg/example_seg.nii.gz
[[ -f $ct && -f $truth ]] || { echo "FAIL: test data missing: $ct, $truth"; exit 1; }

# Key slices: every 5th axial slice holding each label, from its first, plus its last; and for
# propagation the spleen (label 1) on its largest slice only.
"$python" - "$truth" "$work" <<'PY'
import sys
import nibabel, numpy
truth = nibabel.load(sys.argv[1])
a = numpy.asarray(truth.dataobj).astype(numpy.int16)
keys = numpy.zeros_like(a)
for label in numpy.unique(a[a > 0]):
    slices = [k for k in range(a.shape[2]) if (a[:, :, k] == label).any()]
    chosen = slices[::5] + ([slices[-1]] if (len(slices) - 1) % 5 else [])
    for k in chosen:
        keys[:, :, k][a[:, :, k] == label] = label
nibabel.save(nibabel.Nifti1Image(keys, truth.affine, truth.header), sys.argv[2] + "/keys.nii.gz")
spleen = numpy.where(a == 1, 1, 0).astype(numpy.int16)
largest = int(numpy.argmax(spleen.sum(axis=(0, 1))))
one = numpy.zeros_like(spleen)
one[:, :, largest] = spleen[:, :, largest]
nibabel.save(nibabel.Nifti1Image(one, truth.affine, truth.header), sys.argv[2] + "/spleen_one.nii.gz")
open(sys.argv[2] + "/largest.txt", "w").write(str(largest))
PY
check make-keys $? "could not write the key-slice label maps"

expect interpolate-runs 0 "Label 1: [0-9]+ voxels.*axial slices: 0 drawn, [1-9][0-9]* interpolated" -- \
  "$annotrace" interpolate --volume "$ct" --seg "$work/keys.nii.gz" --out "$work/guided.nii.gz"
expect interpolate-shape-only 0 "Interpolate" -- \
  "$annotrace" interpolate --volume "$ct" --seg "$work/keys.nii.gz" --out "$work/shapes.nii.gz" \
  --shape-only

out=$("$python" - "$truth" "$work" <<'PY'
import json, sys
import nibabel, numpy
truth = numpy.asarray(nibabel.load(sys.argv[1]).dataobj).astype(numpy.int16)
work = sys.argv[2]
keys = numpy.asarray(nibabel.load(work + "/keys.nii.gz").dataobj)
failures = []
means = {}
for name in ("guided", "shapes"):
    result = numpy.asarray(nibabel.load(f"{work}/{name}.nii.gz").dataobj)
    dices = []
    for label in numpy.unique(truth[truth > 0]):
        t, r, k = truth == label, result == label, keys == label
        slices = [z for z in range(t.shape[2]) if t[:, :, z].any()]
        if len(slices) < 3:
            continue
        keyed = [z for z in range(t.shape[2]) if k[:, :, z].any()]
        for z in keyed:
            if not numpy.array_equal(r[:, :, z], k[:, :, z]):
                failures.append(f"{name}: key slice {z} of label {label} changed")
        for z in range(keyed[0], keyed[-1] + 1):
            if t[:, :, z].any() and not r[:, :, z].any():
                failures.append(f"{name}: slice {z} of label {label} left empty")
        dices.append(2 * (t & r).sum() / (t.sum() + r.sum()))
    means[name] = float(numpy.mean(dices))
sidecar = json.load(open(work + "/guided.seg.json"))
spleen = next(s for s in sidecar["segments"] if s["label_value"] == 1)
if spleen["provenance"]["axial"]["interpolated"][:4] != [1, 2, 3, 4]:
    failures.append("sidecar: spleen's interpolated slices not recorded: " + json.dumps(spleen["provenance"]))
# Measured 2026-11-23: guided 0.881, shapes alone 0.865 (the unit test's floors).
if means["guided"] < 0.875:
    failures.append(f"mean Dice following the image {means['guided']:.4f} < 0.875")
if means["guided"] <= means["shapes"] + 0.005:
    failures.append(f"following the image ({means['guided']:.4f}) does not beat the shapes alone ({means['shapes']:.4f})")
print(f"guided {means['guided']:.4f}, shapes {means['shapes']:.4f}")
print("\n".join(failures))
sys.exit(1 if failures else 0)
PY
)
check interpolation-nibabel $? "$out"
echo "  $out" | head -1

largest=$(cat "$work/largest.txt")
expect propagate-runs 0 "axial slices: 1 drawn|propagated" -- \
  "$annotrace" propagate --volume "$ct" --seg "$work/spleen_one.nii.gz" --segment "Label 1" \
  --slice "$largest" --out "$work/spleen.nii.gz"
out=$("$python" - "$truth" "$work" "$largest" <<'PY'
import sys
import nibabel, numpy
t = numpy.asarray(nibabel.load(sys.argv[1]).dataobj) == 1
r = numpy.asarray(nibabel.load(sys.argv[2] + "/spleen.nii.gz").dataobj) == 1
start = int(sys.argv[3])
dice = 2 * (t & r).sum() / (t.sum() + r.sum())
filled = sum(1 for z in range(r.shape[2]) if r[:, :, z].any())
print(f"spleen propagated: Dice {dice:.4f} over {filled} slices (truth {sum(1 for z in range(t.shape[2]) if t[:, :, z].any())})")
# Measured 2026-11-23 by the P4 harness: Dice 0.894.
ok = numpy.array_equal(r[:, :, start], t[:, :, start]) and dice >= 0.85 and filled >= 20
sys.exit(0 if ok else 1)
PY
)
check propagation-nibabel $? "$out"
echo "  $out"

# Errors name the problem and write nothing.
expect key-outside 1 "key slice 99 is outside the axial range 0..29" -- \
  "$annotrace" interpolate --volume "$ct" --seg "$work/keys.nii.gz" --out "$work/bad.nii.gz" --keys 3,99
[[ ! -e $work/bad.nii.gz ]]; check key-outside-writes-nothing $? "bad.nii.gz written"
expect unknown-segment 1 "no segment named \"Nope\"; nothing was written" -- \
  "$annotrace" interpolate --volume "$ct" --seg "$work/keys.nii.gz" --out "$work/bad.nii.gz" --segment Nope
expect propagate-from-empty-slice 1 "segment \"Label 1\" has nothing on axial slice 0 to propagate" -- \
  "$annotrace" propagate --volume "$ct" --seg "$work/spleen_one.nii.gz" --segment "Label 1" \
  --slice 0 --out "$work/bad.nii.gz"
[[ ! -e $work/bad.nii.gz ]]; check empty-slice-writes-nothing $? "bad.nii.gz written"
expect propagate-needs-slice 2 "propagate needs --segment NAME and --slice N" -- \
  "$annotrace" propagate --volume "$ct" --seg "$work/keys.nii.gz" --out "$work/bad.nii.gz"

finish
