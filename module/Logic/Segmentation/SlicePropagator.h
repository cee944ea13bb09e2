#pragma once

#include <cstddef>

#include "Core/Progress.h"
#include "Segmentation/SegmentationPreview.h"
#include "Segmentation/Segmentation.h"
#include "Volume/Volume.h"

namespace annotrace {

struct PropagationOptions {
  SegmentId segment = 0;
  SliceOrientation orientation = SliceOrientation::Axial;
  std::size_t fromSlice = 0;  ///< a slice holding the segment (usually a drawn one)
  bool forward = true;        ///< towards higher slice indices
  bool backward = true;       ///< towards lower slice indices
  /// At most this many slices in each direction; 0: until the structure ends by itself.
  std::size_t maxSlices = 0;
};

/// Carries a segment's contour from one slice to its neighbours, adapting it to each slice's
/// image, in both directions, and stops by itself when the structure ends (Docs/Propagation.md).
/// Never changes a drawn slice: propagation stops in front of one.
class SlicePropagator {
 public:
  static SegmentationPreview propagate(const Volume& source, const Segmentation& segmentation,
                                       const PropagationOptions& options,
                                       const Progress* progress = nullptr);
};

}  // namespace annotrace
