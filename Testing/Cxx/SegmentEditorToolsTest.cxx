// The editing tools against independent oracles and exact lattice counts: brush and sphere
// areas, strokes without gaps, planes that transpose, the intensity range, the editable area,
// the overlap policy, scissors through slabs, fills, and a real oblique MR and a real CT.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include <numbers>

#include "IO/VolumeReader.h"
#include "SegmentEditorTestSupport.h"
#include "Segmentation/EditRegionBuilder.h"
#include "TestData.h"

using namespace annotrace;
using namespace annotrace::test;

namespace {

double pointSegmentDistance(const Vec3& p, const Vec3& a, const Vec3& b) {
  const Vec3 ab{b[0] - a[0], b[1] - a[1], b[2] - a[2]};
  const Vec3 ap{p[0] - a[0], p[1] - a[1], p[2] - a[2]};
  const double l2 = ab[0] * ab[0] + ab[1] * ab[1] + ab[2] * ab[2];
  double t = l2 > 0 ? (ap[0] * ab[0] + ap[1] * ab[1] + ap[2] * ab[2]) / l2 : 0;
  t = std::clamp(t, 0.0, 1.0);
  const Vec3 d{ap[0] - t * ab[0], ap[1] - t * ab[1], ap[2] - t * ab[2]};
  return std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
}

/// Oracle of a brush stroke in world space: voxel centres within r of the polyline.
std::size_t countWithinStroke(const ImageGeometry& g, const std::vector<Vec3>& stroke, double r,
                              const SparseMask& mask, std::size_t& mismatches) {
  std::size_t count = 0;
  mismatches = 0;
  for (std::size_t k = 0; k < g.size[2]; ++k) {
    for (std::size_t j = 0; j < g.size[1]; ++j) {
      for (std::size_t i = 0; i < g.size[0]; ++i) {
        const Vec3 c = at(g, double(i), double(j), double(k));
        double best = 1e300;
        for (std::size_t s = 0; s + 1 < stroke.size(); ++s) {
          best = std::min(best, pointSegmentDistance(c, stroke[s], stroke[s + 1]));
        }
        if (stroke.size() == 1) best = pointSegmentDistance(c, stroke[0], stroke[0]);
        const bool inside = best <= r;
        count += inside;
        mismatches += inside != mask.test(i, j, k);
      }
    }
  }
  return count;
}

}  // namespace

TEST(SegmentEditorTools, CircleBrushOnAnIsotropicGridCoversTheGaussLatticeCount) {
  const ImageGeometry g = grid({41, 41, 5}, {1, 1, 1}, identityMatrix(), {0, 0, 0});
  const Volume volume = blankVolume(g);
  SegmentEditorLogic editor(volume, Segmentation(g));
  editor.apply(addSegment("Dab"));
  // Radius 10 mm around a voxel centre: N(10) = 317 lattice points (Gauss circle problem).
  const EditResult r = editor.apply(brush("Dab", SliceOrientation::Axial, {{20, 20, 2}}, 10.0));
  EXPECT_EQ(r.changedVoxels, 317u);
  EXPECT_EQ(voxels(editor, "Dab"), 317u);
  EXPECT_EQ(r.stepName, "Brush 10 mm on Dab");
}

TEST(SegmentEditorTools, SphereBrushCoversTheLatticeBallCount) {
  const ImageGeometry g = grid({21, 21, 21}, {1, 1, 1}, identityMatrix(), {0, 0, 0});
  const Volume volume = blankVolume(g);
  SegmentEditorLogic editor(volume, Segmentation(g));
  editor.apply(addSegment("Ball"));
  // Lattice points in a ball of radius 5: 515 (OEIS A000605).
  editor.apply(brush("Ball", SliceOrientation::Axial, {{10, 10, 10}}, 5.0, BrushShape::Sphere));
  EXPECT_EQ(voxels(editor, "Ball"), 515u);
}

