#!/usr/bin/env bash
# The bundled sample edits (Resources/Sample/sample-edits.json) label the phantom's bone and fat
# inserts exactly: the voxel counts nibabel reads from the label map must equal the number of
# voxel centres inside each insert according to the phantom's ground truth.
# Usage: sample_edits.sh ANNOTRACE MAKE_PHANTOM PYTHON
set -u
annotrace=$1
make_phantom=$2
python=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$here/expect.sh"

"$make_phantom" "$work/sample" >/dev/null
expect sample-edits-run 0 "Bone insert: [0-9]+ voxels" -- "$annotrace" edit --volume "$work/sample/DICOM" \
  --ops "$here/../../Resources/Sample/sample-edits.json" --out "$work/labels.nii.gz"
out=$("$python" - "$work/sample/ground_truth.json" "$work/labels.nii.gz" "$work/labels.seg.json" <<'PY'
import json, sys
import nibabel, numpy
truth = json.load(open(sys.argv[1]))
labels = numpy.asarray(nibabel.load(sys.argv[2]).dataobj)
table = {s["name"]: s for s in json.load(open(sys.argv[3]))["segments"]}
size, origin, spacing = truth["size"], truth["origin_lps_mm"], truth["spacing_mm"]
i, j, k = numpy.meshgrid(*[numpy.arange(n) for n in size], indexing="ij")
x, y, z = (origin[a] + spacing[a] * g for a, g in enumerate((i, j, k)))
inserts = {ins["name"]: ins for ins in truth["inserts"]}
for segment, insert in (("Bone insert", "bone sphere"), ("Fat insert", "fat sphere")):
    c, r = inserts[insert]["centre_lps_mm"], inserts[insert]["radius_mm"]
    expected = int(((x - c[0]) ** 2 + (y - c[1]) ** 2 + (z - c[2]) ** 2 <= r * r).sum())
    # nibabel's array is in the file's RAS order; counts do not depend on the axis flips.
    got = int((labels == table[segment]["label_value"]).sum())
    if got != expected:
        print(f"{segment}: {got} voxels, ground truth {expected}")
soft = int((labels == table["Soft tissue insert"]["label_value"]).sum())
# Two octagons inscribed in a 9 mm circle: 2 x 2.83 x 81 mm2 / 2.25 mm2 = 203.6 pixels.
if not 190 < soft < 215:
    print(f"Soft tissue insert: {soft} voxels on two slices, expected about 204")
if table["Bone insert"]["terminology"]["type"]["value"] != "272673000":
    print("Bone insert lacks the SNOMED CT code of Bone (272673000)")
PY
)
[[ -z $out ]]; check sample-labels-match-ground-truth $? "$out"
finish
