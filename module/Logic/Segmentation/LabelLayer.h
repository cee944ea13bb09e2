#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "Segmentation/Segmentation.h"
#include "Volume/VoxelAllocator.h"

namespace annotrace {

/// One int16 label map holding segments that do not overlap, each with its label value.
struct LabelLayer {
  VoxelVector<std::int16_t> voxels;
  std::vector<std::size_t> positions;  ///< table positions of its segments
};

/// Greedy layering for label map files: the segments of `remaining` (table positions, in
/// order) that fit without overlapping go into the layer; the others are left in `remaining`
/// for the next layer.
LabelLayer buildLabelLayer(const Segmentation& segmentation, std::vector<std::size_t>& remaining);

}  // namespace annotrace
