#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "Segmentation/IndexBox.h"

namespace annotrace {

/// A binary mask over a volume grid whose memory follows its content.
///
/// The grid is cut into bricks of 16 x 16 x 16 voxels; only bricks holding at least one set
/// voxel are allocated (4 kB each, one byte a voxel so edits need no bit twiddling), and a
/// brick is freed when its last voxel is cleared. The brick table itself costs 8 bytes per
/// 4096 voxels of the grid (about 0.5 MB for 512 x 512 x 1000). Edits therefore cost what they
/// touch, and a segmentation with many small segments stays small (Docs/Segmentation.md).
class SparseMask {
 public:
  static constexpr std::size_t kBrickEdge = 16;
  static constexpr std::size_t kBrickVoxels = kBrickEdge * kBrickEdge * kBrickEdge;

  SparseMask() = default;
  explicit SparseMask(const std::array<std::size_t, 3>& size);
  SparseMask(const SparseMask& other);
  SparseMask& operator=(const SparseMask& other);
  SparseMask(SparseMask&&) noexcept = default;
  SparseMask& operator=(SparseMask&&) noexcept = default;

  const std::array<std::size_t, 3>& size() const { return size_; }

  bool test(std::size_t i, std::size_t j, std::size_t k) const {
    const Brick* brick = bricks_[brickIndex(i, j, k)].get();
    return brick != nullptr && brick->voxels[offsetInBrick(i, j, k)] != 0;
  }
  /// Sets or clears one voxel; returns true when it changed.
  bool assign(std::size_t i, std::size_t j, std::size_t k, bool value);
  void flip(std::size_t i, std::size_t j, std::size_t k) { assign(i, j, k, !test(i, j, k)); }
  /// Sets voxels (i .. i + length - 1, j, k), a run along i inside the grid, brick by brick.
  /// Returns how many were newly set.
  std::size_t setRun(std::size_t i, std::size_t j, std::size_t k, std::size_t length);
  /// True when the brick holding (i, j, k) has no set voxel (lets loops skip it).
  bool brickEmpty(std::size_t i, std::size_t j, std::size_t k) const {
    return bricks_[brickIndex(i, j, k)] == nullptr;
  }

  std::size_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  std::size_t allocatedBricks() const;
  /// Bytes held: allocated bricks plus the brick table.
  std::size_t memoryBytes() const;
  void clear();

  /// The smallest box holding every set voxel; nullopt when the mask is empty.
  std::optional<IndexBox> bounds() const;

  /// Calls fn(i, j, k, length) for every maximal run of set voxels along i, brick row by brick
  /// row (k / 16, then j / 16, then k, j, i ascending): not in linear order across brick rows.
  template <typename Fn>
  void forEachRun(Fn&& fn) const;

  /// Writes `value` into out[v * width + u] for every set voxel of one slice, where (u, v) are
  /// the slice family's axes (SliceSpec::axes; width = size along u). Visits only the allocated
  /// bricks the slice crosses, so drawing a segment costs what it holds there.
  template <typename T>
  void paintSlice(int uAxis, int vAxis, int fixedAxis, std::size_t index, T* out, T value) const;

  /// Same set voxels on the same grid.
  bool operator==(const SparseMask& other) const;

 private:
  struct Brick {
    std::array<std::uint8_t, kBrickVoxels> voxels{};
    std::uint32_t count = 0;
  };

  std::size_t brickIndex(std::size_t i, std::size_t j, std::size_t k) const {
    return ((k >> 4) * brickGrid_[1] + (j >> 4)) * brickGrid_[0] + (i >> 4);
  }
  static std::size_t offsetInBrick(std::size_t i, std::size_t j, std::size_t k) {
    return ((k & 15) << 8) | ((j & 15) << 4) | (i & 15);
  }

