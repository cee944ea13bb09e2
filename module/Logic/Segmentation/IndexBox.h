#pragma once

#include <algorithm>
#include <array>
#include <cstddef>

namespace annotrace {

/// A box of voxel indices: lo inclusive, hi exclusive on each axis.
struct IndexBox {
  std::array<std::size_t, 3> lo{0, 0, 0};
  std::array<std::size_t, 3> hi{0, 0, 0};

  bool empty() const { return hi[0] <= lo[0] || hi[1] <= lo[1] || hi[2] <= lo[2]; }
  std::size_t voxelCount() const {
    return empty() ? 0 : (hi[0] - lo[0]) * (hi[1] - lo[1]) * (hi[2] - lo[2]);
  }
  /// The smallest box holding both (an empty box is the identity).
  IndexBox united(const IndexBox& other) const {
    if (empty()) return other;
    if (other.empty()) return *this;
    IndexBox box;
    for (int a = 0; a < 3; ++a) {
      box.lo[a] = std::min(lo[a], other.lo[a]);
      box.hi[a] = std::max(hi[a], other.hi[a]);
    }
    return box;
  }
  bool operator==(const IndexBox&) const = default;
};

}  // namespace annotrace
