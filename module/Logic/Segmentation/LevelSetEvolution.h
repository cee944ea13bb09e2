#pragma once

#include <vector>

namespace annotrace {

/// One sparse-field level-set evolution on a small 2D image, by ITK's
/// ThresholdSegmentationLevelSetImageFilter. In a file of its own so ITK's templates compile
/// once, apart from the propagation logic that uses them (SlicePropagator).
class LevelSetEvolution {
 public:
  /// Evolves phi0 (w x h, negative inside) with `speed` as the propagation term (positive
  /// grows) and `curvatureWeight` smoothing, on pixels of su x sv mm, for at most `iterations`
  /// steps; returns the final level set.
  static std::vector<float> evolve(const std::vector<float>& phi0, const std::vector<float>& speed,
                                   int w, int h, double su, double sv, double curvatureWeight,
                                   int iterations);
};

}  // namespace annotrace
