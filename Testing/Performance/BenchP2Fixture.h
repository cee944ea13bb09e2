#pragma once

// The fixture of benchmark P2/P3 (BenchP2.cxx): a synthetic CT-like int16 volume of
// 512 x 512 x DEPTH voxels (0.7 x 0.7 x 1.0 mm), built in memory, and a segmentation of 10
// organ-sized blobs made through SegmentEditorLogic (one polygon per axial slice).

#include <cstddef>
#include <string>
#include <vector>

#include "Segmentation/Segmentation.h"
#include "Volume/ImageGeometry.h"
#include "Volume/Volume.h"

namespace annotrace::bench::p2 {

constexpr std::size_t kWidth = 512;
constexpr double kPixelMm = 0.7;
constexpr double kSliceMm = 1.0;
constexpr std::size_t kSegments = 10;

/// The grid: kWidth x kWidth x depth voxels of kPixelMm x kPixelMm x kSliceMm, LPS, identity
/// direction, z = k mm.
ImageGeometry makeGeometry(std::size_t depth);

/// A CT-like int16 volume: air, a body ellipse of soft tissue (~40 HU), two lungs (-900 HU) in
/// the upper part, a vertebral body (700 HU) and a little deterministic texture.
Volume makeCtVolume(std::size_t depth);

/// An organ-sized blob: an ellipsoid-like stack of lobed axial contours.
struct Blob {
  std::string name;
  double cx = 0, cy = 0, zc = 0, halfLength = 0, a = 0, b = 0, phase = 0;
};

/// The kSegments blobs ("Organ 1" ...) spread along the depth.
std::vector<Blob> makeBlobs(std::size_t depth);

/// The index of the axial slice nearest to height z.
std::size_t sliceOfZ(const ImageGeometry& g, double z);

/// The 10 segments and their blobs, made through the editor as a user would (one polygon per
/// axial slice). Returns the segmentation and the number of operations applied.
Segmentation buildContent(const Volume& volume, const std::vector<Blob>& blobs,
                          std::size_t& operations);

}  // namespace annotrace::bench::p2
