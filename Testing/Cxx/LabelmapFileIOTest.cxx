// Label map files with a JSON sidecar (LabelmapFileIO): exact round trips in every format,
// overlap layers, files nibabel reads voxel for voxel, label maps made by another tool, the
// sidecar's consistency checks and the saved undo history.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "IO/VolumeFileIO.h"
#include "Segmentation/LabelmapFileIO.h"
#include "Segmentation/Segmentation.h"
#include "Segmentation/UndoHistory.h"
#include "Segmentation/UndoStep.h"
#include "TestData.h"
#include "TestGeometry.h"
#include "Volume/Volume.h"

namespace fs = std::filesystem;
using annotrace::FlipRecorder;
using annotrace::ImageGeometry;
using annotrace::LabelmapBundle;
using annotrace::LabelmapFileIO;
using annotrace::Mat3;
using annotrace::Segment;
using annotrace::Segmentation;
using annotrace::SegmentId;
using annotrace::SegmentStatus;
using annotrace::SegmentTableChange;
using annotrace::SparseMask;
using annotrace::UndoHistory;
using annotrace::UndoStep;
using annotrace::Volume;
using annotrace::VolumeFileIO;
using annotrace::test::TempDir;
using nlohmann::json;

namespace {

using annotrace::test::obliqueDirection;

// Anisotropic and oblique, with sizes that cut bricks (16 voxels) in odd places.
ImageGeometry testGeometry() {
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

void paintEllipsoid(Segmentation& s, SegmentId id, std::array<double, 3> c,
                    std::array<double, 3> r) {
  SparseMask& mask = s.mask(id);
  forEachInEllipsoid(s.geometry(), c, r, [&](std::size_t i, std::size_t j, std::size_t k) {
    mask.assign(i, j, k, true);
  });
}

// Liver, Tumor, Kidney (label 300), an empty segment and a deleted one (so the next id is
// above every id in the table). With `overlap` the tumour lies inside the liver, a vessel
// crosses both and a capsule reaches into the liver from below: three layers.
Segmentation makeSegmentation(bool overlap) {
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

void expectSameSegmentation(const Segmentation& read, const Segmentation& saved) {
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

json readJson(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

void writeJson(const fs::path& path, const json& doc) {
  std::ofstream out(path, std::ios::trunc);
  out << doc.dump(2);
}

std::set<std::string> filesIn(const fs::path& folder) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

std::string errorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

json labelmapReference(const fs::path& file, bool voxels) {
  std::vector<std::string> arguments{
      ANNOTRACE_TEST_PYTHON, std::string(ANNOTRACE_TEST_PYTHON_DIR) + "/labelmap_reference.py"};
  if (voxels) arguments.push_back("--voxels");
  arguments.push_back(file.string());
  json ref = json::parse(annotrace::test::runCommand(arguments));
  if (ref.contains("error")) {
    throw std::runtime_error("reference failed on " + file.string() + ": " +
                             ref["error"].get<std::string>());
  }
  return ref;
}

// Our LPS index-to-world matrix in RAS terms (negate the first two rows), as nibabel gives it.
std::array<std::array<double, 4>, 4> rasMatrix(const ImageGeometry& g) {
  auto m = g.indexToWorldMatrix();
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 4; ++c) m[r][c] = -m[r][c];
  return m;
}

// --- File names ------------------------------------------------------------------------------

TEST(LabelmapFileIO, FileNames) {
  EXPECT_EQ(LabelmapFileIO::sidecarPath("/a/liver.nii.gz"), fs::path("/a/liver.seg.json"));
  EXPECT_EQ(LabelmapFileIO::historyPath("/a/liver.nii.gz"), fs::path("/a/liver.undo"));
  EXPECT_EQ(LabelmapFileIO::layerPath("/a/liver.nii.gz", 2), fs::path("/a/liver.layer2.nii.gz"));
  EXPECT_EQ(LabelmapFileIO::layerPath("/a/liver.nii.gz", 1), fs::path("/a/liver.nii.gz"));
  EXPECT_EQ(LabelmapFileIO::sidecarPath("case.1.NII.GZ"), fs::path("case.1.seg.json"));
  EXPECT_EQ(LabelmapFileIO::layerPath("seg.nhdr", 3), fs::path("seg.layer3.nhdr"));
  EXPECT_EQ(LabelmapFileIO::historyPath("seg.nrrd"), fs::path("seg.undo"));
  EXPECT_TRUE(LabelmapFileIO::isSupportedFile("x.nii"));
  EXPECT_TRUE(LabelmapFileIO::isSupportedFile("x.nrrd"));
  EXPECT_FALSE(LabelmapFileIO::isSupportedFile("x.seg.json"));
  EXPECT_FALSE(LabelmapFileIO::isSupportedFile("x.dcm"));
}

// --- Round trips -----------------------------------------------------------------------------

class LabelmapRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(LabelmapRoundTrip, SegmentsAndVoxelsSurviveExactly) {
  TempDir dir;
  const Segmentation saved = makeSegmentation(false);
  ASSERT_EQ(saved.nextSegmentId(), 6u);  // ids 1, 2, 4, 5; 3 was deleted
  const fs::path file = dir.path() / ("liver" + GetParam());
  const json operations = json::array(
      {{{"op", "brush"}, {"segment", 1}, {"radius_mm", 5}}, {{"op", "erase"}, {"segment", 1}}});
  LabelmapFileIO::write(saved, file, nullptr, operations);

  // One layer, no temporary files left behind.
  for (const auto& name : filesIn(dir.path())) EXPECT_NE(name[0], '.') << name;
  EXPECT_TRUE(fs::exists(LabelmapFileIO::sidecarPath(file)));
  EXPECT_FALSE(fs::exists(LabelmapFileIO::layerPath(file, 2)));
  EXPECT_FALSE(fs::exists(LabelmapFileIO::historyPath(file)));

  const json sidecar = readJson(LabelmapFileIO::sidecarPath(file));
  EXPECT_EQ(sidecar["format"], "annotrace-segmentation");
  EXPECT_EQ(sidecar["version"], 1);
  EXPECT_EQ(sidecar["labelmap"], file.filename().string());
  EXPECT_EQ(sidecar["layers"], json::array({file.filename().string()}));
  EXPECT_EQ(sidecar["next_segment_id"], 6);
  EXPECT_TRUE(sidecar["history"].is_null());
  ASSERT_EQ(sidecar["segments"].size(), 4u);
  EXPECT_EQ(sidecar["segments"][0]["voxel_count"], saved.maskAt(0).count());
  EXPECT_EQ(sidecar["segments"][3]["voxel_count"], 0);
  EXPECT_EQ(sidecar["segments"][2]["label_value"], 300);
  EXPECT_EQ(sidecar["software"].get<std::string>().rfind("annotrace ", 0), 0u);
  EXPECT_EQ(sidecar["saved_utc"].get<std::string>().back(), 'Z');

  const LabelmapBundle bundle = LabelmapFileIO::read(file);
  expectSameSegmentation(bundle.segmentation, saved);
  EXPECT_EQ(bundle.operationLog, operations);
  EXPECT_FALSE(bundle.history.canUndo());
  EXPECT_TRUE(bundle.warnings.empty()) << bundle.warnings.front();

  // The label voxels themselves are int16 with each segment's label value.
  const Volume volume = VolumeFileIO::read(file);
  ASSERT_TRUE(volume.isInt16());
  EXPECT_EQ(volume.value(36, 28, 12), 300);
  EXPECT_EQ(volume.value(12, 14, 6), 1);
  EXPECT_EQ(volume.value(30, 6, 3), 5);
  EXPECT_EQ(volume.value(20, 27, 0), 0);

  // Saving over an earlier save works and gives the same files.
  LabelmapFileIO::write(bundle.segmentation, file, nullptr, bundle.operationLog);
  expectSameSegmentation(LabelmapFileIO::read(file).segmentation, saved);
}

INSTANTIATE_TEST_SUITE_P(Formats, LabelmapRoundTrip,
                         ::testing::Values(".nii.gz", ".nrrd", ".nii", ".nhdr"),
                         [](const auto& info) {
                           std::string name = info.param.substr(1);
                           std::replace(name.begin(), name.end(), '.', '_');
                           return name;
                         });

TEST(LabelmapFileIO, OverlappingSegmentsGoToLayers) {
  TempDir dir;
  const Segmentation saved = makeSegmentation(true);
  const fs::path file = dir.path() / "liver.nii.gz";
  LabelmapFileIO::write(saved, file);

  const json sidecar = readJson(LabelmapFileIO::sidecarPath(file));
  EXPECT_EQ(sidecar["layers"],
            json::array({"liver.nii.gz", "liver.layer2.nii.gz", "liver.layer3.nii.gz"}));
  std::map<std::string, int> layerOf;
  for (const auto& s : sidecar["segments"]) layerOf[s["name"]] = s["layer"];
  // Greedy: Tumor overlaps Liver; Vessel overlaps Liver and Tumor; Capsule overlaps Liver only;
  // Kidney overlaps nothing.
  EXPECT_EQ(layerOf, (std::map<std::string, int>{{"Liver", 1},
                                                 {"Tumor", 2},
                                                 {"Kidney left", 1},
                                                 {"Empty", 1},
                                                 {"Vessel", 3},
                                                 {"Capsule", 2}}));
  EXPECT_TRUE(fs::exists(dir.path() / "liver.layer2.nii.gz"));
  EXPECT_TRUE(fs::exists(dir.path() / "liver.layer3.nii.gz"));

  const LabelmapBundle bundle = LabelmapFileIO::read(file);
  expectSameSegmentation(bundle.segmentation, saved);

  // Saved again without overlap: the extra layers of the earlier save are tidied away.
  LabelmapFileIO::write(makeSegmentation(false), file);
  EXPECT_EQ(filesIn(dir.path()), (std::set<std::string>{"liver.nii.gz", "liver.seg.json"}));
  expectSameSegmentation(LabelmapFileIO::read(file).segmentation, makeSegmentation(false));
}

TEST(LabelmapFileIO, OverlapLayersRoundTripInNrrd) {
  for (const std::string extension : {".nrrd", ".nhdr"}) {
    SCOPED_TRACE(extension);
    TempDir dir;
    const Segmentation saved = makeSegmentation(true);
    const fs::path file = dir.path() / ("seg" + extension);
    LabelmapFileIO::write(saved, file);
    EXPECT_TRUE(fs::exists(dir.path() / ("seg.layer3" + extension)));
    expectSameSegmentation(LabelmapFileIO::read(file).segmentation, saved);

    // Without overlap the extra layers go, detached data files (.nhdr) included.
    const std::set<std::string> before = filesIn(dir.path());
    LabelmapFileIO::write(makeSegmentation(false), file);
    const std::set<std::string> after = filesIn(dir.path());
    EXPECT_EQ(after.size(), extension == ".nhdr" ? 3u : 2u);
    for (const auto& name : after) EXPECT_TRUE(before.count(name)) << name;
    for (const auto& name : after) EXPECT_EQ(name.find("layer"), std::string::npos) << name;
  }
}

// --- Other tools read our files --------------------------------------------------------------

TEST(LabelmapFileIO, NibabelReadsEveryLayerVoxelForVoxel) {
  TempDir dir;
  const Segmentation saved = makeSegmentation(true);
  const fs::path file = dir.path() / "liver.nii.gz";
  LabelmapFileIO::write(saved, file);
  const json sidecar = readJson(LabelmapFileIO::sidecarPath(file));
  const ImageGeometry& g = saved.geometry();
  const auto ras = rasMatrix(g);

  for (std::size_t layer = 1; layer <= sidecar["layers"].size(); ++layer) {
    const fs::path layerFile = dir.path() / sidecar["layers"][layer - 1].get<std::string>();
    SCOPED_TRACE(layerFile.filename().string());
    // The expected labels, straight from the masks and the sidecar's layer assignment.
    std::vector<int> expected(g.voxelCount(), 0);
    for (std::size_t p = 0; p < saved.segmentCount(); ++p) {
      if (sidecar["segments"][p]["layer"] != layer) continue;
      const int value = saved.segmentAt(p).labelValue;
      for (std::size_t k = 0; k < g.size[2]; ++k)
        for (std::size_t j = 0; j < g.size[1]; ++j)
          for (std::size_t i = 0; i < g.size[0]; ++i) {
            if (saved.maskAt(p).test(i, j, k)) {
              ASSERT_EQ(expected[g.linearIndex(i, j, k)], 0) << "overlap inside one layer";
              expected[g.linearIndex(i, j, k)] = value;
            }
          }
    }
    const json ref = labelmapReference(layerFile, true);
    EXPECT_EQ(ref["shape"], json::array({g.size[0], g.size[1], g.size[2]}));
    EXPECT_EQ(ref["dtype"], "int16");
    std::vector<int> actual;
    for (const auto& run : ref["voxels"])
      actual.insert(actual.end(), run[1].get<std::size_t>(), run[0].get<int>());
    ASSERT_EQ(actual.size(), expected.size());
    std::size_t differing = 0;
    for (std::size_t n = 0; n < actual.size(); ++n) differing += actual[n] != expected[n];
    EXPECT_EQ(differing, 0u) << "voxels nibabel reads differently";
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 4; ++c) {
        EXPECT_NEAR(ref["rasAffine"][r][c].get<double>(), ras[r][c], 1e-4)
            << "affine element (" << r << ", " << c << ")";
      }
  }
}

// --- Label maps from other tools -------------------------------------------------------------

TEST(LabelmapFileIO, ImportsTotalSegmentatorLabelsWithoutSidecar) {
  const fs::path file = annotrace::test::dataPath("nifti_totalseg/example_seg.nii.gz");
  ASSERT_FALSE(fs::exists(LabelmapFileIO::sidecarPath(file)));
  const json ref = labelmapReference(file, false);
  const LabelmapBundle bundle = LabelmapFileIO::read(file);
  const Segmentation& s = bundle.segmentation;

  ASSERT_EQ(s.segmentCount(), ref["counts"].size());
  EXPECT_GE(s.segmentCount(), 30u);
  int previous = 0;
  std::set<std::array<std::uint8_t, 3>> colors;
  for (std::size_t p = 0; p < s.segmentCount(); ++p) {
    const Segment& segment = s.segmentAt(p);
    EXPECT_GT(segment.labelValue, previous) << "segments follow ascending label values";
    previous = segment.labelValue;
    const std::string value = std::to_string(segment.labelValue);
    EXPECT_EQ(segment.name, "Label " + value);
    ASSERT_TRUE(ref["counts"].contains(value)) << value;
    EXPECT_EQ(s.maskAt(p).count(), ref["counts"][value].get<std::size_t>()) << segment.name;
    colors.insert(segment.color);
  }
  EXPECT_EQ(colors.size(), s.segmentCount()) << "imported labels get distinct colours";
  EXPECT_TRUE(bundle.operationLog.empty());
  EXPECT_FALSE(bundle.history.canUndo());

  // On the CT's own grid: accepted, and the segmentation takes the image's exact geometry.
  const ImageGeometry ct =
      VolumeFileIO::read(annotrace::test::dataPath("nifti_totalseg/example_ct_sm.nii.gz"))
          .geometry();
  const LabelmapBundle onCt = LabelmapFileIO::read(file, &ct);
  EXPECT_EQ(onCt.segmentation.geometry().origin, ct.origin);
  EXPECT_EQ(onCt.segmentation.contentDigest(), s.contentDigest());

  // Imported, saved with a sidecar, read again: the same.
  TempDir dir;
  LabelmapFileIO::write(s, dir.path() / "totalseg.nii.gz");
  expectSameSegmentation(LabelmapFileIO::read(dir.path() / "totalseg.nii.gz").segmentation, s);
}

// --- Consistency checks ----------------------------------------------------------------------

TEST(LabelmapFileIO, GeometryMismatchIsAnError) {
  TempDir dir;
  const Segmentation saved = makeSegmentation(false);
  const fs::path file = dir.path() / "liver.nii.gz";
  LabelmapFileIO::write(saved, file);

  ImageGeometry close = saved.geometry();
  close.origin[0] += 2e-4;
  close.spacing[2] += 2e-4;
  const LabelmapBundle accepted = LabelmapFileIO::read(file, &close);
  EXPECT_EQ(accepted.segmentation.geometry().origin, close.origin) << "takes the image's grid";
  EXPECT_EQ(accepted.segmentation.contentDigest(), saved.contentDigest());

  auto failure = [&](const std::function<void(ImageGeometry&)>& change) {
    ImageGeometry expected = saved.geometry();
    change(expected);
    return errorOf([&] { LabelmapFileIO::read(file, &expected); });
  };
  const std::string origin = failure([](ImageGeometry& g) { g.origin[1] += 0.01; });
  EXPECT_NE(origin.find("liver.nii.gz"), std::string::npos) << origin;
  EXPECT_NE(origin.find("does not match the image: origin"), std::string::npos) << origin;
  const std::string spacing = failure([](ImageGeometry& g) { g.spacing[0] = 0.75; });
  EXPECT_NE(spacing.find("spacing"), std::string::npos) << spacing;
  EXPECT_EQ(spacing.find("origin"), std::string::npos) << spacing;
  const std::string size = failure([](ImageGeometry& g) { g.size[2] = 14; });
  EXPECT_NE(size.find("size 37 x 29 x 13 instead of 37 x 29 x 14"), std::string::npos) << size;
  const std::string direction =
      failure([](ImageGeometry& g) { g.direction = annotrace::identityMatrix(); });
  EXPECT_NE(direction.find("direction"), std::string::npos) << direction;
}

TEST(LabelmapFileIO, TamperedVoxelCountIsAnError) {
  TempDir dir;
  const Segmentation saved = makeSegmentation(false);
  const fs::path file = dir.path() / "liver.nii.gz";
  LabelmapFileIO::write(saved, file);
  json sidecar = readJson(LabelmapFileIO::sidecarPath(file));
  const std::size_t count = saved.maskAt(0).count();
  sidecar["segments"][0]["voxel_count"] = count + 100;
  writeJson(LabelmapFileIO::sidecarPath(file), sidecar);
  const std::string error = errorOf([&] { LabelmapFileIO::read(file); });
  EXPECT_NE(
      error.find("liver.nii.gz does not match its sidecar: segment Liver has " +
                 std::to_string(count) + " voxels, sidecar says " + std::to_string(count + 100)),
      std::string::npos)
      << error;
}

TEST(LabelmapFileIO, LabelMapChangedByAnotherToolIsAnError) {
  TempDir dir;
  const fs::path file = dir.path() / "liver.nrrd";
  LabelmapFileIO::write(makeSegmentation(false), file);
  Volume volume = VolumeFileIO::read(file);
  auto& voxels = std::get<annotrace::VoxelVector<std::int16_t>>(volume.voxels());

  voxels[volume.geometry().linearIndex(20, 27, 0)] = 99;  // a value no segment has
  VolumeFileIO::write(volume, file);
  std::string error = errorOf([&] { LabelmapFileIO::read(file); });
  EXPECT_NE(error.find("label value 99 belongs to no segment of liver.seg.json"), std::string::npos)
      << error;

  voxels[volume.geometry().linearIndex(20, 27, 0)] = 1;  // one more Liver voxel
  VolumeFileIO::write(volume, file);
  error = errorOf([&] { LabelmapFileIO::read(file); });
  EXPECT_NE(error.find("segment Liver has"), std::string::npos) << error;
}

TEST(LabelmapFileIO, MissingLayerIsAnError) {
  TempDir dir;
  const fs::path file = dir.path() / "liver.nii.gz";
  LabelmapFileIO::write(makeSegmentation(true), file);
  fs::remove(dir.path() / "liver.layer2.nii.gz");
  const std::string error = errorOf([&] { LabelmapFileIO::read(file); });
  EXPECT_NE(error.find("liver.layer2.nii.gz"), std::string::npos) << error;
  EXPECT_NE(error.find("missing"), std::string::npos) << error;
}

TEST(LabelmapFileIO, DamagedOrForeignSidecarIsAnError) {
  TempDir dir;
  const fs::path file = dir.path() / "liver.nii.gz";
  const fs::path sidecarFile = LabelmapFileIO::sidecarPath(file);
  LabelmapFileIO::write(makeSegmentation(false), file);
  const json sidecar = readJson(sidecarFile);

  {
    std::ofstream out(sidecarFile, std::ios::trunc);
    out << sidecar.dump().substr(0, 200);
  }
  std::string error = errorOf([&] { LabelmapFileIO::read(file); });
  EXPECT_NE(error.find("liver.seg.json: the sidecar is not valid JSON"), std::string::npos)
      << error;

  json changed = sidecar;
  changed["version"] = 2;
  writeJson(sidecarFile, changed);
  error = errorOf([&] { LabelmapFileIO::read(file); });
  EXPECT_NE(error.find("version 2 is not supported"), std::string::npos) << error;

  changed = sidecar;
  changed["format"] = "something-else";
  writeJson(sidecarFile, changed);
  error = errorOf([&] { LabelmapFileIO::read(file); });
  EXPECT_NE(error.find("not an Annotrace segmentation sidecar"), std::string::npos) << error;

  changed = sidecar;
  changed["layers"].push_back("../escape.nii.gz");
  writeJson(sidecarFile, changed);
  error = errorOf([&] { LabelmapFileIO::read(file); });
  EXPECT_NE(error.find("is not a plain file name"), std::string::npos) << error;

  // liver.nrrd saved beside liver.nii.gz shares liver.seg.json: never paired with the wrong file.
  writeJson(sidecarFile, sidecar);
  LabelmapFileIO::write(makeSegmentation(true), dir.path() / "liver.nrrd");
  error = errorOf([&] { LabelmapFileIO::read(file); });
  EXPECT_NE(error.find("describes liver.nrrd, not this file"), std::string::npos) << error;
}

TEST(LabelmapFileIO, WriteRefusesWhatAFileCannotHold) {
  TempDir dir;
  Segmentation s(testGeometry());
  Segment big;
  big.name = "Big";
  big.labelValue = 40000;
  // The model refuses such a label value up front, so no segmentation can hold one to write.
  std::string error = "(no error)";
  try {
    s.addSegment(big);
  } catch (const std::invalid_argument& e) {
    error = e.what();
  }
  EXPECT_NE(error.find("label value 40000"), std::string::npos) << error;
  EXPECT_NE(error.find("32767"), std::string::npos) << error;
  EXPECT_EQ(s.segmentCount(), 0u);
  EXPECT_TRUE(filesIn(dir.path()).empty());

  const std::string name =
      errorOf([&] { LabelmapFileIO::write(makeSegmentation(false), dir.path() / "x.png"); });
  EXPECT_NE(name.find("x.png"), std::string::npos) << name;
  const std::string missing = errorOf([&] { LabelmapFileIO::read(dir.path() / "none.nii.gz"); });
  EXPECT_NE(missing.find("none.nii.gz: no such file"), std::string::npos) << missing;
}

// --- Undo history ----------------------------------------------------------------------------

// Three edits made by hand: add Liver with an ellipsoid, erase part of it (runs along j), add
// Tumor; the last one undone so the history has a redo step too.
struct EditedSegmentation {
  Segmentation segmentation{testGeometry()};
  UndoHistory history;
  Segmentation beforeUndo;
};

EditedSegmentation makeEdits() {
  EditedSegmentation e;
  Segmentation& s = e.segmentation;
  const ImageGeometry& g = s.geometry();

  auto addSegmentStep = [&](const std::string& name, std::uint16_t label, std::array<double, 3> c,
                            std::array<double, 3> r) {
    Segment segment;
    segment.id = s.nextSegmentId();
    segment.name = name;
    segment.labelValue = label;
    UndoStep step;
    step.name = "Paint " + name;
    step.tableChanges.push_back(SegmentTableChange{std::nullopt, segment, s.segmentCount()});
    FlipRecorder recorder(segment.id, 0, g.size);
    forEachInEllipsoid(g, c, r, [&](std::size_t i, std::size_t j, std::size_t k) {
      recorder.add(g.linearIndex(i, j, k));
    });
    step.flips.push_back(recorder.take());
    step.applyForward(s);
    e.history.push(std::move(step));
    return segment.id;
  };

  const SegmentId liver = addSegmentStep("Liver", 1, {12, 14, 6}, {9, 8, 4});
  UndoStep erase;
  erase.name = "Erase on Liver";
  FlipRecorder recorder(liver, 1, g.size);
  for (std::size_t k = 4; k < 8; ++k)
    for (std::size_t i = 10; i < 16; ++i)
      for (std::size_t j = 0; j < g.size[1]; ++j) {
        if (s.mask(liver).test(i, j, k)) recorder.add(g.linearIndex(i, j, k));
      }
  erase.flips.push_back(recorder.take());
  erase.applyForward(s);
  e.history.push(std::move(erase));
  addSegmentStep("Tumor", 2, {28, 8, 3}, {4, 3, 2});

  e.beforeUndo = s;
  e.history.undo(s);
  return e;
}

TEST(LabelmapFileIO, UndoHistorySurvivesSaveAndReload) {
  TempDir dir;
  EditedSegmentation edits = makeEdits();
  ASSERT_EQ(edits.history.undoSteps().size(), 2u);
  ASSERT_EQ(edits.history.redoSteps().size(), 1u);
  const fs::path file = dir.path() / "liver.nii.gz";
  const json operations = json::array({{{"op", "paint"}}, {{"op", "erase"}}});
  LabelmapFileIO::write(edits.segmentation, file, &edits.history, operations);

  ASSERT_TRUE(fs::exists(dir.path() / "liver.undo"));
  const json sidecar = readJson(LabelmapFileIO::sidecarPath(file));
  EXPECT_EQ(sidecar["history"]["file"], "liver.undo");
  char digest[17];
  std::snprintf(digest, sizeof digest, "%016llx",
                static_cast<unsigned long long>(edits.segmentation.contentDigest()));
  EXPECT_EQ(sidecar["history"]["digest"], digest);

  LabelmapBundle bundle = LabelmapFileIO::read(file);
  EXPECT_TRUE(bundle.warnings.empty()) << bundle.warnings.front();
  expectSameSegmentation(bundle.segmentation, edits.segmentation);
  EXPECT_EQ(bundle.operationLog, operations);
  EXPECT_EQ(bundle.history.undoSteps(), edits.history.undoSteps());
  EXPECT_EQ(bundle.history.redoSteps(), edits.history.redoSteps());

  // Undo and redo work on the reloaded voxels exactly as on the originals.
  EXPECT_EQ(bundle.history.undo(bundle.segmentation), "Erase on Liver");
  EXPECT_EQ(bundle.history.undo(bundle.segmentation), "Paint Liver");
  EXPECT_EQ(bundle.segmentation.segmentCount(), 0u);
  EXPECT_FALSE(bundle.history.canUndo());
  for (int n = 0; n < 3; ++n) bundle.history.redo(bundle.segmentation);
  EXPECT_TRUE(bundle.segmentation == edits.beforeUndo);

  // Saved again without a history: the stale .undo goes.
  LabelmapFileIO::write(edits.segmentation, file);
  EXPECT_FALSE(fs::exists(dir.path() / "liver.undo"));
  EXPECT_FALSE(LabelmapFileIO::read(file).history.canUndo());
}

TEST(LabelmapFileIO, UnusableHistoryIsDroppedWithAWarning) {
  TempDir dir;
  const EditedSegmentation edits = makeEdits();
  const fs::path file = dir.path() / "liver.nii.gz";
  const fs::path undoFile = dir.path() / "liver.undo";
  const fs::path sidecarFile = LabelmapFileIO::sidecarPath(file);

  auto expectDropped = [&](const std::string& why) {
    SCOPED_TRACE(why);
    const LabelmapBundle bundle = LabelmapFileIO::read(file);
    expectSameSegmentation(bundle.segmentation, edits.segmentation);
    EXPECT_FALSE(bundle.history.canUndo());
    EXPECT_FALSE(bundle.history.canRedo());
    ASSERT_EQ(bundle.warnings.size(), 1u);
    EXPECT_NE(bundle.warnings[0].find(why), std::string::npos) << bundle.warnings[0];
    EXPECT_NE(bundle.warnings[0].find("labels kept, history dropped"), std::string::npos)
        << bundle.warnings[0];
  };

  // The .undo of other voxels (its own digest differs).
  LabelmapFileIO::write(edits.segmentation, file, &edits.history);
  {
    std::ofstream out(undoFile, std::ios::binary | std::ios::trunc);
    edits.history.write(out, edits.segmentation.contentDigest() + 1);
  }
  expectDropped("undo history liver.undo cannot be used (undo history belongs to other voxels");

  // The sidecar records another digest than the voxels have.
  LabelmapFileIO::write(edits.segmentation, file, &edits.history);
  json sidecar = readJson(sidecarFile);
  sidecar["history"]["digest"] = "0123456789abcdef";
  writeJson(sidecarFile, sidecar);
  expectDropped("undo history liver.undo belongs to other voxels");

  // Damaged.
  LabelmapFileIO::write(edits.segmentation, file, &edits.history);
  fs::resize_file(undoFile, fs::file_size(undoFile) / 2);
  expectDropped("undo history liver.undo cannot be used");

  // Missing.
  LabelmapFileIO::write(edits.segmentation, file, &edits.history);
  fs::remove(undoFile);
  expectDropped("undo history liver.undo is missing");
}

}  // namespace
