#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "Segmentation/SliceMask.h"
#include "Segmentation/SliceSpec.h"

namespace annotrace {

/// The voxels a tool selects, before editable-area and intensity limits: a stack of slice
/// masks of one orientation, each cropped to the pixels it covers. A slab shares one mask
/// between its slices, so scissors through 1000 slices hold one slice of memory.
struct EditRegion {
  struct Slice {
    std::size_t index = 0;       ///< along the orientation's fixed axis
    std::size_t u0 = 0, v0 = 0;  ///< where the mask's pixel (0, 0) lies on the slice
    std::shared_ptr<const SliceMask> mask;
  };
  SliceOrientation orientation = SliceOrientation::Axial;
  std::vector<Slice> slices;

  std::size_t voxelCount() const {
    std::size_t n = 0;
    for (const Slice& s : slices) n += s.mask ? s.mask->count() : 0;
    return n;
  }
};

}  // namespace annotrace
