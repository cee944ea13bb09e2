#include "Metrics/OverlapMetrics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <thread>

#include "IO/ParallelFor.h"

namespace annotrace {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void checkSameSize(const SparseMask& a, const SparseMask& b) {
  if (a.size() != b.size()) throw std::invalid_argument("masks of different grid sizes compared");
}

/// The joint bounding box of two masks with one voxel of padding on every side, as dense
/// arrays: the padding makes every boundary test in-bounds (voxels outside the box are unset in
/// both masks, and outside the grid counts as unset), and it is where the work stays.
struct DenseBox {
  std::array<std::size_t, 3> lo{};  ///< grid index of padded position (1, 1, 1)
  std::array<std::size_t, 3> n{};   ///< padded extents
  std::vector<std::uint8_t> a, b;

  std::size_t index(std::size_t x, std::size_t y, std::size_t z) const {
    return (z * n[1] + y) * n[0] + x;
  }
};

DenseBox denseBox(const SparseMask& a, const SparseMask& b) {
  const IndexBox box = a.bounds().value_or(IndexBox{}).united(b.bounds().value_or(IndexBox{}));
  DenseBox d;
  d.lo = box.lo;
  for (int axis = 0; axis < 3; ++axis) d.n[axis] = box.hi[axis] - box.lo[axis] + 2;
  const std::size_t total = d.n[0] * d.n[1] * d.n[2];
  d.a.assign(total, 0);
  d.b.assign(total, 0);
  auto fill = [&](const SparseMask& mask, std::vector<std::uint8_t>& out) {
    mask.forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t length) {
      std::uint8_t* row = &out[d.index(i - d.lo[0] + 1, j - d.lo[1] + 1, k - d.lo[2] + 1)];
      std::fill(row, row + length, std::uint8_t{1});
    });
  };
  fill(a, d.a);
  fill(b, d.b);
  return d;
}

/// Positions (dense indices) of the set voxels with an unset face neighbour.
std::vector<std::size_t> boundary(const DenseBox& d, const std::vector<std::uint8_t>& m) {
  std::vector<std::size_t> out;
  const std::size_t sx = 1, sy = d.n[0], sz = d.n[0] * d.n[1];
  for (std::size_t z = 1; z + 1 < d.n[2]; ++z) {
    for (std::size_t y = 1; y + 1 < d.n[1]; ++y) {
      for (std::size_t x = 1; x + 1 < d.n[0]; ++x) {
        const std::size_t p = d.index(x, y, z);
        if (!m[p]) continue;
        if (!m[p - sx] || !m[p + sx] || !m[p - sy] || !m[p + sy] || !m[p - sz] || !m[p + sz]) {
          out.push_back(p);
        }
      }
    }
  }
  return out;
}

/// Exact 1D squared distance transform of sampled function f at positions q * spacing
/// (Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled Functions", Theory of
/// Computing 8, 2012): the lower envelope of parabolas rooted at the finite samples.
void transform1d(const double* f, double* d, std::size_t n, double spacing, std::vector<int>& v,
                 std::vector<double>& z) {
  int k = -1;
  for (std::size_t q = 0; q < n; ++q) {
    if (f[q] == kInf) continue;
    const double xq = double(q) * spacing;
    double s = -kInf;
    while (k >= 0) {
      const double xv = double(v[k]) * spacing;
      s = ((f[q] + xq * xq) - (f[v[k]] + xv * xv)) / (2 * (xq - xv));
      if (s <= z[k]) {
        --k;
      } else {
        break;
      }
    }
    if (k < 0) s = -kInf;
    ++k;
    v[k] = static_cast<int>(q);
    z[k] = s;
    z[k + 1] = kInf;
  }
  if (k < 0) {
    std::fill(d, d + n, kInf);
    return;
  }
  k = 0;
  for (std::size_t p = 0; p < n; ++p) {
    const double xp = double(p) * spacing;
    while (z[k + 1] < xp) ++k;
    const double delta = double(static_cast<long long>(p) - v[k]) * spacing;
    d[p] = delta * delta + f[v[k]];
  }
}

/// Squared distance (mm^2) from every position of the box to the nearest feature position.
std::vector<double> distanceTransform(const DenseBox& d, const std::vector<std::size_t>& features,
                                      const Vec3& spacing) {
  std::vector<double> dt(d.n[0] * d.n[1] * d.n[2], kInf);
  for (std::size_t p : features) dt[p] = 0;
  const std::array<std::size_t, 3> stride{1, d.n[0], d.n[0] * d.n[1]};
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  for (int axis = 0; axis < 3; ++axis) {
    const int a1 = (axis + 1) % 3, a2 = (axis + 2) % 3;
    const std::size_t length = d.n[axis];
    const std::size_t lines = d.n[a1] * d.n[a2];
    // Chunks of lines per task: enough tasks to balance, few enough to amortise the buffers.
    const std::size_t chunks = std::min<std::size_t>(lines, std::size_t(threads) * 8);
    parallelFor(chunks, threads, nullptr, [&](std::size_t chunk) {
      std::vector<double> f(length), out(length), z(length + 1);
      std::vector<int> v(length);
      const std::size_t begin = lines * chunk / chunks, end = lines * (chunk + 1) / chunks;
      for (std::size_t line = begin; line < end; ++line) {
        const std::size_t start = (line % d.n[a1]) * stride[a1] + (line / d.n[a1]) * stride[a2];
        bool any = false;
        for (std::size_t t = 0; t < length; ++t) {
          f[t] = dt[start + t * stride[axis]];
          any = any || f[t] != kInf;
        }
        if (!any) continue;  // nothing reaches this line yet
        transform1d(f.data(), out.data(), length, spacing[axis], v, z);
        for (std::size_t t = 0; t < length; ++t) dt[start + t * stride[axis]] = out[t];
      }
    });
  }
  return dt;
}

