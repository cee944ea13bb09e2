#include "Segmentation/LabelLayer.h"

#include <algorithm>

namespace annotrace {

LabelLayer buildLabelLayer(const Segmentation& segmentation, std::vector<std::size_t>& remaining) {
  const ImageGeometry& g = segmentation.geometry();
  LabelLayer layer{VoxelVector<std::int16_t>(g.voxelCount(), 0), {}};
  std::vector<std::size_t> left;
  std::int16_t* data = layer.voxels.data();
  for (const std::size_t p : remaining) {
    const SparseMask& mask = segmentation.maskAt(p);
    const auto value = static_cast<std::int16_t>(segmentation.segmentAt(p).labelValue);
    // One pass in the common case: fill run by run until a run meets a labelled voxel, and
    // only then (rarely) take back the runs already filled.
    bool overlaps = false;
    std::size_t filledRuns = 0;
    mask.forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t length) {
      if (overlaps) return;
      std::int16_t* run = data + g.linearIndex(i, j, k);
      if (std::any_of(run, run + length, [](std::int16_t v) { return v != 0; })) {
        overlaps = true;
        return;
      }
      std::fill_n(run, length, value);
      ++filledRuns;
    });
    if (!overlaps) {
      layer.positions.push_back(p);
      continue;
    }
    mask.forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t length) {
      if (filledRuns == 0) return;
      std::fill_n(data + g.linearIndex(i, j, k), length, std::int16_t{0});
      --filledRuns;
    });
    left.push_back(p);
  }
  remaining = std::move(left);
  return layer;
}

}  // namespace annotrace
