#!/usr/bin/python3
"""Checks the sample phantom's DICOM files against its ground_truth.json, reading them with
pydicom (independently of Annotrace and of the generator's C++ code).

Usage: /usr/bin/python3 check_phantom.py PHANTOM_DIR
"""
import json
import pathlib
import sys

import numpy as np
import pydicom

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"


def expected_volume(truth):
    """HU at every voxel centre, indexed [k, j, i], from the shapes in the ground truth."""
    nx, ny, nz = truth["size"]
    sx, sy, sz = truth["spacing_mm"]
    ox, oy, oz = truth["origin_lps_mm"]
    z, y, x = np.meshgrid(oz + sz * np.arange(nz), oy + sy * np.arange(ny),
                          ox + sx * np.arange(nx), indexing="ij")
    volume = np.full((nz, ny, nx), truth["background_hu"], dtype=np.int32)
    assigned = np.zeros(volume.shape, dtype=bool)
    for insert in truth["inserts"]:  # first listed wins, as in the generator
        cx, cy, cz = insert["centre_lps_mm"]
        r2 = insert["radius_mm"] ** 2
        if insert["shape"] == "sphere":
            inside = (x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2 <= r2
        else:
            z0, z1 = insert["z_range_lps_mm"]
            inside = ((x - cx) ** 2 + (y - cy) ** 2 <= r2) & (z >= z0) & (z <= z1)
        inside &= ~assigned
        volume[inside] = insert["hu"]
        assigned |= inside
        if not inside.any():
            raise AssertionError(f"insert {insert['name']} covers no voxel centre")
    return volume


def main(folder):
    folder = pathlib.Path(folder)
    truth = json.loads((folder / "ground_truth.json").read_text())
    datasets = [pydicom.dcmread(p) for p in sorted((folder / "DICOM").iterdir())]
    errors = []

    def check(condition, message):
        if not condition:
            errors.append(message)

    nx, ny, nz = truth["size"]
    if len(datasets) != nz:
        print(f"{len(datasets)} files, expected {nz}")
        return 1
    check(len({d.SOPInstanceUID for d in datasets}) == len(datasets), "SOP Instance UIDs repeat")
    for key, uid in [("SeriesInstanceUID", "series_instance_uid"),
                     ("StudyInstanceUID", "study_instance_uid"),
                     ("FrameOfReferenceUID", "frame_of_reference_uid")]:
        values = {getattr(d, key) for d in datasets}
        check(values == {truth[uid]}, f"{key} {values} != {truth[uid]}")
    for d in datasets:
        check(d.SOPClassUID == CT_IMAGE_STORAGE, f"SOP class {d.SOPClassUID}")
        check(d.file_meta.MediaStorageSOPInstanceUID == d.SOPInstanceUID, "meta SOP UID differs")
        check(d.Modality == "CT" and d.Rows == ny and d.Columns == nx, "modality or matrix")
        check([float(v) for v in d.ImageOrientationPatient] == [1, 0, 0, 0, 1, 0], "IOP")
        check([float(v) for v in d.PixelSpacing] == truth["spacing_mm"][:2], "PixelSpacing")

    datasets.sort(key=lambda d: float(d.ImagePositionPatient[2]))
    positions = np.array([[float(v) for v in d.ImagePositionPatient] for d in datasets])
    expected_positions = np.array(truth["origin_lps_mm"]) + np.outer(
        np.arange(nz), [0, 0, truth["spacing_mm"][2]])
    check(np.allclose(positions, expected_positions, atol=1e-6), "IPP off the ground-truth grid")

    hu = np.stack([d.pixel_array.astype(np.int32) * int(d.RescaleSlope) + int(d.RescaleIntercept)
                   for d in datasets])
    expected = expected_volume(truth)
    wrong = np.count_nonzero(hu != expected)
    check(wrong == 0, f"{wrong} voxels differ from the ground truth")
    for insert in truth["inserts"]:
        count = np.count_nonzero(expected == insert["hu"])
        print(f"{insert['name']:20s} {insert['hu']:6d} HU  {count:7d} voxels")

    if errors:
        print("\n".join(errors))
        return 1
    print(f"phantom matches its ground truth: {nx}x{ny}x{nz}, {len(datasets)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
