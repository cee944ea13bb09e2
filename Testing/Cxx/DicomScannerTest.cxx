// DicomFolderScanner on real folders: series split into stacks, slice order by position,
// non-image objects listed with their kind, non-DICOM files reported.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "IO/DicomFolderScanner.h"
#include "IO/DicomSeriesLoader.h"
#include "TestData.h"

namespace annotrace {
namespace {

namespace fs = std::filesystem;

std::string fileName(const fs::path& p) {
  return p.filename().string();
}

std::set<std::string> frameFileNames(const DicomSeries& s) {
  std::set<std::string> names;
  for (const auto& f : s.frames) names.insert(fileName(f.file));
  return names;
}

std::size_t filesInTree(const fs::path& root) {
  std::size_t n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) n += entry.is_regular_file();
  return n;
}

/// Every stack's frames share one orientation and strictly increase along its normal.
void expectSortedAlongNormal(const DicomScanResult& scan) {
  for (const auto& s : scan.series) {
    for (std::size_t k = 1; k < s.frames.size(); ++k) {
      const DicomFrame& a = s.frames[k - 1];
      const DicomFrame& b = s.frames[k];
      EXPECT_NEAR(dot(a.sliceNormal(), b.sliceNormal()), 1.0, 1e-4) << s.id << " frame " << k;
      EXPECT_GT(dot(b.position - a.position, a.sliceNormal()), 0.0)
          << s.id << ": frame " << k << " (" << b.file << ") is not after " << a.file;
    }
  }
}

/// Every scanned file is either in a series or listed as unreadable, once.
void expectEveryFileAccountedFor(const DicomScanResult& scan, std::size_t fileCount) {
  EXPECT_EQ(scan.filesExamined, fileCount);
  std::set<fs::path> seen;
  for (const auto& s : scan.series) seen.insert(s.files.begin(), s.files.end());
  for (const auto& [path, reason] : scan.unreadableFiles) {
    EXPECT_FALSE(reason.empty()) << path;
    EXPECT_TRUE(seen.insert(path).second) << path << " is both in a series and unreadable";
  }
  EXPECT_EQ(seen.size(), fileCount);
}

const DicomSeries* seriesWithFile(const DicomScanResult& scan, const std::string& name) {
  for (const auto& s : scan.series) {
    for (const auto& f : s.files) {
      if (fileName(f) == name) return &s;
    }
  }
  return nullptr;
}

TEST(DicomFolderScanner, DualEchoSeriesSplitsByEcho) {
  const fs::path folder = test::dataPath("mr_siemens_pdt2_dualecho");
  const DicomScanResult scan = DicomFolderScanner::scan(folder);
  expectEveryFileAccountedFor(scan, filesInTree(folder));
  const auto images = scan.imageSeries();
  ASSERT_EQ(images.size(), 2u);
  std::set<int> echoes;
  for (const DicomSeries* s : images) {
    ASSERT_EQ(s->frames.size(), 35u) << s->id;
    const int echo = s->frames.front().echoNumber;
    echoes.insert(echo);
    for (const auto& f : s->frames) {
      EXPECT_EQ(f.echoNumber, echo) << f.file;
      // Echo 2 files carry the "_e2" name; a mixed stack would hold both.
      EXPECT_EQ(fileName(f.file).find("_e2") != std::string::npos, echo == 2) << f.file;
    }
    EXPECT_EQ(s->identity.seriesInstanceUid, images.front()->identity.seriesInstanceUid);
    EXPECT_TRUE(hasWarning(s->warnings, LoadWarning::Code::SplitSeries)) << s->id;
  }
  EXPECT_EQ(echoes, (std::set<int>{1, 2}));
  EXPECT_NE(images[0]->id, images[1]->id);
  expectSortedAlongNormal(scan);
}

TEST(DicomFolderScanner, FileListScansOnlyThoseFiles) {
  const fs::path folder = test::dataPath("mr_siemens_pdt2_dualecho");
  std::vector<fs::path> files;
  for (int i = 1; i <= 35; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "%04d.dcm", i);
    files.push_back(folder / name);
  }
  const DicomScanResult scan = DicomFolderScanner::scan(files);
  EXPECT_EQ(scan.filesExamined, 35u);
  ASSERT_EQ(scan.imageSeries().size(), 1u);
  EXPECT_EQ(scan.imageSeries().front()->frames.size(), 35u);
  EXPECT_FALSE(hasWarning(scan.imageSeries().front()->warnings, LoadWarning::Code::SplitSeries));
}

