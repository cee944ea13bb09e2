// Damaged input must give a volume or a clear error, never a crash or a hang: real files from
// the shared data are truncated and have bytes overwritten (seeded, so every run is the same),
// then scanned and loaded. Run under ASan/UBSan too (ANNOTRACE_SANITIZE), where an
// out-of-bounds read would fail the test.

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <random>

#include "IO/DicomFolderScanner.h"
#include "IO/DicomSeriesLoader.h"
#include "TestData.h"

using namespace annotrace;
namespace fs = std::filesystem;

namespace {

std::vector<char> readBytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const fs::path& file, const std::vector<char>& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// What happened to one damaged file: loaded, refused with a message, or listed as unreadable.
enum class Outcome { Loaded, Refused, Unreadable };

Outcome scanAndLoad(const fs::path& file) {
  const DicomScanResult scan = DicomFolderScanner::scan(file);
  if (!scan.unreadableFiles.empty()) {
    EXPECT_NE(scan.unreadableFiles.front().second.find(file.filename().string()), std::string::npos)
        << "the reason should name the file: " << scan.unreadableFiles.front().second;
    return Outcome::Unreadable;
  }
  Outcome outcome = Outcome::Loaded;
  for (const DicomSeries* series : scan.imageSeries()) {
    try {
      const Volume volume = DicomSeriesLoader::load(*series);
      EXPECT_EQ(volume.visitVoxels([](auto v) { return v.size(); }),
                volume.geometry().voxelCount());
    } catch (const std::runtime_error& e) {
      EXPECT_FALSE(std::string(e.what()).empty());
      outcome = Outcome::Refused;
    }
  }
  return outcome;
}

struct MutationCase {
  const char* name;
  const char* file;  // relative to the data root
};

class DicomMutationTest : public ::testing::TestWithParam<MutationCase> {};

TEST_P(DicomMutationTest, DamagedCopiesLoadOrFailClearly) {
  const fs::path source = test::dataPath(GetParam().file);
  const std::vector<char> original = readBytes(source);
  ASSERT_GT(original.size(), 1024u);
  const fs::path dir =
      fs::temp_directory_path() / ("annotrace-mutation-" + std::string(GetParam().name));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path damaged = dir / "damaged.dcm";

  std::mt19937 random(20261123);
  std::map<Outcome, int> outcomes;
  // Truncations at spread-out lengths, then overwritten bytes in the header (where the parser
  // works) and anywhere in the file.
  for (int t = 1; t <= 12; ++t) {
    std::vector<char> bytes(original.begin(),
                            original.begin() + static_cast<long>(original.size() * t / 13));
    writeBytes(damaged, bytes);
    ++outcomes[scanAndLoad(damaged)];
  }
  const std::size_t headerEnd = std::min<std::size_t>(original.size(), 4096);
  for (int m = 0; m < 40; ++m) {
    std::vector<char> bytes = original;
    const std::size_t end = m % 2 == 0 ? headerEnd : bytes.size();
    std::uniform_int_distribution<std::size_t> where(0, end - 1);
    std::uniform_int_distribution<int> value(0, 255);
    for (int n = 0; n < 1 + m % 8; ++n) bytes[where(random)] = static_cast<char>(value(random));
    writeBytes(damaged, bytes);
    ++outcomes[scanAndLoad(damaged)];
  }
  // Truncation must be noticed at least once; the untouched file itself loads.
  EXPECT_GT(outcomes[Outcome::Unreadable] + outcomes[Outcome::Refused], 0);
  writeBytes(damaged, original);
  EXPECT_EQ(scanAndLoad(damaged), Outcome::Loaded);
  fs::remove_all(dir);
}

const MutationCase kCases[] = {
    {"ExplicitLittleCt", "ct_ge_tilt_varspacing/01.dcm"},
    {"ImplicitLittleCt", "seg_dcmqi/data/segmentations/ct-3slice/01.dcm"},
    {"Jpeg2000Ct",
     "ct_siemens_j2k_totalseg/example_ct_dicom/"
     "CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016573"},
    {"SiemensMosaic", "ts_siemens_mr_transfer_syntaxes/In/1.dcm"},
    {"MosaicJpegLossless", "ts_siemens_mr_transfer_syntaxes/In/5.dcm"},
    {"MosaicJpegLs", "ts_siemens_mr_transfer_syntaxes/In/7.dcm"},
    {"MosaicJpeg2000", "ts_siemens_mr_transfer_syntaxes/In/9.dcm"},
    {"MosaicRle", "ts_siemens_mr_transfer_syntaxes/In/4.dcm"},
    {"EnhancedMr", "mr_philips_enhanced_multiframe/1901_WIP_3DpCASL_real.dcm"},
    {"BigEndianMr", "dicom_odd_pydicom/MR_small_bigendian.dcm"},
};

INSTANTIATE_TEST_SUITE_P(RealFiles, DicomMutationTest, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
