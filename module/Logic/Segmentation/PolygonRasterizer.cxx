#include "Segmentation/PolygonRasterizer.h"

#include "Core/IndexClamp.h"

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

SliceMask PolygonRasterizer::rasterizeIndexPolygonCropped(std::size_t width, std::size_t height,
                                                          std::span<const Vec3> uv, std::size_t& u0,
                                                          std::size_t& v0) {
  u0 = v0 = 0;
  const std::size_t n = uv.size();
  if (n < 3 || width == 0 || height == 0) return SliceMask();

  double uMin = uv[0][0], uMax = uv[0][0], vMin = uv[0][1], vMax = uv[0][1];
  for (const Vec3& p : uv) {
    uMin = std::min(uMin, p[0]);
    uMax = std::max(uMax, p[0]);
    vMin = std::min(vMin, p[1]);
    vMax = std::max(vMax, p[1]);
  }
  // Pixel rows whose centre v lies in [vMin, vMax), columns whose centre u lies in [uMin, uMax).
  const auto rows = static_cast<long long>(height), columns = static_cast<long long>(width);
  const long long firstRow = clampToIndex(std::ceil(vMin), 0, rows);
  const long long lastRow = clampToIndex(std::ceil(vMax), 0, rows) - 1;
  const long long firstColumn = clampToIndex(std::ceil(uMin), 0, columns);
  const long long lastColumn = clampToIndex(std::ceil(uMax), 0, columns) - 1;
  if (firstRow > lastRow || firstColumn > lastColumn) return SliceMask();
  u0 = static_cast<std::size_t>(firstColumn);
  v0 = static_cast<std::size_t>(firstRow);
  // Only the window is allocated: a contour on a 512 x 1000 sagittal slice costs its own size.
  SliceMask mask(static_cast<std::size_t>(lastColumn - firstColumn + 1),
                 static_cast<std::size_t>(lastRow - firstRow + 1));
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
    std::uint8_t* out = mask.pixels.data() + static_cast<std::size_t>(row - firstRow) * mask.width;
    for (std::size_t c = 0; c + 1 < crossings.size(); ++c) {
      winding += crossings[c].direction;
      if (winding == 0) continue;
      // Half-open in u: centres with left <= u < right.
      const double left = std::max(double(firstColumn), std::ceil(crossings[c].u));
      const double right = std::min(double(lastColumn) + 1, std::ceil(crossings[c + 1].u));
      for (double u = left; u < right; ++u) out[static_cast<std::size_t>(u) - u0] = 1;
    }
  }
  return mask;
}

SliceMask PolygonRasterizer::rasterizeIndexPolygon(std::size_t width, std::size_t height,
                                                   std::span<const Vec3> uv) {
  std::size_t u0 = 0, v0 = 0;
  const SliceMask window = rasterizeIndexPolygonCropped(width, height, uv, u0, v0);
  SliceMask mask(width, height);
  for (std::size_t v = 0; v < window.height; ++v) {
    std::copy_n(window.pixels.begin() + static_cast<std::ptrdiff_t>(v * window.width), window.width,
                mask.pixels.begin() + static_cast<std::ptrdiff_t>((v0 + v) * width + u0));
  }
  return mask;
}

std::vector<Vec3> PolygonRasterizer::toSliceIndex(const ImageGeometry& grid, const SliceSpec& slice,
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
  return uv;
}

SliceMask PolygonRasterizer::rasterize(const ImageGeometry& grid, const SliceSpec& slice,
                                       std::span<const Vec3> worldPoints) {
  const auto axes = slice.axes();
  return rasterizeIndexPolygon(grid.size[axes[0]], grid.size[axes[1]],
                               toSliceIndex(grid, slice, worldPoints));
}

SliceMask PolygonRasterizer::rasterizeCropped(const ImageGeometry& grid, const SliceSpec& slice,
                                              std::span<const Vec3> worldPoints, std::size_t& u0,
                                              std::size_t& v0) {
  const auto axes = slice.axes();
  return rasterizeIndexPolygonCropped(grid.size[axes[0]], grid.size[axes[1]],
                                      toSliceIndex(grid, slice, worldPoints), u0, v0);
}

}  // namespace annotrace