TEST(DicomFolderScanner, TwoCtSeriesInSubfoldersAreSeparate) {
  const fs::path folder = test::dataPath("ct_philips_phantom_tilt");
  const DicomScanResult scan = DicomFolderScanner::scan(folder);
  expectEveryFileAccountedFor(scan, filesInTree(folder));
  const auto images = scan.imageSeries();
  ASSERT_EQ(images.size(), 2u);
  std::multiset<std::size_t> counts;
  for (const DicomSeries* s : images) {
    counts.insert(s->frames.size());
    const std::string subfolder = s->frames.front().file.parent_path().parent_path().filename();
    for (const auto& f : s->frames) {
      EXPECT_EQ(f.file.parent_path().parent_path().filename(), subfolder) << "stacks mix folders";
    }
  }
  EXPECT_EQ(counts, (std::multiset<std::size_t>{28, 54}));
  // SOURCE_LICENSE and SOURCE_README.md are no DICOM.
  EXPECT_EQ(scan.unreadableFiles.size(), 2u);
  expectSortedAlongNormal(scan);
}

TEST(DicomFolderScanner, SortsByPositionNotByNameOrInstanceNumber) {
  // Instance order is shuffled: CT_1 z=1002, CT_2 z=1000, CT_3 z=1003, CT_4 z=1001.
  const DicomScanResult scan =
      DicomFolderScanner::scan(test::dataPath("rtstruct_visiblehuman_varian/AnonDICOM"));
  const auto images = scan.imageSeries();
  ASSERT_EQ(images.size(), 1u);
  std::vector<std::string> order;
  for (const auto& f : images.front()->frames) order.push_back(fileName(f.file));
  const std::vector<std::string> ascending{"CT_2.dcm", "CT_4.dcm", "CT_1.dcm", "CT_3.dcm"};
  std::vector<std::string> descending(ascending.rbegin(), ascending.rend());
  EXPECT_TRUE(order == ascending || order == descending)
      << "order: " << ::testing::PrintToString(order);

  const DicomScanResult ge = DicomFolderScanner::scan(test::dataPath("mr_ge_mprage_oblique"));
  ASSERT_EQ(ge.imageSeries().size(), 1u);
  EXPECT_EQ(ge.imageSeries().front()->frames.size(), 130u);
  expectSortedAlongNormal(ge);
}

TEST(DicomFolderScanner, NonImageObjectsAreListedWithTheirKind) {
  const fs::path rt = test::dataPath("rtstruct_visiblehuman_varian/AnonDICOM");
  const DicomScanResult scan = DicomFolderScanner::scan(rt);
  expectEveryFileAccountedFor(scan, filesInTree(rt));
  const DicomSeries* rtstruct = seriesWithFile(scan, "RS_Body_SpinalCord.dcm");
  ASSERT_NE(rtstruct, nullptr);
  EXPECT_EQ(rtstruct->kind, DicomSeriesKind::RtStructureSet);
  EXPECT_TRUE(rtstruct->frames.empty());
  EXPECT_EQ(rtstruct->files.size(), 1u);
  EXPECT_THROW(DicomSeriesLoader::load(*rtstruct), std::runtime_error);
  // Image.nii.gz and Mask.nii.gz are not DICOM.
  std::set<std::string> unreadable;
  for (const auto& [path, reason] : scan.unreadableFiles) unreadable.insert(fileName(path));
  EXPECT_TRUE(unreadable.count("Image.nii.gz") && unreadable.count("Mask.nii.gz"));

  const DicomScanResult breast =
      DicomFolderScanner::scan(test::dataPath("rtstruct_dicompyler_breast"));
  ASSERT_NE(seriesWithFile(breast, "rtss.dcm"), nullptr);
  EXPECT_EQ(seriesWithFile(breast, "rtss.dcm")->kind, DicomSeriesKind::RtStructureSet);
  ASSERT_NE(seriesWithFile(breast, "rtplan.dcm"), nullptr);
  EXPECT_EQ(seriesWithFile(breast, "rtplan.dcm")->kind, DicomSeriesKind::OtherNonImage);
  ASSERT_EQ(breast.imageSeries().size(), 1u);
  EXPECT_EQ(frameFileNames(*breast.imageSeries().front()), (std::set<std::string>{"ct.0.dcm"}));
}

