#include "Segmentation/SliceInterpolator.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <stdexcept>

#include "IO/ParallelFor.h"
#include "Segmentation/DistanceMap2D.h"

namespace annotrace {

namespace {

/// A rectangle of a slice family's (u, v) plane: where a segment's work happens.
struct Window {
  std::size_t u0 = 0, v0 = 0, width = 0, height = 0;
  std::size_t size() const { return width * height; }
};

/// 8-connected components of a window mask: label per pixel (0 = background), and per
/// component its pixel count and centroid in pixels.
struct Components {
  std::vector<int> labels;
  std::vector<std::size_t> area;                // index = label - 1
  std::vector<std::array<double, 2>> centroid;  // (u, v) in window pixels
};

Components findComponents(const std::vector<std::uint8_t>& mask, std::size_t w, std::size_t h) {
  Components c;
  c.labels.assign(mask.size(), 0);
  std::vector<std::size_t> stack;
  for (std::size_t start = 0; start < mask.size(); ++start) {
    if (!mask[start] || c.labels[start]) continue;
    const int label = static_cast<int>(c.area.size()) + 1;
    std::size_t count = 0;
    double su = 0, sv = 0;
    c.labels[start] = label;
    stack.assign(1, start);
    while (!stack.empty()) {
      const std::size_t p = stack.back();
      stack.pop_back();
      const std::size_t u = p % w, v = p / w;
      ++count;
      su += double(u);
      sv += double(v);
      for (int dv = -1; dv <= 1; ++dv) {
        for (int du = -1; du <= 1; ++du) {
          const long long nu = static_cast<long long>(u) + du, nv = static_cast<long long>(v) + dv;
          if (nu < 0 || nv < 0 || nu >= static_cast<long long>(w) ||
              nv >= static_cast<long long>(h)) {
            continue;
          }
          const std::size_t q = static_cast<std::size_t>(nv) * w + static_cast<std::size_t>(nu);
          if (mask[q] && !c.labels[q]) {
            c.labels[q] = label;
            stack.push_back(q);
          }
        }
      }
    }
    c.area.push_back(count);
    c.centroid.push_back({su / double(count), sv / double(count)});
  }
  return c;
}

/// A correspondence group: components of the lower key slice and of the upper one that
/// become each other between the two (one to one, one to many for a split, many to one for a
/// merge; one side empty for a structure that starts or ends in the gap).
struct Group {
  std::vector<int> lower, upper;  // component labels
};

/// Groups components that overlap; components left alone are paired with the nearest partner
/// left alone on the other side when it is near enough (a structure that moved further than its
/// own size between key slices: ITK's morphological interpolation drops those).
std::vector<Group> correspond(const Components& a, const Components& b, double su, double sv) {
  const std::size_t na = a.area.size(), nb = b.area.size();
  // Union-find over a's labels (0..na-1) and b's (na..na+nb-1).
  std::vector<std::size_t> parent(na + nb);
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  std::vector<bool> linked(na + nb, false);
  for (std::size_t p = 0; p < a.labels.size(); ++p) {
    if (a.labels[p] && b.labels[p]) {
      const std::size_t x = std::size_t(a.labels[p] - 1), y = na + std::size_t(b.labels[p] - 1);
      parent[find(x)] = find(y);
      linked[x] = linked[y] = true;
    }
  }
  // Mutual nearest pairs among the components without overlap.
  auto radius = [&](std::size_t area) { return std::sqrt(double(area) * su * sv / 3.14159265); };
  auto distance = [&](const std::array<double, 2>& p, const std::array<double, 2>& q) {
    return std::hypot((p[0] - q[0]) * su, (p[1] - q[1]) * sv);
  };
  for (std::size_t i = 0; i < na; ++i) {
    if (linked[i]) continue;
    std::optional<std::size_t> best;
    for (std::size_t j = 0; j < nb; ++j) {
      if (linked[na + j]) continue;
      if (!best ||
          distance(a.centroid[i], b.centroid[j]) < distance(a.centroid[i], b.centroid[*best])) {
        best = j;
      }
    }
    if (!best) continue;
    // Mutual: i must also be the nearest unlinked lower component of best.
    std::size_t nearest = i;
    for (std::size_t k = 0; k < na; ++k) {
      if (!linked[k] && distance(a.centroid[k], b.centroid[*best]) <
                            distance(a.centroid[nearest], b.centroid[*best])) {
        nearest = k;
      }
    }
    const double gap = distance(a.centroid[i], b.centroid[*best]);
    // Far enough apart to be unrelated structures (one ending, another starting) only when
    // the centroids are more than five combined radii plus 10 mm apart.
    if (nearest == i && gap <= 5.0 * (radius(a.area[i]) + radius(b.area[*best])) + 10.0) {
      parent[find(i)] = find(na + *best);
      linked[i] = linked[na + *best] = true;
    }
  }
  std::map<std::size_t, Group> groups;
  for (std::size_t i = 0; i < na; ++i) groups[find(i)].lower.push_back(int(i) + 1);
  for (std::size_t j = 0; j < nb; ++j) groups[find(na + j)].upper.push_back(int(j) + 1);
  std::vector<Group> out;
  for (auto& [root, g] : groups) out.push_back(std::move(g));
  return out;
}

/// One group's shape at fraction t of the gap: both key shapes moved to the interpolated
/// centroid, their signed distance maps blended (Raya & Udupa 1990 shape-based interpolation,
/// with the centroid alignment of Grevera & Udupa 1996), thresholded at zero. A side that is
/// empty shrinks the other to nothing by eroding it uniformly.
class GroupInterpolation {
 public:
  GroupInterpolation(const Components& a, const Components& b, const Group& g, std::size_t w,
                     std::size_t h, double su, double sv)
      : w_(w), h_(h) {
    std::vector<std::uint8_t> maskA(w * h, 0), maskB(w * h, 0);
    double au = 0, av = 0, bu = 0, bv = 0;
    std::size_t areaA = 0, areaB = 0;
    for (int label : g.lower) {
      areaA += a.area[label - 1];
      au += a.centroid[label - 1][0] * double(a.area[label - 1]);
      av += a.centroid[label - 1][1] * double(a.area[label - 1]);
    }
    for (int label : g.upper) {
      areaB += b.area[label - 1];
      bu += b.centroid[label - 1][0] * double(b.area[label - 1]);
      bv += b.centroid[label - 1][1] * double(b.area[label - 1]);
    }
    for (std::size_t p = 0; p < w * h; ++p) {
      maskA[p] =
          a.labels[p] && std::find(g.lower.begin(), g.lower.end(), a.labels[p]) != g.lower.end();
      maskB[p] =
          b.labels[p] && std::find(g.upper.begin(), g.upper.end(), b.labels[p]) != g.upper.end();
    }
    if (areaA) {
      phiA_ = DistanceMap2D(maskA, w, h, su, sv);
      centreA_ = {au / double(areaA), av / double(areaA)};
    }
    if (areaB) {
      phiB_ = DistanceMap2D(maskB, w, h, su, sv);
      centreB_ = {bu / double(areaB), bv / double(areaB)};
    }
    if (!areaA) centreA_ = centreB_;
    if (!areaB) centreB_ = centreA_;
    hasA_ = areaA > 0;
    hasB_ = areaB > 0;
  }