TEST(SegmentEditorTools, BrushStrokesMatchTheWorldDistanceOracleOnObliqueAnisotropicGrids) {
  const ImageGeometry g =
      grid({60, 50, 20}, {0.7, 0.9, 2.5}, rotation({1, 2, 3}, 25), {-12.0, 4.0, 30.0});
  const Volume volume = blankVolume(g);
  for (BrushShape shape : {BrushShape::Circle, BrushShape::Sphere}) {
    for (SliceOrientation plane :
         {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal}) {
      SegmentEditorLogic editor(volume, Segmentation(g));
      editor.apply(addSegment("Stroke"));
      // A fast stroke: three far-apart samples on the plane; sweeping, not stamping, fills it.
      std::vector<Vec3> stroke;
      if (plane == SliceOrientation::Axial) {
        stroke = {at(g, 8.3, 9.1, 7), at(g, 45.6, 12.2, 7), at(g, 30.4, 40.7, 7)};
      } else if (plane == SliceOrientation::Coronal) {
        stroke = {at(g, 8.3, 21, 2.2), at(g, 45.6, 21, 9.7), at(g, 30.4, 21, 16.1)};
      } else {
        stroke = {at(g, 33, 6.3, 2.2), at(g, 33, 40.6, 9.7), at(g, 33, 25.4, 16.1)};
      }
      const double radius = shape == BrushShape::Circle ? 3.37 : 4.21;
      editor.apply(brush("Stroke", plane, stroke, radius, shape));
      const SparseMask& mask = maskOf(editor, "Stroke");
      std::size_t mismatches = 0;
      SparseMask onSlice = mask;
      std::size_t expected = 0;
      if (shape == BrushShape::Sphere) {
        expected = countWithinStroke(g, stroke, radius, mask, mismatches);
      } else {
        // The circle brush stays on its slice: the oracle counts only that slice.
        const int fixed = SliceSpec{plane, 0}.axes()[2];
        const std::size_t slice = EditRegionBuilder::nearestSlice(g, plane, stroke);
        for (std::size_t k = 0; k < g.size[2]; ++k) {
          for (std::size_t j = 0; j < g.size[1]; ++j) {
            for (std::size_t i = 0; i < g.size[0]; ++i) {
              const std::array<std::size_t, 3> idx{i, j, k};
              bool inside = false;
              if (idx[fixed] == slice) {
                const Vec3 c = at(g, double(i), double(j), double(k));
                for (std::size_t s = 0; s + 1 < stroke.size(); ++s) {
                  inside = inside || pointSegmentDistance(c, stroke[s], stroke[s + 1]) <= radius;
                }
              }
              expected += inside;
              mismatches += inside != mask.test(i, j, k);
            }
          }
        }
      }
      EXPECT_GT(expected, 100u);
      EXPECT_EQ(mask.count(), expected) << orientationName(plane);
      EXPECT_EQ(mismatches, 0u) << orientationName(plane);
    }
  }
}

