#include "Segmentation/SliceInterpolator.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>

#include "IO/ParallelFor.h"
#include "Segmentation/IntensityEvidence.h"
#include "Segmentation/KeyShapeBlend.h"

namespace annotrace {

namespace {

// Following the image (Docs/Interpolation.md, "Guided by the image"); measured on the P4 harness.
constexpr double kRingMm = 4;  // the tissue around a structure: this far outside its key shapes
constexpr std::size_t kMinGuidePixels = 4;
constexpr double kNeutralOtherShare = 0.01;  // evidence 0 where structure and ring look alike
constexpr double kMarginPx = 0.5;            // the contour may move this far on any slice ...
constexpr double kMarginPerSliceMm = 1.0;    // ... plus this per mm from the nearest key slice
constexpr double kKeepShare = 0.5;  // a slice the image would shrink below this keeps its shape

/// A rectangle of a slice family's (u, v) plane: where a segment's work happens.
struct Window {
  std::size_t u0 = 0, v0 = 0, width = 0, height = 0;
  std::size_t size() const { return width * height; }
};

std::vector<std::uint8_t> extract(const SparseMask& mask, const std::array<int, 3>& axes,
                                  std::size_t slice, const Window& w) {
  std::vector<std::uint8_t> out(w.size(), 0);
  std::array<std::size_t, 3> index{};
  index[axes[2]] = slice;
  for (std::size_t v = 0; v < w.height; ++v) {
    index[axes[1]] = w.v0 + v;
    for (std::size_t u = 0; u < w.width; ++u) {
      index[axes[0]] = w.u0 + u;
      out[v * w.width + u] = mask.test(index[0], index[1], index[2]) ? 1 : 0;
    }
  }
  return out;
}

/// One interpolated slice of a segment: depth values over a window (<= 0 inside).
struct SliceDepth {
  Window window;
  std::vector<float> depth;
  /// Depth of the deepest inside pixel: contested pixels compare depth / scale, so a thin
  /// structure's centre (-1) beats the rim of a large neighbour (near 0) and no thin structure
  /// loses a whole slice to the organ beside it.
  float scale = 1;
  float at(std::size_t u, std::size_t v) const {
    if (u < window.u0 || v < window.v0 || u >= window.u0 + window.width ||
        v >= window.v0 + window.height) {
      return std::numeric_limits<float>::max();
    }
    return depth[(v - window.v0) * window.width + (u - window.u0)];
  }
};

struct SegmentResult {
  SegmentId segment = 0;
  std::map<std::size_t, SliceDepth> slices;
};

/// Bounding rectangle, in the family's (u, v) plane, of the segment on each of the slices
/// `wanted` marks: one pass over the segment's voxel runs.
std::map<std::size_t, Window> sliceBounds(const SparseMask& mask, const std::array<int, 3>& axes,
                                          const std::vector<bool>& wanted,
                                          std::vector<double>& areas) {
  areas.assign(wanted.size(), 0.0);
  struct Box {
    std::size_t uLo = SIZE_MAX, uHi = 0, vLo = SIZE_MAX, vHi = 0;
  };
  std::vector<Box> boxes(wanted.size());
  mask.forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t n) {
    if (axes[2] != 0) {
      // The run lies in one slice of the family and along its u axis (axial, coronal: i).
      const std::size_t s = axes[2] == 2 ? k : j;
      areas[s] += double(n);
      if (!wanted[s]) return;
      Box& b = boxes[s];
      const std::size_t v = axes[1] == 2 ? k : j;
      b.uLo = std::min(b.uLo, i);
      b.uHi = std::max(b.uHi, i + n);
      b.vLo = std::min(b.vLo, v);
      b.vHi = std::max(b.vHi, v + 1);
      return;
    }
    // Sagittal: the run crosses slices i .. i + n - 1 at (u, v) = (j, k).
    for (std::size_t s = i; s < i + n; ++s) {
      areas[s] += 1;
      if (!wanted[s]) continue;
      Box& b = boxes[s];
      b.uLo = std::min(b.uLo, j);
      b.uHi = std::max(b.uHi, j + 1);
      b.vLo = std::min(b.vLo, k);
      b.vHi = std::max(b.vHi, k + 1);
    }
  });
  std::map<std::size_t, Window> out;
  for (std::size_t s = 0; s < boxes.size(); ++s) {
    const Box& b = boxes[s];
    if (b.uLo < b.uHi) out[s] = Window{b.uLo, b.vLo, b.uHi - b.uLo, b.vHi - b.vLo};
  }
  return out;
}