  /// Adds this group's shape at fraction t to `depth` (min of interpolated values).
  void blend(double t, std::vector<float>& depth) const {
    const double du = centreB_[0] - centreA_[0], dv = centreB_[1] - centreA_[1];
    for (std::size_t v = 0; v < h_; ++v) {
      for (std::size_t u = 0; u < w_; ++u) {
        double value = 0;
        if (hasA_ && hasB_) {
          value = (1 - t) * phiA_.sample(double(u) - t * du, double(v) - t * dv) +
                  t * phiB_.sample(double(u) + (1 - t) * du, double(v) + (1 - t) * dv);
        } else if (hasA_) {
          value = phiA_.at(u, v) - t * (phiA_.minimum() - 1e-3);  // shrinks to nothing at t = 1
        } else {
          value = phiB_.at(u, v) - (1 - t) * (phiB_.minimum() - 1e-3);
        }
        float& d = depth[v * w_ + u];
        d = std::min(d, static_cast<float>(value));
      }
    }
  }

 private:
  std::size_t w_, h_;
  DistanceMap2D phiA_, phiB_;
  std::array<double, 2> centreA_{0, 0}, centreB_{0, 0};
  bool hasA_ = false, hasB_ = false;
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
                                          const std::vector<bool>& wanted) {
  struct Box {
    std::size_t uLo = SIZE_MAX, uHi = 0, vLo = SIZE_MAX, vHi = 0;
  };
  std::map<std::size_t, Box> boxes;
  mask.forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t n) {
    std::array<std::size_t, 3> index{i, j, k};
    for (std::size_t x = 0; x < n; ++x, ++index[0]) {
      const std::size_t s = index[axes[2]];
      if (!wanted[s]) continue;
      Box& b = boxes[s];
      b.uLo = std::min(b.uLo, index[axes[0]]);
      b.uHi = std::max(b.uHi, index[axes[0]] + 1);
      b.vLo = std::min(b.vLo, index[axes[1]]);
      b.vHi = std::max(b.vHi, index[axes[1]] + 1);
    }
  });
  std::map<std::size_t, Window> out;
  for (const auto& [s, b] : boxes) out[s] = Window{b.uLo, b.vLo, b.uHi - b.uLo, b.vHi - b.vLo};
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

SegmentResult interpolateSegment(const Segmentation& seg, SegmentId id,
                                 const InterpolationOptions& options, const Progress* progress) {
  SegmentResult result;
  result.segment = id;
  const ImageGeometry& g = seg.geometry();
  const auto axes = SliceSpec{options.orientation, 0}.axes();
  const std::vector<std::size_t> keys = keySlicesOf(seg, id, options);
  if (keys.size() < 2) return result;
  const SparseMask& mask = seg.mask(id);
  std::vector<bool> isKey(g.size[axes[2]], false);
  for (std::size_t k : keys) isKey[k] = true;
  const std::map<std::size_t, Window> bounds = sliceBounds(mask, axes, isKey);
  auto boundsOf = [&](std::size_t s) -> std::optional<Window> {
    const auto it = bounds.find(s);
    return it == bounds.end() ? std::nullopt : std::optional<Window>(it->second);
  };
  const double su = g.spacing[axes[0]], sv = g.spacing[axes[1]];
  const SliceProvenance& provenance = seg.provenance(id);

  // Gaps between consecutive key slices, in parallel, each in the window of its two key
  // shapes only; each gap writes its own slices.
  std::vector<std::pair<std::size_t, std::size_t>> gaps;
  for (std::size_t n = 0; n + 1 < keys.size(); ++n) {
    const bool anyShape = boundsOf(keys[n]) || boundsOf(keys[n + 1]);
    if (keys[n + 1] - keys[n] > 1 && anyShape) gaps.emplace_back(keys[n], keys[n + 1]);
  }
  std::vector<std::map<std::size_t, SliceDepth>> perGap(gaps.size());
  parallelFor(gaps.size(), 0, progress, [&](std::size_t n) {
    const auto [lower, upper] = gaps[n];
    const Window window =
        gapWindow(boundsOf(lower), boundsOf(upper), g.size[axes[0]], g.size[axes[1]]);
    const auto maskA = extract(mask, axes, lower, window);
    const auto maskB = extract(mask, axes, upper, window);
    const Components a = findComponents(maskA, window.width, window.height);
    const Components b = findComponents(maskB, window.width, window.height);
    std::vector<GroupInterpolation> groups;
    for (const Group& group : correspond(a, b, su, sv)) {
      groups.emplace_back(a, b, group, window.width, window.height, su, sv);
    }
    for (std::size_t s = lower + 1; s < upper; ++s) {
      if (provenance.at(options.orientation, s) == SliceSource::Drawn) continue;
      const double t = double(s - lower) / double(upper - lower);
      SliceDepth slice{window,
                       std::vector<float>(window.size(), std::numeric_limits<float>::max())};
      for (const GroupInterpolation& group : groups) group.blend(t, slice.depth);
      perGap[n].emplace(s, std::move(slice));
    }
  });
  for (auto& gap : perGap) result.slices.merge(gap);
  return result;
}

}  // namespace