TEST(SegmentEditorTools, RandomStrokesMatchTheWorldDistanceOracle) {
  // Random grids, radii and strokes, including repeated points and moves along a pixel row
  // (the closed-form row intervals' degenerate cases), against brute-force world distances.
  std::mt19937 random(21);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::size_t checked = 0;
  for (int trial = 0; trial < 24; ++trial) {
    const Vec3 spacing{0.5 + unit(random), 0.5 + unit(random), 0.8 + 2 * unit(random)};
    const ImageGeometry g =
        grid({34, 30, 12}, spacing, rotation({unit(random), unit(random), 1}, 60 * unit(random)));
    const Volume volume = blankVolume(g);
    const auto plane = static_cast<SliceOrientation>(trial % 3);
    const BrushShape shape = trial % 2 ? BrushShape::Sphere : BrushShape::Circle;
    const auto axes = SliceSpec{plane, 0}.axes();
    const double slice = std::floor(g.size[axes[2]] / 2.0);
    std::vector<Vec3> stroke;
    Vec3 index{};
    index[axes[2]] = slice;
    for (int n = 0; n < 5; ++n) {
      if (n == 2) {
        stroke.push_back(stroke.back());  // a repeated sample
        continue;
      }
      if (n == 4) {
        index[axes[0]] += 7;  // a move along the row
      } else {
        index[axes[0]] = unit(random) * double(g.size[axes[0]]);
        index[axes[1]] = unit(random) * double(g.size[axes[1]]);
      }
      stroke.push_back(g.indexToWorld(index));
    }
    const double radius = 0.7 + 4 * unit(random);
    SegmentEditorLogic editor(volume, Segmentation(g));
    editor.apply(addSegment("S"));
    editor.apply(brush("S", plane, stroke, radius, shape));
    const SparseMask& mask = maskOf(editor, "S");
    std::size_t mismatches = 0;
    for (std::size_t k = 0; k < g.size[2]; ++k) {
      for (std::size_t j = 0; j < g.size[1]; ++j) {
        for (std::size_t i = 0; i < g.size[0]; ++i) {
          const std::array<std::size_t, 3> idx{i, j, k};
          if (shape == BrushShape::Circle && double(idx[axes[2]]) != slice) {
            mismatches += mask.test(i, j, k);
            continue;
          }
          const Vec3 c = at(g, double(i), double(j), double(k));
          double best = 1e300;
          for (std::size_t n = 0; n + 1 < stroke.size(); ++n) {
            best = std::min(best, pointSegmentDistance(c, stroke[n], stroke[n + 1]));
          }
          mismatches += (best <= radius) != mask.test(i, j, k);
        }
      }
    }
    EXPECT_EQ(mismatches, 0u) << "trial " << trial;
    checked += mask.count();
  }
  EXPECT_GT(checked, 5000u);
}

TEST(SegmentEditorTools, SameStrokeOnAxialAndSagittalPlanesGivesTransposedVoxels) {
  const ImageGeometry g = grid({40, 40, 40}, {1.5, 1.5, 1.5}, identityMatrix(), {0, 0, 0});
  const Volume volume = blankVolume(g);
  SegmentEditorLogic editor(volume, Segmentation(g));
  editor.apply(addSegment("Axial"));
  editor.apply(addSegment("Sagittal"));
  const std::vector<Vec3> shape2d{{6.2, 7.9, 0}, {40.1, 12.4, 0}, {22.7, 33.3, 0}, {30.0, 20.0, 0}};
  std::vector<Vec3> onAxial, onSagittal;
  for (const Vec3& p : shape2d) {
    onAxial.push_back({p[0], p[1], 30.0});     // k = 20
    onSagittal.push_back({30.0, p[0], p[1]});  // i = 20, (a, b) -> (y, z)
  }
  EditConstraints allowOverlap;
  allowOverlap.overlap = OverlapPolicy::Allow;
  for (bool useBrush : {false, true}) {
    EditOperation a = useBrush ? brush("Axial", SliceOrientation::Axial, onAxial, 2.6)
                               : polygon("Axial", SliceOrientation::Axial, onAxial);
    EditOperation s = useBrush ? brush("Sagittal", SliceOrientation::Sagittal, onSagittal, 2.6)
                               : polygon("Sagittal", SliceOrientation::Sagittal, onSagittal);
    a.constraints = s.constraints = allowOverlap;
    editor.apply(a);
    editor.apply(s);
    const SparseMask& axial = maskOf(editor, "Axial");
    const SparseMask& sagittal = maskOf(editor, "Sagittal");
    ASSERT_GT(axial.count(), 50u);
    EXPECT_EQ(axial.count(), sagittal.count());
    for (std::size_t x = 0; x < 40; ++x) {
      for (std::size_t y = 0; y < 40; ++y) {
        EXPECT_EQ(axial.test(x, y, 20), sagittal.test(20, x, y)) << x << "," << y;
      }
    }
    editor.undo();
    editor.undo();
  }
}

