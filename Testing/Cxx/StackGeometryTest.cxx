// Synthetic stacks with known answers for the geometry core: ImageGeometry transforms,
// SliceStackGeometry's choice of grid, and StackResampler's interpolation, plus cancellation of
// a real load. A linear intensity field is reproduced exactly by linear interpolation, so every
// resampled voxel has a known value wherever acquired slices cover it.

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <mutex>
#include <numbers>
#include <optional>

#include "Core/Progress.h"
#include "IO/DicomFolderScanner.h"
#include "IO/DicomSeriesLoader.h"
#include "IO/SliceStackGeometry.h"
#include "IO/StackResampler.h"
#include "TestData.h"

using namespace annotrace;

namespace {

constexpr double kMm = 1e-6;

// A tilted axial stack like a CT with gantry tilt: slices rotated about x by `tiltDegrees`,
// stacked straight along z (the table) at the given z positions.
std::vector<DicomFrame> tiltedStack(double tiltDegrees, const std::vector<double>& zPositions,
                                    unsigned columns, unsigned rows, double pixel) {
  const double t = tiltDegrees * std::numbers::pi / 180.0;
  std::vector<DicomFrame> frames;
  for (double z : zPositions) {
    DicomFrame f;
    f.rows = rows;
    f.columns = columns;
    f.rowSpacing = f.columnSpacing = pixel;
    f.hasPixelSpacing = f.hasPosition = f.hasOrientation = true;
    f.rowDirection = {1, 0, 0};
    f.columnDirection = {0, std::cos(t), -std::sin(t)};
    f.position = {-10.0, -12.0, z};
    f.sliceThickness = 2;
    frames.push_back(f);
  }
  return frames;
}

// Value of the linear test field at a world point.
double field(const Vec3& p) {
  return 3.0 * p[0] - 2.0 * p[1] + 5.0 * p[2] + 7.0;
}

VoxelVector<float> sampleField(const std::vector<DicomFrame>& frames) {
  VoxelVector<float> stack;
  for (const DicomFrame& f : frames) {
    for (unsigned r = 0; r < f.rows; ++r) {
      for (unsigned c = 0; c < f.columns; ++c) {
        const Vec3 p = f.position + (c * f.columnSpacing) * f.rowDirection +
                       (r * f.rowSpacing) * f.columnDirection;
        stack.push_back(static_cast<float>(field(p)));
      }
    }
  }
  return stack;
}

}  // namespace

TEST(ImageGeometry, WorldAndIndexRoundTripOnAnObliqueGrid) {
  ImageGeometry g;
  g.size = {10, 20, 30};
  g.spacing = {0.5, 0.75, 2.0};
  g.origin = {12.0, -7.0, 33.0};
  const double a = 0.3;
  setColumn(g.direction, 0, {std::cos(a), std::sin(a), 0});
  setColumn(g.direction, 1, {-std::sin(a), std::cos(a), 0});
  setColumn(g.direction, 2, {0, 0, 1});
  const Vec3 index{3.25, 7.5, 11.0};
  const Vec3 world = g.indexToWorld(index);
  // By hand: origin + i*0.5*(cos, sin, 0) + j*0.75*(-sin, cos, 0) + k*2*(0, 0, 1).
  EXPECT_NEAR(world[0], 12.0 + 1.625 * std::cos(a) - 5.625 * std::sin(a), kMm);
  EXPECT_NEAR(world[1], -7.0 + 1.625 * std::sin(a) + 5.625 * std::cos(a), kMm);
  EXPECT_NEAR(world[2], 55.0, kMm);
  const Vec3 back = g.worldToIndex(world);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(back[i], index[i], 1e-9);
  std::array<std::int64_t, 3> nearest{};
  EXPECT_TRUE(g.worldToNearestVoxel(world, nearest));
  EXPECT_EQ(nearest, (std::array<std::int64_t, 3>{3, 8, 11}));
  EXPECT_TRUE(g.hasOrthonormalDirection());
  EXPECT_EQ(g.orientationCode(), "LPS");
}

TEST(SliceStackGeometry, EvenUntiltedStackIsKeptAsAcquired) {
  const auto frames = tiltedStack(0, {0, 2.5, 5, 7.5}, 8, 6, 0.7);
  const auto s = SliceStackGeometry::analyze(frames);
  EXPECT_FALSE(s.needsResampling());
  EXPECT_TRUE(s.warnings.empty() || !hasWarning(s.warnings, LoadWarning::Code::Resampled));
  EXPECT_EQ(s.grid.size, (std::array<std::size_t, 3>{8, 6, 4}));
  EXPECT_NEAR(s.grid.spacing[2], 2.5, kMm);
  EXPECT_NEAR(s.grid.origin[2], 0.0, kMm);
}

