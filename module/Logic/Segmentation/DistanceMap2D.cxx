#include "Segmentation/DistanceMap2D.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace annotrace {

namespace {

constexpr double kInfinity = 1e20;

// One 1D pass: d[q] = min_p f[p] + (s (q - p))^2, by the lower envelope of parabolas.
void envelope(const double* f, double* d, std::size_t n, double s, std::vector<int>& v,
              std::vector<double>& z) {
  const double s2 = s * s;
  v.assign(n, 0);
  z.assign(n + 1, 0);
  auto intersection = [&](int q, int p) {
    return ((f[q] + s2 * q * q) - (f[p] + s2 * p * p)) / (2.0 * s2 * (q - p));
  };
  int k = 0;
  z[0] = -kInfinity;
  z[1] = kInfinity;
  for (int q = 1; q < static_cast<int>(n); ++q) {
    double at = intersection(q, v[k]);
    while (at <= z[k]) {
      --k;
      at = intersection(q, v[k]);
    }
    ++k;
    v[k] = q;
    z[k] = at;
    z[k + 1] = kInfinity;
  }
  k = 0;
  for (int q = 0; q < static_cast<int>(n); ++q) {
    while (z[k + 1] < q) ++k;
    const double diff = s * (q - v[k]);
    d[q] = diff * diff + f[v[k]];
  }
}

// Squared distance from every pixel to the nearest pixel where `target(mask[p])` holds.
std::vector<double> squaredDistanceTo(const std::vector<std::uint8_t>& mask, bool target,
                                      std::size_t w, std::size_t h, double su, double sv) {
  // Along rows the input is binary, so the nearest target pixel of each row is found by two
  // sweeps (exact, and far cheaper than the parabola envelope the columns need).
  std::vector<double> grid(w * h);
  for (std::size_t row = 0; row < h; ++row) {
    const std::uint8_t* m = mask.data() + row * w;
    double* g = grid.data() + row * w;
    long long last = -1;
    for (std::size_t u = 0; u < w; ++u) {
      if ((m[u] != 0) == target) last = static_cast<long long>(u);
      g[u] = last < 0 ? kInfinity : double(static_cast<long long>(u) - last);
    }
    last = -1;
    for (std::size_t u = w; u-- > 0;) {
      if ((m[u] != 0) == target) last = static_cast<long long>(u);
      if (last >= 0) g[u] = std::min(g[u], double(last - static_cast<long long>(u)));
      if (g[u] < kInfinity) g[u] = (g[u] * su) * (g[u] * su);
    }
  }
  std::vector<int> v;
  std::vector<double> z;
  std::vector<double> f(std::max(w, h)), d(std::max(w, h));
  for (std::size_t col = 0; col < w; ++col) {
    for (std::size_t row = 0; row < h; ++row) f[row] = grid[row * w + col];
    envelope(f.data(), d.data(), h, sv, v, z);
    for (std::size_t row = 0; row < h; ++row) grid[row * w + col] = d[row];
  }
  return grid;
}

}  // namespace

DistanceMap2D::DistanceMap2D(const std::vector<std::uint8_t>& mask, std::size_t width,
                             std::size_t height, double su, double sv)
    : width_(width), height_(height), su_(su), sv_(sv), values_(width * height) {
  if (values_.empty()) return;
  const std::vector<double> toInside = squaredDistanceTo(mask, true, width, height, su, sv);
  const std::vector<double> toOutside = squaredDistanceTo(mask, false, width, height, su, sv);
  // Without any outside (or inside) pixel in the window, the distance to it is at least the
  // distance to the window's edge; the window is made with a margin, so this stays far.
  const double far = (double(width) * su + double(height) * sv);
  for (std::size_t p = 0; p < values_.size(); ++p) {
    const double value = mask[p] ? -std::sqrt(std::min(toOutside[p], far * far))
                                 : std::sqrt(std::min(toInside[p], far * far));
    values_[p] = static_cast<float>(value);
    minimum_ = std::min(minimum_, values_[p]);
  }
}

float DistanceMap2D::sample(double u, double v) const {
  const double maxU = double(width_) - 1, maxV = double(height_) - 1;
  const double cu = std::clamp(u, 0.0, maxU), cv = std::clamp(v, 0.0, maxV);
  const double ou = (u - cu) * su_, ov = (v - cv) * sv_;
  const double outside = (u == cu && v == cv) ? 0.0 : std::sqrt(ou * ou + ov * ov);
  const auto u0 = static_cast<std::size_t>(cu), v0 = static_cast<std::size_t>(cv);
  const std::size_t u1 = std::min(u0 + 1, width_ - 1), v1 = std::min(v0 + 1, height_ - 1);
  const double fu = cu - double(u0), fv = cv - double(v0);
  const double top = at(u0, v0) * (1 - fu) + at(u1, v0) * fu;
  const double bottom = at(u0, v1) * (1 - fu) + at(u1, v1) * fu;
  return static_cast<float>(top * (1 - fv) + bottom * fv + outside);
}

}  // namespace annotrace
