// Overlap metrics (OverlapMetrics): exact answers for translated boxes on an anisotropic oblique
// grid, empty masks, emptied slices of each family, a brute-force O(n^2) oracle on random masks,
// and an independent numpy reference on a real TotalSegmentator label pair (the full and the
// fast model's labels of the same CT).

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "Metrics/OverlapMetrics.h"
#include "Segmentation/LabelmapFileIO.h"
#include "TestData.h"

using namespace annotrace;
using namespace annotrace::test;

namespace {

/// A grid with anisotropic spacing and an oblique (rotated, orthonormal) direction.
ImageGeometry obliqueGrid(std::array<std::size_t, 3> size, Vec3 spacing) {
  ImageGeometry g;
  g.size = size;
  g.spacing = spacing;
  g.origin = {-12.5, 40.25, 3};
  const double a = 0.4, b = -0.25;  // rotations about z, then x
  Mat3 rz{{{std::cos(a), -std::sin(a), 0}, {std::sin(a), std::cos(a), 0}, {0, 0, 1}}};
  Mat3 rx{{{1, 0, 0}, {0, std::cos(b), -std::sin(b)}, {0, std::sin(b), std::cos(b)}}};
  Mat3 d{};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c)
      for (int t = 0; t < 3; ++t) d[r][c] += rz[r][t] * rx[t][c];
  g.direction = d;
  return g;
}

void fillBox(SparseMask& m, std::array<std::size_t, 3> lo, std::array<std::size_t, 3> hi) {
  for (std::size_t k = lo[2]; k < hi[2]; ++k)
    for (std::size_t j = lo[1]; j < hi[1]; ++j)
      for (std::size_t i = lo[0]; i < hi[0]; ++i) m.assign(i, j, k, true);
}

/// The definition, by brute force over world coordinates: boundary voxels (a set voxel with an
/// unset or off-grid face neighbour), every pair of boundary voxels of A and B.
SurfaceDistances bruteForce(const SparseMask& a, const SparseMask& b, const ImageGeometry& g) {
  auto edge = [&](const SparseMask& m) {
    std::vector<Vec3> points;
    const auto& n = g.size;
    auto set = [&](long long i, long long j, long long k) {
      if (i < 0 || j < 0 || k < 0 || i >= (long long)n[0] || j >= (long long)n[1] ||
          k >= (long long)n[2]) {
        return false;
      }
      return m.test(std::size_t(i), std::size_t(j), std::size_t(k));
    };
    for (long long k = 0; k < (long long)n[2]; ++k)
      for (long long j = 0; j < (long long)n[1]; ++j)
        for (long long i = 0; i < (long long)n[0]; ++i) {
          if (!set(i, j, k)) continue;
          if (!set(i - 1, j, k) || !set(i + 1, j, k) || !set(i, j - 1, k) || !set(i, j + 1, k) ||
              !set(i, j, k - 1) || !set(i, j, k + 1)) {
            points.push_back(g.indexToWorld({double(i), double(j), double(k)}));
          }
        }
    return points;
  };
  const auto ea = edge(a), eb = edge(b);
  std::vector<double> pooled;
  auto directed = [&](const std::vector<Vec3>& from, const std::vector<Vec3>& to) {
    for (const Vec3& p : from) {
      double best = std::numeric_limits<double>::infinity();
      for (const Vec3& q : to) best = std::min(best, norm(p - q));
      pooled.push_back(best);
    }
  };
  directed(ea, eb);
  directed(eb, ea);
  SurfaceDistances r;
  r.boundaryA = ea.size();
  r.boundaryB = eb.size();
  std::sort(pooled.begin(), pooled.end());
  r.hausdorff = pooled.back();
  double sum = 0;
  for (double d : pooled) sum += d;
  r.averageSymmetric = sum / double(pooled.size());
  const double position = 0.95 * double(pooled.size() - 1);
  const std::size_t lower = std::size_t(position);
  const double fraction = position - double(lower);
  r.hausdorff95 = lower + 1 < pooled.size()
                      ? pooled[lower] + fraction * (pooled[lower + 1] - pooled[lower])
                      : pooled[lower];
  return r;
}

void expectNear(double expected, double actual, const std::string& what) {
  EXPECT_NEAR(expected, actual, 1e-9 * std::max(1.0, std::abs(expected))) << what;
}

}  // namespace