/// The union of two windows grown by a margin (the distance maps must see the shapes'
/// outsides), clipped to the slice.
Window gapWindow(const std::optional<Window>& a, const std::optional<Window>& b, std::size_t width,
                 std::size_t height) {
  constexpr std::size_t kMargin = 3;
  std::size_t uLo = SIZE_MAX, vLo = SIZE_MAX, uHi = 0, vHi = 0;
  for (const auto& w : {a, b}) {
    if (!w) continue;
    uLo = std::min(uLo, w->u0);
    vLo = std::min(vLo, w->v0);
    uHi = std::max(uHi, w->u0 + w->width);
    vHi = std::max(vHi, w->v0 + w->height);
  }
  Window out;
  out.u0 = uLo > kMargin ? uLo - kMargin : 0;
  out.v0 = vLo > kMargin ? vLo - kMargin : 0;
  out.width = std::min(width, uHi + kMargin) - out.u0;
  out.height = std::min(height, vHi + kMargin) - out.v0;
  return out;
}

std::vector<std::size_t> keySlicesOf(const Segmentation& seg, SegmentId id,
                                     const InterpolationOptions& options) {
  const auto axes = SliceSpec{options.orientation, 0}.axes();
  const std::size_t count = seg.geometry().size[axes[2]];
  std::vector<std::size_t> keys;
  if (const auto it = options.keySlices.find(id); it != options.keySlices.end()) {
    keys = it->second;
  } else {
    keys = seg.provenance(id).slicesWith(options.orientation, SliceSource::Drawn);
    if (keys.size() < 2) {
      // No drawn slices tracked (a label map from elsewhere): every slice holding the segment.
      keys.clear();
      std::vector<bool> holds(count, false);
      seg.mask(id).forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t n) {
        const std::array<std::size_t, 3> index{i, j, k};
        if (axes[2] == 0) {
          for (std::size_t x = i; x < i + n; ++x) holds[x] = true;
        } else {
          holds[index[axes[2]]] = true;
        }
      });
      for (std::size_t s = 0; s < count; ++s) {
        if (holds[s]) keys.push_back(s);
      }
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  for (std::size_t k : keys) {
    if (k >= count) {
      throw std::invalid_argument("key slice " + std::to_string(k) + " is outside the " +
                                  std::string(orientationName(options.orientation)) + " range 0.." +
                                  std::to_string(count - 1));
    }
  }
  return keys;
}

/// Pixels outside `mask` within `radius` pixels of it (a square neighbourhood).
std::vector<std::uint8_t> ringAround(const std::vector<std::uint8_t>& mask, std::size_t w,
                                     std::size_t h, std::size_t radius) {
  // Separable dilation by running counts along rows, then along columns.
  std::vector<std::uint8_t> rows(mask.size(), 0), out(mask.size(), 0);
  for (std::size_t v = 0; v < h; ++v) {
    const std::uint8_t* in = mask.data() + v * w;
    long count = 0;
    for (std::size_t u = 0; u < std::min(w, radius); ++u) count += in[u];
    for (std::size_t u = 0; u < w; ++u) {
      if (u + radius < w) count += in[u + radius];
      if (u > radius) count -= in[u - radius - 1];
      rows[v * w + u] = count > 0 ? 1 : 0;
    }
  }
  for (std::size_t u = 0; u < w; ++u) {
    long count = 0;
    for (std::size_t v = 0; v < std::min(h, radius); ++v) count += rows[v * w + u];
    for (std::size_t v = 0; v < h; ++v) {
      if (v + radius < h) count += rows[(v + radius) * w + u];
      if (v > radius) count -= rows[(v - radius - 1) * w + u];
      out[v * w + u] = count > 0 && !mask[v * w + u] ? 1 : 0;
    }
  }
  return out;
}

