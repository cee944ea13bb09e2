#!/usr/bin/python3
"""End-to-end check of the `annotrace` command on the sample phantom: `series` finds the one
stack, `info --json` reports the ground-truth geometry and identity, and `convert` writes a
NIfTI whose every voxel matches the ground truth in world coordinates (read with nibabel).

Usage: /usr/bin/python3 check_phantom_cli.py ANNOTRACE PHANTOM_DIR
"""
import json
import pathlib
import subprocess
import sys

import numpy as np

import check_phantom_nifti


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited {result.returncode}:\n{result.stderr}")
    return result.stdout


def main(annotrace, folder):
    folder = pathlib.Path(folder)
    dicom = str(folder / "DICOM")
    truth = json.loads((folder / "ground_truth.json").read_text())
    errors = []

    def check(condition, message):
        if not condition:
            errors.append(message)

    listing = run([annotrace, "series", dicom])
    check(truth["series_instance_uid"] in listing, "`series` does not list the phantom's UID")

    info = json.loads(run([annotrace, "info", "--json", dicom]))
    check(info["size"] == truth["size"], f"size {info['size']}")
    for key, want in [("spacing", truth["spacing_mm"]), ("origin", truth["origin_lps_mm"])]:
        check(np.allclose(info[key], want, atol=1e-6), f"{key} {info[key]}, expected {want}")
    # The direction matrix is the identity, so its layout (rows or columns) does not matter here.
    check(np.allclose(info["direction"], truth["direction"], atol=1e-9),
          f"direction {info['direction']}")
    check(info["valueRange"] == [-1000, 1000], f"valueRange {info['valueRange']}")
    check(info["units"] == "HU", f"units {info['units']!r}")
    check(info["voxelType"] == "int16", f"voxelType {info['voxelType']}")
    identity = info["identity"]
    check(identity["seriesInstanceUid"] == truth["series_instance_uid"], "series UID")
    check(identity["studyInstanceUid"] == truth["study_instance_uid"], "study UID")
    check(identity["frameOfReferenceUid"] == truth["frame_of_reference_uid"], "FoR UID")
    check(identity["modality"] == "CT", f"modality {identity['modality']}")
    check(identity["patientId"] == "ANNOTRACE-PHANTOM-001", f"patientId {identity['patientId']}")
    check(info["sourceFrameCount"] == truth["size"][2], "one source frame per slice")
    windows = sorted((w["center"], w["width"]) for w in info["windowsFromFile"])
    check(windows == [(40, 400), (500, 2000)], f"windowsFromFile {windows}")
    check(info["warnings"] == [], f"warnings on a clean series: {info['warnings']}")

    nifti = folder / "annotrace_convert.nii.gz"
    nifti.unlink(missing_ok=True)
    run([annotrace, "convert", dicom, str(nifti)])
    if check_phantom_nifti.main(folder, nifti) != 0:
        errors.append("the converted NIfTI does not match the ground truth")

    if errors:
        print("\n".join(errors))
        return 1
    print("annotrace series, info and convert agree with the phantom's ground truth")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
