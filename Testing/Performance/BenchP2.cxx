// Benchmark P2/P3 (issue 4): the cost of one edit and of its undo step on a large segmentation.
//
// Builds a synthetic CT-like int16 volume of 512 x 512 x DEPTH voxels (0.7 x 0.7 x 1.0 mm) in
// memory, adds 10 segments through SegmentEditorLogic and fills each with an organ-sized blob
// (one polygon per axial slice), then times single commits, each repeated on other slices and
// positions and undone again (so every repetition edits the same content):
//   (a) a 30-mm circle brush (radius 15 mm) swept along a ~100-mm axial path sampled every 2 mm,
//       painting one segment over others (overwrite);
//   (b) a 200-vertex star-like polygon ~80 mm across, axial, overwrite, and the same on a
//       sagittal slice (whose slice, unlike an axial one, grows with the depth);
//   (c) an eraser stroke (radius 15 mm, same path) over a segment's own voxels;
//   (d) the brush of (a) on a sagittal and on a coronal slice;
//   (e) a sphere brush of radius 10 mm along a 20-mm stroke;
//   (f) undo and redo of the brush step (a).
// Only SegmentEditorLogic::apply (undo(), redo()) lies inside the clock. For every step it
// reports the voxels it changed, UndoStep::memoryBytes() and what a Slicer-style undo would hold
// (a uint8 copy of each modified segment's bounding box). Then it makes 100 successive edits,
// reports the history's memory, undoes all of them and checks the segmentation's content digest
// is back where it started (and redoes them all and checks the digest after the edits).
// Everything runs at depth 1000 and again at depth 100: the commit cost must not grow with depth.
//
// Targets (issue 4): <= 2 ms per commit (median) and undo memory <= 2 bytes per changed voxel
// (a dense uint8 labelmap holds 1 byte a voxel). Timings depend on the machine, so a missed
// time target still exits 0; wrong results (a no-op edit, undo not restoring the digest, an
// exception) exit 1. Not a test: run it by hand or with the `run_bench_p2` target.
//
// Usage: annotrace_bench_p2 [REPEATS=40] [DEPTH...]   (default depths: 1000 100; REPEATS >= 30)
// Environment: ANNOTRACE_BENCH_ONLY (time only the operations whose label contains it, e.g.
// "sphere", for perf).

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "Segmentation/EditOperation.h"
#include "Segmentation/EditRegionBuilder.h"
#include "Segmentation/IndexBox.h"
#include "Segmentation/SegmentEditorLogic.h"
#include "Segmentation/Segmentation.h"
#include "Segmentation/UndoHistory.h"
#include "Segmentation/UndoStep.h"
#include "Volume/ImageGeometry.h"
#include "Volume/Volume.h"
#include "Volume/VoxelAllocator.h"

#include "BenchTiming.h"