/// What the image says about one segment: the intensities of its key shapes against the tissue
/// around them, over all its key slices.
struct SegmentGuide {
  IntensityRange range;
  EvidenceTable evidence{};
};

std::optional<SegmentGuide> guideOf(const Volume& image, const SparseMask& mask,
                                    SliceOrientation orientation,
                                    const std::map<std::size_t, Window>& keyBounds,
                                    const ImageGeometry& g) {
  const auto axes = SliceSpec{orientation, 0}.axes();
  const double pixelMm = std::min(g.spacing[axes[0]], g.spacing[axes[1]]);
  const auto radius = static_cast<std::size_t>(std::max(2.0, std::round(kRingMm / pixelMm)));
  std::vector<float> pixels;
  std::vector<std::uint8_t> inside, ring;
  for (const auto& [slice, bounds] : keyBounds) {
    Window w;
    w.u0 = bounds.u0 > radius ? bounds.u0 - radius : 0;
    w.v0 = bounds.v0 > radius ? bounds.v0 - radius : 0;
    w.width = std::min(g.size[axes[0]], bounds.u0 + bounds.width + radius) - w.u0;
    w.height = std::min(g.size[axes[1]], bounds.v0 + bounds.height + radius) - w.v0;
    const std::vector<std::uint8_t> keyMask = extract(mask, axes, slice, w);
    const std::vector<std::uint8_t> keyRing = ringAround(keyMask, w.width, w.height, radius);
    const std::vector<float> keyPixels =
        readSliceRect(image, orientation, slice, w.u0, w.v0, w.width, w.height);
    pixels.insert(pixels.end(), keyPixels.begin(), keyPixels.end());
    inside.insert(inside.end(), keyMask.begin(), keyMask.end());
    ring.insert(ring.end(), keyRing.begin(), keyRing.end());
  }
  std::vector<float> values;
  for (std::size_t p = 0; p < pixels.size(); ++p) {
    if (inside[p]) values.push_back(pixels[p]);
  }
  if (values.size() < kMinGuidePixels) return std::nullopt;
  SegmentGuide guide;
  guide.range = IntensityRange::of(std::move(values));
  guide.evidence = evidenceTable(histogramOf(pixels, inside, guide.range),
                                 histogramOf(pixels, ring, guide.range), kNeutralOtherShare);
  return guide;
}

/// One gap between consecutive key slices of one segment: the unit of parallel work.
struct GapTask {
  std::size_t result = 0;  ///< index into the results
  SegmentId segment = 0;
  std::size_t lower = 0, upper = 0;
  Window window;
  /// Per slice between the keys: the segment's area from a cubic through the neighbouring key
  /// areas, over the linear one (1 where no neighbours are known).
  std::vector<double> areaRatio;
  /// The segment's image model, when interpolation follows the image.
  std::shared_ptr<const SegmentGuide> guide;
};

/// Cubic Hermite through the key areas with slopes from the neighbouring keys (a
/// Catmull-Rom-like spline on uneven spacing): organs grow and shrink smoothly, so the curve
/// follows their cross-sections better than straight lines between keys.
std::vector<double> areaRatios(const std::vector<std::size_t>& keys,
                               const std::vector<double>& areas, std::size_t n) {
  const double z0 = double(keys[n]), z1 = double(keys[n + 1]);
  const double a0 = areas[n], a1 = areas[n + 1];
  const double secant = (a1 - a0) / (z1 - z0);
  const double m0 = n > 0 ? (a1 - areas[n - 1]) / (z1 - double(keys[n - 1])) : secant;
  const double m1 = n + 2 < keys.size() ? (areas[n + 2] - a0) / (double(keys[n + 2]) - z0) : secant;
  std::vector<double> out;
  for (std::size_t s = keys[n] + 1; s < keys[n + 1]; ++s) {
    const double h = z1 - z0, t = (double(s) - z0) / h;
    const double cubic = (2 * t * t * t - 3 * t * t + 1) * a0 +
                         (t * t * t - 2 * t * t + t) * h * m0 + (-2 * t * t * t + 3 * t * t) * a1 +
                         (t * t * t - t * t) * h * m1;
    const double linear = (1 - t) * a0 + t * a1;
    out.push_back(linear > 0 ? std::clamp(cubic / linear, 0.67, 1.5) : 1.0);
  }
  return out;
}

