#!/usr/bin/env bash
# The workstation host finds the annotation plugin, opens a real CT with its label map and saves
# a screenshot; Pillow checks that the picture holds the segments' colours in the axial pane.
# Usage (under xvfb-run, or on Qt's offscreen platform where the window opens without the 3D
# view): host_screenshot.sh WORKSTATION DATA_DIR ARTEFACT_DIR PYTHON [PNG_NAME]
set -u
workstation=$1
data=$2
artefacts=$3
python=$4
name=${5:-workstation-host.png}
mkdir -p "$artefacts"
out=$artefacts/$name
rm -f "$out"
export XDG_CONFIG_HOME=$(mktemp -d)  # no settings from earlier runs
timeout 120 "$workstation" "$data/nifti_totalseg/example_ct_sm.nii.gz" \
  --labels "$data/nifti_totalseg/example_seg.nii.gz" --screenshot "$out" --size 1400x900
code=$?
[[ $code -eq 0 && -s $out ]] || { echo "FAIL: the workstation exited with $code and wrote no screenshot"; exit 1; }
"$python" - "$out" <<'PY'
import sys
from PIL import Image
image = Image.open(sys.argv[1]).convert("RGB")
w, h = image.size
assert (w, h) == (1400, 900), f"screenshot is {w}x{h}, expected 1400x900"
# The axial view is the top-left pane of the 2x2 layout: count clearly coloured pixels there.
pixels = image.crop((0, 60, w // 3, h // 2)).getdata()
coloured = sum(1 for r, g, b in pixels if max(r, g, b) - min(r, g, b) > 40)
print(f"{coloured} coloured pixels in the axial pane")
sys.exit(0 if coloured > 5000 else 1)
PY