TEST(DicomFolderScanner, SegmentationsAreListedNotStacked) {
  const fs::path root = test::dataPath("seg_dcmqi/data/segmentations");
  const DicomScanResult scan = DicomFolderScanner::scan(root);
  expectEveryFileAccountedFor(scan, filesInTree(root));
  for (const char* name : {"liver.dcm", "partial_overlaps.dcm", "sparse-labelmap-noppv.dcm",
                           "sparse-labelmap-ppv5.dcm", "label.seg"}) {
    const DicomSeries* s = seriesWithFile(scan, name);
    ASSERT_NE(s, nullptr) << name;
    EXPECT_EQ(s->kind, DicomSeriesKind::Segmentation) << name;
    EXPECT_TRUE(s->frames.empty()) << name << " must not be an image stack";
  }
  // Each image folder is exactly one 3-slice stack (23x38x3 and 24x38x3 differ in size only).
  for (const char* folder : {"ct-3slice", "23x38x3/image", "24x38x3/image", "23x38x3/multiframe",
                             "24x38x3/multiframe"}) {
    SCOPED_TRACE(folder);
    const fs::path dir = root / folder;
    std::vector<const DicomSeries*> holding;
    for (const auto& s : scan.series) {
      if (std::any_of(s.frames.begin(), s.frames.end(),
                      [&](const DicomFrame& f) { return f.file.parent_path() == dir; })) {
        holding.push_back(&s);
      }
    }
    ASSERT_EQ(holding.size(), 1u);
    EXPECT_EQ(holding.front()->kind, DicomSeriesKind::Image);
    EXPECT_EQ(holding.front()->frames.size(), 3u);
    for (const auto& f : holding.front()->frames) EXPECT_EQ(f.file.parent_path(), dir);
  }
  // The .nrrd label maps are no DICOM.
  for (const auto& [path, reason] : scan.unreadableFiles) {
    EXPECT_NE(path.extension(), ".dcm") << path << ": " << reason;
  }

  const DicomScanResult highdicom =
      DicomFolderScanner::scan(test::dataPath("seg_highdicom_ct2/highdicom"));
  ASSERT_EQ(highdicom.imageSeries().size(), 1u);
  EXPECT_EQ(frameFileNames(*highdicom.imageSeries().front()),
            (std::set<std::string>{"ct_image.dcm"}));
  for (const auto& s : highdicom.series) {
    if (s.frames.empty()) {
      EXPECT_EQ(s.kind, DicomSeriesKind::Segmentation) << s.id;
    }
  }
}