/// The gaps of one segment, each with the window of its two key shapes only.
void planGaps(const Segmentation& seg, const Volume* image, SegmentId id, std::size_t result,
              const InterpolationOptions& options, std::vector<GapTask>& tasks) {
  const ImageGeometry& g = seg.geometry();
  const auto axes = SliceSpec{options.orientation, 0}.axes();
  const std::vector<std::size_t> keys = keySlicesOf(seg, id, options);
  if (keys.size() < 2) return;
  std::vector<bool> isKey(g.size[axes[2]], false);
  for (std::size_t k : keys) isKey[k] = true;
  std::vector<double> sliceArea;
  const std::map<std::size_t, Window> bounds = sliceBounds(seg.mask(id), axes, isKey, sliceArea);
  auto boundsOf = [&](std::size_t s) -> std::optional<Window> {
    const auto it = bounds.find(s);
    return it == bounds.end() ? std::nullopt : std::optional<Window>(it->second);
  };
  std::vector<double> areas;
  for (std::size_t k : keys) areas.push_back(sliceArea[k]);
  std::shared_ptr<const SegmentGuide> guide;
  if (image) {
    if (auto found = guideOf(*image, seg.mask(id), options.orientation, bounds, g)) {
      guide = std::make_shared<const SegmentGuide>(*found);
    }
  }
  for (std::size_t n = 0; n + 1 < keys.size(); ++n) {
    const auto lower = boundsOf(keys[n]), upper = boundsOf(keys[n + 1]);
    if (keys[n + 1] - keys[n] <= 1 || (!lower && !upper)) continue;
    tasks.push_back({result, id, keys[n], keys[n + 1],
                     gapWindow(lower, upper, g.size[axes[0]], g.size[axes[1]]),
                     areaRatios(keys, areas, n), guide});
  }
}

/// Moves an interpolated slice's boundary towards what the image says: depth (mm) less a
/// margin times the pixel's evidence (3 x 3 mean), so near the shape's edge tissue like the
/// structure is taken in and tissue unlike it left out; far from the edge the shape rules.
void followImage(const Volume& image, SliceOrientation orientation, std::size_t slice,
                 const Window& w, const SegmentGuide& guide, double marginMm,
                 std::vector<float>& depth) {
  const std::vector<float> pixels =
      readSliceRect(image, orientation, slice, w.u0, w.v0, w.width, w.height);
  std::vector<float> evidence(pixels.size());
  for (std::size_t p = 0; p < pixels.size(); ++p) {
    const int b = guide.range.bin(pixels[p]);
    evidence[p] = b < 0 ? -1.F : guide.evidence[b];
  }
  // Only pixels within the margin of the contour can change sides; the rest keep their depth.
  const auto margin = static_cast<float>(marginMm);
  std::vector<std::pair<std::size_t, float>> moved;
  std::size_t before = 0, after = 0;
  for (std::size_t v = 0; v < w.height; ++v) {
    for (std::size_t u = 0; u < w.width; ++u) {
      const std::size_t p = v * w.width + u;
      const float d = depth[p];
      before += d <= 0;
      if (std::abs(d) > margin) {
        after += d <= 0;
        continue;
      }
      float sum = 0;
      int n = 0;
      for (std::size_t y = v > 0 ? v - 1 : 0; y <= std::min(v + 1, w.height - 1); ++y) {
        for (std::size_t x = u > 0 ? u - 1 : 0; x <= std::min(u + 1, w.width - 1); ++x) {
          sum += evidence[y * w.width + x];
          ++n;
        }
      }
      const float guided = d - margin * sum / float(n);
      after += guided <= 0;
      moved.emplace_back(p, guided);
    }
  }
  // A structure the image hardly shows (a thin rib in partial volume) keeps its shape.
  if (double(after) < kKeepShare * double(before)) return;
  for (const auto& [p, value] : moved) depth[p] = value;
}

