#include "Segmentation/PolygonRasterizer.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace annotrace {

namespace {

struct Crossing {
  double u;
  int direction;  // +1 edge going up in v, -1 going down
};

}  // namespace

SliceMask PolygonRasterizer::rasterizeIndexPolygon(std::size_t width, std::size_t height,
                                                   std::span<const Vec3> uv) {
  SliceMask mask(width, height);
  const std::size_t n = uv.size();
  if (n < 3 || width == 0 || height == 0) return mask;

  double vMin = uv[0][1], vMax = uv[0][1];
  for (const Vec3& p : uv) {
    vMin = std::min(vMin, p[1]);
    vMax = std::max(vMax, p[1]);
  }
  // Pixel rows whose centre v lies in [vMin, vMax).
  const auto firstRow = static_cast<long long>(std::max(0.0, std::ceil(vMin)));
  const auto lastRow =
      std::min(static_cast<long long>(height) - 1, static_cast<long long>(std::ceil(vMax)) - 1);
  std::vector<Crossing> crossings;
  for (long long row = firstRow; row <= lastRow; ++row) {
    const double v = static_cast<double>(row);
    crossings.clear();
    for (std::size_t e = 0; e < n; ++e) {
      const Vec3& a = uv[e];
      const Vec3& b = uv[(e + 1) % n];
      // Half-open in v: an edge covers rows with min(va, vb) <= v < max(va, vb), so a vertex
      // shared by two edges is counted once and horizontal edges never.
      if (a[1] <= v && v < b[1]) {
        crossings.push_back({a[0] + (v - a[1]) * (b[0] - a[0]) / (b[1] - a[1]), +1});
      } else if (b[1] <= v && v < a[1]) {
        crossings.push_back({a[0] + (v - a[1]) * (b[0] - a[0]) / (b[1] - a[1]), -1});
      }
    }
    std::sort(crossings.begin(), crossings.end(),
              [](const Crossing& x, const Crossing& y) { return x.u < y.u; });
    int winding = 0;
    for (std::size_t c = 0; c + 1 < crossings.size(); ++c) {
      winding += crossings[c].direction;
      if (winding == 0) continue;
      // Half-open in u: centres with left <= u < right.
      const double left = std::max(0.0, std::ceil(crossings[c].u));
      const double right = std::min(double(width), std::ceil(crossings[c + 1].u));
      for (double u = left; u < right; ++u) {
        mask.set(static_cast<std::size_t>(u), static_cast<std::size_t>(row));
      }
    }
  }
  return mask;
}

SliceMask PolygonRasterizer::rasterize(const ImageGeometry& grid, const SliceSpec& slice,
                                       std::span<const Vec3> worldPoints) {
  const auto [uAxis, vAxis, fixedAxis] = slice.axes();
  if (slice.index >= grid.size[fixedAxis]) {
    throw std::invalid_argument("slice " + std::to_string(slice.index) + " is outside the " +
                                std::string(orientationName(slice.orientation)) + " range 0.." +
                                std::to_string(grid.size[fixedAxis] - 1));
  }
  std::vector<Vec3> uv;
  uv.reserve(worldPoints.size());
  for (const Vec3& p : worldPoints) {
    const Vec3 index = grid.worldToIndex(p);
    uv.push_back({index[uAxis], index[vAxis], 0.0});
  }
  return rasterizeIndexPolygon(grid.size[uAxis], grid.size[vAxis], uv);
}

}  // namespace annotrace
