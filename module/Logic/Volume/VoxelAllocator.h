#pragma once

#include <memory>
#include <utility>
#include <vector>

namespace annotrace {

/// std::allocator that default-initialises: `VoxelVector<T>(n)` leaves the values
/// uninitialised instead of zeroing hundreds of megabytes that a loader is about to overwrite
/// (use `VoxelVector<T>(n, 0)` for zeros). Measured on the P1 series: zeroing cost ~25% of the
/// load. (Transparent huge pages were tried too: faster on average, but compaction stalls made
/// single loads up to 2x slower, so they are not requested.)
template <typename T>
class VoxelAllocator : public std::allocator<T> {
 public:
  using value_type = T;
  template <typename U>
  struct rebind {
    using other = VoxelAllocator<U>;
  };

  VoxelAllocator() noexcept = default;
  template <typename U>
  VoxelAllocator(const VoxelAllocator<U>&) noexcept {}

  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

template <typename T>
using VoxelVector = std::vector<T, VoxelAllocator<T>>;

}  // namespace annotrace
