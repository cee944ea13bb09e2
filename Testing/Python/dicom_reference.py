#!/usr/bin/python3
"""Independent pixel and position reference: read DICOM files with pydicom and print JSON.

Usage: dicom_reference.py [--samples R,C;R,C...] FILE [FILE ...]

For every file (and every frame of an enhanced multi-frame file, taken from its per-frame and
shared functional groups) prints ImagePositionPatient, ImageOrientationPatient, PixelSpacing,
rescale slope/intercept and the pixel values in physical units (stored * slope + intercept) at
a fixed set of (row, column) samples plus the positions of the frame's minimum and maximum.

Pixels are decoded by pydicom (numpy, RLE and Pillow handlers; never GDCM, which the loader
under test uses). When pydicom cannot decode a syntax (JPEG lossless, JPEG-LS) the file is first
decompressed with DCMTK's dcmdjpeg / dcmdjpls / dcmdrle into a temporary file. Stored values
are masked to BitsStored and sign-extended here, so the reference does not depend on how a
decoder treats the unused high bits. A file that cannot be read gets an "error" entry.
Siemens mosaics are split into one entry per tile ("mosaic_tile"), placed with nibabel.
Needs Debian's /usr/bin/python3 (pydicom, numpy, nibabel).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy
import pydicom
import pydicom.config

# Keep the reference independent of GDCM even if its Python binding gets installed.
pydicom.config.pixel_data_handlers = [
    h for h in pydicom.config.pixel_data_handlers if "gdcm" not in h.__name__
]

DCMTK_DECODERS = {
    "1.2.840.10008.1.2.4.50": "dcmdjpeg",
    "1.2.840.10008.1.2.4.51": "dcmdjpeg",
    "1.2.840.10008.1.2.4.57": "dcmdjpeg",
    "1.2.840.10008.1.2.4.70": "dcmdjpeg",
    "1.2.840.10008.1.2.4.80": "dcmdjpls",
    "1.2.840.10008.1.2.4.81": "dcmdjpls",
    "1.2.840.10008.1.2.5": "dcmdrle",
    "1.2.840.10008.1.2.1.99": "dcmconv",  # deflated: re-encoded uncompressed with +te below
}


def floats(value):
    if value is None:
        return None
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        return [float(v) for v in value]
    return [float(value)]


def first_item(dataset, keyword):
    sequence = dataset.get(keyword) if dataset is not None else None
    return sequence[0] if sequence else None


def functional(per_frame, shared, sequence, attribute):
    """An attribute from the per-frame functional group if present, else the shared one."""
    for group in (per_frame, shared):
        item = first_item(group, sequence)
        if item is not None and attribute in item:
            return item.get(attribute)
    return None


def decode(ds, path, work):
    """Stored pixel values as an int64 array shaped (frames, rows, columns), plus the method."""
    try:
        array, how = ds.pixel_array, "pydicom"
    except Exception as first_error:  # pydicom lacks a decoder: let DCMTK decompress first
        syntax = str(ds.file_meta.get("TransferSyntaxUID", ""))
        tool = DCMTK_DECODERS.get(syntax)
        if tool is None:
            raise RuntimeError(f"pydicom cannot decode {syntax}: {first_error}")
        plain = os.path.join(work, "decoded.dcm")
        options = ["+te"] if tool == "dcmconv" else []
        run = subprocess.run([tool, *options, path, plain], capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"{tool} failed: {run.stderr.strip() or run.stdout.strip()}")
        ds = pydicom.dcmread(plain)
        array, how = ds.pixel_array, tool
    if int(ds.get("SamplesPerPixel", 1)) != 1:
        raise RuntimeError("not a single-sample (greyscale) image")
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    array = numpy.asarray(array).reshape(frames, int(ds.Rows), int(ds.Columns))
    allocated = int(ds.BitsAllocated)
    stored = int(ds.get("BitsStored", allocated))
    signed = int(ds.get("PixelRepresentation", 0)) == 1
    raw = array.astype(numpy.int64) & ((1 << allocated) - 1)  # undo any sign extension first
    raw &= (1 << stored) - 1
    if signed:
        raw = numpy.where(raw & (1 << (stored - 1)), raw - (1 << stored), raw)
    return raw, how


def default_samples(rows, columns):
    r, c = rows - 1, columns - 1
    points = [(0, 0), (0, c), (r, 0), (r, c), (r // 2, c // 2), (r // 3, (2 * c) // 3),
              ((2 * r) // 3, c // 4), (r // 5, c // 7), ((4 * r) // 5, (5 * c) // 6)]
    return list(dict.fromkeys(points))


def mosaic_tiles(ds, shape):
    """Siemens mosaic tiles as (row0, col0, rows, columns, ipp, iop, spacing), or None.

    Geometry from nibabel's MosaicWrapper (CSA header: tile count, slice normal; position of
    the first tile corrected from the mosaic corner), an implementation independent of ours."""
    if "MOSAIC" not in [str(v).upper() for v in ds.get("ImageType", [])]:
        return None
    from nibabel.nicom import dicomwrappers
    wrapper = dicomwrappers.wrapper_from_data(ds)
    if not isinstance(wrapper, dicomwrappers.MosaicWrapper):
        return None
    per_row = int(wrapper.mosaic_size)
    rows, columns = shape[0] // per_row, shape[1] // per_row
    first = numpy.asarray(wrapper.image_position, dtype=float)
    normal = numpy.asarray(wrapper.slice_normal, dtype=float)
    step = float(wrapper.voxel_sizes[2])
    iop, spacing = ds.get("ImageOrientationPatient"), ds.get("PixelSpacing")
    return [((t // per_row) * rows, (t % per_row) * columns, rows, columns,
             [float(v) for v in first + t * step * normal], iop, spacing)
            for t in range(int(wrapper.n_mosaic))]


def frame_entry(stored, frame_number, ipp, iop, spacing, slope, intercept, samples, tile=None):
    slope = float(slope) if slope not in (None, "") else 1.0
    intercept = float(intercept) if intercept not in (None, "") else 0.0
    physical = stored.astype(numpy.float64) * slope + intercept
    rows, columns = physical.shape
    points = samples if samples else default_samples(rows, columns)
    points = [(r, c) for r, c in points if 0 <= r < rows and 0 <= c < columns]
    low = numpy.unravel_index(int(numpy.argmin(physical)), physical.shape)
    high = numpy.unravel_index(int(numpy.argmax(physical)), physical.shape)
    points += [(int(low[0]), int(low[1])), (int(high[0]), int(high[1]))]
    frame = {
        "frame_number": frame_number,
        "ipp": floats(ipp),
        "iop": floats(iop),
        "pixel_spacing": floats(spacing),
        "rescale_slope": slope,
        "rescale_intercept": intercept,
        "samples": [[int(r), int(c), float(physical[r, c])] for r, c in points],
    }
    if tile is not None:
        frame["mosaic_tile"] = tile
    return frame


def describe(path, samples, work):
    ds = pydicom.dcmread(path, force=True)
    meta = getattr(ds, "file_meta", None)
    entry = {
        "file": os.path.abspath(path),
        "sop_class_uid": str(ds.get("SOPClassUID", "") or (meta.get("MediaStorageSOPClassUID", "") if meta else "")),
        "sop_instance_uid": str(ds.get("SOPInstanceUID", "") or (meta.get("MediaStorageSOPInstanceUID", "") if meta else "")),
        "series_instance_uid": str(ds.get("SeriesInstanceUID", "")),
        "modality": str(ds.get("Modality", "")),
        "transfer_syntax": str(meta.get("TransferSyntaxUID", "")) if meta else "",
        "rows": int(ds.get("Rows", 0) or 0),
        "columns": int(ds.get("Columns", 0) or 0),
        "number_of_frames": int(ds.get("NumberOfFrames", 1) or 1),
        "instance_number": int(ds.get("InstanceNumber", 0) or 0),
        "echo_numbers": floats(ds.get("EchoNumbers")),
        "frames": [],
    }
    if "PixelData" not in ds:
        entry["error"] = "no PixelData"
        return entry
    try:
        stored, how = decode(ds, path, work)
    except Exception as error:  # reported, not raised: the caller decides what it means
        entry["error"] = str(error)
        return entry
    entry["decoded_by"] = how
    tiles = mosaic_tiles(ds, stored.shape[1:])
    if tiles is not None:
        entry["mosaic"] = True
        entry["frames"] = [frame_entry(stored[0][r0:r0 + rows, c0:c0 + columns], 0, ipp, iop,
                                       spacing, ds.get("RescaleSlope"), ds.get("RescaleIntercept"),
                                       samples, tile=t)
                           for t, (r0, c0, rows, columns, ipp, iop, spacing) in enumerate(tiles)]
        return entry
    shared = first_item(ds, "SharedFunctionalGroupsSequence")
    per_frames = ds.get("PerFrameFunctionalGroupsSequence")
    for index in range(stored.shape[0]):
        if per_frames is not None or shared is not None:
            group = per_frames[index] if per_frames is not None else None
            ipp = functional(group, shared, "PlanePositionSequence", "ImagePositionPatient")
            iop = functional(group, shared, "PlaneOrientationSequence", "ImageOrientationPatient")
            spacing = functional(group, shared, "PixelMeasuresSequence", "PixelSpacing")
            slope = functional(group, shared, "PixelValueTransformationSequence", "RescaleSlope")
            intercept = functional(group, shared, "PixelValueTransformationSequence",
                                   "RescaleIntercept")
            frame_number = index + 1
        else:
            ipp, iop, spacing = (ds.get("ImagePositionPatient"), ds.get("ImageOrientationPatient"),
                                 ds.get("PixelSpacing"))
            slope, intercept = ds.get("RescaleSlope"), ds.get("RescaleIntercept")
            frame_number = 0 if entry["number_of_frames"] == 1 else index + 1
        # Enhanced objects without functional-group rescale may still carry top-level values.
        if slope is None:
            slope = ds.get("RescaleSlope")
        if intercept is None:
            intercept = ds.get("RescaleIntercept")
        entry["frames"].append(frame_entry(stored[index], frame_number, ipp, iop, spacing, slope,
                                           intercept, samples))
    return entry


def parse_samples(text):
    if not text:
        return None
    return [tuple(int(v) for v in pair.split(",")) for pair in text.split(";") if pair]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", default="", help="R,C;R,C... (default: a fixed spread)")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    samples = parse_samples(args.samples)
    warnings.simplefilter("ignore")  # pydicom's notes on odd files would clutter the JSON runs
    entries = []
    with tempfile.TemporaryDirectory(prefix="annotrace-pydicom-") as work:
        for path in args.files:
            try:
                entries.append(describe(path, samples, work))
            except Exception as error:
                entries.append({"file": os.path.abspath(path), "frames": [], "error": str(error)})
    json.dump({"files": entries}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