SegmentationPreview SliceInterpolator::interpolate(const Segmentation& segmentation,
                                                   const InterpolationOptions& options,
                                                   const Progress* progress) {
  std::vector<SegmentId> ids = options.segments;
  if (ids.empty()) {
    for (std::size_t p = 0; p < segmentation.segmentCount(); ++p) {
      if (!segmentation.segmentAt(p).locked) ids.push_back(segmentation.segmentAt(p).id);
    }
  }
  for (SegmentId id : ids) (void)segmentation.segment(id);  // throws for an unknown id

  std::vector<SegmentResult> results;
  for (std::size_t n = 0; n < ids.size(); ++n) {
    if (progress) {
      progress->throwIfCancelled();
      progress->report("interpolating", double(n) / double(ids.size()));
    }
    results.push_back(interpolateSegment(segmentation, ids[n], options, progress));
  }

  // Where several segments claim a pixel of a slice, the deepest (lowest value) keeps it.
  std::map<std::size_t, std::vector<const SegmentResult*>> bySlice;
  for (const SegmentResult& r : results) {
    for (const auto& [slice, depth] : r.slices) bySlice[slice].push_back(&r);
  }
  SegmentationPreview preview;
  for (const auto& [slice, claims] : bySlice) {
    for (const SegmentResult* r : claims) {
      const SliceDepth& own = r->slices.at(slice);
      const Window& w = own.window;
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
          bool deepest = true;
          for (const SegmentResult* other : claims) {
            if (other == r) continue;
            const float o = other->slices.at(slice).at(w.u0 + u, w.v0 + v);
            if (o < value || (o == value && other->segment < r->segment)) deepest = false;
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
