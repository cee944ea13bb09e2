#include "Segmentation/SegmentColors.h"

#include <cmath>

namespace annotrace {

std::array<std::uint8_t, 3> importColor(int n) {
  const double hue = std::fmod(n * 137.508, 360.0) / 60.0;
  const double s = 0.65, v = 0.9, c = v * s;
  const double x = c * (1 - std::abs(std::fmod(hue, 2.0) - 1));
  std::array<double, 3> rgb{};
  switch (static_cast<int>(hue)) {
    case 0:
      rgb = {c, x, 0};
      break;
    case 1:
      rgb = {x, c, 0};
      break;
    case 2:
      rgb = {0, c, x};
      break;
    case 3:
      rgb = {0, x, c};
      break;
    case 4:
      rgb = {x, 0, c};
      break;
    default:
      rgb = {c, 0, x};
      break;
  }
  std::array<std::uint8_t, 3> out{};
  for (int a = 0; a < 3; ++a)
    out[a] = static_cast<std::uint8_t>(std::lround((rgb[a] + v - c) * 255));
  return out;
}

}  // namespace annotrace
