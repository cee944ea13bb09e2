#pragma once

#include <array>
#include <cstdint>

namespace annotrace {

/// Distinct colours for segments that come without one (labels imported without a sidecar):
/// the n-th is a hue a golden angle (137.5 degrees) after the one before, at 65 % saturation.
std::array<std::uint8_t, 3> importColor(int n);

}  // namespace annotrace
