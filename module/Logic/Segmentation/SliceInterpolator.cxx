#include "Segmentation/SliceInterpolator.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <iterator>
#include <map>
#include <numeric>
#include <optional>
#include <stdexcept>

#include "Core/IndexClamp.h"
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
    side(a, g.lower, su, sv, sideA_);
    side(b, g.upper, su, sv, sideB_);
    if (!sideA_.area) sideA_.anchor = sideB_.anchor;
    if (!sideB_.area) sideB_.anchor = sideA_.anchor;
  }

  /// Adds this group's shape at fraction t to `depth` (min of interpolated values).
  void blend(double t, double areaRatio, std::vector<float>& depth) const {
    const double du = sideB_.anchor[0] - sideA_.anchor[0];
    const double dv = sideB_.anchor[1] - sideA_.anchor[1];
    // Only around where the two key shapes are moved to: the rest is far outside.
    Box region;
    auto include = [&](const Side& s, double shiftU, double shiftV) {
      if (!s.area) return;
      const double grow = 0.25 * double(std::max(s.box.u1 - s.box.u0, s.box.v1 - s.box.v0)) + 3;
      region.u0 = std::min(region.u0, double(s.box.u0) + shiftU - grow);
      region.v0 = std::min(region.v0, double(s.box.v0) + shiftV - grow);
      region.u1 = std::max(region.u1, double(s.box.u1) + shiftU + grow);
      region.v1 = std::max(region.v1, double(s.box.v1) + shiftV + grow);
    };
    include(sideA_, t * du, t * dv);
    include(sideB_, -(1 - t) * du, -(1 - t) * dv);
    const std::size_t u0 = clampToIndex(std::floor(region.u0), 0, long(w_));
    const std::size_t v0 = clampToIndex(std::floor(region.v0), 0, long(h_));
    const std::size_t u1 = clampToIndex(std::ceil(region.u1), 0, long(w_));
    const std::size_t v1 = clampToIndex(std::ceil(region.v1), 0, long(h_));
    if (u0 >= u1 || v0 >= v1) return;
    std::vector<float> values;
    values.reserve((u1 - u0) * (v1 - v0));
    for (std::size_t v = v0; v < v1; ++v) {
      for (std::size_t u = u0; u < u1; ++u) {
        double value = 0;
        if (sideA_.area && sideB_.area) {
          value = (1 - t) * sideA_.sample(double(u) - t * du, double(v) - t * dv) +
                  t * sideB_.sample(double(u) + (1 - t) * du, double(v) + (1 - t) * dv);
        } else if (sideA_.area) {
          value = sideA_.sample(double(u), double(v));  // ends in the gap: shrinks below
        } else {
          value = sideB_.sample(double(u), double(v));  // starts in the gap: grows
        }
        values.push_back(static_cast<float>(value));
      }
    }
    // The blend's zero level set shrinks shapes of different sizes (the small one's distances
    // dominate); the level is moved so the area follows the key areas instead, a better
    // estimate of a growing or shrinking organ's cross-section.
    const double target = areaRatio * ((1 - t) * double(sideA_.area) + t * double(sideB_.area));
    const auto count = std::min(values.size(), static_cast<std::size_t>(std::llround(target)));
    if (count == 0) return;
    std::vector<float> sorted = values;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(count - 1),
                     sorted.end());
    const float level = sorted[count - 1];
    std::size_t n = 0;
    for (std::size_t v = v0; v < v1; ++v) {
      for (std::size_t u = u0; u < u1; ++u, ++n) {
        float& d = depth[v * w_ + u];
        d = std::min(d, values[n] - level);
      }
    }
  }

 private:
  struct Box {
    double u0 = 1e300, v0 = 1e300, u1 = -1e300, v1 = -1e300;
  };
  struct PixelBox {
    std::size_t u0 = 0, v0 = 0, u1 = 0, v1 = 0;  // u1, v1 exclusive
  };
  /// One key slice's part of the group: its distance map over its own box (plus a margin,
  /// so the map sees the outside), its area and its anchor in window pixels.
  struct Side {
    std::size_t area = 0;
    PixelBox box;
    DistanceMap2D phi;
    std::array<double, 2> anchor{0, 0};
    float sample(double u, double v) const {
      return phi.sample(u - double(box.u0), v - double(box.v0));
    }
  };

  void side(const Components& c, const std::vector<int>& labels, double su, double sv,
            Side& out) const {
    double cu = 0, cv = 0;
    for (int label : labels) {
      out.area += c.area[label - 1];
      cu += c.centroid[label - 1][0] * double(c.area[label - 1]);
      cv += c.centroid[label - 1][1] * double(c.area[label - 1]);
    }
    if (!out.area) return;
    std::size_t uLo = w_, vLo = h_, uHi = 0, vHi = 0;
    for (std::size_t v = 0; v < h_; ++v) {
      for (std::size_t u = 0; u < w_; ++u) {
        const int label = c.labels[v * w_ + u];
        if (!label || std::find(labels.begin(), labels.end(), label) == labels.end()) continue;
        uLo = std::min(uLo, u);
        vLo = std::min(vLo, v);
        uHi = std::max(uHi, u + 1);
        vHi = std::max(vHi, v + 1);
      }
    }
    constexpr std::size_t kMargin = 3;
    out.box = {uLo > kMargin ? uLo - kMargin : 0, vLo > kMargin ? vLo - kMargin : 0,
               std::min(w_, uHi + kMargin), std::min(h_, vHi + kMargin)};
    const std::size_t bw = out.box.u1 - out.box.u0, bh = out.box.v1 - out.box.v0;
    std::vector<std::uint8_t> mask(bw * bh, 0);
    for (std::size_t v = 0; v < bh; ++v) {
      for (std::size_t u = 0; u < bw; ++u) {
        const int label = c.labels[(out.box.v0 + v) * w_ + out.box.u0 + u];
        mask[v * bw + u] =
            label && std::find(labels.begin(), labels.end(), label) != labels.end() ? 1 : 0;
      }
    }
    out.phi = DistanceMap2D(mask, bw, bh, su, sv);
    out.anchor = anchorOf(out, {cu / double(out.area), cv / double(out.area)});
  }

  /// The point a shape is moved by: its centroid when that lies inside the shape, otherwise
  /// (a crescent, a C-shaped lobe) its deepest inside point. Both anchors inside their shapes
  /// make the blend negative at the interpolated anchor, so no slice between two key shapes
  /// of a group ever comes out empty.
  static std::array<double, 2> anchorOf(const Side& s, std::array<double, 2> centroid) {
    if (s.sample(centroid[0], centroid[1]) < 0) return centroid;
    std::size_t best = 0;
    float deepest = std::numeric_limits<float>::max();
    for (std::size_t v = 0; v < s.phi.height(); ++v) {
      for (std::size_t u = 0; u < s.phi.width(); ++u) {
        if (s.phi.at(u, v) < deepest) {
          deepest = s.phi.at(u, v);
          best = v * s.phi.width() + u;
        }
      }
    }
    return {double(s.box.u0 + best % s.phi.width()), double(s.box.v0 + best / s.phi.width())};
  }

  std::size_t w_, h_;
  Side sideA_, sideB_;
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