TEST(SliceStackGeometry, MissingSliceIsNamedAndFilled) {
  const auto frames = tiltedStack(0, {0, 2, 4, 8, 10}, 4, 4, 1.0);
  const auto s = SliceStackGeometry::analyze(frames);
  EXPECT_TRUE(hasWarning(s.warnings, LoadWarning::Code::MissingSlices));
  EXPECT_FALSE(hasWarning(s.warnings, LoadWarning::Code::NonUniformSpacing));
  EXPECT_EQ(s.grid.size[2], 6u);
  EXPECT_NEAR(s.grid.spacing[2], 2.0, kMm);
}

TEST(SliceStackGeometry, TiltedStackGetsAnOrthogonalGridAnchoredOnTheFirstSlice) {
  const double tilt = 20.0;
  const auto frames = tiltedStack(tilt, {0, 3, 6, 9, 12, 15}, 40, 30, 0.5);
  const auto s = SliceStackGeometry::analyze(frames);
  ASSERT_TRUE(s.sheared);
  EXPECT_NEAR(s.shearAngleDegrees, tilt, 1e-6);
  EXPECT_TRUE(hasWarning(s.warnings, LoadWarning::Code::GantryTilt));
  EXPECT_TRUE(hasWarning(s.warnings, LoadWarning::Code::Resampled));
  EXPECT_TRUE(s.grid.hasOrthonormalDirection());
  // Spacing along the normal is the table step times cos(tilt).
  EXPECT_NEAR(s.grid.spacing[2], 3.0 * std::cos(tilt * std::numbers::pi / 180), 1e-9);
  // The first slice lies on the grid's lattice, at voxel centres of slice 0.
  const Vec3 firstIndex = s.grid.worldToIndex(frames.front().position);
  EXPECT_NEAR(firstIndex[0], std::round(firstIndex[0]), 1e-9);
  EXPECT_NEAR(firstIndex[1], std::round(firstIndex[1]), 1e-9);
  EXPECT_NEAR(firstIndex[2], 0.0, 1e-9);
  // The last slice's origin lies in the last grid slice, inside the widened rows.
  const Vec3 lastIndex = s.grid.worldToIndex(frames.back().position);
  EXPECT_NEAR(lastIndex[2], double(s.grid.size[2] - 1), 1e-9);
  EXPECT_GE(lastIndex[1], -1e-9);
  EXPECT_LE(lastIndex[1] + 29, double(s.grid.size[1] - 1) + 1e-9);
  // Shear moves each slice 3*sin(20°)/0.5 = 2.05 rows: 5 steps need 11 extra rows.
  EXPECT_EQ(s.grid.size[1], 30u + 11u);
  EXPECT_EQ(s.grid.size[0], 40u);
}

