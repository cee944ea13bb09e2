#pragma once

#include <cstddef>
#include <limits>
#include <vector>

#include "Segmentation/SliceSpec.h"
#include "Segmentation/SparseMask.h"
#include "Volume/ImageGeometry.h"

namespace annotrace {

/// Boundary-to-boundary distances between two masks, in millimetres.
///
/// The boundary of a mask is its set voxels with at least one unset face neighbour (6-
/// connectivity; outside the grid counts as unset). For every boundary voxel of A the distance
/// from its centre to the nearest boundary voxel centre of B is taken, and vice versa; the two
/// lists are pooled:
///   hausdorff         max of the pooled distances (the symmetric Hausdorff distance);
///   hausdorff95       95th percentile of the pooled distances, interpolated linearly between
///                     order statistics (numpy.percentile's default): HD95 as in
///                     the "pooled" convention, not the max of the two directed 95th percentiles;
///   averageSymmetric  mean of the pooled distances (ASSD).
/// Two empty masks give 0 everywhere; exactly one empty mask gives +infinity everywhere (no
/// boundary to measure to: a lost structure is infinitely wrong, never silently 0).
struct SurfaceDistances {
  double hausdorff = 0;
  double hausdorff95 = 0;
  double averageSymmetric = 0;
  std::size_t boundaryA = 0;  ///< boundary voxels of A
  std::size_t boundaryB = 0;
  static constexpr double kInfinity = std::numeric_limits<double>::infinity();
};

/// Slices of one family that hold the reference but nothing of the result.
struct SliceLoss {
  std::size_t referenceSlices = 0;   ///< slices (within the range) holding the reference
  std::vector<std::size_t> emptied;  ///< of those, the ones empty in the result, ascending
};

/// Overlap and distance measures between two binary masks on one grid, for the accuracy
/// harness, consensus and QA. Distances are physical: the grid's spacing applies along each
/// index axis and its direction must be orthonormal (then index-space distances scaled by the
/// spacing are world distances exactly).
class OverlapMetrics {
 public:
  /// 2|A∩B| / (|A| + |B|); 1 when both are empty. Throws std::invalid_argument when the
  /// masks' sizes differ.
  static double dice(const SparseMask& a, const SparseMask& b);

  /// See SurfaceDistances. Uses an exact anisotropic Euclidean distance transform
  /// (Felzenszwalb & Huttenlocher 2012, one squared-distance pass per axis) over the masks'
  /// joint bounding box only, so the cost follows the structures, not the grid. Throws
  /// std::invalid_argument when the sizes differ from each other or from the geometry, or the
  /// direction is not orthonormal.
  static SurfaceDistances surfaceDistances(const SparseMask& a, const SparseMask& b,
                                           const ImageGeometry& geometry);

  /// Slices of `orientation` in [first, last] (clamped to the grid) that hold voxels of the
  /// reference but none of the result: parts of a structure a reconstruction lost.
  static SliceLoss emptiedSlices(const SparseMask& reference, const SparseMask& result,
                                 SliceOrientation orientation, std::size_t first = 0,
                                 std::size_t last = std::numeric_limits<std::size_t>::max());

  /// Per-slice voxel counts of a mask along a slice family (index = slice index).
  static std::vector<std::size_t> sliceCounts(const SparseMask& mask, SliceOrientation orientation);
};

}  // namespace annotrace