TEST(DicomFolderScanner, NonParallelScoutsAreSplitByOrientation) {
  const DicomScanResult scan =
      DicomFolderScanner::scan(test::dataPath("mr_siemens_xa30_oblique/2001_AAHead_Scout"));
  std::vector<const DicomSeries*> stacks;
  for (const auto& s : scan.series) {
    if (!s.frames.empty()) stacks.push_back(&s);
  }
  // Scouts 1 and 5 share an orientation; 2, 3 and 4 each have their own.
  ASSERT_EQ(stacks.size(), 4u);
  std::multiset<std::size_t> counts;
  for (const DicomSeries* s : stacks) {
    counts.insert(s->frames.size());
    for (const auto& f : s->frames) {
      EXPECT_NEAR(dot(f.rowDirection, s->frames.front().rowDirection), 1.0, 1e-4);
      EXPECT_NEAR(dot(f.columnDirection, s->frames.front().columnDirection), 1.0, 1e-4);
    }
    EXPECT_TRUE(hasWarning(s->warnings, LoadWarning::Code::InconsistentOrientation)) << s->id;
    EXPECT_TRUE(hasWarning(s->warnings, LoadWarning::Code::SplitSeries)) << s->id;
  }
  EXPECT_EQ(counts, (std::multiset<std::size_t>{2, 1, 1, 1}));
}

TEST(DicomFolderScanner, EnhancedFramesSplitByEchoAndComponent) {
  const fs::path file =
      test::dataPath("mr_philips_enhanced_multiframe/2001_WIP_fcMRI_Field_Mapping_e2_phMag.dcm");
  const DicomScanResult scan = DicomFolderScanner::scan(file);
  // 212 frames: effective echo time 2.3 / 4.6 ms x frame type M / P x 53 slices (pydicom),
  // written by dcm2niix as _e1, _e1_ph, _e2, _e2_ph.
  ASSERT_EQ(scan.imageSeries().size(), 4u);
  std::set<std::pair<double, std::string>> kinds;
  std::map<double, int> stacksPerEchoTime;
  std::set<int> frameNumbers;
  for (const DicomSeries* s : scan.imageSeries()) {
    EXPECT_EQ(s->frames.size(), 53u) << s->id;
    const DicomFrame& first = s->frames.front();
    for (const auto& f : s->frames) {
      EXPECT_NEAR(f.echoTime, first.echoTime, 1e-6);
      EXPECT_EQ(f.imageType, first.imageType);
      EXPECT_TRUE(frameNumbers.insert(f.frameNumber).second)
          << "frame " << f.frameNumber << " twice";
    }
    kinds.insert({first.echoTime, first.imageType});
    ++stacksPerEchoTime[std::round(first.echoTime * 10) / 10];
  }
  EXPECT_EQ(kinds.size(), 4u);
  EXPECT_EQ(stacksPerEchoTime, (std::map<double, int>{{2.3, 2}, {4.6, 2}}));
  EXPECT_EQ(frameNumbers.size(), 212u);
  EXPECT_EQ(*frameNumbers.begin(), 1);
  EXPECT_EQ(*frameNumbers.rbegin(), 212);
  expectSortedAlongNormal(scan);
}

TEST(DicomFolderScanner, EmptyDatasetUidsFallBackToFileMeta) {
  // SOP/Series/Study UIDs are empty in the dataset and survive only in the file meta header.
  const fs::path folder = test::dataPath("ct_siemens_j2k_totalseg/example_ct_dicom");
  const DicomScanResult scan = DicomFolderScanner::scan(folder);
  ASSERT_EQ(scan.imageSeries().size(), 1u);
  const DicomSeries& s = *scan.imageSeries().front();
  EXPECT_FALSE(s.id.empty());
  std::vector<fs::path> files;
  for (const auto& f : s.frames) files.push_back(f.file);
  const auto reference = test::pydicomReference(files);  // falls back to MediaStorageSOPInstanceUID
  std::map<fs::path, std::string> expected;
  for (const auto& entry : reference.at("files")) {
    expected[fs::weakly_canonical(entry.at("file").get<std::string>())] =
        entry.at("sop_instance_uid").get<std::string>();
  }
  std::set<std::string> uids;
  for (const auto& f : s.frames) {
    EXPECT_FALSE(f.sopInstanceUid.empty()) << f.file;
    EXPECT_EQ(f.sopInstanceUid, expected[fs::weakly_canonical(f.file)]) << f.file;
    uids.insert(f.sopInstanceUid);
  }
  EXPECT_EQ(uids.size(), 20u);
}

}  // namespace
}  // namespace annotrace