// Box A translated by t voxels: Dice is the product of the overlapping fractions per axis, and
// every boundary-to-boundary distance is at most |t| in mm, reached at the leading corner edge.
TEST(OverlapMetrics, TranslatedBoxesOnAnisotropicObliqueGrid) {
  const ImageGeometry g = obliqueGrid({48, 40, 30}, {0.5, 0.8, 2.0});
  struct Case {
    std::array<long long, 3> shift;
  };
  for (const Case c :
       {Case{{3, 0, 0}}, Case{{0, -4, 0}}, Case{{0, 0, 2}}, Case{{3, 2, -1}}, Case{{-5, 6, 3}}}) {
    SparseMask a(g.size), b(g.size);
    const std::array<std::size_t, 3> lo{12, 10, 8}, extent{20, 18, 12};
    fillBox(a, lo, {lo[0] + extent[0], lo[1] + extent[1], lo[2] + extent[2]});
    std::array<std::size_t, 3> blo{};
    for (int axis = 0; axis < 3; ++axis)
      blo[axis] = std::size_t((long long)lo[axis] + c.shift[axis]);
    fillBox(b, blo, {blo[0] + extent[0], blo[1] + extent[1], blo[2] + extent[2]});
    double overlap = 1, shiftMm2 = 0;
    for (int axis = 0; axis < 3; ++axis) {
      overlap *= double(extent[axis] - std::size_t(std::abs(c.shift[axis]))) / double(extent[axis]);
      const double mm = double(c.shift[axis]) * g.spacing[axis];
      shiftMm2 += mm * mm;
    }
    const std::string what = "shift " + std::to_string(c.shift[0]) + "," +
                             std::to_string(c.shift[1]) + "," + std::to_string(c.shift[2]);
    expectNear(overlap, OverlapMetrics::dice(a, b), what);
    const SurfaceDistances d = OverlapMetrics::surfaceDistances(a, b, g);
    expectNear(std::sqrt(shiftMm2), d.hausdorff, what);
    // Every boundary voxel of a box: the whole box minus its interior.
    const std::size_t shell =
        extent[0] * extent[1] * extent[2] - (extent[0] - 2) * (extent[1] - 2) * (extent[2] - 2);
    EXPECT_EQ(d.boundaryA, shell);
    EXPECT_EQ(d.boundaryB, shell);
    EXPECT_LE(d.hausdorff95, d.hausdorff);
    EXPECT_GT(d.averageSymmetric, 0);
    EXPECT_LT(d.averageSymmetric, d.hausdorff95);
  }
}

TEST(OverlapMetrics, IdenticalAndEmptyMasks) {
  const ImageGeometry g = obliqueGrid({20, 20, 10}, {1, 1, 3});
  SparseMask a(g.size), empty(g.size);
  fillBox(a, {2, 3, 4}, {9, 8, 7});
  EXPECT_EQ(OverlapMetrics::dice(a, a), 1.0);
  const SurfaceDistances same = OverlapMetrics::surfaceDistances(a, a, g);
  EXPECT_EQ(same.hausdorff, 0.0);
  EXPECT_EQ(same.hausdorff95, 0.0);
  EXPECT_EQ(same.averageSymmetric, 0.0);

  EXPECT_EQ(OverlapMetrics::dice(empty, empty), 1.0);
  const SurfaceDistances none = OverlapMetrics::surfaceDistances(empty, empty, g);
  EXPECT_EQ(none.hausdorff, 0.0);
  EXPECT_EQ(none.hausdorff95, 0.0);

  EXPECT_EQ(OverlapMetrics::dice(a, empty), 0.0);
  EXPECT_EQ(OverlapMetrics::dice(empty, a), 0.0);
  for (const SurfaceDistances& d : {OverlapMetrics::surfaceDistances(a, empty, g),
                                    OverlapMetrics::surfaceDistances(empty, a, g)}) {
    EXPECT_TRUE(std::isinf(d.hausdorff));
    EXPECT_TRUE(std::isinf(d.hausdorff95));
    EXPECT_TRUE(std::isinf(d.averageSymmetric));
  }
}

