#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace annotrace {

/// Exact signed Euclidean distance map of a binary image, in millimetres, on a grid with
/// pixel sizes su x sv (Felzenszwalb & Huttenlocher, "Distance transforms of sampled
/// functions", 2012: two 1D lower-envelope passes). Negative inside (minus the distance to the
/// nearest outside pixel centre), positive outside (the distance to the nearest inside one), so
/// `value <= 0` gives the input back exactly.
class DistanceMap2D {
 public:
  DistanceMap2D() = default;
  DistanceMap2D(const std::vector<std::uint8_t>& mask, std::size_t width, std::size_t height,
                double su, double sv);

  std::size_t width() const { return width_; }
  std::size_t height() const { return height_; }
  float at(std::size_t u, std::size_t v) const { return values_[v * width_ + u]; }
  /// Bilinear value at a continuous pixel position; outside the map, the nearest edge value
  /// plus the distance to the edge (an outside point stays outside).
  float sample(double u, double v) const;
  /// The deepest inside value (most negative), 0 for an empty mask.
  float minimum() const { return minimum_; }

 private:
  std::size_t width_ = 0, height_ = 0;
  double su_ = 1, sv_ = 1;
  std::vector<float> values_;
  float minimum_ = 0;
};

}  // namespace annotrace
