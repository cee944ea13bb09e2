#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace annotrace {

/// The shapes between two key slices of one segment, within one window of the slice: the key
/// shapes' components, their correspondence (overlap, or mutual nearest for structures that
/// moved past their own size), and one aligned distance-map blend per corresponding group
/// (Docs/Interpolation.md). Built once per gap; depthAt() gives any slice in between.
class KeyShapeBlend {
 public:
  /// `lower` and `upper`: the key slices' pixels in the window (width x height, u fastest);
  /// su, sv: pixel sizes in mm.
  KeyShapeBlend(const std::vector<std::uint8_t>& lower, const std::vector<std::uint8_t>& upper,
                std::size_t width, std::size_t height, double su, double sv);
  ~KeyShapeBlend();
  KeyShapeBlend(KeyShapeBlend&&) noexcept;
  KeyShapeBlend& operator=(KeyShapeBlend&&) noexcept;

  /// Lowers `depth` (width x height) to the interpolated shape's values at fraction t of the
  /// gap (0 = lower key, 1 = upper key): <= 0 inside. `areaRatio` scales the area the shape is
  /// given (1: the key areas interpolated linearly).
  void depthAt(double t, double areaRatio, std::vector<float>& depth) const;

 private:
  struct Groups;
  std::unique_ptr<Groups> groups_;
};

}  // namespace annotrace