// A single voxel is all boundary, a box filling the grid has its boundary on the grid's faces.
TEST(OverlapMetrics, BoundaryAtGridEdges) {
  ImageGeometry g;
  g.size = {6, 5, 4};
  g.spacing = {0.5, 1.5, 2.5};
  SparseMask full(g.size), corner(g.size);
  fillBox(full, {0, 0, 0}, g.size);
  corner.assign(0, 0, 0, true);
  const SurfaceDistances d = OverlapMetrics::surfaceDistances(full, corner, g);
  EXPECT_EQ(d.boundaryA, g.voxelCount() - 4 * 3 * 2);
  EXPECT_EQ(d.boundaryB, 1u);
  // The farthest boundary voxel of the full grid from (0, 0, 0) is its opposite corner.
  expectNear(std::hypot(5 * 0.5, 4 * 1.5, 3 * 2.5), d.hausdorff, "corner");
  const SurfaceDistances brute = bruteForce(full, corner, g);
  expectNear(brute.hausdorff95, d.hausdorff95, "hd95");
  expectNear(brute.averageSymmetric, d.averageSymmetric, "assd");
}

TEST(OverlapMetrics, DifferentGridsAreRefused) {
  ImageGeometry g;
  g.size = {8, 8, 8};
  SparseMask a(g.size), b({8, 8, 9});
  EXPECT_THROW(OverlapMetrics::dice(a, b), std::invalid_argument);
  EXPECT_THROW(OverlapMetrics::surfaceDistances(a, b, g), std::invalid_argument);
  g.direction[0][1] = 0.5;  // sheared: index distances are no longer world distances per axis
  SparseMask c(g.size);
  c.assign(1, 1, 1, true);
  EXPECT_THROW(OverlapMetrics::surfaceDistances(c, c, g), std::invalid_argument);
}

TEST(OverlapMetrics, EmptiedSlicesOfEachFamily) {
  const std::array<std::size_t, 3> size{12, 11, 10};
  SparseMask reference(size), result(size);
  fillBox(reference, {2, 3, 2}, {9, 8, 9});  // axial slices 2..8, coronal 3..7, sagittal 2..8
  fillBox(result, {2, 3, 2}, {9, 8, 6});     // axial 2..5
  fillBox(result, {4, 4, 8}, {5, 5, 9});     // and one voxel on axial slice 8
  SliceLoss axial = OverlapMetrics::emptiedSlices(reference, result, SliceOrientation::Axial);
  EXPECT_EQ(axial.referenceSlices, 7u);
  EXPECT_EQ(axial.emptied, (std::vector<std::size_t>{6, 7}));
  axial = OverlapMetrics::emptiedSlices(reference, result, SliceOrientation::Axial, 3, 6);
  EXPECT_EQ(axial.referenceSlices, 4u);
  EXPECT_EQ(axial.emptied, (std::vector<std::size_t>{6}));

  SparseMask thin(size);
  fillBox(thin, {2, 3, 2}, {9, 4, 9});  // coronal slice 3 only
  fillBox(thin, {2, 6, 2}, {3, 8, 9});  // sagittal slice 2 only, coronal 6 and 7
  const SliceLoss coronal =
      OverlapMetrics::emptiedSlices(reference, thin, SliceOrientation::Coronal);
  EXPECT_EQ(coronal.referenceSlices, 5u);
  EXPECT_EQ(coronal.emptied, (std::vector<std::size_t>{4, 5}));
  const SliceLoss sagittal =
      OverlapMetrics::emptiedSlices(reference, thin, SliceOrientation::Sagittal, 0, 100);
  EXPECT_EQ(sagittal.referenceSlices, 7u);
  EXPECT_TRUE(sagittal.emptied.empty());
  EXPECT_EQ(OverlapMetrics::sliceCounts(thin, SliceOrientation::Sagittal)[2], 7u + 2 * 7);
}

