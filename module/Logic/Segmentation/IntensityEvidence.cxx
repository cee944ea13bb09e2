#include "Segmentation/IntensityEvidence.h"

#include <algorithm>
#include <cmath>

namespace annotrace {

namespace {

constexpr double kInsideFloor = 0.01;                      // uniform share in the inside model
constexpr double kEvidenceSaturation = 2.302585092994046;  // ln 10: ratio 10 is full evidence

double quantile(std::vector<float>& values, double q) {
  const auto n = static_cast<std::ptrdiff_t>(values.size());
  const std::ptrdiff_t at = std::clamp<std::ptrdiff_t>(std::llround(q * double(n - 1)), 0, n - 1);
  std::nth_element(values.begin(), values.begin() + at, values.end());
  return values[static_cast<std::size_t>(at)];
}

}  // namespace

IntensityRange IntensityRange::of(std::vector<float> inside) {
  if (inside.empty()) return {};
  // Percentiles need no more than a few thousand evenly spread samples.
  constexpr std::size_t kMaxSamples = 8192;
  if (inside.size() > kMaxSamples) {
    const std::size_t stride = (inside.size() + kMaxSamples - 1) / kMaxSamples;
    std::size_t n = 0;
    for (std::size_t p = 0; p < inside.size(); p += stride) inside[n++] = inside[p];
    inside.resize(n);
  }
  const double median = quantile(inside, 0.5);
  std::vector<float> deviation(inside.size());
  for (std::size_t p = 0; p < inside.size(); ++p) {
    deviation[p] = static_cast<float>(std::abs(inside[p] - median));
  }
  const double p01 = quantile(inside, 0.01);
  const double p99 = quantile(inside, 0.99);
  const double sigma = std::max(
      {1.4826 * quantile(deviation, 0.5), 0.02 * (p99 - p01), 1e-3 * (std::abs(median) + 1.0)});
  const double lo = p01 - 4 * sigma;
  const double hi = p99 + 4 * sigma;
  return {lo, (hi - lo) / kIntensityBins};
}

IntensityHistogram histogramOf(std::span<const float> image, std::span<const std::uint8_t> select,
                               const IntensityRange& range) {
  IntensityHistogram raw{};
  double total = 0;
  for (std::size_t p = 0; p < image.size(); ++p) {
    if (!select[p]) continue;
    total += 1;
    const int b = range.bin(image[p]);
    if (b >= 0) raw[b] += 1;
  }
  IntensityHistogram out{};
  if (total == 0) return out;
  constexpr std::array<double, 5> kernel{0.054, 0.242, 0.408, 0.242, 0.054};
  for (int b = 0; b < kIntensityBins; ++b) {
    for (int t = -2; t <= 2; ++t) {
      if (b + t >= 0 && b + t < kIntensityBins) out[b + t] += kernel[t + 2] * raw[b] / total;
    }
  }
  return out;
}

EvidenceTable evidenceTable(const IntensityHistogram& inside, const IntensityHistogram& outside,
                            double otherWeight) {
  EvidenceTable table{};
  for (int b = 0; b < kIntensityBins; ++b) {
    const double pin = (1 - kInsideFloor) * inside[b] + kInsideFloor / kIntensityBins;
    const double pout = (1 - otherWeight) * outside[b] + otherWeight / kIntensityBins;
    table[b] =
        static_cast<float>(std::clamp(std::log(pin / pout) / kEvidenceSaturation, -1.0, 1.0));
  }
  return table;
}

std::vector<float> readSliceRect(const Volume& volume, SliceOrientation orientation,
                                 std::size_t slice, std::size_t u0, std::size_t v0,
                                 std::size_t width, std::size_t height) {
  const auto& size = volume.geometry().size;
  const auto axes = SliceSpec{orientation, 0}.axes();
  const std::array<std::size_t, 3> strides{1, size[0], size[0] * size[1]};
  const std::size_t su = strides[axes[0]], sv = strides[axes[1]], ss = strides[axes[2]];
  std::vector<float> out(width * height);
  volume.visitVoxels([&](auto voxels) {
    float* dst = out.data();
    for (std::size_t v = v0; v < v0 + height; ++v) {
      std::size_t at = slice * ss + v * sv + u0 * su;
      for (std::size_t u = 0; u < width; ++u, at += su) *dst++ = static_cast<float>(voxels[at]);
    }
  });
  return out;
}

}  // namespace annotrace
