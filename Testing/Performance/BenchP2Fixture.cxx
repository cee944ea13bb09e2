// The fixture of benchmark P2/P3 (see BenchP2Fixture.h).

#include "BenchP2Fixture.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <utility>

#include "Segmentation/EditOperation.h"
#include "Segmentation/SegmentEditorLogic.h"
#include "Segmentation/UndoHistory.h"
#include "Volume/VoxelAllocator.h"

namespace annotrace::bench::p2 {
namespace {

constexpr double kPi = std::numbers::pi;

/// The blob's 64-vertex contour on the axial plane at height z; empty when the blob misses it.
std::vector<Vec3> blobContour(const Blob& blob, double z) {
  const double t = (z - blob.zc) / blob.halfLength;
  if (std::abs(t) >= 1.0) return {};
  const double scale = std::sqrt(1.0 - t * t);
  if (scale * blob.b < 2.0) return {};
  std::vector<Vec3> points;
  for (int n = 0; n < 64; ++n) {
    const double theta = 2.0 * kPi * n / 64.0;
    const double r = 1.0 + 0.10 * std::sin(3.0 * theta + blob.phase + 2.0 * t) +
                     0.05 * std::cos(5.0 * theta - blob.phase);
    points.push_back({blob.cx + blob.a * scale * r * std::cos(theta),
                      blob.cy + blob.b * scale * r * std::sin(theta), z});
  }
  return points;
}

}  // namespace

ImageGeometry makeGeometry(std::size_t depth) {
  ImageGeometry g;
  g.size = {kWidth, kWidth, depth};
  g.spacing = {kPixelMm, kPixelMm, kSliceMm};
  // LPS, identity direction: x left, y posterior, z = k mm (superior).
  const double half = 0.5 * double(kWidth - 1) * kPixelMm;
  g.origin = {-half, -half, 0.0};
  return g;
}

Volume makeCtVolume(std::size_t depth) {
  const ImageGeometry g = makeGeometry(depth);
  annotrace::VoxelVector<std::int16_t> voxels(g.voxelCount());  // every voxel is written below
  auto fillX = [&](std::int16_t* row, double x0, double x1, std::int16_t value) {
    const double i0 = std::ceil((x0 - g.origin[0]) / kPixelMm);
    const double i1 = std::floor((x1 - g.origin[0]) / kPixelMm);
    const auto first = static_cast<std::ptrdiff_t>(std::max(0.0, i0));
    const auto last = static_cast<std::ptrdiff_t>(std::min(double(kWidth - 1), i1));
    if (first <= last) std::fill(row + first, row + last + 1, value);
  };
  for (std::size_t k = 0; k < depth; ++k) {
    const double t = double(k) / double(depth);
    // Lungs between 55% and 95% of the depth, largest in the middle of that range.
    const double lungScale = t > 0.55 && t < 0.95 ? std::sin(kPi * (t - 0.55) / 0.4) : 0.0;
    for (std::size_t j = 0; j < kWidth; ++j) {
      const double y = g.origin[1] + double(j) * kPixelMm;
      std::int16_t* row = voxels.data() + (k * kWidth + j) * kWidth;
      std::fill(row, row + kWidth, std::int16_t{-1000});
      if (std::abs(y) < 115.0) {
        const double xb = 160.0 * std::sqrt(1.0 - (y / 115.0) * (y / 115.0));
        fillX(row, -xb, xb, 40);
      }
      if (lungScale > 0.05) {
        const double a = 55.0 * lungScale, b = 75.0 * lungScale, cy = -5.0;
        if (std::abs(y - cy) < b) {
          const double xl = a * std::sqrt(1.0 - ((y - cy) / b) * ((y - cy) / b));
          fillX(row, -75.0 - xl, -75.0 + xl, -900);
          fillX(row, 75.0 - xl, 75.0 + xl, -900);
        }
      }
      if (std::abs(y - 85.0) < 16.0) {
        const double xs = std::sqrt(16.0 * 16.0 - (y - 85.0) * (y - 85.0));
        fillX(row, -xs, xs, 700);
      }
      for (std::size_t i = 0; i < kWidth; ++i) {
        row[i] =
            static_cast<std::int16_t>(row[i] + static_cast<int>((i * 7 + j * 3 + k * 5) & 15) - 8);
      }
    }
  }
  return Volume(g, std::move(voxels));
}

std::vector<Blob> makeBlobs(std::size_t depth) {
  std::vector<Blob> blobs;
  for (std::size_t s = 0; s < kSegments; ++s) {
    Blob blob;
    blob.name = "Organ " + std::to_string(s + 1);
    const double theta = double(s) * 2.0 * kPi * 3.0 / double(kSegments) + 0.3;
    blob.cx = 65.0 * std::cos(theta);
    blob.cy = 40.0 * std::sin(theta);
    blob.zc = (double(s) + 0.5) * double(depth) * kSliceMm / double(kSegments);
    blob.halfLength = 0.16 * double(depth) * kSliceMm;
    blob.a = 42.0 + 3.0 * double(s % 4);
    blob.b = 34.0 + 3.0 * double(s % 3);
    blob.phase = 1.3 * double(s);
    blobs.push_back(std::move(blob));
  }
  return blobs;
}

std::size_t sliceOfZ(const ImageGeometry& g, double z) {
  return static_cast<std::size_t>(std::lround((z - g.origin[2]) / g.spacing[2]));
}

Segmentation buildContent(const Volume& volume, const std::vector<Blob>& blobs,
                          std::size_t& operations) {
  // Keep only the newest step: the setup needs no undo.
  annotrace::UndoHistory::Limits limits;
  limits.maxSteps = 1;
  SegmentEditorLogic editor(volume, Segmentation(volume.geometry()),
                            annotrace::UndoHistory(limits));
  operations = 0;
  for (const Blob& blob : blobs) {
    EditOperation add;
    add.tool = EditTool::AddSegment;
    add.segmentFields = {{"name", blob.name}};
    editor.apply(add);
    ++operations;
  }
  const ImageGeometry& g = volume.geometry();
  for (const Blob& blob : blobs) {
    for (std::size_t k = 0; k < g.size[2]; ++k) {
      const double z = g.origin[2] + double(k) * g.spacing[2];
      std::vector<Vec3> contour = blobContour(blob, z);
      if (contour.empty()) continue;
      EditOperation op;
      op.tool = EditTool::Polygon;
      op.segment = blob.name;
      op.plane = SliceOrientation::Axial;
      op.slice = k;
      op.points = std::move(contour);
      editor.apply(op);
      ++operations;
    }
  }
  return editor.segmentation();
}

}  // namespace annotrace::bench::p2
