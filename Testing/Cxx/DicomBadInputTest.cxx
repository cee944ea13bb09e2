// Bad input: a corpus built at run time in a temporary folder from real files (truncated file,
// non-DICOM file, empty folder, mixed series, missing slice, undecodable pixel data, missing
// path), plus the deliberately odd files of the shared data. Each must give a clear
// std::runtime_error or a listing in unreadableFiles: never a crash or a hang.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>

#include "IO/DicomFolderScanner.h"
#include "IO/DicomSeriesLoader.h"
#include "IO/VolumeReader.h"
#include "TestData.h"

namespace annotrace {
namespace {

namespace fs = std::filesystem;
using Code = LoadWarning::Code;
using test::TempDir;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

/// The message names at least one of the given things (case-insensitive).
::testing::AssertionResult mentionsAny(const std::string& message,
                                       const std::vector<std::string>& words) {
  for (const auto& w : words) {
    if (lower(message).find(lower(w)) != std::string::npos) return ::testing::AssertionSuccess();
  }
  std::string list;
  for (const auto& w : words) list += "'" + w + "' ";
  return ::testing::AssertionFailure() << "message \"" << message << "\" names none of " << list;
}

/// Runs fn and returns the std::runtime_error message it throws ("" and a failure if none).
template <typename Fn>
std::string runtimeErrorOf(Fn&& fn) {
  try {
    fn();
  } catch (const std::runtime_error& error) {
    return error.what();
  } catch (const std::exception& error) {
    ADD_FAILURE() << "threw a non-runtime_error: " << error.what();
    return error.what();
  }
  ADD_FAILURE() << "no exception thrown";
  return {};
}

std::vector<char> readBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const fs::path& p, const std::vector<char>& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Links (cheap) every regular file of a data folder into dir, except those named in skip.
void linkFiles(const fs::path& from, const fs::path& dir, const std::set<std::string>& skip = {}) {
  for (const auto& entry : fs::directory_iterator(from)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && !skip.count(name) && name.rfind("SOURCE_", 0) != 0) {
      fs::create_symlink(entry.path(), dir / name);
    }
  }
}

TEST(DicomBadInput, NonexistentPathIsAClearError) {
  const fs::path missing = test::dataRoot() / "no_such_folder_for_annotrace";
  const std::string scanMessage = runtimeErrorOf([&] { DicomFolderScanner::scan(missing); });
  EXPECT_TRUE(mentionsAny(scanMessage, {"no_such_folder_for_annotrace"}));
  const std::string readMessage = runtimeErrorOf([&] { VolumeReader::read(missing); });
  EXPECT_TRUE(mentionsAny(readMessage, {"no_such_folder_for_annotrace"}));
}

TEST(DicomBadInput, EmptyFolderHasNoSeriesAndReadingSaysSo) {
  TempDir dir;
  const DicomScanResult scan = DicomFolderScanner::scan(dir.path());
  EXPECT_TRUE(scan.series.empty());
  EXPECT_EQ(scan.filesExamined, 0u);
  const std::string message = runtimeErrorOf([&] { VolumeReader::read(dir.path()); });
  EXPECT_TRUE(
      mentionsAny(message, {dir.path().filename().string(), "no dicom", "no image", "empty"}));
}

TEST(DicomBadInput, NonDicomFilesAreListedAndTheSeriesStillLoads) {
  TempDir dir;
  linkFiles(test::dataPath("seg_dcmqi/data/segmentations/ct-3slice"), dir.path());
  { std::ofstream(dir.path() / "notes.txt") << "radiology notes, not an image\n"; }
  writeBytes(dir.path() / "junk.dcm", std::vector<char>(4096, '\x7f'));  // DICOM name, not DICOM
  const DicomScanResult scan = DicomFolderScanner::scan(dir.path());
  EXPECT_EQ(scan.filesExamined, 5u);
  std::set<std::string> unreadable;
  for (const auto& [path, reason] : scan.unreadableFiles) {
    unreadable.insert(path.filename().string());
    EXPECT_FALSE(reason.empty());
  }
  EXPECT_EQ(unreadable, (std::set<std::string>{"notes.txt", "junk.dcm"}));
  ASSERT_EQ(scan.imageSeries().size(), 1u);
  EXPECT_EQ(scan.imageSeries().front()->frames.size(), 3u);
  const Volume volume = VolumeReader::read(dir.path());
  EXPECT_EQ(volume.geometry().size, (std::array<std::size_t, 3>{512, 512, 3}));
  EXPECT_TRUE(hasWarning(volume.warnings, Code::UnreadableFiles));
}

TEST(DicomBadInput, TruncatedFileIsReportedByName) {
  const fs::path source = test::dataPath("seg_dcmqi/data/segmentations/ct-3slice");
  {
    SCOPED_TRACE("pixel data cut in half");
    TempDir dir;
    linkFiles(source, dir.path(), {"02.dcm"});
    std::vector<char> bytes = readBytes(source / "02.dcm");
    bytes.resize(bytes.size() / 2);
    writeBytes(dir.path() / "02.dcm", bytes);
    const DicomScanResult scan = DicomFolderScanner::scan(dir.path());
    const bool listed = std::any_of(scan.unreadableFiles.begin(), scan.unreadableFiles.end(),
                                    [](const auto& u) { return u.first.filename() == "02.dcm"; });
    ASSERT_EQ(scan.imageSeries().size(), 1u);
    const DicomSeries& stack = *scan.imageSeries().front();
    if (listed) {
      EXPECT_EQ(stack.frames.size(), 2u);  // the scanner saw the short pixel data already
    } else {
      ASSERT_EQ(stack.frames.size(), 3u);
      const std::string message = runtimeErrorOf([&] { DicomSeriesLoader::load(stack); });
      EXPECT_TRUE(mentionsAny(message, {"02.dcm"}));
    }
  }
  {
    SCOPED_TRACE("cut inside the header");
    TempDir dir;
    linkFiles(source, dir.path(), {"02.dcm"});
    std::vector<char> bytes = readBytes(source / "02.dcm");
    bytes.resize(300);
    writeBytes(dir.path() / "02.dcm", bytes);
    const DicomScanResult scan = DicomFolderScanner::scan(dir.path());
    ASSERT_EQ(scan.unreadableFiles.size(), 1u);
    EXPECT_EQ(scan.unreadableFiles.front().first.filename(), "02.dcm");
    ASSERT_EQ(scan.imageSeries().size(), 1u);
    EXPECT_EQ(scan.imageSeries().front()->frames.size(), 2u);
  }
}

TEST(DicomBadInput, MixedSeriesNeedAChoice) {
  TempDir dir;
  linkFiles(test::dataPath("seg_dcmqi/data/segmentations/ct-3slice"), dir.path());
  linkFiles(test::dataPath("seg_dcmqi/data/segmentations/23x38x3/image"), dir.path());
  linkFiles(test::dataPath("rtstruct_rtutils_ge_phantom/mock_data"), dir.path());
  const DicomScanResult scan = DicomFolderScanner::scan(dir.path());
  const auto images = scan.imageSeries();
  ASSERT_EQ(images.size(), 3u);
  std::multiset<std::size_t> counts;
  for (const DicomSeries* s : images) counts.insert(s->frames.size());
  EXPECT_EQ(counts, (std::multiset<std::size_t>{3, 3, 2}));
  const std::string message = runtimeErrorOf([&] { VolumeReader::read(dir.path()); });
  EXPECT_TRUE(mentionsAny(message, {"series", "stacks"}));
  for (const DicomSeries* s : images) {
    if (s->frames.front().rows != 512 || s->frames.size() != 3) continue;
    VolumeReader::Options options;
    options.seriesId = s->id;
    const Volume volume = VolumeReader::read(dir.path(), options);
    EXPECT_EQ(volume.geometry().size, (std::array<std::size_t, 3>{512, 512, 3}));
  }
}

// A dropped middle slice of a regular MR stack: the gap is flagged and filled, the remaining
// slices keep their exact values, the filled one is the mean of its neighbours (linear
// interpolation halfway) and the grid equals the complete stack's grid.
TEST(DicomBadInput, MissingSliceIsFlaggedAndInterpolated) {
  const fs::path source = test::dataPath("mr_ge_mprage_oblique/05_3D_Ax_T1_MP_RAGE_R22");
  const DicomScanResult fullScan = DicomFolderScanner::scan(source);
  ASSERT_EQ(fullScan.imageSeries().size(), 1u);
  const DicomSeries& full = *fullScan.imageSeries().front();
  ASSERT_EQ(full.frames.size(), 130u);
  const Volume complete = DicomSeriesLoader::load(full);
  ASSERT_FALSE(hasWarning(complete.warnings, Code::Resampled));
  constexpr std::size_t kDropped = 64;
  TempDir dir;
  linkFiles(source, dir.path(), {full.frames[kDropped].file.filename().string()});
  const DicomScanResult scan = DicomFolderScanner::scan(dir.path());
  ASSERT_EQ(scan.imageSeries().size(), 1u);
  const Volume gappy = DicomSeriesLoader::load(*scan.imageSeries().front());
  EXPECT_TRUE(hasWarning(gappy.warnings, Code::MissingSlices));
  EXPECT_TRUE(hasWarning(gappy.warnings, Code::Resampled));
  EXPECT_FALSE(hasWarning(gappy.warnings, Code::NonUniformSpacing));
  EXPECT_EQ(gappy.sourceFrames.size(), 129u);
  const ImageGeometry& g = gappy.geometry();
  const ImageGeometry& c = complete.geometry();
  ASSERT_EQ(g.size, c.size);
  EXPECT_LE(norm(g.origin - c.origin), 0.01);
  EXPECT_NEAR(g.spacing[2], c.spacing[2], 1e-4);
  // Slice index of the dropped frame in the complete volume (its k axis may run either way).
  std::array<std::int64_t, 3> voxel{};
  ASSERT_TRUE(c.worldToNearestVoxel(full.frames[kDropped].position, voxel));
  const std::size_t gap = static_cast<std::size_t>(voxel[2]);
  ASSERT_TRUE(gap > 0 && gap + 1 < c.size[2]);
  std::size_t wrongKept = 0, wrongFilled = 0;
  for (std::size_t k = gap - 2; k <= gap + 2; ++k) {
    for (std::size_t j = 0; j < c.size[1]; j += 3) {
      for (std::size_t i = 0; i < c.size[0]; i += 3) {
        const double value = gappy.value(i, j, k);
        if (k != gap) {
          wrongKept += std::abs(value - complete.value(i, j, k)) > 1e-3;
        } else {
          const double mean = 0.5 * (complete.value(i, j, k - 1) + complete.value(i, j, k + 1));
          wrongFilled += std::abs(value - mean) > 0.51;  // int16 storage may round the half
        }
      }
    }
  }
  EXPECT_EQ(wrongKept, 0u) << "acquired slices changed by resampling";
  EXPECT_EQ(wrongFilled, 0u) << "the filled slice is not the mean of its neighbours";
}

// J2K CT series with one file whose codestream header is overwritten: loading names the file.
TEST(DicomBadInput, UndecodablePixelDataNamesTheFile) {
  const fs::path source = test::dataPath("ct_siemens_j2k_totalseg/example_ct_dicom");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(source)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 20u);
  const fs::path victim = files[7];
  TempDir dir;
  linkFiles(source, dir.path(), {victim.filename().string()});
  std::vector<char> bytes = readBytes(victim);
  const std::string soc{'\xff', '\x4f', '\xff', '\x51'};  // J2K start of codestream + SIZ
  const auto at = std::search(bytes.begin(), bytes.end(), soc.begin(), soc.end());
  ASSERT_NE(at, bytes.end()) << "no J2K codestream in " << victim;
  std::fill(at, std::min(at + 160, bytes.end() - 16), '\x5a');
  writeBytes(dir.path() / victim.filename(), bytes);
  const DicomScanResult scan = DicomFolderScanner::scan(dir.path());
  ASSERT_EQ(scan.imageSeries().size(), 1u);
  ASSERT_EQ(scan.imageSeries().front()->frames.size(), 20u);
  const std::string message =
      runtimeErrorOf([&] { DicomSeriesLoader::load(*scan.imageSeries().front()); });
  EXPECT_TRUE(mentionsAny(message, {victim.filename().string()}));
}