  std::array<std::size_t, 3> size_{0, 0, 0};
  std::array<std::size_t, 3> brickGrid_{0, 0, 0};
  std::vector<std::unique_ptr<Brick>> bricks_;
  std::size_t count_ = 0;
};

template <typename T>
void SparseMask::paintSlice(int uAxis, int vAxis, int fixedAxis, std::size_t index, T* out,
                            T value) const {
  if (count_ == 0 || index >= size_[fixedAxis]) return;
  const std::size_t width = size_[uAxis];
  std::array<std::size_t, 3> b{};
  b[fixedAxis] = index >> 4;
  for (b[vAxis] = 0; b[vAxis] < brickGrid_[vAxis]; ++b[vAxis]) {
    for (b[uAxis] = 0; b[uAxis] < brickGrid_[uAxis]; ++b[uAxis]) {
      const Brick* brick = bricks_[(b[2] * brickGrid_[1] + b[1]) * brickGrid_[0] + b[0]].get();
      if (brick == nullptr) continue;
      std::array<std::size_t, 3> at{};
      at[fixedAxis] = index;
      const std::size_t u0 = b[uAxis] * kBrickEdge, v0 = b[vAxis] * kBrickEdge;
      const std::size_t u1 = std::min(size_[uAxis], u0 + kBrickEdge);
      const std::size_t v1 = std::min(size_[vAxis], v0 + kBrickEdge);
      for (std::size_t v = v0; v < v1; ++v) {
        at[vAxis] = v;
        for (std::size_t u = u0; u < u1; ++u) {
          at[uAxis] = u;
          if (brick->voxels[offsetInBrick(at[0], at[1], at[2])] != 0) out[v * width + u] = value;
        }
      }
    }
  }
}

template <typename Fn>
void SparseMask::forEachRun(Fn&& fn) const {
  if (count_ == 0) return;
  for (std::size_t bk = 0; bk < brickGrid_[2]; ++bk) {
    const std::size_t kEnd = std::min(size_[2], (bk + 1) * kBrickEdge);
    for (std::size_t bj = 0; bj < brickGrid_[1]; ++bj) {
      // Skip a whole row of bricks when none is allocated.
      bool anyBrick = false;
      for (std::size_t bi = 0; bi < brickGrid_[0] && !anyBrick; ++bi) {
        anyBrick = bricks_[(bk * brickGrid_[1] + bj) * brickGrid_[0] + bi] != nullptr;
      }
      if (!anyBrick) continue;
      const std::size_t jEnd = std::min(size_[1], (bj + 1) * kBrickEdge);
      for (std::size_t k = bk * kBrickEdge; k < kEnd; ++k) {
        for (std::size_t j = bj * kBrickEdge; j < jEnd; ++j) {
          std::size_t runStart = 0;
          std::size_t runLength = 0;
          for (std::size_t bi = 0; bi < brickGrid_[0]; ++bi) {
            const Brick* brick = bricks_[(bk * brickGrid_[1] + bj) * brickGrid_[0] + bi].get();
            const std::size_t iBegin = bi * kBrickEdge;
            const std::size_t iEnd = std::min(size_[0], iBegin + kBrickEdge);
            if (brick == nullptr) {  // 16 empty voxels at once
              if (runLength != 0) {
                fn(runStart, j, k, runLength);
                runLength = 0;
              }
              continue;
            }
            // The 16 voxels of a brick row are contiguous: test 8 at a time where they are all
            // clear or all set (most of them), one by one elsewhere.
            const std::uint8_t* row = &brick->voxels[offsetInBrick(iBegin, j, k)];
            for (std::size_t i = iBegin; i < iEnd;) {
              if (i + 8 <= iEnd && ((i - iBegin) & 7) == 0) {
                std::uint64_t word = 0;
                std::memcpy(&word, row + (i - iBegin), sizeof word);
                if (word == 0) {
                  if (runLength != 0) {
                    fn(runStart, j, k, runLength);
                    runLength = 0;
                  }
                  i += 8;
                  continue;
                }
                if (word == 0x0101010101010101ULL) {
                  if (runLength == 0) runStart = i;
                  runLength += 8;
                  i += 8;
                  continue;
                }
              }
              if (row[i - iBegin] != 0) {
                if (runLength == 0) runStart = i;
                ++runLength;
              } else if (runLength != 0) {
                fn(runStart, j, k, runLength);
                runLength = 0;
              }
              ++i;
            }
          }
          if (runLength != 0) fn(runStart, j, k, runLength);
        }
      }
    }
  }
}

}  // namespace annotrace
