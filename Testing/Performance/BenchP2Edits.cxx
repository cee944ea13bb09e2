// The edits of benchmark P2/P3 (see BenchP2Edits.h).

#include "BenchP2Edits.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <numbers>
#include <stdexcept>

#include "Segmentation/EditRegion.h"
#include "Segmentation/EditRegionBuilder.h"
#include "Segmentation/SliceSpec.h"

#include "BenchTiming.h"

namespace annotrace::bench::p2 {
namespace {

constexpr double kPi = std::numbers::pi;

/// Calls fn(linear index, {i, j, k}) for every voxel of the runs.
template <typename Fn>
void forEachFlipped(const SegmentFlips& f, const std::array<std::size_t, 3>& size, Fn&& fn) {
  const std::size_t stride = f.axis == 0 ? 1 : f.axis == 1 ? size[0] : size[0] * size[1];
  for (std::uint64_t run : f.runs) {
    const std::uint64_t start = SegmentFlips::runStart(run);
    std::array<std::size_t, 3> index{start % size[0], (start / size[0]) % size[1],
                                     start / (size[0] * size[1])};
    for (std::uint64_t n = 0; n < SegmentFlips::runLength(run); ++n) {
      fn(start + n * stride, index);
      ++index[f.axis];
    }
  }
}

}  // namespace

bool isTargetKind(const std::string& label) {
  return label.rfind("g ", 0) != 0;
}

const char* kindLabel(Kind kind) {
  switch (kind) {
    case Kind::BrushAxial:
      return "a brush 30 mm axial";
    case Kind::Polygon:
      return "b polygon 200 vertices";
    case Kind::PolygonSagittal:
      return "b polygon 200 v sagittal";
    case Kind::Eraser:
      return "c eraser 30 mm axial";
    case Kind::BrushSagittal:
      return "d brush 30 mm sagittal";
    case Kind::BrushCoronal:
      return "d brush 30 mm coronal";
    case Kind::Sphere:
      return "e sphere brush r 10 mm";
    case Kind::ScissorsAllSlices:
      return "g scissors all slices";
  }
  return "?";
}

EditOperation makeEdit(Kind kind, int rep, const std::vector<Blob>& blobs, const ImageGeometry& g) {
  const Blob& blob = blobs[static_cast<std::size_t>(rep) % blobs.size()];
  const Blob& painted = blobs[(static_cast<std::size_t>(rep) + 3) % blobs.size()];
  const double depthMm = double(g.size[2] - 1) * g.spacing[2];
  // Keep the tool's reach (sphere: 10 mm, in-plane strokes on sagittal/coronal: 20 mm, the
  // sagittal polygon: 42 mm) inside the volume.
  const double margin = kind == Kind::Sphere                                        ? 11.0
                        : kind == Kind::BrushSagittal || kind == Kind::BrushCoronal ? 21.0
                        : kind == Kind::PolygonSagittal                             ? 42.0
                                                                                    : 0.0;
  const double offset = (double((rep * 37) % 17) - 8.0) / 8.0 * 0.5 * blob.halfLength;
  const double z = g.origin[2] + std::clamp(blob.zc + offset, margin, depthMm - margin);
  const std::size_t k = sliceOfZ(g, z);
  const double zk = g.origin[2] + double(k) * g.spacing[2];
  const double phi = 0.7 * rep;
  const Vec3 dir{std::cos(phi), std::sin(phi), 0};
  const Vec3 perp{-std::sin(phi), std::cos(phi), 0};

  EditOperation op;
  op.segment = painted.name;
  op.plane = SliceOrientation::Axial;
  op.slice = k;
  auto axialStroke = [&](double halfLength) {
    for (double t = -halfLength; t <= halfLength + 1e-9; t += 2.0) {
      const double wobble = 6.0 * std::sin(kPi * t / 50.0);
      op.points.push_back(
          {blob.cx + t * dir[0] + wobble * perp[0], blob.cy + t * dir[1] + wobble * perp[1], zk});
    }
  };
  switch (kind) {
    case Kind::BrushAxial:
    case Kind::Eraser:
      op.tool = kind == Kind::Eraser ? EditTool::Eraser : EditTool::Brush;
      if (kind == Kind::Eraser) op.segment = blob.name;
      op.radiusMm = 15.0;
      axialStroke(50.0);  // 51 points, 2 mm apart
      break;
    case Kind::Sphere:
      op.tool = EditTool::Brush;
      op.shape = annotrace::BrushShape::Sphere;
      op.radiusMm = 10.0;
      axialStroke(10.0);  // 11 points
      break;
    case Kind::Polygon:
    case Kind::PolygonSagittal: {
      op.tool = EditTool::Polygon;
      const bool sagittal = kind == Kind::PolygonSagittal;
      const auto i = static_cast<std::size_t>(std::lround((blob.cx - g.origin[0]) / kPixelMm));
      const double x = g.origin[0] + double(i) * kPixelMm;
      if (sagittal) {
        op.plane = SliceOrientation::Sagittal;
        op.slice = i;
      }
      for (int n = 0; n < 200; ++n) {
        const double theta = 2.0 * kPi * n / 200.0;
        const double r =
            40.0 * (0.72 + 0.28 * std::cos(7.0 * theta + phi)) *
            (1.0 + 0.04 * std::sin(3.0 * theta + rep) + 0.02 * std::sin(23.0 * theta + 2.0 * phi));
        const double c = r * std::cos(theta), d = r * std::sin(theta);
        op.points.push_back(sagittal ? Vec3{x, blob.cy + c, zk + d}
                                     : Vec3{blob.cx + c, blob.cy + d, zk});
      }
      break;
    }
    case Kind::BrushSagittal:
    case Kind::BrushCoronal: {
      const bool sagittal = kind == Kind::BrushSagittal;
      op.tool = EditTool::Brush;
      op.radiusMm = 15.0;
      op.plane = sagittal ? SliceOrientation::Sagittal : SliceOrientation::Coronal;
      // Fixed i (x) for sagittal, fixed j (y) for coronal, on a pixel centre.
      const double fixed = sagittal ? blob.cx : blob.cy;
      const auto index =
          static_cast<std::size_t>(std::lround((fixed - g.origin[sagittal ? 0 : 1]) / kPixelMm));
      const double fixedMm = g.origin[sagittal ? 0 : 1] + double(index) * kPixelMm;
      op.slice = index;
      for (double t = -50.0; t <= 50.0 + 1e-9; t += 2.0) {
        const double dz = 5.0 * std::sin(kPi * t / 50.0 + phi);
        op.points.push_back(sagittal ? Vec3{fixedMm, blob.cy + t, zk + dz}
                                     : Vec3{blob.cx + t, fixedMm, zk + dz});
      }
      break;
    }
    case Kind::ScissorsAllSlices:
      // Erase the blob's own segment outside a 30 mm circle, through every slice.
      op.tool = EditTool::Scissors;
      op.segment = blob.name;
      op.scissors = annotrace::ScissorsAction::EraseOutside;
      op.wholeVolume = true;
      for (int n = 0; n < 24; ++n) {
        const double theta = 2.0 * kPi * n / 24.0;
        op.points.push_back(
            {blob.cx + 30.0 * std::cos(theta), blob.cy + 30.0 * std::sin(theta), zk});
      }
      break;
  }
  return op;
}

double regionMs(const EditOperation& op, const ImageGeometry& g) {
  const annotrace::SliceSpec slice{op.plane, *op.slice};
  const auto t0 = Clock::now();
  const annotrace::EditRegion region =
      op.tool == EditTool::Polygon ? annotrace::EditRegionBuilder::polygon(g, slice, op.points)
      : op.tool == EditTool::Scissors
          ? annotrace::EditRegionBuilder::scissors(g, slice, op.points, false, 0, g.size[2] - 1)
          : annotrace::EditRegionBuilder::brushStroke(g, slice, op.points, op.radiusMm, op.shape);
  const double ms = msSince(t0);
  if (region.voxelCount() == 0) throw std::runtime_error("an empty tool region");
  return ms;
}

StepFigures measureStep(const UndoStep& step, const std::array<std::size_t, 3>& size,
                        ExtentCache& extents, bool growExtents) {
  StepFigures fig;
  fig.stepBytes = step.memoryBytes();
  std::vector<std::uint64_t> changed;
  for (const SegmentFlips& f : step.flips) {
    fig.runsBytes += f.runs.capacity() * sizeof(std::uint64_t);
    fig.runsUsedBytes += f.runs.size() * sizeof(std::uint64_t);
    IndexBox box;
    box.lo = size;
    forEachFlipped(f, size, [&](std::uint64_t linear, const std::array<std::size_t, 3>& index) {
      changed.push_back(linear);
      for (int a = 0; a < 3; ++a) {
        box.lo[a] = std::min(box.lo[a], index[a]);
        box.hi[a] = std::max(box.hi[a], index[a] + 1);
      }
    });
    const IndexBox extent = extents[f.segment].united(box);
    fig.slicerBytes += extent.voxelCount();
    if (growExtents) extents[f.segment] = extent;
  }
  std::ranges::sort(changed);
  fig.distinctVoxels = static_cast<std::size_t>(
      std::ranges::distance(changed.begin(), std::ranges::unique(changed).begin()));
  return fig;
}

}  // namespace annotrace::bench::p2