TEST(SegmentEditorTools, IntensityRangeChangesOnlyVoxelsInRange) {
  const ImageGeometry g = grid({50, 50, 10}, {0.8, 0.8, 2.0}, identityMatrix());
  const Volume volume = makeVolume(g, [](std::size_t i, std::size_t j, std::size_t k) {
    return int((i * 37 + j * 11 + k) % 700) - 300;
  });
  SegmentEditorLogic editor(volume, Segmentation(g));
  editor.apply(addSegment("All"));
  editor.apply(addSegment("Soft"));
  const std::vector<Vec3> stroke{at(g, 10, 10, 4), at(g, 40, 35, 4)};
  EditOperation everything = brush("All", SliceOrientation::Axial, stroke, 5.0);
  everything.constraints.overlap = OverlapPolicy::Allow;
  editor.apply(everything);
  EditOperation limited = brush("Soft", SliceOrientation::Axial, stroke, 5.0);
  limited.constraints.overlap = OverlapPolicy::Allow;
  limited.constraints.intensityRange = IntensityRange{-100, 300};
  const EditResult r = editor.apply(limited);
  std::size_t inRange = 0;
  maskOf(editor, "All").forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t n) {
    for (std::size_t x = i; x < i + n; ++x) {
      const double value = volume.value(x, j, k);
      const bool expected = value >= -100 && value <= 300;
      inRange += expected;
      EXPECT_EQ(maskOf(editor, "Soft").test(x, j, k), expected) << value;
    }
  });
  EXPECT_GT(inRange, 100u);
  EXPECT_LT(inRange, voxels(editor, "All"));
  EXPECT_EQ(r.changedVoxels, inRange);
}

TEST(SegmentEditorTools, EditableAreaAndOverlapPolicy) {
  const ImageGeometry g = grid({40, 40, 6}, {1, 1, 1}, identityMatrix(), {0, 0, 0});
  const Volume volume = blankVolume(g);
  SegmentEditorLogic editor(volume, Segmentation(g));
  for (const char* name : {"Organ", "Lesion", "Outside", "Other"}) editor.apply(addSegment(name));
  // Organ: the square [10, 30) x [10, 30) on slice 3 (vertices between pixel centres).
  editor.apply(polygon("Organ", SliceOrientation::Axial,
                       {{9.5, 9.5, 3}, {29.5, 9.5, 3}, {29.5, 29.5, 3}, {9.5, 29.5, 3}}));
  ASSERT_EQ(voxels(editor, "Organ"), 400u);

  // Inside Organ only, overlap allowed: Lesion is the brush disc clipped to the square.
  EditOperation lesion = brush("Lesion", SliceOrientation::Axial, {{30, 20, 3}}, 6.0);
  lesion.constraints.editableArea = {EditableArea::Kind::InsideSegment, "Organ"};
  lesion.constraints.overlap = OverlapPolicy::Allow;
  editor.apply(lesion);
  std::size_t expectedLesion = 0;
  for (int x = 0; x < 40; ++x) {
    for (int y = 0; y < 40; ++y) {
      const bool inDisc = (x - 30) * (x - 30) + (y - 20) * (y - 20) <= 36;
      const bool inSquare = x >= 10 && x < 30 && y >= 10 && y < 30;
      expectedLesion += inDisc && inSquare;
      EXPECT_EQ(maskOf(editor, "Lesion").test(x, y, 3), inDisc && inSquare);
    }
  }
  EXPECT_EQ(voxels(editor, "Lesion"), expectedLesion);
  EXPECT_EQ(voxels(editor, "Organ"), 400u) << "overlap allowed: Organ keeps its voxels";

  // Outside all segments: nothing of Organ or Lesion is taken.
  EditOperation outside = brush("Outside", SliceOrientation::Axial, {{28, 20, 3}}, 8.0);
  outside.constraints.editableArea.kind = EditableArea::Kind::OutsideAllSegments;
  editor.apply(outside);
  maskOf(editor, "Outside")
      .forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t n) {
        for (std::size_t x = i; x < i + n; ++x) {
          EXPECT_FALSE(maskOf(editor, "Organ").test(x, j, k));
          EXPECT_FALSE(maskOf(editor, "Lesion").test(x, j, k));
        }
      });
  EXPECT_GT(voxels(editor, "Outside"), 50u);

  // Overwrite takes voxels from unlocked segments only.
  EditOperation lock;
  lock.tool = EditTool::UpdateSegment;
  lock.segment = "Lesion";
  lock.segmentFields = {{"locked", true}};
  EXPECT_EQ(editor.apply(lock).stepName, "Edit segment Lesion");
  const std::size_t lesionBefore = voxels(editor, "Lesion");
  editor.apply(brush("Other", SliceOrientation::Axial, {{25, 20, 3}}, 9.0));
  EXPECT_EQ(voxels(editor, "Lesion"), lesionBefore);
  EXPECT_LT(voxels(editor, "Organ"), 400u);
  for (int x = 0; x < 40; ++x) {
    for (int y = 0; y < 40; ++y) {
      EXPECT_FALSE(maskOf(editor, "Organ").test(x, y, 3) && maskOf(editor, "Other").test(x, y, 3));
    }
  }
  // A locked segment cannot be edited itself, and the failed edit changes nothing.
  const std::uint64_t digest = editor.segmentation().contentDigest();
  EXPECT_THROW(editor.apply(brush("Lesion", SliceOrientation::Axial, {{5, 5, 3}}, 2.0)),
               std::invalid_argument);
  EXPECT_EQ(editor.segmentation().contentDigest(), digest);
}

