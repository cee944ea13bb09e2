#include "IO/StackResampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "IO/ParallelFor.h"

namespace annotrace {

namespace {

constexpr double kSnap = 1e-4;  // fractions closer than this to a whole number count as whole

double snapped(double v) {
  const double r = std::round(v);
  return std::abs(v - r) < kSnap ? r : v;
}

template <typename T>
T castValue(double v) {
  if constexpr (std::is_integral_v<T>) {
    const double r = std::round(v);
    return static_cast<T>(std::clamp(r, double(std::numeric_limits<T>::min()),
                                     double(std::numeric_limits<T>::max())));
  } else {
    return static_cast<T>(v);
  }
}

// One acquired slice seen from the output grid: its pixels and the shift that maps an output
// column/row onto its own column/row.
template <typename T>
struct SliceSampler {
  const T* pixels;
  unsigned columns, rows;
  double shiftU, shiftV;

  bool covers(std::size_t i, std::size_t j) const {
    const double u = double(i) + shiftU, v = double(j) + shiftV;
    return u >= -kSnap && v >= -kSnap && u <= columns - 1 + kSnap && v <= rows - 1 + kSnap;
  }

  /// Bilinear value at output column i, row j; call only where covers(i, j).
  double at(std::size_t i, std::size_t j) const {
    const double uc = std::clamp(double(i) + shiftU, 0.0, double(columns - 1));
    const double vc = std::clamp(double(j) + shiftV, 0.0, double(rows - 1));
    const auto u0 = static_cast<unsigned>(uc), v0 = static_cast<unsigned>(vc);
    const unsigned u1 = std::min(u0 + 1, columns - 1), v1 = std::min(v0 + 1, rows - 1);
    const double fu = uc - u0, fv = vc - v0;
    const auto p = [&](unsigned c, unsigned r) {
      return double(pixels[std::size_t(r) * columns + c]);
    };
    if (fu == 0 && fv == 0) return p(u0, v0);
    return (1 - fv) * ((1 - fu) * p(u0, v0) + fu * p(u1, v0)) +
           fv * ((1 - fu) * p(u0, v1) + fu * p(u1, v1));
  }
};

template <typename T>
VoxelVector<T> resampleTyped(const VoxelVector<T>& stack, unsigned columns, unsigned rows,
                             const SliceStackGeometry& geometry, double fill, unsigned threads,
                             const Progress* progress) {
  const ImageGeometry& grid = geometry.grid;
  const Vec3 row = column(grid.direction, 0), col = column(grid.direction, 1);
  const std::size_t sliceSize = std::size_t(columns) * rows;
  const std::size_t outSlice = grid.size[0] * grid.size[1];
  const auto& positions = geometry.slicePositions;

  std::vector<SliceSampler<T>> samplers;
  for (std::size_t k = 0; k < positions.size(); ++k) {
    const Vec3 d = grid.origin - geometry.sliceOrigins[k];
    samplers.push_back({stack.data() + k * sliceSize, columns, rows,
                        snapped(dot(d, row) / grid.spacing[0]),
                        snapped(dot(d, col) / grid.spacing[1])});
  }

  VoxelVector<T> out(grid.voxelCount());
  std::atomic<std::size_t> done{0};
  parallelFor(grid.size[2], threads, progress, [&](std::size_t m) {
    const double z = double(m) * grid.spacing[2];
    // Acquired slices a <= z <= b bracket the output slice.
    const auto upper = std::upper_bound(positions.begin(), positions.end(), z + kSnap);
    const std::size_t b = std::min<std::size_t>(upper - positions.begin(), positions.size() - 1);
    const std::size_t a = b == 0 ? 0 : b - 1;
    double t = positions[b] > positions[a] ? (z - positions[a]) / (positions[b] - positions[a]) : 0;
    t = std::clamp(t, 0.0, 1.0);
    if (std::abs(z - positions[a]) < kSnap) t = 0;
    if (std::abs(z - positions[b]) < kSnap) t = 1;
    T* dst = out.data() + m * outSlice;
    const SliceSampler<T>& sa = samplers[a];
    const SliceSampler<T>& sb = samplers[b];
    for (std::size_t j = 0; j < grid.size[1]; ++j) {
      for (std::size_t i = 0; i < grid.size[0]; ++i) {
        // Where only one bracketing slice covers the point (the edges of a sheared stack), its
        // value is used rather than a blend with the fill value.
        const bool inA = t < 1 && sa.covers(i, j);
        const bool inB = t > 0 && sb.covers(i, j);
        double v = fill;
        if (inA && inB) {
          v = (1 - t) * sa.at(i, j) + t * sb.at(i, j);
        } else if (inA) {
          v = sa.at(i, j);
        } else if (inB) {
          v = sb.at(i, j);
        }
        dst[j * grid.size[0] + i] = castValue<T>(v);
      }
    }
    const std::size_t n = ++done;
    if (progress) progress->report("Resampling", double(n) / double(grid.size[2]));
  });
  return out;
}

}  // namespace

VoxelBuffer StackResampler::resample(const VoxelBuffer& stack, unsigned columns, unsigned rows,
                                     const SliceStackGeometry& geometry, double fillValue,
                                     unsigned threads, const Progress* progress) {
  return std::visit(
      [&](const auto& v) -> VoxelBuffer {
        return resampleTyped(v, columns, rows, geometry, fillValue, threads, progress);
      },
      stack);
}

}  // namespace annotrace
