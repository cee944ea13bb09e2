#pragma once

#include <cstddef>
#include <vector>

#include "Segmentation/Segment.h"
#include "Segmentation/SliceMask.h"
#include "Segmentation/SliceProvenance.h"
#include "Segmentation/SliceSpec.h"

namespace annotrace {

/// Proposed content of whole slices of segments, computed by interpolation or propagation and
/// shown before the user accepts it (SegmentEditorLogic::accept, one undo step) or discards it.
struct SlicePatch {
  SegmentId segment = 0;
  SliceSpec slice;  ///< orientation and index
  /// The segment's proposed pixels in a window of the slice whose pixel (0, 0) is (u0, v0) of
  /// the slice (u0 = v0 = 0 and a full-size mask for the whole slice). Everything of the
  /// segment outside the window on this slice is cleared when the patch is applied.
  SliceMask mask;
  std::size_t u0 = 0, v0 = 0;
  SliceSource source = SliceSource::Interpolated;
};

struct SegmentationPreview {
  std::vector<SlicePatch> patches;

  std::size_t voxelCount() const {
    std::size_t n = 0;
    for (const SlicePatch& p : patches) n += p.mask.count();
    return n;
  }
  bool empty() const { return patches.empty(); }
};

}  // namespace annotrace
