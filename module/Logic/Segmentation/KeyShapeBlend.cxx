#include "Segmentation/KeyShapeBlend.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <optional>

#include "Core/IndexClamp.h"
#include "Segmentation/DistanceMap2D.h"

namespace annotrace {

namespace {

/// 8-connected components of a window mask: label per pixel (0 = background), and per
/// component its pixel count and centroid in pixels.
struct Components {
  std::vector<int> labels;
  std::vector<std::size_t> area;                // index = label - 1
  std::vector<std::array<double, 2>> centroid;  // (u, v) in window pixels
  std::vector<std::array<std::size_t, 4>> box;  // u0, v0, u1, v1 (exclusive)
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
    std::array<std::size_t, 4> box{w, h, 0, 0};
    c.labels[start] = label;
    stack.assign(1, start);
    while (!stack.empty()) {
      const std::size_t p = stack.back();
      stack.pop_back();
      const std::size_t u = p % w, v = p / w;
      ++count;
      su += double(u);
      sv += double(v);
      box = {std::min(box[0], u), std::min(box[1], v), std::max(box[2], u + 1),
             std::max(box[3], v + 1)};
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
    c.box.push_back(box);
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
    const Shifted shiftedA(sideA_, -t * du, -t * dv);
    const Shifted shiftedB(sideB_, (1 - t) * du, (1 - t) * dv);
    std::vector<float> values;
    values.reserve((u1 - u0) * (v1 - v0));
    for (std::size_t v = v0; v < v1; ++v) {
      for (std::size_t u = u0; u < u1; ++u) {
        double value = 0;
        if (sideA_.area && sideB_.area) {
          value = (1 - t) * shiftedA.at(u, v) + t * shiftedB.at(u, v);
        } else if (sideA_.area) {
          value = shiftedA.at(u, v);  // ends in the gap: shrinks below
        } else {
          value = shiftedB.at(u, v);  // starts in the gap: grows
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
  /// A side's distance map read at (u + du, v + dv) for integer (u, v): the shift is the same
  /// for every pixel of a slice, so the bilinear weights are computed once and most pixels are
  /// four loads; only those near or past the map's edge take the general sample().
  class Shifted;

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

  class Shifted {
   public:
    Shifted(const Side& side, double du, double dv) : side_(side), du_(du), dv_(dv) {
      if (!side.area) return;
      // Map coordinates of window pixel (u, v): u + du - box.u0, split into integer and
      // fraction once.
      const double fu = std::floor(du), fv = std::floor(dv);
      iu_ = static_cast<long long>(fu) - static_cast<long long>(side.box.u0);
      iv_ = static_cast<long long>(fv) - static_cast<long long>(side.box.v0);
      wu_ = du - fu;
      wv_ = dv - fv;
    }
    double at(std::size_t u, std::size_t v) const {
      const long long mu = static_cast<long long>(u) + iu_;
      const long long mv = static_cast<long long>(v) + iv_;
      const auto& phi = side_.phi;
      if (mu < 0 || mv < 0 || mu + 1 >= static_cast<long long>(phi.width()) ||
          mv + 1 >= static_cast<long long>(phi.height())) {
        return side_.sample(double(u) + du_, double(v) + dv_);
      }
      const auto x = static_cast<std::size_t>(mu), y = static_cast<std::size_t>(mv);
      const double top = phi.at(x, y) * (1 - wu_) + phi.at(x + 1, y) * wu_;
      const double bottom = phi.at(x, y + 1) * (1 - wu_) + phi.at(x + 1, y + 1) * wu_;
      return top * (1 - wv_) + bottom * wv_;
    }

   private:
    const Side& side_;
    double du_, dv_;
    long long iu_ = 0, iv_ = 0;
    double wu_ = 0, wv_ = 0;
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
    for (int label : labels) {
      const auto& b = c.box[label - 1];
      uLo = std::min(uLo, b[0]);
      vLo = std::min(vLo, b[1]);
      uHi = std::max(uHi, b[2]);
      vHi = std::max(vHi, b[3]);
    }
    constexpr std::size_t kMargin = 3;
    out.box = {uLo > kMargin ? uLo - kMargin : 0, vLo > kMargin ? vLo - kMargin : 0,
               std::min(w_, uHi + kMargin), std::min(h_, vHi + kMargin)};
    const std::size_t bw = out.box.u1 - out.box.u0, bh = out.box.v1 - out.box.v0;
    std::vector<std::uint8_t> mask(bw * bh, 0);
    for (std::size_t v = 0; v < bh; ++v) {
      for (std::size_t u = 0; u < bw; ++u) {
        const int label = c.labels[(out.box.v0 + v) * w_ + out.box.u0 + u];
        mask[v * bw + u] = label && (labels.size() == 1 ? label == labels.front()
                                                        : std::find(labels.begin(), labels.end(),
                                                                    label) != labels.end())
                               ? 1
                               : 0;
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

}  // namespace

struct KeyShapeBlend::Groups {
  std::vector<GroupInterpolation> list;
};

KeyShapeBlend::KeyShapeBlend(const std::vector<std::uint8_t>& lower,
                             const std::vector<std::uint8_t>& upper, std::size_t width,
                             std::size_t height, double su, double sv)
    : groups_(std::make_unique<Groups>()) {
  const Components a = findComponents(lower, width, height);
  const Components b = findComponents(upper, width, height);
  for (const Group& group : correspond(a, b, su, sv)) {
    groups_->list.emplace_back(a, b, group, width, height, su, sv);
  }
}

KeyShapeBlend::~KeyShapeBlend() = default;
KeyShapeBlend::KeyShapeBlend(KeyShapeBlend&&) noexcept = default;
KeyShapeBlend& KeyShapeBlend::operator=(KeyShapeBlend&&) noexcept = default;

void KeyShapeBlend::depthAt(double t, double areaRatio, std::vector<float>& depth) const {
  for (const GroupInterpolation& group : groups_->list) group.blend(t, areaRatio, depth);
}

}  // namespace annotrace