/// One gap between consecutive key slices of one segment: the unit of parallel work.
struct GapTask {
  std::size_t result = 0;  ///< index into the results
  SegmentId segment = 0;
  std::size_t lower = 0, upper = 0;
  Window window;
  /// Per slice between the keys: the segment's area from a cubic through the neighbouring key
  /// areas, over the linear one (1 where no neighbours are known).
  std::vector<double> areaRatio;
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
void planGaps(const Segmentation& seg, SegmentId id, std::size_t result,
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
  for (std::size_t n = 0; n + 1 < keys.size(); ++n) {
    const auto lower = boundsOf(keys[n]), upper = boundsOf(keys[n + 1]);
    if (keys[n + 1] - keys[n] <= 1 || (!lower && !upper)) continue;
    tasks.push_back({result, id, keys[n], keys[n + 1],
                     gapWindow(lower, upper, g.size[axes[0]], g.size[axes[1]]),
                     areaRatios(keys, areas, n)});
  }
}

/// Interpolates the slices of one gap.
std::map<std::size_t, SliceDepth> interpolateGap(const Segmentation& seg, const GapTask& task,
                                                 SliceOrientation orientation) {
  const ImageGeometry& g = seg.geometry();
  const auto axes = SliceSpec{orientation, 0}.axes();
  const double su = g.spacing[axes[0]], sv = g.spacing[axes[1]];
  const SparseMask& mask = seg.mask(task.segment);
  const SliceProvenance& provenance = seg.provenance(task.segment);
  const Window& window = task.window;
  const auto maskA = extract(mask, axes, task.lower, window);
  const auto maskB = extract(mask, axes, task.upper, window);
  const Components a = findComponents(maskA, window.width, window.height);
  const Components b = findComponents(maskB, window.width, window.height);
  std::vector<GroupInterpolation> groups;
  for (const Group& group : correspond(a, b, su, sv)) {
    groups.emplace_back(a, b, group, window.width, window.height, su, sv);
  }
  std::map<std::size_t, SliceDepth> out;
  for (std::size_t s = task.lower + 1; s < task.upper; ++s) {
    if (provenance.at(orientation, s) == SliceSource::Drawn) continue;
    const double t = double(s - task.lower) / double(task.upper - task.lower);
    SliceDepth slice{window, std::vector<float>(window.size(), std::numeric_limits<float>::max())};
    const double ratio = task.areaRatio.empty() ? 1.0 : task.areaRatio[s - task.lower - 1];
    for (const GroupInterpolation& group : groups) group.blend(t, ratio, slice.depth);
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
  parallelFor(ids.size(), 0, progress,
              [&](std::size_t n) { planGaps(segmentation, ids[n], n, options, planned[n]); });
  std::vector<GapTask> tasks;
  for (std::size_t n = 0; n < ids.size(); ++n) {
    results[n].segment = ids[n];
    tasks.insert(tasks.end(), std::make_move_iterator(planned[n].begin()),
                 std::make_move_iterator(planned[n].end()));
  }
  std::vector<std::map<std::size_t, SliceDepth>> perTask(tasks.size());
  std::atomic<std::size_t> done{0};
  parallelFor(tasks.size(), 0, progress, [&](std::size_t n) {
    perTask[n] = interpolateGap(segmentation, tasks[n], options.orientation);
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
