#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "Segmentation/SliceSpec.h"
#include "Volume/Volume.h"

namespace annotrace {

/// Image evidence for "this pixel belongs to the structure": the log-likelihood ratio of the
/// labelled pixels' intensities against those of the tissue around them, from histograms
/// (Docs/Propagation.md, Docs/Interpolation.md). Shared by propagation and guided interpolation.
constexpr int kIntensityBins = 64;
using IntensityHistogram = std::array<double, kIntensityBins>;
/// Per bin, in [-1, 1]: +1 clearly the structure, -1 clearly not.
using EvidenceTable = std::array<float, kIntensityBins>;

/// The intensity range histograms cover, fixed by the structure's own values.
struct IntensityRange {
  double lo = 0;
  double binWidth = 1;
  /// The bin of a value; -1 outside the range (NaN too). Inline: called for every pixel.
  int bin(float value) const {
    const double b = (double(value) - lo) / binWidth;
    return b >= 0 && b < kIntensityBins ? static_cast<int>(b) : -1;
  }
  /// The labelled intensities' robust range (1st to 99th percentile) widened by four robust
  /// deviations (1.4826 MAD), so that the bins resolve the structure's own values.
  static IntensityRange of(std::vector<float> inside);
};

/// Normalised histogram of the selected pixels (values outside the range count in the total but
/// in no bin), smoothed over neighbouring bins so that small samples still give a density.
IntensityHistogram histogramOf(std::span<const float> image, std::span<const std::uint8_t> select,
                               const IntensityRange& range);

/// The outside model mixes the tissue around the structure with a uniform share for anything
/// else, so that values seen in neither count against the structure.
/// `otherWeight` is that share (0.3 for propagation, which must stop where the image stops
/// looking like the structure); with `otherWeight` equal to the inside floor (0.01) the table is
/// neutral (0) wherever the two models agree, for uses that trust a shape over the image.
EvidenceTable evidenceTable(const IntensityHistogram& inside, const IntensityHistogram& outside,
                            double otherWeight = 0.3);

/// Physical voxel values of a rectangle of one slice of a family, row by row (u fastest).
std::vector<float> readSliceRect(const Volume& volume, SliceOrientation orientation,
                                 std::size_t slice, std::size_t u0, std::size_t v0,
                                 std::size_t width, std::size_t height);

}  // namespace annotrace