/// Interpolates the slices of one gap.
std::map<std::size_t, SliceDepth> interpolateGap(const Segmentation& seg, const GapTask& task,
                                                 SliceOrientation orientation,
                                                 const Volume* image) {
  const ImageGeometry& g = seg.geometry();
  const auto axes = SliceSpec{orientation, 0}.axes();
  const double su = g.spacing[axes[0]], sv = g.spacing[axes[1]];
  const SparseMask& mask = seg.mask(task.segment);
  const SliceProvenance& provenance = seg.provenance(task.segment);
  const Window& window = task.window;
  const auto maskA = extract(mask, axes, task.lower, window);
  const auto maskB = extract(mask, axes, task.upper, window);
  const KeyShapeBlend blend(maskA, maskB, window.width, window.height, su, sv);
  const double pixelMm = std::min(su, sv);
  std::map<std::size_t, SliceDepth> out;
  for (std::size_t s = task.lower + 1; s < task.upper; ++s) {
    if (provenance.at(orientation, s) == SliceSource::Drawn) continue;
    const double t = double(s - task.lower) / double(task.upper - task.lower);
    SliceDepth slice{window, std::vector<float>(window.size(), std::numeric_limits<float>::max())};
    const double ratio = task.areaRatio.empty() ? 1.0 : task.areaRatio[s - task.lower - 1];
    blend.depthAt(t, ratio, slice.depth);
    if (task.guide) {
      const double fromKey = double(std::min(s - task.lower, task.upper - s));
      const double margin = kMarginPx * pixelMm + kMarginPerSliceMm * fromKey * g.spacing[axes[2]];
      followImage(*image, orientation, s, window, *task.guide, margin, slice.depth);
    }
    const float deepest = *std::min_element(slice.depth.begin(), slice.depth.end());
    slice.scale = std::max(1e-3f, -deepest);
    out.emplace(s, std::move(slice));
  }
  return out;
}

}  // namespace

SegmentationPreview SliceInterpolator::interpolate(const Segmentation& segmentation,
                                                   const InterpolationOptions& options,
                                                   const Progress* progress) {
  return interpolate(nullptr, segmentation, options, progress);
}

SegmentationPreview SliceInterpolator::interpolate(const Volume& image,
                                                   const Segmentation& segmentation,
                                                   const InterpolationOptions& options,
                                                   const Progress* progress) {
  if (image.geometry().size != segmentation.geometry().size) {
    throw std::invalid_argument(
        "interpolation: the image's grid differs from the segmentation's; the image must be the "
        "source volume the segments were drawn on");
  }
  return interpolate(&image, segmentation, options, progress);
}

