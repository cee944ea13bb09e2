#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "Core/Vec3.h"

namespace annotrace {

/// Exact placement of a regular voxel grid in LPS patient space (the DICOM and ITK convention).
///
/// world = origin + direction * diag(spacing) * index, where index (i, j, k) counts columns,
/// rows and slices and the origin is the centre of voxel (0, 0, 0). The direction columns are
/// unit vectors: column 0 is the DICOM row direction (IOP[0..2]), column 1 the column direction
/// (IOP[3..5]) and column 2 the slice direction (towards increasing k).
struct ImageGeometry {
  std::array<std::size_t, 3> size{0, 0, 0};
  Vec3 origin{0, 0, 0};
  Vec3 spacing{1, 1, 1};
  Mat3 direction = identityMatrix();

  std::size_t voxelCount() const { return size[0] * size[1] * size[2]; }
  std::size_t linearIndex(std::size_t i, std::size_t j, std::size_t k) const {
    return (k * size[1] + j) * size[0] + i;
  }
  bool contains(const std::array<std::int64_t, 3>& index) const;

  Vec3 indexToWorld(const Vec3& continuousIndex) const;
  Vec3 worldToIndex(const Vec3& world) const;
  /// Nearest voxel of a world point; false when it falls outside the grid.
  bool worldToNearestVoxel(const Vec3& world, std::array<std::int64_t, 3>& index) const;

  /// 4x4 homogeneous index-to-world matrix, row-major.
  std::array<std::array<double, 4>, 4> indexToWorldMatrix() const;
  /// Axis-aligned world-space bounds of the voxel centres (min, max).
  std::array<Vec3, 2> worldBounds() const;

  /// True when the direction columns are orthonormal within tolerance.
  bool hasOrthonormalDirection(double tolerance = 1e-4) const;
  /// Three-letter orientation code of the index axes in LPS terms (e.g. "LPS", "LPI", "PIL").
  std::string orientationCode() const;
};

}  // namespace annotrace
