#include "Segmentation/SlicePropagator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "Segmentation/IntensityEvidence.h"
#include "Segmentation/PropagationStep.h"

// The method, its parameters, their measured effect and the references: Docs/Propagation.md.
// One slice-to-slice step, and its own parameters: PropagationStep.

namespace annotrace {

namespace {

using SliceFrame = PropagationStep::SliceFrame;
using Rect = PropagationStep::Rect;
using Context = PropagationStep::Context;
using Track = PropagationStep::Track;

// --- Parameters of the set-up (PropagationStep.cxx holds those of one step) -------------------

// Intensity model
constexpr double kSmoothMm = 0.5;  // Gaussian pre-smoothing (at least kSmoothMinPx)
constexpr double kSmoothMinPx = 0.6;
// Level set
constexpr double kIterationsPerMotionPx = 5;  // iterations: this x motion + kBaseIterations
constexpr int kBaseIterations = 8;
constexpr double kMinMotionPx = 1.5;  // expected boundary motion per slice, at least
// Slice-to-slice shift
constexpr double kShiftRadiusPerMotionPx = 1.5;
// Working resolution: one working pixel per kScaleRadiusPx of the structure's radius (1 to 4)
constexpr double kScaleRadiusPx = 32;

// --- Slice geometry ----------------------------------------------------------------------------

SliceFrame frameOf(const ImageGeometry& g, SliceOrientation orientation) {
  SliceFrame f;
  f.axes = SliceSpec{orientation, 0}.axes();
  const std::array<std::size_t, 3> strides{1, g.size[0], g.size[0] * g.size[1]};
  f.width = static_cast<int>(g.size[f.axes[0]]);
  f.height = static_cast<int>(g.size[f.axes[1]]);
  f.count = static_cast<int>(g.size[f.axes[2]]);
  for (int a = 0; a < 3; ++a) f.stride[a] = strides[f.axes[a]];
  const double su = g.spacing[f.axes[0]];
  const double sv = g.spacing[f.axes[1]];
  f.pixelMm = std::min(su, sv);
  f.scaleU = su / f.pixelMm;
  f.scaleV = sv / f.pixelMm;
  f.sliceMm = g.spacing[f.axes[2]];
  return f;
}

/// Bounding rectangle of the set pixels of a full-slice mask.
Rect boundsOf(const SliceMask& mask) {
  Rect r{static_cast<int>(mask.width), static_cast<int>(mask.height), 0, 0};
  for (std::size_t v = 0; v < mask.height; ++v) {
    const std::uint8_t* row = mask.pixels.data() + v * mask.width;
    for (std::size_t u = 0; u < mask.width; ++u) {
      if (row[u] == 0) continue;
      r.u0 = std::min(r.u0, static_cast<int>(u));
      r.u1 = std::max(r.u1, static_cast<int>(u) + 1);
      r.v0 = std::min(r.v0, static_cast<int>(v));
      r.v1 = std::max(r.v1, static_cast<int>(v) + 1);
    }
  }
  return r;
}

SliceMask sliceOfSegment(const SparseMask& mask, const SliceFrame& f, int slice) {
  SliceMask out(static_cast<std::size_t>(f.width), static_cast<std::size_t>(f.height));
  std::array<std::size_t, 3> index{};
  index[f.axes[2]] = static_cast<std::size_t>(slice);
  for (int v = 0; v < f.height; ++v) {
    index[f.axes[1]] = static_cast<std::size_t>(v);
    for (int u = 0; u < f.width; ++u) {
      index[f.axes[0]] = static_cast<std::size_t>(u);
      if (mask.brickEmpty(index[0], index[1], index[2])) {
        u |= static_cast<int>(SparseMask::kBrickEdge) - 1;  // skip to the brick's last pixel
        continue;
      }
      if (mask.test(index[0], index[1], index[2])) out.set(u, v);
    }
  }
  return out;
}

// --- Propagation -------------------------------------------------------------------------------

/// How far one direction may go: to the grid's end, to the next drawn slice of the segment
/// (stopping in front of it) and to the user's limit.
int reachOf(const SliceProvenance& provenance, const PropagationOptions& o, const SliceFrame& f,
            int direction) {
  int reach = 0;
  for (int s = static_cast<int>(o.fromSlice) + direction; s >= 0 && s < f.count; s += direction) {
    if (provenance.at(o.orientation, static_cast<std::size_t>(s)) == SliceSource::Drawn) break;
    if (o.maxSlices != 0 && static_cast<std::size_t>(reach) >= o.maxSlices) break;
    ++reach;
  }
  return reach;
}

}  // namespace

SegmentationPreview SlicePropagator::propagate(const Volume& source,
                                               const Segmentation& segmentation,
                                               const PropagationOptions& options,
                                               const Progress* progress) {
  if (source.geometry().size != segmentation.geometry().size) {
    throw std::invalid_argument("the segmentation does not lie on the volume's grid");
  }
  const SliceFrame frame = frameOf(source.geometry(), options.orientation);
  if (options.fromSlice >= static_cast<std::size_t>(frame.count)) {
    throw std::out_of_range("slice " + std::to_string(options.fromSlice) + " is outside the " +
                            std::string(orientationName(options.orientation)) + " range");
  }
  const SparseMask& segmentMask = segmentation.mask(options.segment);
  const SliceProvenance& provenance = segmentation.provenance(options.segment);
  const int start = static_cast<int>(options.fromSlice);

  Track first;
  first.mask = sliceOfSegment(segmentMask, frame, start);
  first.area = first.mask.count();
  SegmentationPreview preview;
  if (first.area == 0) {
    throw std::invalid_argument(
        "segment \"" + segmentation.segment(options.segment).name + "\" has nothing on " +
        std::string(orientationName(options.orientation)) + " slice " +
        std::to_string(options.fromSlice) + " to propagate; start from a slice that holds it");
  }
  first.box = boundsOf(first.mask);

  Context c{source, options.orientation, frame};
  const ImageGeometry& g = source.geometry();
  auto configure = [&](int scale) {
    c.scale = scale;
    // A boundary at 45 degrees to the slice moves one slice spacing from one slice to the next.
    c.motionPx = std::clamp(frame.sliceMm / (frame.pixelMm * scale), kMinMotionPx, 10.0);
    c.shiftRadius = static_cast<int>(std::ceil(kShiftRadiusPerMotionPx * c.motionPx));
    c.ringPx = static_cast<int>(std::ceil(c.motionPx)) + 2;
    c.iterations =
        static_cast<int>(std::ceil(kIterationsPerMotionPx * c.motionPx)) + kBaseIterations;
    c.sigmaU = std::max(kSmoothMinPx, kSmoothMm / (scale * g.spacing[frame.axes[0]]));
    c.sigmaV = std::max(kSmoothMinPx, kSmoothMm / (scale * g.spacing[frame.axes[1]]));
  };
  // Large structures are followed on a coarser grid: the level set's cost grows with the length
  // of the contour and with the distance it moves, both in pixels.
  const double radiusPx = std::sqrt(static_cast<double>(first.area) / std::numbers::pi);
  configure(std::clamp(static_cast<int>(radiusPx / kScaleRadiusPx), 1, 4));
  c.startArea = first.area;
  for (;;) {
    const Rect roi = PropagationStep::workingRect(first.box, 2, c);
    const std::vector<float> img = PropagationStep::workingImage(c, start, roi);
    const std::vector<std::uint8_t> mask = PropagationStep::workingMask(first.mask, roi, c.scale);
    std::vector<float> inside;
    for (std::size_t p = 0; p < mask.size(); ++p) {
      if (mask[p]) inside.push_back(img[p]);
    }
    // A thin structure that the coarser grid would lose is followed at full resolution.
    if (c.scale > 1 && 2 * inside.size() * c.scale * c.scale < first.area) {
      configure(1);
      continue;
    }
    c.range = IntensityRange::of(inside);
    c.startInside = histogramOf(img, mask, c.range);
    break;
  }

  const std::array<int, 2> reach{options.forward ? reachOf(provenance, options, frame, +1) : 0,
                                 options.backward ? reachOf(provenance, options, frame, -1) : 0};
  const double total = std::max(1, reach[0] + reach[1]);
  int done = 0;
  if (progress) progress->report("propagating", 0.0);
  for (int d = 0; d < 2; ++d) {
    const int direction = d == 0 ? +1 : -1;
    Track track = first;
    for (int n = 1; n <= reach[d]; ++n) {
      if (progress) progress->throwIfCancelled();
      const int to = start + direction * n;
      const bool carried = PropagationStep::carry(c, track, to - direction, to);
      if (progress) progress->report("propagating", (done + n) / total);
      if (!carried) break;
      SlicePatch patch;
      patch.segment = options.segment;
      patch.slice = SliceSpec{options.orientation, static_cast<std::size_t>(to)};
      patch.mask = track.mask;  // the whole slice (u0 = v0 = 0)
      patch.source = SliceSource::Propagated;
      preview.patches.push_back(std::move(patch));
    }
    done += reach[d];
  }
  std::sort(preview.patches.begin(), preview.patches.end(),
            [](const SlicePatch& a, const SlicePatch& b) { return a.slice.index < b.slice.index; });
  if (progress) progress->report("propagating", 1.0);
  return preview;
}

}  // namespace annotrace
