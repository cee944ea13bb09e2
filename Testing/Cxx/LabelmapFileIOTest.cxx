// Label map files with a JSON sidecar (LabelmapFileIO): exact round trips in every format,
// overlap layers, files nibabel reads voxel for voxel and label maps made by another tool.
// The sidecar's consistency checks and the saved undo history are in
// LabelmapFileIODamageTest.cxx.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "IO/VolumeFileIO.h"
#include "LabelmapFileIOTestSupport.h"
#include "Segmentation/LabelmapFileIO.h"
#include "Segmentation/Segmentation.h"
#include "TestData.h"
#include "Volume/Volume.h"

namespace fs = std::filesystem;
using annotrace::ImageGeometry;
using annotrace::LabelmapBundle;
using annotrace::LabelmapFileIO;
using annotrace::Segment;
using annotrace::Segmentation;
using annotrace::Volume;
using annotrace::VolumeFileIO;
using annotrace::test::TempDir;
using nlohmann::json;

namespace {

using namespace annotrace::test::labelmap;

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

}  // namespace