SegmentationPreview SliceInterpolator::interpolate(const Volume* image,
                                                   const Segmentation& segmentation,
                                                   const InterpolationOptions& options,
                                                   const Progress* progress) {
  std::vector<SegmentId> ids = options.segments;
  if (ids.empty()) {
    for (std::size_t p = 0; p < segmentation.segmentCount(); ++p) {
      if (!segmentation.segmentAt(p).locked) ids.push_back(segmentation.segmentAt(p).id);
    }
  }
  for (SegmentId id : ids) (void)segmentation.segment(id);  // throws for an unknown id

  // Every gap of every segment is one task, spread over the cores at once.
  std::vector<SegmentResult> results(ids.size());
  std::vector<std::vector<GapTask>> planned(ids.size());
  parallelFor(ids.size(), 0, progress, [&](std::size_t n) {
    planGaps(segmentation, image, ids[n], n, options, planned[n]);
  });
  std::vector<GapTask> tasks;
  for (std::size_t n = 0; n < ids.size(); ++n) {
    results[n].segment = ids[n];
    tasks.insert(tasks.end(), std::make_move_iterator(planned[n].begin()),
                 std::make_move_iterator(planned[n].end()));
  }
  std::vector<std::map<std::size_t, SliceDepth>> perTask(tasks.size());
  std::atomic<std::size_t> done{0};
  parallelFor(tasks.size(), 0, progress, [&](std::size_t n) {
    perTask[n] = interpolateGap(segmentation, tasks[n], options.orientation, image);
    if (progress) progress->report("interpolating", double(++done) / double(tasks.size()));
  });
  for (std::size_t n = 0; n < tasks.size(); ++n) results[tasks[n].result].slices.merge(perTask[n]);

  // Where several segments claim a pixel of a slice, the deepest (lowest value) keeps it.
  std::map<std::size_t, std::vector<const SegmentResult*>> bySlice;
  for (const SegmentResult& r : results) {
    for (const auto& [slice, depth] : r.slices) bySlice[slice].push_back(&r);
  }
  SegmentationPreview preview;
  auto overlaps = [](const Window& a, const Window& b) {
    return a.u0 < b.u0 + b.width && b.u0 < a.u0 + a.width && a.v0 < b.v0 + b.height &&
           b.v0 < a.v0 + a.height;
  };
  for (const auto& [slice, claims] : bySlice) {
    for (const SegmentResult* r : claims) {
      const SliceDepth& own = r->slices.at(slice);
      const Window& w = own.window;
      std::vector<std::pair<const SliceDepth*, SegmentId>> rivals;
      for (const SegmentResult* other : claims) {
        const SliceDepth& theirs = other->slices.at(slice);
        if (other != r && overlaps(w, theirs.window)) rivals.emplace_back(&theirs, other->segment);
      }
      SlicePatch patch;
      patch.segment = r->segment;
      patch.slice = {options.orientation, slice};
      patch.u0 = w.u0;
      patch.v0 = w.v0;
      patch.mask = SliceMask(w.width, w.height);
      patch.source = SliceSource::Interpolated;
      for (std::size_t v = 0; v < w.height; ++v) {
        for (std::size_t u = 0; u < w.width; ++u) {
          const float value = own.depth[v * w.width + u];
          if (value > 0) continue;
          const float mine = value / own.scale;
          bool deepest = true;
          for (const auto& [theirs, id] : rivals) {
            const float o = theirs->at(w.u0 + u, w.v0 + v);
            if (o > 0) continue;
            const float relative = o / theirs->scale;
            if (relative < mine || (relative == mine && id < r->segment)) {
              deepest = false;
              break;
            }
          }
          if (deepest) patch.mask.set(u, v);
        }
      }
      preview.patches.push_back(std::move(patch));
    }
  }
  if (progress) progress->report("interpolating", 1.0);
  return preview;
}

void applyPreview(const SegmentationPreview& preview, Segmentation& segmentation) {
  for (const SlicePatch& patch : preview.patches) {
    SparseMask& mask = segmentation.mask(patch.segment);
    const auto axes = patch.slice.axes();
    const auto& size = segmentation.geometry().size;
    std::array<std::size_t, 3> index{};
    index[axes[2]] = patch.slice.index;
    for (std::size_t v = 0; v < size[axes[1]]; ++v) {
      index[axes[1]] = v;
      for (std::size_t u = 0; u < size[axes[0]]; ++u) {
        index[axes[0]] = u;
        const bool inWindow = u >= patch.u0 && v >= patch.v0 && u < patch.u0 + patch.mask.width &&
                              v < patch.v0 + patch.mask.height;
        const bool want = inWindow && patch.mask.at(u - patch.u0, v - patch.v0) != 0;
        if (!want && mask.brickEmpty(index[0], index[1], index[2])) continue;
        mask.assign(index[0], index[1], index[2], want);
      }
    }
    segmentation.provenance(patch.segment)
        .set(patch.slice.orientation, patch.slice.index, patch.source);
  }
}

}  // namespace annotrace
