#!/usr/bin/python3
"""Independent reference for NIfTI and NRRD files: read them without ITK and print JSON.

Usage: nifti_reference.py [--voxels I,J,K;I,J,K...] FILE

NIfTI is read with nibabel; NRRD with the small header parser below and numpy. Prints the shape,
the index-to-RAS affine the reader chose (NIfTI: nibabel's, i.e. the sform when its code is set,
else the qform) plus the qform and sform with their codes, the index-to-LPS matrix for NRRD,
and for the first 3D volume: the physical values (scl_slope/scl_inter applied) at the given
voxels, the minimum and maximum, and whether every value is an integer. A file that cannot be
read gets an "error" entry. Needs Debian's /usr/bin/python3 (nibabel, numpy).
"""

import argparse
import gzip
import json
import os
import sys

import numpy

NRRD_TYPES = {
    "signed char": "i1", "int8": "i1", "int8_t": "i1",
    "uchar": "u1", "unsigned char": "u1", "uint8": "u1", "uint8_t": "u1",
    "short": "i2", "short int": "i2", "signed short": "i2", "int16": "i2", "int16_t": "i2",
    "ushort": "u2", "unsigned short": "u2", "uint16": "u2", "uint16_t": "u2",
    "int": "i4", "signed int": "i4", "int32": "i4", "int32_t": "i4",
    "uint": "u4", "unsigned int": "u4", "uint32": "u4", "uint32_t": "u4",
    "longlong": "i8", "int64": "i8", "int64_t": "i8",
    "ulonglong": "u8", "uint64": "u8", "uint64_t": "u8",
    "float": "f4", "double": "f8",
}


def read_nifti(path):
    import nibabel

    image = nibabel.load(path)
    header = image.header
    data = numpy.asanyarray(image.dataobj, dtype=numpy.float64)  # slope and intercept applied
    while data.ndim > 3:
        data = data[..., 0]
    while data.ndim < 3:
        data = data[..., numpy.newaxis]
    qform, qcode = image.get_qform(coded=True)
    sform, scode = image.get_sform(coded=True)
    return data, {
        "format": "nifti%d" % (2 if isinstance(image, nibabel.Nifti2Image) else 1),
        "fullShape": [int(n) for n in image.shape],
        "rasAffine": image.affine.tolist(),
        "qformCode": int(qcode or 0),
        "sformCode": int(scode or 0),
        "qform": header.get_qform().tolist(),
        "sform": header.get_sform().tolist(),
    }


def read_nrrd(path):
    with open(path, "rb") as f:
        raw = f.read()
    end = raw.find(b"\n\n")
    fields = {}
    for line in raw[:end].decode("latin-1").splitlines()[1:]:
        if line.startswith("#") or ":" not in line:
            continue
        key, value = line.split(":", 1)
        fields[key.strip().lower()] = value.lstrip("=").strip()
    sizes = [int(s) for s in fields["sizes"].split()]
    dtype = numpy.dtype(NRRD_TYPES[fields["type"]])
    if dtype.itemsize > 1:
        dtype = dtype.newbyteorder("<" if fields.get("endian", "little") == "little" else ">")
    if "data file" in fields:
        with open(os.path.join(os.path.dirname(path), fields["data file"]), "rb") as f:
            payload = f.read()
    else:
        payload = raw[end + 2:]
    if fields.get("encoding", "raw") in ("gzip", "gz"):
        payload = gzip.decompress(payload)
    count = int(numpy.prod(sizes))
    payload = payload[len(payload) - count * dtype.itemsize:]  # skip any "byte skip"
    data = numpy.frombuffer(payload, dtype=dtype).astype(numpy.float64)
    data = data.reshape(sizes[::-1]).transpose()  # NRRD: first axis varies fastest
    while data.ndim > 3:
        data = data[..., 0]
    directions = [
        [float(v) for v in d.strip("()").split(",")]
        for d in fields["space directions"].replace(") (", ")|(").split("|")
        if d.strip() != "none"
    ]
    origin = [float(v) for v in fields["space origin"].strip("()").split(",")]
    space = fields.get("space", "left-posterior-superior")
    flip = {"left-posterior-superior": [1, 1, 1], "right-anterior-superior": [-1, -1, 1]}[space]
    matrix = numpy.eye(4)
    for axis, step in enumerate(directions[:3]):
        matrix[:3, axis] = numpy.array(step) * flip
    matrix[:3, 3] = numpy.array(origin) * flip
    return data, {"format": "nrrd", "fullShape": sizes, "lpsMatrix": matrix.tolist()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voxels", default="", help="I,J,K;I,J,K... (0-based)")
    parser.add_argument("file")
    args = parser.parse_args()
    try:
        if args.file.lower().endswith((".nrrd", ".nhdr")):
            data, result = read_nrrd(args.file)
        else:
            data, result = read_nifti(args.file)
        voxels = [tuple(int(n) for n in v.split(",")) for v in args.voxels.split(";") if v]
        result.update({
            "shape": [int(n) for n in data.shape],
            "values": [float(data[v]) for v in voxels],
            "min": float(data.min()),
            "max": float(data.max()),
            "allIntegers": bool(numpy.all(numpy.mod(data, 1) == 0)),
        })
    except Exception as error:  # reported to the test, which fails with the message
        result = {"error": "%s: %s" % (type(error).__name__, error)}
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
