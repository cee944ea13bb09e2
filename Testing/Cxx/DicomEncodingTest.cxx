// Pixel decoding against pydicom: one image in many transfer syntaxes, 12-bit stored values,
// and the loader's handling of irregular stacks and series ids on real files.

#include <gtest/gtest.h>

#include "DicomReferenceChecks.h"

namespace annotrace {
namespace {

using namespace dicomtest;  // checks, tolerances and the aliases fs, json and Code

// One image in many encodings: each must decode to exactly what pydicom (with DCMTK's
// decompressors) reads, and to the same voxels as the uncompressed file.
struct EncodingSet {
  std::string name;
  std::vector<std::string> files;  ///< the first is the uncompressed original
  bool hasPositions = true;
};

std::ostream& operator<<(std::ostream& os, const EncodingSet& s) {
  return os << s.name;
}

class DicomEncodingTest : public ::testing::TestWithParam<EncodingSet> {};

TEST_P(DicomEncodingTest, EveryEncodingDecodesToTheReference) {
  const EncodingSet& set = GetParam();
  std::optional<Volume> original;
  for (const auto& relative : set.files) {
    SCOPED_TRACE(relative);
    const fs::path file = test::dataPath(relative);
    const DicomScanResult scan = DicomFolderScanner::scan(file);
    ASSERT_EQ(scan.imageSeries().size(), 1u)
        << "unreadable: "
        << (scan.unreadableFiles.empty() ? std::string() : scan.unreadableFiles.front().second);
    const Volume volume = DicomSeriesLoader::load(*scan.imageSeries().front());
    const std::vector<fs::path> files{file};
    expectPixelsMatchPydicom(volume, test::pydicomReference(files), false, set.hasPositions);
    if (!original) {
      original = volume;
      continue;
    }
    EXPECT_EQ(volume.geometry().size, original->geometry().size);
    EXPECT_LE(norm(volume.geometry().origin - original->geometry().origin), kWorldTolerance);
    const std::size_t n =
        std::min(volume.geometry().voxelCount(), original->geometry().voxelCount());
    std::size_t differing = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (volume.valueAtLinear(i) != original->valueAtLinear(i)) ++differing;
    }
    EXPECT_EQ(differing, 0u) << "voxels differ from " << set.files.front();
  }
}

const std::vector<EncodingSet> kEncodings = {
    {"SiemensMosaicNineSyntaxes",
     {"ts_siemens_mr_transfer_syntaxes/In/1.dcm", "ts_siemens_mr_transfer_syntaxes/In/2.dcm",
      "ts_siemens_mr_transfer_syntaxes/In/3.dcm", "ts_siemens_mr_transfer_syntaxes/In/4.dcm",
      "ts_siemens_mr_transfer_syntaxes/In/5.dcm", "ts_siemens_mr_transfer_syntaxes/In/6.dcm",
      "ts_siemens_mr_transfer_syntaxes/In/7.dcm", "ts_siemens_mr_transfer_syntaxes/In/8.dcm",
      "ts_siemens_mr_transfer_syntaxes/In/9.dcm"}},
    {"EnhancedMrFiveSyntaxes",
     {"dicom_compressed_pydicom_data/emri_small.dcm",
      "dicom_compressed_pydicom_data/emri_small_big_endian.dcm",
      "dicom_compressed_pydicom_data/emri_small_RLE.dcm",
      "dicom_compressed_pydicom_data/emri_small_jpeg_2k_lossless.dcm",
      "dicom_compressed_pydicom_data/emri_small_jpeg_ls_lossless.dcm"},
     false},
    {"PydicomMrSmallSyntaxes",
     {"dicom_odd_pydicom/MR_small.dcm", "dicom_odd_pydicom/MR_small_implicit.dcm",
      "dicom_odd_pydicom/MR_small_bigendian.dcm", "dicom_odd_pydicom/MR_small_expb.dcm",
      "dicom_odd_pydicom/MR_small_RLE.dcm", "dicom_odd_pydicom/MR_small_jp2klossless.dcm",
      "dicom_odd_pydicom/MR_small_jpeg_ls_lossless.dcm", "dicom_odd_pydicom/MR_small_padded.dcm"}},
    {"Ct693BitsStoredMismatch",
     {"dicom_compressed_pydicom_data/693_UNCR.dcm", "dicom_compressed_pydicom_data/693_J2KR.dcm"}},
    {"NemaMr2Jpeg2000",
     {"dicom_compressed_pydicom_data/MR2_UNCR.dcm", "dicom_compressed_pydicom_data/MR2_J2KR.dcm"}},
};

std::string encodingName(const ::testing::TestParamInfo<EncodingSet>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(RealFiles, DicomEncodingTest, ::testing::ValuesIn(kEncodings),
                         encodingName);

// 12 bits stored in 16: the unused high bits must be ignored and signed values sign-extended
// from bit 11 (dataset README: 0x0F0F -> 3855 / -241, 0xFFFF -> 4095 / -1). Every tile's
// minimum and maximum are among the pydicom samples compared, so the range is pinned too.
TEST(DicomPixelDecoding, TwelveBitStoredValuesAreMaskedAndSignExtended) {
  for (const char* name :
       {"12bitUnsigned.dcm", "12bitUnsigned_0x0F0F.dcm", "12bitSigned_0x0F0F.dcm"}) {
    SCOPED_TRACE(name);
    const fs::path file = test::dataPath(std::string("mr_siemens_12bit_signed/In/") + name);
    const DicomScanResult scan = DicomFolderScanner::scan(file);
    ASSERT_EQ(scan.imageSeries().size(), 1u);
    const Volume volume = DicomSeriesLoader::load(*scan.imageSeries().front());
    const std::vector<fs::path> files{file};
    expectPixelsMatchPydicom(volume, test::pydicomReference(files), false, true);
    const auto [low, high] = volume.valueRange();
    if (std::string(name) == "12bitSigned_0x0F0F.dcm") {
      EXPECT_GE(low, -2048);
      EXPECT_LT(low, 0) << "bit 11 was not taken as the sign";
      EXPECT_LE(high, 2047);
    } else {
      EXPECT_GE(low, 0);
      EXPECT_LE(high, 4095) << "bits above HighBit were not masked";
    }
    if (std::string(name) == "12bitUnsigned_0x0F0F.dcm") {
      EXPECT_EQ(high, 4095);
    }
  }
}

// The isolated first slice of pydicom's CT2 (202.5 mm below three 1.25 mm spaced slices): the
// gap is 162 whole steps. Acceptable: the scanner lists the two slabs separately (SplitSeries),
// or one stack fills the gap (MissingSlices + Resampled, acquired ends on the grid), or loading
// refuses with a message about the spacing.
TEST(DicomIrregularStacks, HugeGapIsResampledOrRefusedClearly) {
  const fs::path folder = test::dataPath("seg_highdicom_ct2/pydicom_dicomdirtests_CT2");
  const DicomScanResult scan = DicomFolderScanner::scan(folder);
  const auto images = scan.imageSeries();
  if (images.size() == 2) {
    std::multiset<std::size_t> counts;
    for (const DicomSeries* slab : images) {
      counts.insert(slab->frames.size());
      EXPECT_TRUE(hasWarning(slab->warnings, Code::SplitSeries)) << slab->id;
      const Volume volume = DicomSeriesLoader::load(*slab);
      EXPECT_FALSE(hasWarning(volume.warnings, Code::Resampled)) << slab->id;
      EXPECT_EQ(volume.geometry().size[2], slab->frames.size());
    }
    EXPECT_EQ(counts, (std::multiset<std::size_t>{1, 3}));
    return;
  }
  const DicomSeries& stack = findStack(scan, "");
  ASSERT_EQ(stack.frames.size(), 4u);
  std::optional<Volume> volume;
  try {
    volume = DicomSeriesLoader::load(stack);
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("spacing"), std::string::npos) << error.what();
    return;
  }
  EXPECT_TRUE(hasWarning(volume->warnings, Code::MissingSlices)) << warningList(volume->warnings);
  EXPECT_TRUE(hasWarning(volume->warnings, Code::Resampled));
  EXPECT_EQ(volume->geometry().size[2], 165u);
  EXPECT_NEAR(volume->geometry().spacing[2], 1.25, 1e-3);
  const json pixels = test::pydicomReference(stackFiles(stack));
  expectAcquiredEndsOnGrid(*volume, pixels, false);
}

// VolumeReader with a series id gives exactly what the scanner + loader give.
TEST(DicomVolumeReader, SeriesIdSelectsTheSameStack) {
  const fs::path folder = test::dataPath("mr_siemens_pdt2_dualecho");
  const DicomScanResult scan = DicomFolderScanner::scan(folder);
  const DicomSeries& echo2 = findStack(scan, "0036_e2.dcm");
  const Volume direct = DicomSeriesLoader::load(echo2);
  VolumeReader::Options options;
  options.seriesId = echo2.id;
  const Volume viaReader = VolumeReader::read(folder, options);
  EXPECT_EQ(viaReader.geometry().size, direct.geometry().size);
  EXPECT_EQ(viaReader.geometry().origin, direct.geometry().origin);
  EXPECT_EQ(viaReader.voxels(), direct.voxels());
  ASSERT_EQ(viaReader.sourceFrames.size(), 35u);
  EXPECT_TRUE(pathContains(viaReader.sourceFrames.front().filePath, "_e2"));
  // Two image stacks in the folder: without an id the reader must refuse, naming the choice.
  EXPECT_THROW(VolumeReader::read(folder), std::runtime_error);
}

}  // namespace
}  // namespace annotrace
