#!/usr/bin/python3
"""Independent reference for NIfTI label maps: read one with nibabel and print JSON.

Usage: labelmap_reference.py [--voxels] FILE

Prints the shape, nibabel's index-to-RAS affine, the stored data type, and the voxel count of
every distinct nonzero value ("counts": {"value": count}). With --voxels also every voxel
value, run-length encoded in index order with i fastest (NIfTI/Fortran order), as
[[value, run length], ...]. A file that cannot be read gets an "error" entry. Needs Debian's
/usr/bin/python3 (nibabel, numpy).
"""

import argparse
import json
import sys

import numpy


def run_lengths(flat):
    if flat.size == 0:
        return []
    change = numpy.flatnonzero(flat[1:] != flat[:-1]) + 1
    starts = numpy.concatenate(([0], change))
    ends = numpy.concatenate((change, [flat.size]))
    return [[int(flat[s]), int(e - s)] for s, e in zip(starts, ends)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voxels", action="store_true", help="print every voxel (RLE)")
    parser.add_argument("file")
    args = parser.parse_args()
    try:
        import nibabel

        image = nibabel.load(args.file)
        data = numpy.asanyarray(image.dataobj)
        while data.ndim > 3:
            data = data[..., 0]
        if not numpy.all(numpy.mod(data, 1) == 0):
            raise ValueError("non-integer voxel values")
        data = data.astype(numpy.int64)
        values, counts = numpy.unique(data, return_counts=True)
        result = {
            "shape": [int(n) for n in data.shape],
            "dtype": str(image.get_data_dtype()),
            "rasAffine": image.affine.tolist(),
            "counts": {str(int(v)): int(c) for v, c in zip(values, counts) if v != 0},
        }
        if args.voxels:
            result["voxels"] = run_lengths(data.ravel(order="F"))
    except Exception as error:  # reported to the test, which fails with the message
        result = {"error": "%s: %s" % (type(error).__name__, error)}
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