namespace {

using annotrace::EditOperation;
using annotrace::EditTool;
using annotrace::ImageGeometry;
using annotrace::IndexBox;
using annotrace::Segmentation;
using annotrace::SegmentEditorLogic;
using annotrace::SegmentFlips;
using annotrace::SegmentId;
using annotrace::SliceOrientation;
using annotrace::UndoStep;
using annotrace::Vec3;
using annotrace::Volume;
using namespace annotrace::bench;  // Clock, msSince, Stats, statsOf, medianOf

constexpr double kPi = std::numbers::pi;
constexpr std::size_t kWidth = 512;
constexpr double kPixelMm = 0.7;
constexpr double kSliceMm = 1.0;
constexpr std::size_t kSegments = 10;
constexpr double kTimeTargetMs = 2.0;
constexpr double kBytesPerVoxelTarget = 2.0;

ImageGeometry makeGeometry(std::size_t depth) {
  ImageGeometry g;
  g.size = {kWidth, kWidth, depth};
  g.spacing = {kPixelMm, kPixelMm, kSliceMm};
  // LPS, identity direction: x left, y posterior, z = k mm (superior).
  const double half = 0.5 * double(kWidth - 1) * kPixelMm;
  g.origin = {-half, -half, 0.0};
  return g;
}

/// A CT-like int16 volume: air, a body ellipse of soft tissue (~40 HU), two lungs (-900 HU) in
/// the upper part, a vertebral body (700 HU) and a little deterministic texture.
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

/// An organ-sized blob: an ellipsoid-like stack of lobed axial contours.
struct Blob {
  std::string name;
  double cx = 0, cy = 0, zc = 0, halfLength = 0, a = 0, b = 0, phase = 0;
};

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

std::size_t sliceOfZ(const ImageGeometry& g, double z) {
  return static_cast<std::size_t>(std::lround((z - g.origin[2]) / g.spacing[2]));
}

/// The 10 segments and their blobs, made through the editor as a user would (one polygon per
/// axial slice). Returns the segmentation and the number of operations applied.
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

enum class Kind {
  BrushAxial,
  Polygon,
  PolygonSagittal,
  Eraser,
  BrushSagittal,
  BrushCoronal,
  Sphere,
  ScissorsAllSlices
};
constexpr std::array kEditKinds{Kind::BrushAxial, Kind::Polygon,       Kind::PolygonSagittal,
                                Kind::Eraser,     Kind::BrushSagittal, Kind::BrushCoronal,
                                Kind::Sphere};
/// Timed but outside the P2 targets: scissors through every slice must visit every slice, so
/// its cost grows with depth by nature; it shows what erasing a whole segment's outside costs.
constexpr std::array kTimedKinds{Kind::BrushAxial, Kind::Polygon,          Kind::PolygonSagittal,
                                 Kind::Eraser,     Kind::BrushSagittal,    Kind::BrushCoronal,
                                 Kind::Sphere,     Kind::ScissorsAllSlices};

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

/// The operation of one repetition: each repetition works on another blob, slice and direction.
/// Painting tools paint the segment three places further on over the blob's own segment
/// (overwrite); the eraser erases the blob's own segment.
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

/// Time of building the operation's region alone (the first part of apply), in ms.
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

/// What one step holds and changed, measured outside the clock.
struct StepFigures {
  std::size_t distinctVoxels = 0;  ///< voxels whose label changed (overwrite flips two segments)
  std::size_t stepBytes = 0;       ///< UndoStep::memoryBytes()
  std::size_t runsBytes = 0;       ///< of which the flip runs (vector capacity)
  std::size_t runsUsedBytes = 0;   ///< the runs themselves (vector size)
  std::size_t slicerBytes = 0;     ///< uint8 copy of each modified segment's bounding box
};

/// Bounding boxes of the segments as a Slicer-style undo would copy them: the extent before the
/// edit grown by the voxels it changed (extents never shrink).
using ExtentCache = std::map<SegmentId, IndexBox>;

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

struct OpResult {
  std::string label;
  std::vector<double> applyMs, regionMs, undoMs, redoMs;
  std::vector<double> distinct, stepBytes, bytesPerVoxel, runsBytes, slicerBytes;
};

struct DepthResult {
  std::size_t depth = 0;
  std::vector<OpResult> ops;  ///< one per Kind, then "f undo" and "f redo"
  bool correct = true;
};

double mb(std::size_t bytes) {
  return double(bytes) / 1e6;
}

DepthResult runDepth(std::size_t depth, int repeats, const std::vector<Kind>& kinds) {
  DepthResult result;
  result.depth = depth;
  std::printf("\n=== depth %zu: %zu x %zu x %zu voxels, %.1f x %.1f x %.1f mm ===\n", depth, kWidth,
              kWidth, depth, kPixelMm, kPixelMm, kSliceMm);

  auto start = Clock::now();
  const Volume volume = makeCtVolume(depth);
  const ImageGeometry& g = volume.geometry();
  std::printf("synthetic CT volume: %.0f MB int16, made in %.2f s\n",
              mb(g.voxelCount() * sizeof(std::int16_t)), msSince(start) / 1e3);

  const std::vector<Blob> blobs = makeBlobs(depth);
  start = Clock::now();
  std::size_t setupOps = 0;
  SegmentEditorLogic editor(volume, buildContent(volume, blobs, setupOps));
  const double setupSeconds = msSince(start) / 1e3;
  const Segmentation& seg = editor.segmentation();
  std::size_t labelled = 0;
  std::printf("segments (voxels):");
  for (std::size_t p = 0; p < seg.segmentCount(); ++p) {
    labelled += seg.maskAt(p).count();
    std::printf(" %zu", seg.maskAt(p).count());
  }
  std::printf("\n");
  std::printf(
      "content: %zu segments, %zu labelled voxels (%.1f%% of the grid), made by %zu "
      "operations in %.2f s\n",
      seg.segmentCount(), labelled, 100.0 * double(labelled) / double(g.voxelCount()), setupOps,
      setupSeconds);
  std::printf(
      "segmentation memory: %.1f MB (Segmentation::memoryBytes) vs %.1f MB for a dense "
      "uint8 labelmap (%.2fx)\n",
      mb(seg.memoryBytes()), mb(g.voxelCount()),
      double(seg.memoryBytes()) / double(g.voxelCount()));

  ExtentCache extents;
  for (std::size_t p = 0; p < seg.segmentCount(); ++p) {
    extents[seg.segmentAt(p).id] = seg.maskAt(p).bounds().value_or(IndexBox{});
  }
  start = Clock::now();
  const std::uint64_t startDigest = seg.contentDigest();
  const double digestMs = msSince(start);

  auto fail = [&](const std::string& what) {
    std::printf("CORRECTNESS FAILURE: %s\n", what.c_str());
    result.correct = false;
  };

  // (a)-(e): apply (timed), measure the step, undo and redo (timed), undo again to restore.
  constexpr int kWarmup = 3;
  for (Kind kind : kinds) {
    OpResult op;
    op.label = kindLabel(kind);
    for (int rep = -kWarmup; rep < repeats; ++rep) {
      const EditOperation edit = makeEdit(kind, rep + kWarmup, blobs, g);
      auto t0 = Clock::now();
      const annotrace::EditResult applied = editor.apply(edit);
      const double applyMs = msSince(t0);
      if (!applied.changed || applied.changedVoxels == 0) {
        fail(op.label + " changed nothing (repetition " + std::to_string(rep) + ")");
        continue;
      }
      const UndoStep& step = editor.history().undoSteps().back();
      const StepFigures fig = measureStep(step, g.size, extents, false);
      t0 = Clock::now();
      editor.undo();
      const double undoMs = msSince(t0);
      t0 = Clock::now();
      const annotrace::EditResult redone = editor.redo();
      const double redoMs = msSince(t0);
      if (redone.changedVoxels != applied.changedVoxels) fail(op.label + ": redo differs");
      editor.undo();
      if (rep < 0) continue;
      op.applyMs.push_back(applyMs);
      op.regionMs.push_back(regionMs(edit, g));
      op.undoMs.push_back(undoMs);
      op.redoMs.push_back(redoMs);
      op.distinct.push_back(double(fig.distinctVoxels));
      op.stepBytes.push_back(double(fig.stepBytes));
      op.bytesPerVoxel.push_back(double(fig.stepBytes) / double(fig.distinctVoxels));
      op.runsBytes.push_back(double(fig.runsBytes));
      op.slicerBytes.push_back(double(fig.slicerBytes));
    }
    if (seg.contentDigest() != startDigest) fail(op.label + ": undo did not restore the content");
    result.ops.push_back(std::move(op));
  }
  // (f): undo and redo of the brush step (a).
  if (!kinds.empty() && kinds.front() == Kind::BrushAxial) {
    OpResult undoBrush, redoBrush;
    undoBrush.label = "f undo of brush (a)";
    redoBrush.label = "f redo of brush (a)";
    undoBrush.applyMs = result.ops[0].undoMs;
    redoBrush.applyMs = result.ops[0].redoMs;
    undoBrush.distinct = redoBrush.distinct = result.ops[0].distinct;
    result.ops.push_back(undoBrush);
    result.ops.push_back(redoBrush);
  }

  std::printf("\n%-24s %3s %7s %7s %7s %6s %8s %7s %6s %6s %6s %10s %6s\n", "operation (ms)", "n",
              "median", "p95", "max", "region", "changed", "step B", "B/vox", "max", "runs B",
              "Slicer B", "x less");
  for (const OpResult& op : result.ops) {
    const Stats t = statsOf(op.applyMs);
    std::printf("%-24s %3zu %7.3f %7.3f %7.3f", op.label.c_str(), op.applyMs.size(), t.median,
                t.p95, t.max);
    if (op.regionMs.empty()) {
      std::printf(" %6s", "-");
    } else {
      std::printf(" %6.3f", medianOf(op.regionMs));
    }
    std::printf(" %8.0f", medianOf(op.distinct));
    if (op.stepBytes.empty()) {
      std::printf("  (same step as a)\n");
      continue;
    }
    std::printf(" %7.0f %6.2f %6.2f %6.0f %10.0f %6.0f\n", medianOf(op.stepBytes),
                medianOf(op.bytesPerVoxel), statsOf(op.bytesPerVoxel).max, medianOf(op.runsBytes),
                medianOf(op.slicerBytes), medianOf(op.slicerBytes) / medianOf(op.stepBytes));
  }
  std::printf("undo / redo medians (ms):");
  for (std::size_t n = 0; n < kinds.size(); ++n) {
    std::printf(" %c %.3f/%.3f", result.ops[n].label[0], medianOf(result.ops[n].undoMs),
                medianOf(result.ops[n].redoMs));
  }
  std::printf("\n");

  // 100 successive edits kept in the history, then undo all and redo all.
  constexpr int kEdits = 100;
  std::size_t distinctSum = 0, slicerSum = 0, runsSum = 0, runsUsedSum = 0;
  start = Clock::now();
  double editMs = 0;
  for (int n = 0; n < kEdits; ++n) {
    const Kind kind = kEditKinds[static_cast<std::size_t>(n) % kEditKinds.size()];
    const EditOperation edit = makeEdit(kind, 1000 + 7 * n, blobs, g);
    const auto t0 = Clock::now();
    const annotrace::EditResult applied = editor.apply(edit);
    editMs += msSince(t0);
    if (!applied.changed) {
      fail(std::string("edit ") + std::to_string(n) + " (" + kindLabel(kind) + ") changed nothing");
      continue;
    }
    const StepFigures fig = measureStep(editor.history().undoSteps().back(), g.size, extents, true);
    distinctSum += fig.distinctVoxels;
    slicerSum += fig.slicerBytes;
    runsSum += fig.runsBytes;
    runsUsedSum += fig.runsUsedBytes;
  }
  const std::uint64_t editedDigest = seg.contentDigest();
  const std::size_t steps = editor.history().undoSteps().size();
  const std::size_t historyBytes = editor.history().memoryBytes();
  std::printf(
      "\n%d successive edits (the operations above in turn): %.1f ms in apply in all; history "
      "keeps %zu "
      "steps\n",
      kEdits, editMs, steps);
  if (steps < static_cast<std::size_t>(kEdits)) fail("the history dropped steps");
  std::printf("history memory %zu B (%.0f B per step; runs %zu B of which %zu B used)\n",
              historyBytes, double(historyBytes) / double(std::max<std::size_t>(steps, 1)), runsSum,
              runsUsedSum);
  std::printf(
      "changed voxels %zu: %.3f B per changed voxel; Slicer-style copies %.1f MB (%.0fx "
      "more)\n",
      distinctSum, double(historyBytes) / double(distinctSum), mb(slicerSum),
      double(slicerSum) / double(historyBytes));
  std::printf("edit log: %zu entries, %zu B as JSON text\n", editor.operationLog().size(),
              editor.operationLog().dump().size());

  start = Clock::now();
  for (int n = 0; n < kEdits; ++n) editor.undo();
  const double undoAllMs = msSince(start);
  const std::uint64_t undoneDigest = seg.contentDigest();
  start = Clock::now();
  for (int n = 0; n < kEdits; ++n) editor.redo();
  const double redoAllMs = msSince(start);
  const std::uint64_t redoneDigest = seg.contentDigest();
  std::printf("undo all %d: %.1f ms, digest %016llx (start %016llx): %s\n", kEdits, undoAllMs,
              static_cast<unsigned long long>(undoneDigest),
              static_cast<unsigned long long>(startDigest),
              undoneDigest == startDigest ? "restored" : "MISMATCH");
  std::printf("redo all %d: %.1f ms, digest %016llx (after edits %016llx): %s\n", kEdits, redoAllMs,
              static_cast<unsigned long long>(redoneDigest),
              static_cast<unsigned long long>(editedDigest),
              redoneDigest == editedDigest ? "restored" : "MISMATCH");
  std::printf("(contentDigest itself: %.0f ms)\n", digestMs);
  if (undoneDigest != startDigest) fail("undoing all edits did not restore the start digest");
  if (redoneDigest != editedDigest) fail("redoing all edits did not restore the edited digest");
  if (editedDigest == startDigest) fail("the edits did not change the digest");
  return result;
}

}  // namespace

