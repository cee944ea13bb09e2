#include "Segmentation/EditRegionBuilder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "Core/IndexClamp.h"
#include "Segmentation/PolygonRasterizer.h"

namespace annotrace {

namespace {

void checkSlice(const ImageGeometry& grid, const SliceSpec& slice) {
  const int fixedAxis = slice.axes()[2];
  if (slice.index >= grid.size[fixedAxis]) {
    throw std::invalid_argument("slice " + std::to_string(slice.index) + " is outside the " +
                                std::string(orientationName(slice.orientation)) + " range 0.." +
                                std::to_string(grid.size[fixedAxis] - 1));
  }
}

/// Squared physical length of an index displacement: d^T G d with G = (D S)^T (D S), exact
/// for oblique and sheared grids alike.
struct IndexMetric {
  double g[3][3];
  explicit IndexMetric(const ImageGeometry& grid, const std::array<int, 3>& axes) {
    for (int a = 0; a < 3; ++a) {
      for (int b = 0; b < 3; ++b) {
        double dot = 0;
        for (int r = 0; r < 3; ++r) {
          dot += grid.direction[r][axes[a]] * grid.direction[r][axes[b]];
        }
        g[a][b] = dot * grid.spacing[axes[a]] * grid.spacing[axes[b]];
      }
    }
  }
  double squaredLength(const double d[3], int dims) const {
    double sum = 0;
    for (int a = 0; a < dims; ++a) {
      for (int b = 0; b < dims; ++b) sum += d[a] * g[a][b] * d[b];
    }
    return sum;
  }
  double dot(const double x[3], const double y[3], int dims) const {
    double sum = 0;
    for (int a = 0; a < dims; ++a) {
      for (int b = 0; b < dims; ++b) sum += x[a] * g[a][b] * y[b];
    }
    return sum;
  }
  /// Half-extent in index units, along each axis, of the ball of radius r (r sqrt((G^-1)_aa)).
  std::array<double, 3> ballHalfExtent(double r, int dims) const {
    std::array<double, 3> extent{0, 0, 0};
    if (dims == 2) {
      const double det = g[0][0] * g[1][1] - g[0][1] * g[1][0];
      extent[0] = r * std::sqrt(g[1][1] / det);
      extent[1] = r * std::sqrt(g[0][0] / det);
      return extent;
    }
    const double c00 = g[1][1] * g[2][2] - g[1][2] * g[2][1];
    const double c11 = g[0][0] * g[2][2] - g[0][2] * g[2][0];
    const double c22 = g[0][0] * g[1][1] - g[0][1] * g[1][0];
    const double det = g[0][0] * c00 - g[0][1] * (g[1][0] * g[2][2] - g[1][2] * g[2][0]) +
                       g[0][2] * (g[1][0] * g[2][1] - g[1][1] * g[2][0]);
    extent[0] = r * std::sqrt(c00 / det);
    extent[1] = r * std::sqrt(c11 / det);
    extent[2] = r * std::sqrt(c22 / det);
    return extent;
  }
};

}  // namespace

std::size_t EditRegionBuilder::nearestSlice(const ImageGeometry& grid, SliceOrientation orientation,
                                            std::span<const Vec3> worldPoints) {
  if (worldPoints.empty()) throw std::invalid_argument("the operation has no points");
  const int fixedAxis = SliceSpec{orientation, 0}.axes()[2];
  double sum = 0;
  for (const Vec3& p : worldPoints) sum += grid.worldToIndex(p)[fixedAxis];
  const double index = std::round(sum / static_cast<double>(worldPoints.size()));
  if (!(index >= 0 && index < static_cast<double>(grid.size[fixedAxis]))) {
    std::ostringstream where;
    where << index;
    throw std::invalid_argument(
        "the points lie off the volume (" + std::string(orientationName(orientation)) + " slice " +
        where.str() + " of 0.." + std::to_string(grid.size[fixedAxis] - 1) + ")");
  }
  return static_cast<std::size_t>(index);
}

EditRegion::Slice EditRegionBuilder::cropped(std::size_t sliceIndex, const SliceMask& full) {
  std::size_t uMin = full.width, uMax = 0, vMin = full.height, vMax = 0;
  for (std::size_t v = 0; v < full.height; ++v) {
    const std::uint8_t* row = full.pixels.data() + v * full.width;
    for (std::size_t u = 0; u < full.width; ++u) {
      if (row[u] == 0) continue;
      uMin = std::min(uMin, u);
      uMax = std::max(uMax, u);
      vMin = std::min(vMin, v);
      vMax = std::max(vMax, v);
    }
  }
  EditRegion::Slice slice;
  slice.index = sliceIndex;
  if (uMin > uMax) {
    slice.mask = std::make_shared<SliceMask>();
    return slice;
  }
  auto mask = std::make_shared<SliceMask>(uMax - uMin + 1, vMax - vMin + 1);
  for (std::size_t v = vMin; v <= vMax; ++v) {
    std::copy_n(full.pixels.begin() + static_cast<std::ptrdiff_t>(v * full.width + uMin),
                mask->width,
                mask->pixels.begin() + static_cast<std::ptrdiff_t>((v - vMin) * mask->width));
  }
  slice.u0 = uMin;
  slice.v0 = vMin;
  slice.mask = std::move(mask);
  return slice;
}

EditRegion EditRegionBuilder::polygon(const ImageGeometry& grid, const SliceSpec& slice,
                                      std::span<const Vec3> worldPoints) {
  EditRegion region;
  region.orientation = slice.orientation;
  EditRegion::Slice placed;
  placed.index = slice.index;
  placed.mask = std::make_shared<SliceMask>(
      PolygonRasterizer::rasterizeCropped(grid, slice, worldPoints, placed.u0, placed.v0));
  region.slices.push_back(std::move(placed));
  return region;
}

EditRegion EditRegionBuilder::scissors(const ImageGeometry& grid, const SliceSpec& slice,
                                       std::span<const Vec3> worldPoints, bool inside,
                                       std::size_t firstSlice, std::size_t lastSlice) {
  const int fixedAxis = slice.axes()[2];
  if (firstSlice > lastSlice || lastSlice >= grid.size[fixedAxis]) {
    throw std::invalid_argument("slab " + std::to_string(firstSlice) + ".." +
                                std::to_string(lastSlice) + " is outside the " +
                                std::string(orientationName(slice.orientation)) + " range 0.." +
                                std::to_string(grid.size[fixedAxis] - 1));
  }
  EditRegion::Slice shape;
  if (inside) {
    shape.mask = std::make_shared<SliceMask>(
        PolygonRasterizer::rasterizeCropped(grid, slice, worldPoints, shape.u0, shape.v0));
  } else {
    SliceMask full = PolygonRasterizer::rasterize(grid, slice, worldPoints);
    for (std::uint8_t& p : full.pixels) p = p ? 0 : 1;
    shape.mask = std::make_shared<SliceMask>(std::move(full));
  }
  EditRegion region;
  region.orientation = slice.orientation;
  for (std::size_t s = firstSlice; s <= lastSlice; ++s) {
    EditRegion::Slice placed = shape;  // shares the mask
    placed.index = s;
    region.slices.push_back(std::move(placed));
  }
  return region;
}

EditRegion EditRegionBuilder::brushStroke(const ImageGeometry& grid, const SliceSpec& slice,
                                          std::span<const Vec3> worldPoints, double radiusMm,
                                          BrushShape shape) {
  checkSlice(grid, slice);
  if (worldPoints.empty()) throw std::invalid_argument("the brush stroke has no points");
  if (!(radiusMm > 0) || !std::isfinite(radiusMm)) {
    throw std::invalid_argument("the brush radius must be a positive number of millimetres");
  }
  const std::array<int, 3> axes = slice.axes();
  const int dims = shape == BrushShape::Sphere ? 3 : 2;
  const IndexMetric metric(grid, axes);
  const double r2 = radiusMm * radiusMm;
  const std::array<double, 3> halfExtent = metric.ballHalfExtent(radiusMm, dims);
  const std::array<std::size_t, 3> extent{grid.size[axes[0]], grid.size[axes[1]],
                                          grid.size[axes[2]]};

  // Stroke points in (u, v, w) index coordinates, on the slice.
  std::vector<std::array<double, 3>> points;
  points.reserve(worldPoints.size());
  for (const Vec3& p : worldPoints) {
    const Vec3 index = grid.worldToIndex(p);
    points.push_back({index[axes[0]], index[axes[1]], static_cast<double>(slice.index)});
  }
  if (points.size() == 1) points.push_back(points.front());

  // Bounding box of the swept shape, clipped to the grid.
  std::array<double, 3> lo{1e300, 1e300, 1e300}, hi{-1e300, -1e300, -1e300};
  for (const auto& p : points) {
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], p[a] - halfExtent[a]);
      hi[a] = std::max(hi[a], p[a] + halfExtent[a]);
    }
  }
  std::array<long long, 3> first{}, last{};
  for (int a = 0; a < 3; ++a) {
    first[a] = clampToIndex(std::ceil(lo[a]), 0, static_cast<long long>(extent[a]));
    last[a] = clampToIndex(std::floor(hi[a]), -1, static_cast<long long>(extent[a]) - 1);
  }
  if (dims == 2) first[2] = last[2] = static_cast<long long>(slice.index);
  EditRegion region;
  region.orientation = slice.orientation;
  if (first[0] > last[0] || first[1] > last[1] || first[2] > last[2]) return region;

  const std::size_t width = static_cast<std::size_t>(last[0] - first[0] + 1);
  const std::size_t height = static_cast<std::size_t>(last[1] - first[1] + 1);
  const std::size_t depth = static_cast<std::size_t>(last[2] - first[2] + 1);
  std::vector<std::shared_ptr<SliceMask>> masks;
  for (std::size_t w = 0; w < depth; ++w)
    masks.push_back(std::make_shared<SliceMask>(width, height));

  // Each polyline segment sweeps a capsule; visit only that capsule's bounding box.
  for (std::size_t s = 0; s + 1 < points.size(); ++s) {
    const auto& a = points[s];
    const auto& b = points[s + 1];
    const double ab[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    const double abLength2 = metric.squaredLength(ab, dims);
    std::array<long long, 3> from{}, to{};
    for (int x = 0; x < 3; ++x) {
      from[x] = std::max(first[x], clampToIndex(std::ceil(std::min(a[x], b[x]) - halfExtent[x]),
                                                first[x], last[x] + 1));
      to[x] = std::min(last[x], clampToIndex(std::floor(std::max(a[x], b[x]) + halfExtent[x]),
                                             first[x] - 1, last[x]));
    }
    if (dims == 2) from[2] = to[2] = first[2];
    // Each capsule meets a pixel row in one interval (it is convex): compute it in closed form
    // and check its two ends with the distance test, instead of testing every pixel.
    const double e[3] = {1, 0, 0};
    const double eGe = metric.g[0][0];
    const double eGb = metric.dot(e, ab, dims);
    auto inside = [&](long long u, long long v, long long w) {
      double ap[3] = {static_cast<double>(u) - a[0], static_cast<double>(v) - a[1],
                      static_cast<double>(w) - a[2]};
      if (dims == 2) ap[2] = 0;
      double t = abLength2 > 0 ? metric.dot(ap, ab, dims) / abLength2 : 0.0;
      t = std::clamp(t, 0.0, 1.0);
      const double d[3] = {ap[0] - t * ab[0], ap[1] - t * ab[1], ap[2] - t * ab[2]};
      return metric.squaredLength(d, dims) <= r2;
    };
    for (long long w = from[2]; w <= to[2]; ++w) {
      SliceMask& mask = *masks[static_cast<std::size_t>(w - first[2])];
      for (long long v = from[1]; v <= to[1]; ++v) {
        std::uint8_t* row = mask.pixels.data() + static_cast<std::size_t>(v - first[1]) * width;
        // c: the row's offset from a. The capsule meets the row where one of its end balls
        // or its cylinder (for 0 <= t <= 1) does: each is a quadratic in u, solved exactly.
        const double c[3] = {-a[0], static_cast<double>(v) - a[1],
                             dims == 2 ? 0.0 : static_cast<double>(w) - a[2]};
        const double eGc = metric.dot(e, c, dims);
        const double cGc = metric.squaredLength(c, dims);
        double uLo = std::numeric_limits<double>::infinity();
        double uHi = -uLo;
        // Adds {u : A u^2 + 2 B u + C <= r^2} intersected with [tLo, tHi].
        auto addQuadratic = [&](double A, double B, double C, double tLo, double tHi) {
          double lo = tLo, hi = tHi;
          if (A > 1e-12 * eGe) {
            const double disc = B * B - A * (C - r2);
            if (disc < 0) return;
            const double root = std::sqrt(disc);
            lo = std::max(lo, (-B - root) / A);
            hi = std::min(hi, (-B + root) / A);
          } else if (C > r2) {
            return;  // a cylinder parallel to the row: all or nothing
          }
          if (lo > hi) return;
          uLo = std::min(uLo, lo);
          uHi = std::max(uHi, hi);
        };
        const double inf = std::numeric_limits<double>::infinity();
        addQuadratic(eGe, eGc, cGc, -inf, inf);
        if (abLength2 > 0) {
          const double cb[3] = {c[0] - ab[0], c[1] - ab[1], c[2] - ab[2]};
          addQuadratic(eGe, eGc - eGb, metric.squaredLength(cb, dims), -inf, inf);
          const double bGc = metric.dot(ab, c, dims);
          // Where the foot of the perpendicular lies on the segment: t(u) in [0, 1].
          double tLo = -inf, tHi = inf;
          if (std::abs(eGb) > 1e-12 * std::sqrt(eGe * abLength2)) {
            const double u0 = -bGc / eGb, u1 = (abLength2 - bGc) / eGb;
            tLo = std::min(u0, u1);
            tHi = std::max(u0, u1);
          } else if (bGc < 0 || bGc > abLength2) {
            tLo = inf;  // the row's feet all fall outside the segment
          }
          addQuadratic(eGe - eGb * eGb / abLength2, eGc - eGb * bGc / abLength2,
                       cGc - bGc * bGc / abLength2, tLo, tHi);
        }
        if (!(uLo <= uHi)) continue;  // the row misses this capsule
        long long left = clampToIndex(std::ceil(uLo), from[0], to[0] + 1);
        long long right = clampToIndex(std::floor(uHi), from[0] - 1, to[0]);
        // Settle both ends with the per-pixel test itself, so rounding in the closed form
        // can never add or drop a pixel a full scan would decide otherwise.
        while (left > from[0] && inside(left - 1, v, w)) --left;
        while (left <= right && !inside(left, v, w)) ++left;
        while (right < to[0] && inside(right + 1, v, w)) ++right;
        while (right >= left && !inside(right, v, w)) --right;
        if (left > right) continue;
        std::fill(row + (left - first[0]), row + (right - first[0]) + 1, std::uint8_t{1});
      }
    }
  }
  for (std::size_t w = 0; w < depth; ++w) {
    if (masks[w]->count() == 0) continue;
    EditRegion::Slice placed;
    placed.index = static_cast<std::size_t>(first[2]) + w;
    placed.u0 = static_cast<std::size_t>(first[0]);
    placed.v0 = static_cast<std::size_t>(first[1]);
    placed.mask = std::move(masks[w]);
    region.slices.push_back(std::move(placed));
  }
  return region;
}

}  // namespace annotrace
