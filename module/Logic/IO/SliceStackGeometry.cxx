#include "IO/SliceStackGeometry.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>
#include <stdexcept>

namespace annotrace {

namespace {

// Positions that differ by less than this from the regular grid count as on it. DICOM stores
// positions as decimal strings, so scanners round them to about a micrometre.
constexpr double kPositionTolerance = 0.01;  // mm
// The resampled grid may not exceed this many slices per acquired slice (huge gaps are
// refused instead of filling memory with interpolated nothing).
constexpr double kMaxResampleGrowth = 16.0;

std::string formatMm(double value) {
  std::ostringstream s;
  s.precision(4);
  s << value << " mm";
  return s.str();
}

}  // namespace

SliceStackGeometry SliceStackGeometry::analyze(std::span<const DicomFrame> frames) {
  if (frames.empty()) throw std::runtime_error("the stack holds no image frames");
  const DicomFrame& first = frames.front();
  SliceStackGeometry result;
  if (!first.hasOrientation || !first.hasPosition) {
    result.warnings.push_back({LoadWarning::Code::MissingAttribute,
                               "ImagePositionPatient or ImageOrientationPatient is missing: "
                               "the volume is placed at the origin with an axial orientation"});
  }
  if (!first.hasPixelSpacing) {
    result.warnings.push_back(
        {LoadWarning::Code::MissingAttribute, "PixelSpacing is missing: 1 mm pixels are assumed"});
  }

  const Vec3 row = first.rowDirection;
  const Vec3 col = first.columnDirection;
  const Vec3 normal = first.sliceNormal();
  ImageGeometry& grid = result.grid;
  setColumn(grid.direction, 0, row);
  setColumn(grid.direction, 1, col);
  setColumn(grid.direction, 2, normal);
  grid.spacing = {first.columnSpacing, first.rowSpacing, 1.0};
  grid.size = {first.columns, first.rows, frames.size()};
  grid.origin = first.position;

  double maxOffset = 0;
  for (const DicomFrame& f : frames) {
    const Vec3 d = f.position - first.position;
    result.slicePositions.push_back(dot(d, normal));
    result.sliceOrigins.push_back(f.position);
    maxOffset = std::max(maxOffset, std::hypot(dot(d, row), dot(d, col)));
  }
  const std::size_t n = frames.size();
  if (n == 1) {
    grid.spacing[2] = first.sliceThickness > 0 ? first.sliceThickness : 1.0;
    return result;
  }

  const double extent = result.slicePositions.back();
  if (extent <= 0) throw std::runtime_error("all frames of the stack lie at one position");

  // Shear: slices displaced within their own plane as they stack (CT gantry tilt).
  if (maxOffset > kPositionTolerance) {
    result.sheared = true;
    const Vec3 lastOffset = frames.back().position - first.position;
    const double inPlane = std::hypot(dot(lastOffset, row), dot(lastOffset, col));
    result.shearAngleDegrees = std::atan2(inPlane, extent) * 180.0 / std::numbers::pi;
    std::ostringstream msg;
    msg.precision(3);
    msg << "slices are sheared by " << result.shearAngleDegrees << " degrees (GantryDetectorTilt "
        << first.gantryTilt << "): resampled onto a grid perpendicular to the slices";
    result.warnings.push_back({LoadWarning::Code::GantryTilt, msg.str()});
  }

  // Spacing along the normal.
  std::vector<double> steps;
  for (std::size_t k = 1; k < n; ++k) {
    steps.push_back(result.slicePositions[k] - result.slicePositions[k - 1]);
  }
  const double meanStep = extent / static_cast<double>(n - 1);
  const double minStep = *std::min_element(steps.begin(), steps.end());
  const double maxStep = *std::max_element(steps.begin(), steps.end());
  double maxDeviation = 0;
  for (std::size_t k = 0; k < n; ++k) {
    maxDeviation = std::max(maxDeviation,
                            std::abs(result.slicePositions[k] - static_cast<double>(k) * meanStep));
  }
  result.uniform = maxDeviation <= kPositionTolerance;
  grid.spacing[2] = meanStep;

  if (!result.uniform) {
    // Gaps that are whole multiples of the smallest step are missing slices; others are
    // genuinely variable spacing.
    bool wholeMultiples = true;
    std::size_t missing = 0;
    for (double step : steps) {
      const double ratio = step / minStep;
      if (std::abs(ratio - std::round(ratio)) * minStep > kPositionTolerance)
        wholeMultiples = false;
      missing += static_cast<std::size_t>(std::max(0.0, std::round(ratio) - 1));
    }
    if (wholeMultiples && missing > 0) {
      result.warnings.push_back(
          {LoadWarning::Code::MissingSlices,
           std::to_string(missing) + " slice(s) missing from a " + formatMm(minStep) +
               " spacing: the gaps are filled by interpolation between their neighbours"});
    } else {
      result.warnings.push_back({LoadWarning::Code::NonUniformSpacing,
                                 "slice spacing varies from " + formatMm(minStep) + " to " +
                                     formatMm(maxStep) + ": resampled to a regular spacing"});
    }
    const double slices = std::round(extent / minStep) + 1;
    if (slices > kMaxResampleGrowth * static_cast<double>(n) + 16) {
      throw std::runtime_error("slice spacing varies from " + formatMm(minStep) + " to " +
                               formatMm(maxStep) +
                               ", too unevenly to resample onto one regular grid");
    }
    grid.size[2] = static_cast<std::size_t>(slices);
    grid.spacing[2] = extent / (slices - 1);
  }

  if (result.sheared) {
    // Widen the in-plane grid so that every sheared slice fits; the grid stays on the first
    // slice's pixel lattice so that slice is not interpolated.
    double uMin = 0, uMax = 0, vMin = 0, vMax = 0;
    for (const Vec3& p : result.sliceOrigins) {
      const Vec3 d = p - first.position;
      uMin = std::min(uMin, dot(d, row) / grid.spacing[0]);
      uMax = std::max(uMax, dot(d, row) / grid.spacing[0]);
      vMin = std::min(vMin, dot(d, col) / grid.spacing[1]);
      vMax = std::max(vMax, dot(d, col) / grid.spacing[1]);
    }
    const auto lo = [](double v) { return std::floor(v + 1e-6); };
    const auto hi = [](double v) { return std::ceil(v - 1e-6); };
    const double i0 = lo(uMin), j0 = lo(vMin);
    grid.size[0] = static_cast<std::size_t>(hi(uMax) - i0) + first.columns;
    grid.size[1] = static_cast<std::size_t>(hi(vMax) - j0) + first.rows;
    grid.origin = first.position + (i0 * grid.spacing[0]) * row + (j0 * grid.spacing[1]) * col;
  }

  if (result.needsResampling()) {
    result.warnings.push_back(
        {LoadWarning::Code::Resampled,
         "voxels were interpolated (linear) onto a regular " + std::to_string(grid.size[0]) + "x" +
             std::to_string(grid.size[1]) + "x" + std::to_string(grid.size[2]) + " grid with " +
             formatMm(grid.spacing[2]) +
             " slices; the first and last acquired slices keep "
             "their exact positions"});
  }

  // Slice thickness against spacing: overlap or gaps in coverage.
  double minThickness = first.sliceThickness, maxThickness = first.sliceThickness;
  for (const DicomFrame& f : frames) {
    minThickness = std::min(minThickness, f.sliceThickness);
    maxThickness = std::max(maxThickness, f.sliceThickness);
  }
  if (maxThickness - minThickness > kPositionTolerance) {
    result.warnings.push_back(
        {LoadWarning::Code::MixedSliceThickness,
         "SliceThickness varies from " + formatMm(minThickness) + " to " + formatMm(maxThickness)});
  } else if (minThickness > 0 && result.uniform) {
    if (minThickness > meanStep + kPositionTolerance) {
      result.warnings.push_back({LoadWarning::Code::OverlappingSlices,
                                 "slices are " + formatMm(minThickness) + " thick but " +
                                     formatMm(meanStep) + " apart: they overlap"});
    } else if (minThickness < meanStep - kPositionTolerance) {
      result.warnings.push_back(
          {LoadWarning::Code::GapsBetweenSlices, "slices are " + formatMm(minThickness) +
                                                     " thick but " + formatMm(meanStep) +
                                                     " apart: tissue between them is not imaged"});
    }
  }
  return result;
}

}  // namespace annotrace