/// numpy.percentile(values, q) with linear interpolation; reorders values.
double percentile(std::vector<double>& values, double q) {
  const double position = q / 100.0 * double(values.size() - 1);
  const std::size_t lower = static_cast<std::size_t>(std::floor(position));
  const double fraction = position - double(lower);
  std::nth_element(values.begin(), values.begin() + lower, values.end());
  const double low = values[lower];
  if (fraction == 0 || lower + 1 >= values.size()) return low;
  const double high = *std::min_element(values.begin() + lower + 1, values.end());
  return low + fraction * (high - low);
}

}  // namespace

double OverlapMetrics::dice(const SparseMask& a, const SparseMask& b) {
  checkSameSize(a, b);
  if (a.empty() && b.empty()) return 1.0;
  const SparseMask& small = a.count() <= b.count() ? a : b;
  const SparseMask& large = a.count() <= b.count() ? b : a;
  std::size_t both = 0;
  small.forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t length) {
    if (large.brickEmpty(i, j, k) && large.brickEmpty(i + length - 1, j, k) && length <= 16) {
      return;
    }
    for (std::size_t t = 0; t < length; ++t) both += large.test(i + t, j, k) ? 1 : 0;
  });
  return 2.0 * double(both) / double(a.count() + b.count());
}

SurfaceDistances OverlapMetrics::surfaceDistances(const SparseMask& a, const SparseMask& b,
                                                  const ImageGeometry& geometry) {
  checkSameSize(a, b);
  if (a.size() != geometry.size) {
    throw std::invalid_argument("mask size differs from the geometry's grid size");
  }
  if (!geometry.hasOrthonormalDirection()) {
    throw std::invalid_argument("surface distances need an orthonormal grid direction");
  }
  SurfaceDistances result;
  if (a.empty() && b.empty()) return result;
  const DenseBox box = denseBox(a, b);
  const std::vector<std::size_t> edgeA = boundary(box, box.a), edgeB = boundary(box, box.b);
  result.boundaryA = edgeA.size();
  result.boundaryB = edgeB.size();
  if (a.empty() || b.empty()) {
    result.hausdorff = result.hausdorff95 = result.averageSymmetric = SurfaceDistances::kInfinity;
    return result;
  }

  std::vector<double> pooled;
  pooled.reserve(edgeA.size() + edgeB.size());
  {
    const std::vector<double> toB = distanceTransform(box, edgeB, geometry.spacing);
    for (std::size_t p : edgeA) pooled.push_back(std::sqrt(toB[p]));
  }
  {
    const std::vector<double> toA = distanceTransform(box, edgeA, geometry.spacing);
    for (std::size_t p : edgeB) pooled.push_back(std::sqrt(toA[p]));
  }
  double sum = 0;
  for (double d : pooled) {
    sum += d;
    result.hausdorff = std::max(result.hausdorff, d);
  }
  result.averageSymmetric = sum / double(pooled.size());
  result.hausdorff95 = percentile(pooled, 95.0);
  return result;
}

std::vector<std::size_t> OverlapMetrics::sliceCounts(const SparseMask& mask,
                                                     SliceOrientation orientation) {
  const int fixed = SliceSpec{orientation, 0}.axes()[2];
  std::vector<std::size_t> counts(mask.size()[fixed], 0);
  mask.forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t length) {
    if (fixed == 2) {
      counts[k] += length;
    } else if (fixed == 1) {
      counts[j] += length;
    } else {
      for (std::size_t t = 0; t < length; ++t) ++counts[i + t];
    }
  });
  return counts;
}

SliceLoss OverlapMetrics::emptiedSlices(const SparseMask& reference, const SparseMask& result,
                                        SliceOrientation orientation, std::size_t first,
                                        std::size_t last) {
  checkSameSize(reference, result);
  const std::vector<std::size_t> ref = sliceCounts(reference, orientation);
  const std::vector<std::size_t> got = sliceCounts(result, orientation);
  SliceLoss loss;
  if (ref.empty()) return loss;
  last = std::min(last, ref.size() - 1);
  for (std::size_t s = first; s <= last; ++s) {
    if (ref[s] == 0) continue;
    ++loss.referenceSlices;
    if (got[s] == 0) loss.emptied.push_back(s);
  }
  return loss;
}

}  // namespace annotrace