// The odd files of pydicom and nibabel: each loads (a consistent volume, its pixels equal to
// pydicom's where pydicom can decode them) or fails with a message naming the file.
void expectLoadsConsistentlyOrFailsClearly(const fs::path& file) {
  SCOPED_TRACE(file.string());
  std::optional<Volume> volume;
  try {
    volume = VolumeReader::read(file);
  } catch (const std::runtime_error& error) {
    EXPECT_TRUE(mentionsAny(error.what(), {file.filename().string()}));
    return;
  } catch (const std::exception& error) {
    ADD_FAILURE() << "non-runtime_error: " << error.what();
    return;
  }
  const ImageGeometry& g = volume->geometry();
  EXPECT_GT(g.voxelCount(), 0u);
  EXPECT_EQ(volume->visitVoxels([](auto v) { return v.size(); }), g.voxelCount());
  EXPECT_TRUE(g.hasOrthonormalDirection());
  if (g.size[2] != 1 || volume->sourceFrames.size() != 1) return;
  const std::vector<fs::path> files{file};
  const auto reference = test::pydicomReference(files);
  const auto& entry = reference.at("files").at(0);
  if (entry.contains("error") || entry.at("frames").size() != 1) return;  // pydicom cannot tell
  for (const auto& sample : entry.at("frames").at(0).at("samples")) {
    const auto r = sample[0].get<std::size_t>(), c = sample[1].get<std::size_t>();
    EXPECT_NEAR(volume->value(c, r, 0), sample[2].get<double>(), 1e-3)
        << "row " << r << " column " << c;
  }
}

