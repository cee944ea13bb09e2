#pragma once

// The fixture of benchmark P5 (BenchP5.cxx): built deterministically and in memory, a
// 512 x 512 x 300 segmentation (0.8 x 0.8 x 1.5 mm) with 10 organ-like segments from ~5 mL to
// ~1.5 L (lobulated ellipsoids and tubes with voxel-scale ragged edges, some touching, one thin
// and irregular, per-slice provenance on a few slices), plus the same grid with the largest
// segment alone and with no segment at all.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "Segmentation/Segmentation.h"
#include "Volume/ImageGeometry.h"

namespace annotrace::bench::p5 {

using Bytes = std::vector<std::uint8_t>;

constexpr std::array<std::size_t, 3> kSize{512, 512, 300};
constexpr double kPixelMm = 0.8;
constexpr double kSliceMm = 1.5;

/// One map to save and open, and what the benchmark derives from it.
struct Fixture {
  std::string label;
  Segmentation segmentation;
  Bytes payload;
  std::size_t zlibBytes = 0;
  std::size_t labelled = 0;
};

/// The grid: kSize voxels of kPixelMm x kPixelMm x kSliceMm, LPS, identity direction.
ImageGeometry makeGeometry();

/// The three maps on grid `g`, in this order: "10 organs", "1 segment" (the liver alone) and
/// "empty"; only their labels and segmentations are filled in.
std::vector<Fixture> makeFixtures(const ImageGeometry& g);

}  // namespace annotrace::bench::p5
