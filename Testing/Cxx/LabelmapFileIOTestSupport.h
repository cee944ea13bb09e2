#pragma once

// What the label map file tests share: a test grid, a segmentation with (optionally)
// overlapping segments, an exact comparison of two segmentations and small file helpers.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "Segmentation/Segmentation.h"
#include "TestGeometry.h"
#include "Volume/Volume.h"

namespace annotrace::test::labelmap {

namespace fs = std::filesystem;
using nlohmann::json;

// Anisotropic and oblique, with sizes that cut bricks (16 voxels) in odd places.
inline ImageGeometry testGeometry() {
  ImageGeometry g;
  g.size = {37, 29, 13};
  g.spacing = {0.7, 0.85, 2.5};
  g.origin = {-101.25, 37.5, -412.75};
  g.direction = obliqueDirection();
  return g;
}

template <typename Fn>
void forEachInEllipsoid(const ImageGeometry& g, std::array<double, 3> c, std::array<double, 3> r,
                        Fn&& fn) {
  for (std::size_t k = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i) {
        const double x = (i - c[0]) / r[0], y = (j - c[1]) / r[1], z = (k - c[2]) / r[2];
        if (x * x + y * y + z * z <= 1) fn(i, j, k);
      }
}

inline void paintEllipsoid(Segmentation& s, SegmentId id, std::array<double, 3> c,
                           std::array<double, 3> r) {
  SparseMask& mask = s.mask(id);
  forEachInEllipsoid(s.geometry(), c, r, [&](std::size_t i, std::size_t j, std::size_t k) {
    mask.assign(i, j, k, true);
  });
}

// Liver, Tumor, Kidney (label 300), an empty segment and a deleted one (so the next id is
// above every id in the table). With `overlap` the tumour lies inside the liver, a vessel
// crosses both and a capsule reaches into the liver from below: three layers.
inline Segmentation makeSegmentation(bool overlap) {
  Segmentation s(testGeometry());
  Segment liver;
  liver.name = "Liver";
  liver.color = {221, 130, 101};
  liver.labelValue = 1;
  liver.terminology.category = {"123037004", "SCT", "Anatomical Structure"};
  liver.terminology.type = {"10200004", "SCT", "Liver"};
  liver.status = SegmentStatus::InProgress;
  liver.locked = true;
  const SegmentId liverId = s.addSegment(liver).id;

  Segment tumor;
  tumor.name = "Tumor";
  tumor.color = {250, 250, 10};
  tumor.labelValue = 5;
  tumor.terminology.category = {"49755003", "SCT", "Morphologically Altered Structure"};
  tumor.terminology.type = {"108369006", "SCT", "Neoplasm"};
  tumor.terminology.anatomicRegion = {"10200004", "SCT", "Liver"};
  tumor.status = SegmentStatus::Flagged;
  const SegmentId tumorId = s.addSegment(tumor).id;

  Segment scratch;
  scratch.name = "Scratch";
  scratch.labelValue = 0;
  s.removeSegment(s.addSegment(scratch).id);

  Segment kidney;
  kidney.name = "Kidney left";
  kidney.color = {185, 102, 83};
  kidney.labelValue = 300;
  kidney.terminology.category = {"123037004", "SCT", "Anatomical Structure"};
  kidney.terminology.type = {"64033007", "SCT", "Kidney"};
  kidney.terminology.typeModifier = {"7771000", "SCT", "Left"};
  kidney.status = SegmentStatus::Completed;
  kidney.visible = false;
  const SegmentId kidneyId = s.addSegment(kidney).id;

  Segment empty;
  empty.name = "Empty";
  empty.labelValue = 0;  // the smallest free value
  s.addSegment(empty);

  paintEllipsoid(s, liverId, {12, 14, 6}, {9, 8, 4});
  if (overlap) {
    paintEllipsoid(s, tumorId, {14, 14, 6}, {3, 3, 2});
  } else {
    paintEllipsoid(s, tumorId, {30, 6, 3}, {4, 3, 2});
  }
  paintEllipsoid(s, kidneyId, {28, 22, 9}, {6, 5, 3});
  SparseMask& k = s.mask(kidneyId);
  k.assign(0, 0, 0, true);
  k.assign(36, 28, 12, true);
  for (std::size_t i = 0; i < 37; ++i) k.assign(i, 0, 12, true);  // a run to the grid's edge

  if (overlap) {
    Segment vessel;
    vessel.name = "Vessel";
    vessel.labelValue = 9;
    const SegmentId vesselId = s.addSegment(vessel).id;
    for (std::size_t i = 5; i <= 20; ++i) s.mask(vesselId).assign(i, 14, 6, true);
    // Below the liver at first, then into it: layer 1 takes its first runs and gives them back.
    Segment capsule;
    capsule.name = "Capsule";
    capsule.labelValue = 12;
    paintEllipsoid(s, s.addSegment(capsule).id, {12, 14, 1}, {3, 3, 2});
  }
  return s;
}

inline void expectSameSegmentation(const Segmentation& read, const Segmentation& saved) {
  EXPECT_TRUE(read == saved) << "geometry, table or voxels differ";
  EXPECT_EQ(read.segments(), saved.segments());
  EXPECT_EQ(read.contentDigest(), saved.contentDigest());
  EXPECT_EQ(read.nextSegmentId(), saved.nextSegmentId());
  const ImageGeometry& a = read.geometry();
  const ImageGeometry& b = saved.geometry();
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.origin, b.origin);
  EXPECT_EQ(a.spacing, b.spacing);
  EXPECT_EQ(a.direction, b.direction);
  for (std::size_t p = 0; p < std::min(read.segmentCount(), saved.segmentCount()); ++p) {
    EXPECT_EQ(read.maskAt(p).count(), saved.maskAt(p).count()) << read.segmentAt(p).name;
  }
}

inline json readJson(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

inline void writeJson(const fs::path& path, const json& doc) {
  std::ofstream out(path, std::ios::trunc);
  out << doc.dump(2);
}

inline std::set<std::string> filesIn(const fs::path& folder) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

inline std::string errorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace annotrace::test::labelmap