TEST(DicomBadInput, OddPydicomFilesLoadOrFailClearly) {
  const fs::path folder = test::dataPath("dicom_odd_pydicom");
  std::size_t count = 0;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (!entry.is_regular_file()) continue;
    ++count;
    expectLoadsConsistentlyOrFailsClearly(entry.path());
  }
  EXPECT_GE(count, 37u);
  const DicomScanResult scan = DicomFolderScanner::scan(folder);
  EXPECT_EQ(scan.filesExamined, count);
  // Truncated pixel data must not load silently.
  for (const char* name : {"MR_truncated.dcm"}) {
    const fs::path file = folder / name;
    EXPECT_TRUE(mentionsAny(runtimeErrorOf([&] { VolumeReader::read(file); }), {name}));
  }
}

TEST(DicomBadInput, OddNibabelFilesLoadOrFailClearly) {
  const fs::path folder = test::dataPath("dicom_odd_nibabel");
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file()) expectLoadsConsistentlyOrFailsClearly(entry.path());
  }
}

TEST(DicomBadInput, TooShortCompressedFrameIsAClearError) {
  const fs::path file =
      test::dataPath("dicom_compressed_pydicom_data/emri_small_jpeg_2k_lossless_too_short.dcm");
  EXPECT_TRUE(
      mentionsAny(runtimeErrorOf([&] { VolumeReader::read(file); }), {file.filename().string()}));
}

}  // namespace
}  // namespace annotrace
