#include "Volume/Volume.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <stdexcept>

namespace annotrace {

namespace {

std::size_t bufferSize(const VoxelBuffer& voxels) {
  return std::visit([](const auto& v) { return v.size(); }, voxels);
}

}  // namespace

Volume::Volume(ImageGeometry geometry, VoxelBuffer voxels)
    : geometry_(geometry), voxels_(std::move(voxels)) {
  if (bufferSize(voxels_) != geometry_.voxelCount()) {
    throw std::invalid_argument("Volume: the voxel buffer holds " +
                                std::to_string(bufferSize(voxels_)) + " values but the grid has " +
                                std::to_string(geometry_.voxelCount()) + " voxels");
  }
}

void Volume::setGeometry(const ImageGeometry& geometry) {
  if (geometry.voxelCount() != bufferSize(voxels_)) {
    throw std::invalid_argument("Volume::setGeometry: the new grid has another voxel count");
  }
  geometry_ = geometry;
}

double Volume::value(std::size_t i, std::size_t j, std::size_t k) const {
  assert(i < geometry_.size[0] && j < geometry_.size[1] && k < geometry_.size[2]);
  return valueAtLinear(geometry_.linearIndex(i, j, k));
}

double Volume::valueAtLinear(std::size_t linearIndex) const {
  return std::visit([linearIndex](const auto& v) { return static_cast<double>(v[linearIndex]); },
                    voxels_);
}

std::pair<double, double> Volume::valueRange() const {
  return visitVoxels([](auto voxels) -> std::pair<double, double> {
    if (voxels.empty()) return {0.0, 0.0};
    const auto [lo, hi] = std::minmax_element(voxels.begin(), voxels.end());
    return {static_cast<double>(*lo), static_cast<double>(*hi)};
  });
}

WindowLevel Volume::defaultWindow() const {
  if (!windowsFromFile.empty() && windowsFromFile.front().width > 0) return windowsFromFile.front();
  if (identity.modality == "CT") return ctWindowPresets().front();
  return automaticWindow(*this);
}

WindowLevel automaticWindow(const Volume& volume) {
  // The 1st to 99th percentile of (up to about a million evenly spread) voxels: MR has no
  // absolute scale, and a few bright voxels (vessels, fat) would leave the rest dark.
  std::vector<float> sample;
  volume.visitVoxels([&](auto voxels) {
    const std::size_t stride = std::max<std::size_t>(1, voxels.size() / 1'000'000);
    sample.reserve(voxels.size() / stride + 1);
    for (std::size_t p = 0; p < voxels.size(); p += stride) {
      sample.push_back(static_cast<float>(voxels[p]));
    }
  });
  if (sample.empty()) return {"Automatic", 1, 0};
  auto at = [&](double q) {
    const auto n = static_cast<std::ptrdiff_t>(q * double(sample.size() - 1));
    std::nth_element(sample.begin(), sample.begin() + n, sample.end());
    return double(sample[static_cast<std::size_t>(n)]);
  };
  const double lo = at(0.01), hi = at(0.99);
  return {"Automatic", std::max(hi - lo, 1.0), (lo + hi) / 2};
}

std::span<const WindowLevel> ctWindowPresets() {
  static const std::vector<WindowLevel> presets = {
      {"Soft tissue", 400, 40}, {"Lung", 1500, -600}, {"Liver", 150, 90},
      {"Bone", 2500, 480},      {"Brain", 80, 40},
  };
  return presets;
}

}  // namespace annotrace
