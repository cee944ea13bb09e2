#pragma once

// Timing helpers the benchmarks share: a wall clock in milliseconds and the order statistics of
// the times measured.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <vector>

namespace annotrace::bench {

using Clock = std::chrono::steady_clock;

/// Wall-clock milliseconds since `start`.
inline double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Stats {
  double median = 0, min = 0, p95 = 0, max = 0;
};

/// Median (the mean of the middle two of an even count), minimum, 95th percentile (nearest
/// rank) and maximum; all 0 for no values.
inline Stats statsOf(std::vector<double> values) {
  Stats s;
  if (values.empty()) return s;
  std::ranges::sort(values);
  const std::size_t n = values.size();
  s.median = n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
  s.min = values.front();
  s.p95 = values[static_cast<std::size_t>(std::ceil(0.95 * double(n))) - 1];
  s.max = values.back();
  return s;
}

inline double medianOf(const std::vector<double>& values) {
  return statsOf(values).median;
}

}  // namespace annotrace::bench