TEST(SegmentEditorTools, ScissorsThroughASlabAndTheWholeVolume) {
  const ImageGeometry g = grid({30, 30, 20}, {1, 1, 2}, identityMatrix(), {0, 0, 0});
  const Volume volume = blankVolume(g);
  SegmentEditorLogic editor(volume, Segmentation(g));
  editor.apply(addSegment("Block"));
  // Fill inside a 10 x 10 square on slices 2..17 (16 slices).
  EditOperation fill;
  fill.tool = EditTool::Scissors;
  fill.segment = "Block";
  fill.scissors = ScissorsAction::FillInside;
  fill.points = {{4.5, 4.5, 4}, {24.5, 4.5, 4}, {24.5, 24.5, 4}, {4.5, 24.5, 4}};  // 20 x 20
  fill.slab = std::pair<std::size_t, std::size_t>{2, 17};
  EXPECT_EQ(editor.apply(fill).stepName, "Scissors fill inside on Block (slices 2-17)");
  EXPECT_EQ(voxels(editor, "Block"), 400u * 16);

  EditOperation cut = fill;
  cut.scissors = ScissorsAction::EraseInside;
  cut.points = {{9.5, 9.5, 4}, {14.5, 9.5, 4}, {14.5, 14.5, 4}, {9.5, 14.5, 4}};  // 5 x 5
  cut.slab = std::pair<std::size_t, std::size_t>{5, 9};
  EXPECT_EQ(editor.apply(cut).changedVoxels, 25u * 5);
  EXPECT_FALSE(maskOf(editor, "Block").test(12, 12, 7));
  EXPECT_TRUE(maskOf(editor, "Block").test(12, 12, 10));

  EditOperation keep = cut;
  keep.scissors = ScissorsAction::EraseOutside;
  keep.slab.reset();
  keep.wholeVolume = true;
  keep.points = {{14.5, 4.5, 4}, {24.5, 4.5, 4}, {24.5, 24.5, 4}, {14.5, 24.5, 4}};  // 10 x 20
  editor.apply(keep);
  EXPECT_EQ(voxels(editor, "Block"), 200u * 16);
  EXPECT_FALSE(maskOf(editor, "Block").test(10, 10, 3));
}

