#include "Segmentation/SparseMask.h"

#include <algorithm>
#include <cstring>

namespace annotrace {

SparseMask::SparseMask(const std::array<std::size_t, 3>& size) : size_(size) {
  for (int a = 0; a < 3; ++a) brickGrid_[a] = (size[a] + kBrickEdge - 1) / kBrickEdge;
  bricks_.resize(brickGrid_[0] * brickGrid_[1] * brickGrid_[2]);
}

SparseMask::SparseMask(const SparseMask& other)
    : size_(other.size_), brickGrid_(other.brickGrid_), count_(other.count_) {
  bricks_.resize(other.bricks_.size());
  for (std::size_t b = 0; b < bricks_.size(); ++b) {
    if (other.bricks_[b]) bricks_[b] = std::make_unique<Brick>(*other.bricks_[b]);
  }
}

SparseMask& SparseMask::operator=(const SparseMask& other) {
  if (this != &other) *this = SparseMask(other);
  return *this;
}

bool SparseMask::assign(std::size_t i, std::size_t j, std::size_t k, bool value) {
  std::unique_ptr<Brick>& brick = bricks_[brickIndex(i, j, k)];
  const std::size_t offset = offsetInBrick(i, j, k);
  if (value) {
    if (!brick) brick = std::make_unique<Brick>();
    if (brick->voxels[offset] != 0) return false;
    brick->voxels[offset] = 1;
    ++brick->count;
    ++count_;
    return true;
  }
  if (!brick || brick->voxels[offset] == 0) return false;
  brick->voxels[offset] = 0;
  --count_;
  if (--brick->count == 0) brick.reset();  // memory follows content
  return true;
}

std::size_t SparseMask::setRun(std::size_t i, std::size_t j, std::size_t k, std::size_t length) {
  std::size_t added = 0;
  const std::size_t end = i + length;
  while (i < end) {
    std::unique_ptr<Brick>& brick = bricks_[brickIndex(i, j, k)];
    if (!brick) brick = std::make_unique<Brick>();
    const std::size_t brickEnd = std::min(end, (i | (kBrickEdge - 1)) + 1);
    std::uint8_t* voxel = &brick->voxels[offsetInBrick(i, j, k)];
    std::uint32_t newly = 0;
    for (; i < brickEnd; ++i, ++voxel) {
      newly += *voxel == 0 ? 1u : 0u;
      *voxel = 1;
    }
    brick->count += newly;
    added += newly;
  }
  count_ += added;
  return added;
}

std::size_t SparseMask::allocatedBricks() const {
  std::size_t n = 0;
  for (const auto& brick : bricks_) n += brick ? 1 : 0;
  return n;
}

std::size_t SparseMask::memoryBytes() const {
  return allocatedBricks() * sizeof(Brick) + bricks_.capacity() * sizeof(bricks_[0]);
}

void SparseMask::clear() {
  for (auto& brick : bricks_) brick.reset();
  count_ = 0;
}

std::optional<IndexBox> SparseMask::bounds() const {
  if (count_ == 0) return std::nullopt;
  IndexBox box;
  box.lo = size_;
  for (std::size_t bk = 0; bk < brickGrid_[2]; ++bk) {
    for (std::size_t bj = 0; bj < brickGrid_[1]; ++bj) {
      for (std::size_t bi = 0; bi < brickGrid_[0]; ++bi) {
        const Brick* brick = bricks_[(bk * brickGrid_[1] + bj) * brickGrid_[0] + bi].get();
        if (!brick) continue;
        for (std::size_t offset = 0; offset < kBrickVoxels; ++offset) {
          if (brick->voxels[offset] == 0) continue;
          const std::array<std::size_t, 3> index{bi * kBrickEdge + (offset & 15),
                                                 bj * kBrickEdge + ((offset >> 4) & 15),
                                                 bk * kBrickEdge + (offset >> 8)};
          for (int a = 0; a < 3; ++a) {
            box.lo[a] = std::min(box.lo[a], index[a]);
            box.hi[a] = std::max(box.hi[a], index[a] + 1);
          }
        }
      }
    }
  }
  return box;
}

bool SparseMask::operator==(const SparseMask& other) const {
  if (size_ != other.size_ || count_ != other.count_) return false;
  for (std::size_t b = 0; b < bricks_.size(); ++b) {
    const Brick* x = bricks_[b].get();
    const Brick* y = other.bricks_[b].get();
    if ((x == nullptr) != (y == nullptr)) return false;
    if (x && std::memcmp(x->voxels.data(), y->voxels.data(), kBrickVoxels) != 0) return false;
  }
  return true;
}

}  // namespace annotrace
