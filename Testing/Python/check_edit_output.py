"""Checks what `annotrace edit` wrote, with nibabel as the independent reader.

Usage: check_edit_output.py LABELMAP STDOUT_FILE [--expect-empty | --same-as OTHER_LABELMAP]
Prints one line per problem and exits 1 when there is any.
"""
import json
import re
import sys
from pathlib import Path

import nibabel
import numpy


def layers(labelmap: Path):
    sidecar = json.loads(labelmap.with_name(re.sub(r"\.(nii\.gz|nii|nrrd|nhdr)$", "", labelmap.name) + ".seg.json").read_text())
    return sidecar, [numpy.asarray(nibabel.load(str(labelmap.parent / name)).dataobj) for name in sidecar["layers"]]


def main():
    labelmap, stdout = Path(sys.argv[1]), Path(sys.argv[2]).read_text()
    sidecar, data = layers(labelmap)
    problems = []
    printed = {m.group(2): int(m.group(3)) for m in re.finditer(r"^\s+(\d+)\s+(.+): (\d+) voxels", stdout, re.M)}
    for segment in sidecar["segments"]:
        count = int((data[segment["layer"] - 1] == segment["label_value"]).sum())
        if printed.get(segment["name"]) != count:
            problems.append(f"{segment['name']}: nibabel counts {count}, annotrace printed {printed.get(segment['name'])}")
        if segment["voxel_count"] != count:
            problems.append(f"{segment['name']}: sidecar says {segment['voxel_count']}, nibabel {count}")
    if "--expect-empty" in sys.argv:
        if any(layer.any() for layer in data) or sidecar["segments"]:
            problems.append("expected an empty segmentation after undoing everything")
    if "--same-as" in sys.argv:
        other_sidecar, other = layers(Path(sys.argv[sys.argv.index("--same-as") + 1]))
        if len(other) != len(data) or any(not numpy.array_equal(a, b) for a, b in zip(data, other)):
            problems.append("label maps differ from the reference")
        strip = lambda s: [{k: v for k, v in seg.items()} for seg in s["segments"]]
        if strip(sidecar) != strip(other_sidecar):
            problems.append("segment tables differ from the reference")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