TEST(SegmentEditorTools, FillSeedHolesIslandsAndOpenRegions) {
  const ImageGeometry g = grid({30, 30, 3}, {1, 1, 1}, identityMatrix(), {0, 0, 0});
  const Volume volume = blankVolume(g);
  SegmentEditorLogic editor(volume, Segmentation(g));
  editor.apply(addSegment("Ring"));
  editor.apply(polygon("Ring", SliceOrientation::Axial,
                       {{4.5, 4.5, 1}, {24.5, 4.5, 1}, {24.5, 24.5, 1}, {4.5, 24.5, 1}}));
  editor.apply(polygon("Ring", SliceOrientation::Axial,
                       {{9.5, 9.5, 1}, {19.5, 9.5, 1}, {19.5, 19.5, 1}, {9.5, 19.5, 1}}, true));
  ASSERT_EQ(voxels(editor, "Ring"), 400u - 100u);

  EditOperation seed;
  seed.tool = EditTool::Fill;
  seed.segment = "Ring";
  seed.points = {{14, 14, 1}};
  EXPECT_EQ(editor.apply(seed).changedVoxels, 100u);
  editor.undo();
  EditOperation holes = seed;
  holes.fill = FillMode::Holes;
  EXPECT_EQ(editor.apply(holes).stepName, "Fill holes on Ring");
  EXPECT_EQ(voxels(editor, "Ring"), 400u);
  editor.undo();

  // A seed outside the ring reaches the slice edge: refused, nothing changes.
  EditOperation open = seed;
  open.points = {{1, 1, 1}};
  try {
    editor.apply(open);
    ADD_FAILURE() << "an open region was filled";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("not enclosed"), std::string::npos) << e.what();
  }
  EXPECT_EQ(voxels(editor, "Ring"), 300u);

  // Erase island removes the connected piece under the seed only.
  editor.apply(polygon("Ring", SliceOrientation::Axial,
                       {{26.5, 26.5, 1}, {28.5, 26.5, 1}, {28.5, 28.5, 1}, {26.5, 28.5, 1}}));
  EditOperation island = seed;
  island.erase = true;
  island.points = {{5, 5, 1}};
  EXPECT_EQ(editor.apply(island).changedVoxels, 300u);
  EXPECT_EQ(voxels(editor, "Ring"), 4u);
}

TEST(SegmentEditorTools, NoOpEditsLeaveNoStepAndBadInputChangesNothing) {
  const ImageGeometry g = grid({20, 20, 4}, {1, 1, 1}, identityMatrix(), {0, 0, 0});
  const Volume volume = blankVolume(g);
  SegmentEditorLogic editor(volume, Segmentation(g));
  editor.apply(addSegment("Liver"));
  const std::size_t steps = editor.history().undoSteps().size();
  const std::size_t logged = editor.operationLog().size();
  EXPECT_FALSE(
      editor.apply(brush("Liver", SliceOrientation::Axial, {{5, 5, 1}}, 3, {}, true)).changed);
  editor.apply(brush("Liver", SliceOrientation::Axial, {{5, 5, 1}}, 3));
  EXPECT_FALSE(editor.apply(brush("Liver", SliceOrientation::Axial, {{5, 5, 1}}, 3)).changed);
  EXPECT_EQ(editor.history().undoSteps().size(), steps + 1);
  EXPECT_EQ(editor.operationLog().size(), logged + 1);

  EXPECT_THROW(editor.apply(brush("Spleen", SliceOrientation::Axial, {{5, 5, 1}}, 3)),
               std::invalid_argument);
  EditOperation offGrid = brush("Liver", SliceOrientation::Axial, {{5, 5, 1}}, 3);
  offGrid.slice = 4;
  EXPECT_THROW(editor.apply(offGrid), std::invalid_argument);
  EXPECT_THROW(editor.apply(brush("Liver", SliceOrientation::Axial, {{5, 5, 90}}, 3)),
               std::invalid_argument);
  EXPECT_THROW(editor.apply(addSegment("liver")), std::invalid_argument) << "duplicate name";
  EXPECT_EQ(editor.history().undoSteps().size(), steps + 1);
}

