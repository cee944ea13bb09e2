#!/usr/bin/python3
"""Checks a NIfTI volume converted from the sample phantom against the phantom's ground truth,
in world coordinates: every NIfTI voxel centre (its sform/qform, RAS) must land on a voxel
centre of the ground-truth grid (LPS) and hold that voxel's HU. Reads the file with nibabel,
independently of Annotrace.

Usage: /usr/bin/python3 check_phantom_nifti.py PHANTOM_DIR FILE.nii[.gz]
"""
import json
import pathlib
import sys

import nibabel
import numpy as np

from check_phantom import expected_volume


def main(folder, nifti_path):
    truth = json.loads((pathlib.Path(folder) / "ground_truth.json").read_text())
    image = nibabel.load(nifti_path)
    data = np.asanyarray(image.dataobj)
    if data.ndim != 3 or sorted(data.shape) != sorted(truth["size"]):
        print(f"NIfTI shape {data.shape}, expected a permutation of {truth['size']}")
        return 1

    # World (RAS) of every voxel centre, then LPS, then continuous index on the truth grid.
    ijk = np.indices(data.shape).reshape(3, -1)
    ras = image.affine[:3, :3] @ ijk + image.affine[:3, 3:4]
    lps = ras * np.array([[-1.0], [-1.0], [1.0]])
    index = (lps - np.array(truth["origin_lps_mm"])[:, None]) / np.array(truth["spacing_mm"])[:, None]
    nearest = np.rint(index)
    offset_mm = np.abs(index - nearest) * np.array(truth["spacing_mm"])[:, None]
    errors = []
    if offset_mm.max() > 0.01:
        errors.append(f"voxel centres are up to {offset_mm.max():.4f} mm off the truth grid")
    nearest = nearest.astype(int)
    size = np.array(truth["size"])[:, None]
    if (nearest < 0).any() or (nearest >= size).any():
        errors.append("voxels fall outside the ground-truth grid")
    if not errors:
        expected = expected_volume(truth)  # [k, j, i]
        want = expected[nearest[2], nearest[1], nearest[0]]
        got = data.reshape(-1).astype(np.float64)  # np.indices order matches reshape order
        wrong = np.count_nonzero(np.abs(got - want) > 1e-3)
        if wrong:
            errors.append(f"{wrong} of {got.size} voxels differ from the ground truth")
    if errors:
        print("\n".join(errors))
        return 1
    print(f"{nifti_path}: {data.shape} matches the phantom's ground truth in world coordinates")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
