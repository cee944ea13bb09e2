#!/usr/bin/python3
"""Independent geometry reference: run dcm2niix on DICOM input and describe what it writes.

Usage: dcm2niix_reference.py [--dcm2niix PATH] INPUT [INPUT ...]

INPUT is a folder (converted as dcm2niix sees it, recursively) or several files (linked into a
temporary folder first so dcm2niix sees exactly those). Prints one JSON object:
  {"volumes": [{"file", "suffix", "shape", "pixdim", "affine_lps", "corners_lps",
                "orthonormal", "sidecar": {...}}], "log": "..."}
affine_lps maps (i, j, k, 1) to LPS millimetres: dcm2niix writes RAS, so the first two rows of
the NIfTI affine are negated. corners_lps are the 8 voxel-centre corners of the first 3D grid.
Needs Debian's /usr/bin/python3 (nibabel, numpy).
"""

import argparse
import glob
import itertools
import json
import os
import subprocess
import sys
import tempfile

import nibabel
import numpy


def describe(path, base):
    image = nibabel.load(path)
    header = image.header
    sform, sform_code = image.get_sform(coded=True)
    qform, qform_code = image.get_qform(coded=True)
    # dcm2niix writes the same matrix in both; prefer sform as NIfTI readers do.
    affine = sform if sform_code and sform_code > 0 else qform
    lps = numpy.array(affine, dtype=float)
    lps[0:2, :] *= -1.0
    shape = [int(n) for n in image.shape]
    nx, ny, nz = (shape + [1, 1, 1])[:3]
    corners = []
    for i, j, k in itertools.product((0, nx - 1), (0, ny - 1), (0, nz - 1)):
        corners.append([float(v) for v in (lps @ numpy.array([i, j, k, 1.0]))[:3]])
    columns = lps[:3, :3]
    lengths = numpy.linalg.norm(columns, axis=0)
    unit = columns / lengths
    orthonormal = bool(numpy.allclose(unit.T @ unit, numpy.eye(3), atol=1e-4))
    name = os.path.basename(path)
    stem = name[: -len(".nii")] if name.endswith(".nii") else name[: -len(".nii.gz")]
    sidecar = {}
    json_path = os.path.join(os.path.dirname(path), stem + ".json")
    if os.path.exists(json_path):
        with open(json_path) as handle:
            full = json.load(handle)
        for key in ("SeriesNumber", "SeriesDescription", "EchoNumber", "EchoTime", "ImageType",
                    "Modality", "ImageOrientationPatientDICOM", "AcquisitionNumber",
                    "GantryDetectorTilt", "SliceThickness"):
            if key in full:
                sidecar[key] = full[key]
    data = numpy.asanyarray(image.dataobj)
    return {
        "file": name,
        "suffix": stem[len(base):],
        "shape": shape,
        "pixdim": [float(v) for v in header["pixdim"][1:1 + len(shape)]],
        "affine_lps": [[float(v) for v in row] for row in lps],
        "spacing": [float(v) for v in lengths],
        "corners_lps": corners,
        "orthonormal": orthonormal,
        "scaled_min": float(numpy.min(data)),
        "scaled_max": float(numpy.max(data)),
        "sidecar": sidecar,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dcm2niix", default="dcm2niix")
    parser.add_argument("inputs", nargs="+")
    args = parser.parse_args()
    base = "ref"
    with tempfile.TemporaryDirectory(prefix="annotrace-dcm2niix-") as work:
        if len(args.inputs) == 1 and os.path.isdir(args.inputs[0]):
            source = args.inputs[0]
        else:
            source = os.path.join(work, "in")
            os.mkdir(source)
            for n, path in enumerate(args.inputs):
                if not os.path.isfile(path):
                    sys.exit(f"dcm2niix_reference: no such file: {path}")
                os.symlink(os.path.abspath(path), os.path.join(source, f"{n:05d}_" + os.path.basename(path)))
        out = os.path.join(work, "out")
        os.mkdir(out)
        run = subprocess.run([args.dcm2niix, "-z", "n", "-b", "y", "-f", base, "-o", out, source],
                             capture_output=True, text=True)
        niftis = sorted(glob.glob(os.path.join(out, "*.nii")))
        if run.returncode not in (0, 2) or not niftis:
            # dcm2niix returns 2 when a folder held no convertible DICOM; report that as empty.
            if not niftis:
                print(json.dumps({"volumes": [], "log": run.stdout + run.stderr}))
                return
            sys.exit(f"dcm2niix failed ({run.returncode}): {run.stdout}{run.stderr}")
        volumes = [describe(path, base) for path in niftis]
        print(json.dumps({"volumes": volumes, "log": run.stdout + run.stderr}, indent=1))


if __name__ == "__main__":
    main()