TEST(SegmentEditorTools, OperationsRoundTripThroughJsonAndBadJsonIsNamed) {
  EditOperation op =
      brush("Liver", SliceOrientation::Coronal, {{1, 2, 3}, {4.5, 6, 7}}, 5, BrushShape::Sphere);
  op.slice = 12;
  op.constraints.intensityRange = IntensityRange{-100, 300};
  op.constraints.editableArea = {EditableArea::Kind::InsideSegment, "Abdomen"};
  op.constraints.overlap = OverlapPolicy::Allow;
  EXPECT_EQ(EditOperation::fromJson(op.toJson()), op);
  EditOperation scissors;
  scissors.tool = EditTool::Scissors;
  scissors.segment = "Liver";
  scissors.scissors = ScissorsAction::FillOutside;
  scissors.points = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
  scissors.slab = std::pair<std::size_t, std::size_t>{3, 9};
  EXPECT_EQ(EditOperation::fromJson(scissors.toJson()), scissors);

  auto message = [](const nlohmann::json& j) {
    try {
      EditOperation::fromJson(j);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message({{"tool", "paintbrush"}}).find("unknown tool"), std::string::npos);
  EXPECT_NE(
      message({{"tool", "brush"}, {"segment", "L"}, {"points", {{0, 0, 0}}}}).find("radius_mm"),
      std::string::npos);
  EXPECT_NE(
      message({{"tool", "polygon"}, {"segment", "L"}, {"points", {{0, 0, 0}}}}).find("at least 3"),
      std::string::npos);
  EXPECT_NE(message({{"tool", "brush"},
                     {"segment", "L"},
                     {"radius_mm", 2},
                     {"plane", "oblique"},
                     {"points", {{0, 0, 0}}}})
                .find("plane"),
            std::string::npos);
}

TEST(SegmentEditorTools, PolygonsOnARealObliqueMrMatchAnEvenOddOracleInWorldSpace) {
  const Volume volume = VolumeReader::read(dataPath("mr_philips_mprage_sag_oblique"));
  const ImageGeometry& g = volume.geometry();
  ASSERT_FALSE(g.hasOrthonormalDirection() && g.orientationCode() == "LPS")
      << "expected an oblique grid";
  std::mt19937 random(11);
  for (SliceOrientation plane :
       {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal}) {
    const auto axes = SliceSpec{plane, 0}.axes();
    const std::size_t slice = g.size[axes[2]] / 2;
    // A random star-shaped (simple) polygon around the slice centre, vertices off the lattice.
    std::vector<std::array<double, 2>> uv;
    const double cu = g.size[axes[0]] / 2.0, cv = g.size[axes[1]] / 2.0;
    std::uniform_real_distribution<double> radius(10.0, 60.0);
    for (int n = 0; n < 24; ++n) {
      const double t = 2 * std::numbers::pi * n / 24;
      const double r = radius(random) + 0.123;
      uv.push_back({cu + r * std::cos(t), cv + r * std::sin(t)});
    }
    std::vector<Vec3> world;
    for (const auto& p : uv) {
      Vec3 index{};
      index[axes[0]] = p[0];
      index[axes[1]] = p[1];
      index[axes[2]] = double(slice);
      world.push_back(g.indexToWorld(index));
    }
    SegmentEditorLogic editor(volume, Segmentation(g));
    editor.apply(addSegment("Region"));
    editor.apply(polygon("Region", plane, world));
    // Oracle: even-odd test of each voxel centre in the plane's own world basis.
    const Vec3 origin = world.front();
    Vec3 e1{}, e2{};
    for (int r = 0; r < 3; ++r) {
      e1[r] = g.direction[r][axes[0]];
      e2[r] = g.direction[r][axes[1]];
    }
    auto planar = [&](const Vec3& p) {
      const Vec3 d{p[0] - origin[0], p[1] - origin[1], p[2] - origin[2]};
      return std::array<double, 2>{d[0] * e1[0] + d[1] * e1[1] + d[2] * e1[2],
                                   d[0] * e2[0] + d[1] * e2[1] + d[2] * e2[2]};
    };
    std::vector<std::array<double, 2>> poly;
    for (const Vec3& p : world) poly.push_back(planar(p));
    std::size_t expected = 0, mismatches = 0;
    for (std::size_t v = 0; v < g.size[axes[1]]; ++v) {
      for (std::size_t u = 0; u < g.size[axes[0]]; ++u) {
        std::array<std::size_t, 3> idx{};
        idx[axes[0]] = u;
        idx[axes[1]] = v;
        idx[axes[2]] = slice;
        const auto q = planar(at(g, double(idx[0]), double(idx[1]), double(idx[2])));
        bool inside = false;
        for (std::size_t a = 0, b = poly.size() - 1; a < poly.size(); b = a++) {
          if ((poly[a][1] > q[1]) != (poly[b][1] > q[1]) &&
              q[0] < (poly[b][0] - poly[a][0]) * (q[1] - poly[a][1]) / (poly[b][1] - poly[a][1]) +
                         poly[a][0]) {
            inside = !inside;
          }
        }
        expected += inside;
        mismatches += inside != maskOf(editor, "Region").test(idx[0], idx[1], idx[2]);
      }
    }
    EXPECT_GT(expected, 1000u) << orientationName(plane);
    EXPECT_EQ(voxels(editor, "Region"), expected) << orientationName(plane);
    EXPECT_EQ(mismatches, 0u) << orientationName(plane);
  }
}

TEST(SegmentEditorTools, IntensityRangeOnARealCtKeepsOnlySoftTissue) {
  const Volume volume = VolumeReader::read(dataPath("ct_philips_phantom_tilt/S21570"));
  const ImageGeometry& g = volume.geometry();
  SegmentEditorLogic editor(volume, Segmentation(g));
  editor.apply(addSegment("Soft tissue"));
  const std::size_t k = g.size[2] / 2;
  EditOperation op = brush("Soft tissue", SliceOrientation::Axial,
                           {at(g, 150, 256, double(k)), at(g, 360, 256, double(k))}, 40.0);
  op.constraints.intensityRange = IntensityRange{-100, 300};
  const EditResult r = editor.apply(op);
  ASSERT_GT(r.changedVoxels, 1000u);
  std::size_t inRangeInStroke = 0;
  const EditRegion region = EditRegionBuilder::brushStroke(g, {SliceOrientation::Axial, k},
                                                           op.points, 40.0, BrushShape::Circle);
  for (const auto& s : region.slices) {
    for (std::size_t v = 0; v < s.mask->height; ++v) {
      for (std::size_t u = 0; u < s.mask->width; ++u) {
        if (!s.mask->at(u, v)) continue;
        const double value = volume.value(s.u0 + u, s.v0 + v, k);
        const bool editable = value >= -100 && value <= 300;
        inRangeInStroke += editable;
        EXPECT_EQ(maskOf(editor, "Soft tissue").test(s.u0 + u, s.v0 + v, k), editable);
      }
    }
  }
  EXPECT_EQ(r.changedVoxels, inRangeInStroke);
  EXPECT_LT(inRangeInStroke, region.voxelCount()) << "the phantom has voxels outside the range";
}
