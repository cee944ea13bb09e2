#pragma once

#include <array>
#include <cmath>

namespace annotrace {

/// A point or direction in LPS patient coordinates (millimetres), or a continuous voxel index.
using Vec3 = std::array<double, 3>;
/// Row-major 3x3 matrix: m[row][column].
using Mat3 = std::array<std::array<double, 3>, 3>;

constexpr Vec3 operator+(const Vec3& a, const Vec3& b) {
  return {a[0] + b[0], a[1] + b[1], a[2] + b[2]};
}
constexpr Vec3 operator-(const Vec3& a, const Vec3& b) {
  return {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
}
constexpr Vec3 operator*(double s, const Vec3& a) {
  return {s * a[0], s * a[1], s * a[2]};
}
constexpr double dot(const Vec3& a, const Vec3& b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
constexpr Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
inline double norm(const Vec3& a) {
  return std::sqrt(dot(a, a));
}
inline Vec3 normalized(const Vec3& a) {
  const double n = norm(a);
  return n > 0 ? (1.0 / n) * a : a;
}

constexpr Mat3 identityMatrix() {
  return {{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
}
constexpr Vec3 column(const Mat3& m, int c) {
  return {m[0][c], m[1][c], m[2][c]};
}
constexpr void setColumn(Mat3& m, int c, const Vec3& v) {
  m[0][c] = v[0];
  m[1][c] = v[1];
  m[2][c] = v[2];
}
constexpr Vec3 operator*(const Mat3& m, const Vec3& v) {
  return {dot(m[0], v), dot(m[1], v), dot(m[2], v)};
}

}  // namespace annotrace