TEST(StackResampler, ReproducesALinearFieldOnATiltedUnevenStack) {
  const auto frames = tiltedStack(15.0, {0, 2, 4, 5, 9, 13}, 24, 20, 0.8);
  const auto s = SliceStackGeometry::analyze(frames);
  ASSERT_TRUE(s.sheared);
  ASSERT_FALSE(s.uniform);
  const VoxelBuffer stack = sampleField(frames);
  const double fill = -1e6;
  const VoxelBuffer out = StackResampler::resample(stack, 24, 20, s, fill);
  const auto& voxels = std::get<VoxelVector<float>>(out);
  ASSERT_EQ(voxels.size(), s.grid.voxelCount());

  // Oracle: project each grid voxel onto the two acquired slices that bracket it along the
  // normal. Both cover it: the field itself (linear interpolation is exact for a linear field).
  // One covers it: the field at the projection on that slice. None: the fill value.
  const Vec3 normal = column(s.grid.direction, 2);
  const auto projectionOn = [&](const DicomFrame& f, const Vec3& p) -> std::optional<Vec3> {
    const Vec3 onPlane = p - dot(p - f.position, normal) * normal;
    const double u = dot(onPlane - f.position, f.rowDirection) / f.columnSpacing;
    const double v = dot(onPlane - f.position, f.columnDirection) / f.rowSpacing;
    if (u < -1e-6 || v < -1e-6 || u > f.columns - 1 + 1e-6 || v > f.rows - 1 + 1e-6) {
      return std::nullopt;
    }
    return onPlane;
  };
  std::size_t covered = 0;
  for (std::size_t k = 0; k < s.grid.size[2]; ++k) {
    const double z = double(k) * s.grid.spacing[2];
    std::size_t b = 0;
    while (b + 1 < s.slicePositions.size() && s.slicePositions[b] < z - 1e-6) ++b;
    const std::size_t a = b == 0 ? 0 : b - 1;
    const bool onB = std::abs(s.slicePositions[b] - z) < 1e-6;
    for (std::size_t j = 0; j < s.grid.size[1]; ++j) {
      for (std::size_t i = 0; i < s.grid.size[0]; ++i) {
        const float v = voxels[s.grid.linearIndex(i, j, k)];
        const Vec3 p = s.grid.indexToWorld({double(i), double(j), double(k)});
        const auto pa = onB ? std::nullopt : projectionOn(frames[a], p);
        const auto pb = projectionOn(frames[b], p);
        double expected = fill;
        if (pa && pb) {
          expected = field(p);
          ++covered;
        } else if (pa || pb) {
          expected = field(pa ? *pa : *pb);
        }
        ASSERT_NEAR(v, expected, 2e-3) << "voxel " << i << "," << j << "," << k;
      }
    }
  }
  // The oracle is not vacuous: a good part of the grid lies between two covering slices (the
  // widened corners of this strongly sheared little stack do not).
  EXPECT_GT(covered, s.grid.voxelCount() / 3);
}

TEST(StackResampler, GridSlicesOnAcquiredSlicesAreExactCopies) {
  // Untilted, one slice missing: slices 0, 1, 2, 4 are acquired, 3 is interpolated.
  const auto frames = tiltedStack(0, {0, 1.5, 3, 6}, 5, 4, 1.0);
  const auto s = SliceStackGeometry::analyze(frames);
  VoxelVector<std::int16_t> values;
  for (int k = 0; k < 4; ++k) {
    for (int p = 0; p < 20; ++p) values.push_back(static_cast<std::int16_t>(100 * k + p));
  }
  const VoxelBuffer out = StackResampler::resample(VoxelBuffer(values), 5, 4, s, -1000);
  const auto& v = std::get<VoxelVector<std::int16_t>>(out);
  ASSERT_EQ(s.grid.size[2], 5u);
  for (int p = 0; p < 20; ++p) {
    EXPECT_EQ(v[0 * 20 + p], 0 + p);
    EXPECT_EQ(v[1 * 20 + p], 100 + p);
    EXPECT_EQ(v[2 * 20 + p], 200 + p);
    EXPECT_EQ(v[3 * 20 + p], (200 + p + 300 + p + 1) / 2);  // halfway, rounded
    EXPECT_EQ(v[4 * 20 + p], 300 + p);
  }
}

TEST(DicomSeriesLoader, CancellingFromTheProgressCallbackStopsTheLoad) {
  const auto scan = DicomFolderScanner::scan(test::dataPath("ct_ge_tilt_varspacing"));
  const auto images = scan.imageSeries();
  ASSERT_EQ(images.size(), 1u);
  Progress* self = nullptr;
  bool sawDecoding = false;
  Progress progress([&](std::string_view stage, double fraction) {
    if (stage == "Decoding") sawDecoding = true;
    if (fraction >= 0.25) self->cancel();
  });
  self = &progress;
  EXPECT_THROW(DicomSeriesLoader::load(*images.front(), {}, &progress), OperationCancelled);
  EXPECT_TRUE(sawDecoding);
}

TEST(DicomSeriesLoader, ProgressReachesTheEndOfEveryStage) {
  const auto scan = DicomFolderScanner::scan(test::dataPath("ct_ge_tilt_varspacing"));
  std::map<std::string, double> last;
  std::mutex mutex;
  Progress progress([&](std::string_view stage, double fraction) {
    std::lock_guard lock(mutex);
    double& f = last[std::string(stage)];
    f = std::max(f, fraction);
  });
  const Volume v = DicomSeriesLoader::load(*scan.imageSeries().front(), {}, &progress);
  EXPECT_DOUBLE_EQ(last["Decoding"], 1.0);
  EXPECT_DOUBLE_EQ(last["Resampling"], 1.0);
  EXPECT_EQ(v.geometry().size[2], 134u);
}
