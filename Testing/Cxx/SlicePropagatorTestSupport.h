#pragma once

// What the SlicePropagator tests share: one slice of a mask and painting one back, Dice, the
// pooled score of a preview against ground truth beside the copy of the start slice, and the
// checks every preview must pass.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <vector>

#include "Segmentation/Segmentation.h"
#include "Segmentation/SlicePropagator.h"

namespace annotrace::test {

/// Slice `slice` of a mask (u, v as SliceSpec::axes says).
inline SliceMask sliceOf(const SparseMask& mask, SliceOrientation orientation, std::size_t slice) {
  const auto axes = SliceSpec{orientation, 0}.axes();
  SliceMask out(mask.size()[axes[0]], mask.size()[axes[1]]);
  std::array<std::size_t, 3> index{};
  index[axes[2]] = slice;
  for (std::size_t v = 0; v < out.height; ++v) {
    index[axes[1]] = v;
    for (std::size_t u = 0; u < out.width; ++u) {
      index[axes[0]] = u;
      if (mask.test(index[0], index[1], index[2])) out.set(u, v);
    }
  }
  return out;
}

inline void paint(SparseMask& mask, SliceOrientation orientation, std::size_t slice,
                  const SliceMask& m) {
  const auto axes = SliceSpec{orientation, 0}.axes();
  std::array<std::size_t, 3> index{};
  index[axes[2]] = slice;
  for (std::size_t v = 0; v < m.height; ++v) {
    for (std::size_t u = 0; u < m.width; ++u) {
      if (!m.at(u, v)) continue;
      index[axes[0]] = u;
      index[axes[1]] = v;
      mask.assign(index[0], index[1], index[2], true);
    }
  }
}

inline std::size_t intersection(const SliceMask& a, const SliceMask& b) {
  std::size_t n = 0;
  for (std::size_t p = 0; p < a.pixels.size(); ++p) n += (a.pixels[p] && b.pixels[p]) ? 1 : 0;
  return n;
}

inline double dice(const SliceMask& a, const SliceMask& b) {
  const std::size_t sum = a.count() + b.count();
  return sum == 0 ? 1.0 : 2.0 * static_cast<double>(intersection(a, b)) / sum;
}

/// Dice pooled over the propagated slices, for the result and for the copy baseline (the start
/// slice pasted unchanged onto the same slices).
struct Score {
  double ours = 0;
  double copy = 0;
  double worstSlice = 1;
  std::size_t slices = 0;
  std::size_t first = 0;
  std::size_t last = 0;
};

inline Score score(const SegmentationPreview& preview, const std::vector<SliceMask>& truth,
                   const SliceMask& start) {
  Score s;
  std::size_t both = 0, sum = 0, copyBoth = 0, copySum = 0;
  s.first = truth.size();
  for (const SlicePatch& p : preview.patches) {
    const SliceMask& t = truth.at(p.slice.index);
    both += intersection(p.mask, t);
    sum += p.mask.count() + t.count();
    copyBoth += intersection(start, t);
    copySum += start.count() + t.count();
    s.worstSlice = std::min(s.worstSlice, dice(p.mask, t));
    s.first = std::min(s.first, p.slice.index);
    s.last = std::max(s.last, p.slice.index);
    ++s.slices;
  }
  s.ours = sum ? 2.0 * static_cast<double>(both) / sum : 0;
  s.copy = copySum ? 2.0 * static_cast<double>(copyBoth) / copySum : 0;
  return s;
}

/// Every patch: the segment, the family, a whole propagated slice, not the start slice,
/// ascending.
inline void expectWellFormed(const SegmentationPreview& preview, const PropagationOptions& o,
                             std::size_t width, std::size_t height) {
  for (std::size_t n = 0; n < preview.patches.size(); ++n) {
    const SlicePatch& p = preview.patches[n];
    EXPECT_EQ(p.segment, o.segment);
    EXPECT_EQ(p.slice.orientation, o.orientation);
    EXPECT_EQ(p.source, SliceSource::Propagated);
    EXPECT_EQ(p.u0, 0U);
    EXPECT_EQ(p.v0, 0U);
    EXPECT_EQ(p.mask.width, width);
    EXPECT_EQ(p.mask.height, height);
    EXPECT_NE(p.slice.index, o.fromSlice);
    EXPECT_GT(p.mask.count(), 0U);
    if (n > 0) {
      EXPECT_GT(p.slice.index, preview.patches[n - 1].slice.index);
    }
  }
}

inline std::vector<std::size_t> slicesOf(const SegmentationPreview& preview) {
  std::vector<std::size_t> out;
  for (const SlicePatch& p : preview.patches) out.push_back(p.slice.index);
  return out;
}

inline double millisecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace annotrace::test
