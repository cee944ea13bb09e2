#!/usr/bin/python3
"""Independent reference for overlap metrics: compare two NIfTI label maps label by label.

Usage: overlap_reference.py A.nii.gz B.nii.gz

For every nonzero value present in either file prints, as JSON {"labels": {"N": {...}}}:
dice (1 when both are empty), hausdorff, hd95, assd (millimetres) and the boundary voxel counts
boundary_a, boundary_b. The boundary of a mask is its voxels with an unset face neighbour
(outside the array counts as unset); distances are brute force, from every boundary voxel
centre of one mask to every boundary voxel centre of the other, in world coordinates through
nibabel's affine (so spacing and direction are applied independently of the code under test).
hausdorff is the max of the pooled distances of both directions, hd95 numpy.percentile(pooled,
95), assd their mean; "inf" (JSON null) when exactly one mask is empty. Needs Debian's
/usr/bin/python3 (nibabel, numpy); no scipy.
"""

import argparse
import json

import numpy


def boundary(mask):
    padded = numpy.pad(mask, 1)
    inner = padded[1:-1, 1:-1, 1:-1]
    all_set = inner.copy()
    for axis in range(3):
        for shift in (-1, 1):
            all_set &= numpy.roll(padded, shift, axis=axis)[1:-1, 1:-1, 1:-1]
    return numpy.argwhere(mask & ~all_set)


def min_distances(points, targets):
    out = numpy.empty(len(points))
    for start in range(0, len(points), 512):
        chunk = points[start:start + 512]
        d2 = ((chunk[:, None, :] - targets[None, :, :]) ** 2).sum(axis=2)
        out[start:start + 512] = numpy.sqrt(d2.min(axis=1))
    return out


def compare(a, b, affine):
    result = {}
    na, nb = int(a.sum()), int(b.sum())
    both = int((a & b).sum())
    result["dice"] = 1.0 if na + nb == 0 else 2.0 * both / (na + nb)
    ea, eb = boundary(a), boundary(b)
    result["boundary_a"], result["boundary_b"] = len(ea), len(eb)
    if na == 0 and nb == 0:
        result.update(hausdorff=0.0, hd95=0.0, assd=0.0)
    elif na == 0 or nb == 0:
        result.update(hausdorff=None, hd95=None, assd=None)
    else:
        wa = ea @ affine[:3, :3].T + affine[:3, 3]
        wb = eb @ affine[:3, :3].T + affine[:3, 3]
        pooled = numpy.concatenate((min_distances(wa, wb), min_distances(wb, wa)))
        result.update(hausdorff=float(pooled.max()), hd95=float(numpy.percentile(pooled, 95)),
                      assd=float(pooled.mean()))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    args = parser.parse_args()
    import nibabel

    image_a, image_b = nibabel.load(args.a), nibabel.load(args.b)
    a = numpy.asanyarray(image_a.dataobj)
    b = numpy.asanyarray(image_b.dataobj)
    if a.shape != b.shape or not numpy.allclose(image_a.affine, image_b.affine, atol=1e-4):
        raise SystemExit("the label maps are not on the same grid")
    affine = image_a.affine.astype(numpy.float64)
    labels = sorted((set(numpy.unique(a).tolist()) | set(numpy.unique(b).tolist())) - {0})
    out = {str(int(v)): compare(a == v, b == v, affine) for v in labels}
    print(json.dumps({"labels": out}))


if __name__ == "__main__":
    main()