int main(int argc, char** argv) try {
  int repeats = 40;
  std::vector<std::size_t> depths;
  if (argc > 1) repeats = std::max(30, std::atoi(argv[1]));
  for (int a = 2; a < argc; ++a) depths.push_back(static_cast<std::size_t>(std::atol(argv[a])));
  if (depths.empty()) depths = {1000, 100};
  for (std::size_t d : depths) {
    if (d < 64 || d > 4000) {
      std::fprintf(stderr, "usage: %s [REPEATS>=30] [DEPTH 64..4000 ...]\n", argv[0]);
      return 2;
    }
  }
  std::printf(
      "P2/P3: edit commit time and undo memory; %d timed repetitions per operation "
      "(+3 warm-up), times of SegmentEditorLogic::apply/undo/redo only\n",
      repeats);
  std::printf(
      "region = EditRegionBuilder alone (median ms, the first part of apply); changed = "
      "voxels whose label changed (median); step B = UndoStep::memoryBytes (median); B/vox = "
      "step B / changed (median, max); runs B = its flip runs; Slicer B = uint8 copy of each "
      "modified segment's bounding box\n");

  // For profiling one operation: ANNOTRACE_BENCH_ONLY=sphere keeps the operations whose label
  // contains it (the 100 successive edits still run them all).
  std::vector<Kind> kinds;
  const char* only = std::getenv("ANNOTRACE_BENCH_ONLY");
  for (Kind kind : kTimedKinds) {
    if (!only || !*only || std::string(kindLabel(kind)).find(only) != std::string::npos) {
      kinds.push_back(kind);
    }
  }
  if (kinds.empty()) {
    std::fprintf(stderr, "no operation matches ANNOTRACE_BENCH_ONLY=%s\n", only);
    return 2;
  }

  const auto total = Clock::now();
  std::vector<DepthResult> results;
  bool correct = true;
  for (std::size_t d : depths) {
    results.push_back(runDepth(d, repeats, kinds));
    correct = correct && results.back().correct;
  }

  std::printf(
      "\n=== summary (targets: median <= %.0f ms per commit, step <= %.0f B per changed "
      "voxel) ===\n",
      kTimeTargetMs, kBytesPerVoxelTarget);
  const std::size_t opCount = results.front().ops.size();
  for (std::size_t n = 0; n < opCount; ++n) {
    double worstMedian = 0, worstBytes = 0;
    bool hasBytes = false;
    std::string line;
    char buffer[160];
    for (const DepthResult& r : results) {
      const OpResult& op = r.ops[n];
      const double med = medianOf(op.applyMs);
      worstMedian = std::max(worstMedian, med);
      std::snprintf(buffer, sizeof buffer, " %7.3f ms @%-4zu", med, r.depth);
      line += buffer;
      if (!op.bytesPerVoxel.empty()) {
        hasBytes = true;
        worstBytes = std::max(worstBytes, statsOf(op.bytesPerVoxel).max);
      }
    }
    if (results.size() >= 2) {
      std::snprintf(
          buffer, sizeof buffer, " ratio %4.2f",
          medianOf(results.front().ops[n].applyMs) / medianOf(results.back().ops[n].applyMs));
      line += buffer;
    }
    const std::string& label = results.front().ops[n].label;
    std::printf("%-24s%s | time %s", label.c_str(), line.c_str(),
                !isTargetKind(label)           ? "(no target)"
                : worstMedian <= kTimeTargetMs ? "PASS"
                                               : "FAIL");
    if (hasBytes) {
      std::printf(" | %.2f B/voxel (worst) %s", worstBytes,
                  worstBytes <= kBytesPerVoxelTarget ? "PASS" : "FAIL");
    }
    std::printf("\n");
  }
  std::printf("total run time %.1f s; correctness: %s\n", msSince(total) / 1e3,
              correct ? "OK" : "FAILED");
  return correct ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "annotrace_bench_p2: %s\n", e.what());
  return 1;
}
