#include "Volume/ImageGeometry.h"

#include <algorithm>
#include <limits>

namespace annotrace {

namespace {

Mat3 inverse(const Mat3& m) {
  const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                     m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                     m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  const double s = 1.0 / det;
  Mat3 r{};
  r[0][0] = s * (m[1][1] * m[2][2] - m[1][2] * m[2][1]);
  r[0][1] = s * (m[0][2] * m[2][1] - m[0][1] * m[2][2]);
  r[0][2] = s * (m[0][1] * m[1][2] - m[0][2] * m[1][1]);
  r[1][0] = s * (m[1][2] * m[2][0] - m[1][0] * m[2][2]);
  r[1][1] = s * (m[0][0] * m[2][2] - m[0][2] * m[2][0]);
  r[1][2] = s * (m[0][2] * m[1][0] - m[0][0] * m[1][2]);
  r[2][0] = s * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  r[2][1] = s * (m[0][1] * m[2][0] - m[0][0] * m[2][1]);
  r[2][2] = s * (m[0][0] * m[1][1] - m[0][1] * m[1][0]);
  return r;
}

}  // namespace

bool ImageGeometry::contains(const std::array<std::int64_t, 3>& index) const {
  for (int a = 0; a < 3; ++a) {
    if (index[a] < 0 || index[a] >= static_cast<std::int64_t>(size[a])) return false;
  }
  return true;
}

Vec3 ImageGeometry::indexToWorld(const Vec3& continuousIndex) const {
  Vec3 scaled{continuousIndex[0] * spacing[0], continuousIndex[1] * spacing[1],
              continuousIndex[2] * spacing[2]};
  return origin + direction * scaled;
}

Vec3 ImageGeometry::worldToIndex(const Vec3& world) const {
  const Vec3 local = inverse(direction) * (world - origin);
  return {local[0] / spacing[0], local[1] / spacing[1], local[2] / spacing[2]};
}

bool ImageGeometry::worldToNearestVoxel(const Vec3& world,
                                        std::array<std::int64_t, 3>& index) const {
  const Vec3 c = worldToIndex(world);
  for (int a = 0; a < 3; ++a) index[a] = static_cast<std::int64_t>(std::llround(c[a]));
  return contains(index);
}

std::array<std::array<double, 4>, 4> ImageGeometry::indexToWorldMatrix() const {
  std::array<std::array<double, 4>, 4> m{};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) m[r][c] = direction[r][c] * spacing[c];
    m[r][3] = origin[r];
  }
  m[3] = {0, 0, 0, 1};
  return m;
}

std::array<Vec3, 2> ImageGeometry::worldBounds() const {
  Vec3 lo{std::numeric_limits<double>::max(), std::numeric_limits<double>::max(),
          std::numeric_limits<double>::max()};
  Vec3 hi{-lo[0], -lo[1], -lo[2]};
  for (int corner = 0; corner < 8; ++corner) {
    Vec3 index{};
    for (int a = 0; a < 3; ++a) {
      const double last = size[a] > 0 ? static_cast<double>(size[a] - 1) : 0.0;
      index[a] = (corner >> a) & 1 ? last : 0.0;
    }
    const Vec3 p = indexToWorld(index);
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], p[a]);
      hi[a] = std::max(hi[a], p[a]);
    }
  }
  return {lo, hi};
}

bool ImageGeometry::hasOrthonormalDirection(double tolerance) const {
  for (int a = 0; a < 3; ++a) {
    for (int b = a; b < 3; ++b) {
      const double d = dot(column(direction, a), column(direction, b));
      if (std::abs(d - (a == b ? 1.0 : 0.0)) > tolerance) return false;
    }
  }
  return true;
}

std::string ImageGeometry::orientationCode() const {
  // LPS axis letters for positive and negative directions.
  static constexpr char positive[3] = {'L', 'P', 'S'};
  static constexpr char negative[3] = {'R', 'A', 'I'};
  std::string code;
  for (int c = 0; c < 3; ++c) {
    const Vec3 d = column(direction, c);
    int dominant = 0;
    for (int a = 1; a < 3; ++a) {
      if (std::abs(d[a]) > std::abs(d[dominant])) dominant = a;
    }
    code += d[dominant] >= 0 ? positive[dominant] : negative[dominant];
  }
  return code;
}

}  // namespace annotrace
