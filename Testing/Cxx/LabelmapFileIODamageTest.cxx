// Label map files that cannot be trusted (LabelmapFileIO): the sidecar's consistency checks
// against the image, the voxels and damaged or foreign files, what a write refuses, and the
// saved undo history, kept when it fits the voxels and dropped with a warning when it does not.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "IO/VolumeFileIO.h"
#include "LabelmapFileIOTestSupport.h"
#include "Segmentation/LabelmapFileIO.h"
#include "Segmentation/Segmentation.h"
#include "Segmentation/UndoHistory.h"
#include "Segmentation/UndoStep.h"
#include "TestData.h"
#include "Volume/Volume.h"

namespace fs = std::filesystem;
using annotrace::FlipRecorder;
using annotrace::ImageGeometry;
using annotrace::LabelmapBundle;
using annotrace::LabelmapFileIO;
using annotrace::Segment;
using annotrace::Segmentation;
using annotrace::SegmentId;
using annotrace::SegmentTableChange;
using annotrace::UndoHistory;
using annotrace::UndoStep;
using annotrace::Volume;
using annotrace::VolumeFileIO;
using annotrace::test::TempDir;
using nlohmann::json;

namespace {

using namespace annotrace::test::labelmap;

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