// Random blobs on small anisotropic oblique grids, some touching the grid's faces, against the
// O(n^2) definition.
TEST(OverlapMetrics, RandomMasksMatchBruteForce) {
  std::mt19937 random(20240611);
  std::uniform_real_distribution<double> spacing(0.3, 3.0);
  for (int trial = 0; trial < 40; ++trial) {
    std::uniform_int_distribution<std::size_t> extent(6, 22);
    const ImageGeometry g = obliqueGrid({extent(random), extent(random), extent(random)},
                                        {spacing(random), spacing(random), spacing(random)});
    auto blob = [&] {
      SparseMask m(g.size);
      std::uniform_int_distribution<int> count(1, 5);
      const int balls = count(random);
      for (int ball = 0; ball < balls; ++ball) {
        std::array<double, 3> c{};
        for (int axis = 0; axis < 3; ++axis) {
          c[axis] = std::uniform_real_distribution<double>(-1, double(g.size[axis]))(random);
        }
        const double r = std::uniform_real_distribution<double>(0.5, 5)(random);
        for (std::size_t k = 0; k < g.size[2]; ++k)
          for (std::size_t j = 0; j < g.size[1]; ++j)
            for (std::size_t i = 0; i < g.size[0]; ++i) {
              const double di = double(i) - c[0], dj = double(j) - c[1], dk = double(k) - c[2];
              if (di * di + dj * dj + dk * dk <= r * r) m.assign(i, j, k, true);
            }
      }
      // Salt: scattered single voxels make many tiny components.
      std::bernoulli_distribution salt(0.01);
      for (std::size_t k = 0; k < g.size[2]; ++k)
        for (std::size_t j = 0; j < g.size[1]; ++j)
          for (std::size_t i = 0; i < g.size[0]; ++i)
            if (salt(random)) m.assign(i, j, k, true);
      return m;
    };
    const SparseMask a = blob(), b = blob();
    if (a.empty() || b.empty()) continue;
    const SurfaceDistances got = OverlapMetrics::surfaceDistances(a, b, g);
    const SurfaceDistances want = bruteForce(a, b, g);
    const std::string what = "trial " + std::to_string(trial);
    EXPECT_EQ(got.boundaryA, want.boundaryA) << what;
    EXPECT_EQ(got.boundaryB, want.boundaryB) << what;
    expectNear(want.hausdorff, got.hausdorff, what + " hausdorff");
    expectNear(want.hausdorff95, got.hausdorff95, what + " hd95");
    expectNear(want.averageSymmetric, got.averageSymmetric, what + " assd");
    std::size_t both = 0;
    a.forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t n) {
      for (std::size_t t = 0; t < n; ++t) both += b.test(i + t, j, k);
    });
    expectNear(2.0 * double(both) / double(a.count() + b.count()), OverlapMetrics::dice(a, b),
               what + " dice");
  }
}

// TotalSegmentator's full and fast models on the same CT: every label against numpy.
TEST(OverlapMetrics, RealLabelPairMatchesNumpyReference) {
  const fs::path full = dataPath("nifti_totalseg/example_seg.nii.gz");
  const fs::path fast = dataPath("nifti_totalseg/example_seg_fast.nii.gz");
  const nlohmann::json reference = nlohmann::json::parse(runCommand(
      {ANNOTRACE_TEST_PYTHON, std::string(ANNOTRACE_TEST_PYTHON_DIR) + "/overlap_reference.py",
       full.string(), fast.string()}))["labels"];
  const Segmentation a = LabelmapFileIO::read(full).segmentation;
  const Segmentation b = LabelmapFileIO::read(fast).segmentation;
  const SparseMask empty(a.geometry().size);
  auto maskOf = [&](const Segmentation& s, int value) -> const SparseMask& {
    for (std::size_t p = 0; p < s.segmentCount(); ++p) {
      if (s.segmentAt(p).labelValue == value) return s.maskAt(p);
    }
    return empty;
  };
  ASSERT_GE(reference.size(), 40u);
  std::size_t withDistances = 0;
  for (const auto& [label, want] : reference.items()) {
    const int value = std::stoi(label);
    const SparseMask& ma = maskOf(a, value);
    const SparseMask& mb = maskOf(b, value);
    const std::string what = "label " + label;
    expectNear(want["dice"].get<double>(), OverlapMetrics::dice(ma, mb), what + " dice");
    const SurfaceDistances got = OverlapMetrics::surfaceDistances(ma, mb, a.geometry());
    EXPECT_EQ(got.boundaryA, want["boundary_a"].get<std::size_t>()) << what;
    EXPECT_EQ(got.boundaryB, want["boundary_b"].get<std::size_t>()) << what;
    if (want["hausdorff"].is_null()) {
      EXPECT_TRUE(std::isinf(got.hausdorff)) << what;
      continue;
    }
    ++withDistances;
    // nibabel's affine holds the file's float32 geometry: agree to a micrometre.
    EXPECT_NEAR(want["hausdorff"].get<double>(), got.hausdorff, 1e-4) << what;
    EXPECT_NEAR(want["hd95"].get<double>(), got.hausdorff95, 1e-4) << what;
    EXPECT_NEAR(want["assd"].get<double>(), got.averageSymmetric, 1e-4) << what;
  }
  EXPECT_GE(withDistances, 35u);
}
