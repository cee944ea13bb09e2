#pragma once

// Rotations for building oblique test grids.

#include <cmath>
#include <numbers>

#include "Core/Vec3.h"

namespace annotrace::test {

/// Rotation by `degrees` about an axis through the origin (Rodrigues).
inline Mat3 rotation(Vec3 axis, double degrees) {
  const double n = std::sqrt(axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2]);
  for (double& a : axis) a /= n;
  const double t = degrees * std::numbers::pi / 180, c = std::cos(t), s = std::sin(t);
  const auto [x, y, z] = axis;
  return Mat3{{{c + x * x * (1 - c), x * y * (1 - c) - z * s, x * z * (1 - c) + y * s},
               {y * x * (1 - c) + z * s, c + y * y * (1 - c), y * z * (1 - c) - x * s},
               {z * x * (1 - c) - y * s, z * y * (1 - c) + x * s, c + z * z * (1 - c)}}};
}

inline Mat3 multiply(const Mat3& x, const Mat3& y) {
  Mat3 r{};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 3; ++k) r[i][j] += x[i][k] * y[k][j];
    }
  }
  return r;
}

/// A double-oblique rotation (about 20, -12 and 33 degrees about x, y and z), as MR planning
/// produces.
inline Mat3 obliqueDirection() {
  return multiply(multiply(rotation({1, 0, 0}, 20), rotation({0, 1, 0}, -12)),
                  rotation({0, 0, 1}, 33));
}

}  // namespace annotrace::test
