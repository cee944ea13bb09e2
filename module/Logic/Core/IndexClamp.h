#pragma once

#include <cmath>

namespace annotrace {

/// A continuous coordinate clamped into [lo, hi] and converted to an integer index. Clamping
/// happens in floating point first, so coordinates far off the grid (a stray click, a huge
/// radius) never overflow the conversion; NaN gives lo.
inline long long clampToIndex(double value, long long lo, long long hi) {
  if (!(value >= static_cast<double>(lo))) return lo;
  if (value >= static_cast<double>(hi)) return hi;
  return static_cast<long long>(value);
}

}  // namespace annotrace
