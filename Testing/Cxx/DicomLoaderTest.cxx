// The DICOM loader against independent references, on every image series of the shared data:
// geometry against dcm2niix (run here on the same files, compared in LPS world coordinates) and
// voxel values against pydicom (Testing/Python/dicom_reference.py), located by world position.

#include <gtest/gtest.h>

#include "DicomReferenceChecks.h"

namespace annotrace {
namespace {

using namespace dicomtest;  // checks, tolerances and the aliases fs, json and Code

struct ReferenceCase {
  std::string name;
  std::string input;   ///< scanned, relative to the data root (folder or file)
  std::string member;  ///< part of a frame's file path that picks the stack; "" = the only one
  std::size_t acquiredFrames = 0;
  bool dcm2niix = true;        ///< dcm2niix gives a valid geometry reference for this stack
  std::string dcm2niixSuffix;  ///< which dcm2niix output ("" = the plain one)
  std::vector<Code> warnings;  ///< codes the volume must carry
  bool resampled = false;      ///< acquired slices are not the grid (tilt / uneven spacing)
  bool sheared = false;        ///< gantry tilt: in-plane offsets between slices
  bool hasPositions = true;    ///< frames carry ImagePositionPatient
};

std::ostream& operator<<(std::ostream& os, const ReferenceCase& c) {
  return os << c.name;
}

class DicomReferenceTest : public ::testing::TestWithParam<ReferenceCase> {};

TEST_P(DicomReferenceTest, MatchesDcm2niixAndPydicom) {
  const ReferenceCase& c = GetParam();
  const fs::path input = test::dataPath(c.input);
  const DicomScanResult scan = DicomFolderScanner::scan(input);
  const DicomSeries& stack = findStack(scan, c.member);
  EXPECT_EQ(stack.frames.size(), c.acquiredFrames) << "frames in stack " << stack.id;
  const Volume volume = DicomSeriesLoader::load(stack);
  const ImageGeometry& g = volume.geometry();
  SCOPED_TRACE("stack " + stack.id + ", warnings: " + warningList(volume.warnings));

  ASSERT_EQ(volume.visitVoxels([](auto v) { return v.size(); }), g.voxelCount());
  EXPECT_TRUE(g.hasOrthonormalDirection());
  EXPECT_EQ(volume.sourceFrames.size(), c.acquiredFrames);

  for (Code code : c.warnings) {
    EXPECT_TRUE(hasWarning(volume.warnings, code)) << "missing warning " << warningCodeName(code);
  }
  if (!c.resampled) {
    EXPECT_FALSE(hasWarning(volume.warnings, Code::Resampled)) << "a regular stack was resampled";
    EXPECT_EQ(g.size[2], c.acquiredFrames);
  } else {
    EXPECT_TRUE(hasWarning(volume.warnings, Code::Resampled));
  }

  const std::vector<fs::path> files = stackFiles(stack);
  if (c.dcm2niix) {
    const json reference = test::dcm2niixReference(files);
    expectSameGridAsDcm2niix(g, pickDcm2niixOutput(reference, c.dcm2niixSuffix));
  }
  const json pixels = test::pydicomReference(files);
  expectPixelsMatchPydicom(volume, pixels, c.resampled, c.hasPositions);
  if (c.hasPositions && c.acquiredFrames > 1) expectAcquiredEndsOnGrid(volume, pixels, c.sheared);
}

const std::vector<ReferenceCase> kCases = {
    {.name = "PhilipsCtStdBrain",
     .input = "ct_philips_phantom_tilt",
     .member = "S21570",
     .acquiredFrames = 28},
    {.name = "PhilipsCtTilt",
     .input = "ct_philips_phantom_tilt",
     .member = "S21610",
     .acquiredFrames = 54,
     .dcm2niixSuffix = "_Tilt_1",
     .warnings = {Code::GantryTilt, Code::Resampled},
     .resampled = true,
     .sheared = true},
    {.name = "GeCtTiltVariableSpacing",
     .input = "ct_ge_tilt_varspacing",
     .acquiredFrames = 28,
     .dcm2niix = false,  // its _Tilt_Eq output has a non-orthonormal affine
     .warnings = {Code::GantryTilt, Code::NonUniformSpacing, Code::Resampled,
                  Code::MixedSliceThickness},
     .resampled = true,
     .sheared = true},
    {.name = "SiemensCtJpeg2000",
     .input = "ct_siemens_j2k_totalseg/example_ct_dicom",
     .acquiredFrames = 20,
     .warnings = {Code::OverlappingSlices}},
    {.name = "GeMrMprageOblique", .input = "mr_ge_mprage_oblique", .acquiredFrames = 130},
    {.name = "PhilipsMrSagittalOblique",
     .input = "mr_philips_mprage_sag_oblique",
     .acquiredFrames = 170},
    {.name = "SiemensMrEcho1",
     .input = "mr_siemens_pdt2_dualecho",
     .member = "0001.dcm",
     .acquiredFrames = 35,
     .warnings = {Code::SplitSeries, Code::GapsBetweenSlices}},
    {.name = "SiemensMrEcho2",
     .input = "mr_siemens_pdt2_dualecho",
     .member = "0036_e2.dcm",
     .acquiredFrames = 35,
     .dcm2niixSuffix = "_e2",
     .warnings = {Code::SplitSeries, Code::GapsBetweenSlices}},
    {.name = "SiemensXa30Oblique",
     .input = "mr_siemens_xa30_oblique",
     .member = "9001_gre",
     .acquiredFrames = 33},
    {.name = "SiemensXa30ScoutPair",
     .input = "mr_siemens_xa30_oblique",
     .member = "2001001_",
     .acquiredFrames = 2},
    {.name = "SiemensXa30ScoutSingle",
     .input = "mr_siemens_xa30_oblique",
     .member = "2001003_",
     .acquiredFrames = 1},
    {.name = "VisibleHumanShuffled",
     .input = "rtstruct_visiblehuman_varian/AnonDICOM",
     .acquiredFrames = 4},
    {.name = "GePhantomCt", .input = "rtstruct_rtutils_ge_phantom/mock_data", .acquiredFrames = 2},
    {.name = "SyntheticOriented",
     .input = "rtstruct_rtutils_ge_phantom/oriented_data",
     .acquiredFrames = 3},
    {.name = "BreastCtSingleSlice", .input = "rtstruct_dicompyler_breast", .acquiredFrames = 1},
    {.name = "DcmqiLiverCtFeetFirst",
     .input = "seg_dcmqi/data/segmentations/ct-3slice",
     .acquiredFrames = 3,
     .warnings = {Code::OverlappingSlices}},
    {.name = "Dcmqi23x38x3",
     .input = "seg_dcmqi/data/segmentations/23x38x3/image",
     .acquiredFrames = 3},
    {.name = "Dcmqi24x38x3",
     .input = "seg_dcmqi/data/segmentations/24x38x3/image",
     .acquiredFrames = 3},
    {.name = "Dcmqi23x38x3LegacyEnhanced",
     .input = "seg_dcmqi/data/segmentations/23x38x3/multiframe/mf.dcm",
     .acquiredFrames = 3},
    {.name = "Dcmqi24x38x3LegacyEnhanced",
     .input = "seg_dcmqi/data/segmentations/24x38x3/multiframe/mf.dcm",
     .acquiredFrames = 3},
    {.name = "HighdicomCtImage",
     .input = "seg_highdicom_ct2/highdicom",
     .member = "ct_image.dcm",
     .acquiredFrames = 1},
    {.name = "PhilipsEnhancedAsl",
     .input = "mr_philips_enhanced_multiframe",
     .member = "1901_",
     .acquiredFrames = 40,
     .dcm2niixSuffix = "_real"},
    {.name = "PhilipsEnhancedFieldMap",
     .input = "mr_philips_enhanced_multiframe",
     .member = "2001_",
     .acquiredFrames = 53,
     .dcm2niixSuffix = "_e1"},
    {.name = "EnhancedCtSupplemental",
     .input = "dicom_compressed_pydicom_data/eCT_Supplemental.dcm",
     .acquiredFrames = 2},
    {.name = "Ct693Uncompressed",
     .input = "dicom_compressed_pydicom_data/693_UNCR.dcm",
     .acquiredFrames = 1},
    {.name = "Ct693Jpeg2000",
     .input = "dicom_compressed_pydicom_data/693_J2KR.dcm",
     .acquiredFrames = 1},
    {.name = "Mr2Uncompressed",
     .input = "dicom_compressed_pydicom_data/MR2_UNCR.dcm",
     .acquiredFrames = 1},
    {.name = "Mr2Jpeg2000Lossless",
     .input = "dicom_compressed_pydicom_data/MR2_J2KR.dcm",
     .acquiredFrames = 1,
     .dcm2niix = false},  // dcm2niix: "stored as 9 fragments"
    {.name = "CtBadSequenceJpegLossless",
     .input = "dicom_compressed_pydicom_data/bad_sequence.dcm",
     .acquiredFrames = 1},
    {.name = "CtExplicitVrUn",
     .input = "dicom_compressed_pydicom_data/explicit_VR-UN.dcm",
     .acquiredFrames = 1},
    {.name = "NmJpegLossless",
     .input = "dicom_compressed_pydicom_data/JPEG-LL.dcm",
     .acquiredFrames = 1,
     .dcm2niix = false,
     .warnings = {Code::MissingAttribute},
     .hasPositions = false},
    {.name = "UsJpegLossless8bit",
     .input = "dicom_compressed_pydicom_data/JPGLosslessP14SV1_1s_1f_8b.dcm",
     .acquiredFrames = 1,
     .dcm2niix = false,
     .warnings = {Code::MissingAttribute},
     .hasPositions = false},
    {.name = "JpegLsSigned15bit",
     .input = "dicom_compressed_pydicom_data/JLSL_16_15_1_1F.dcm",
     .acquiredFrames = 1,
     .dcm2niix = false,
     .warnings = {Code::MissingAttribute},
     .hasPositions = false},
    {.name = "NibabelDecimalRescale",
     .input = "dicom_odd_nibabel/decimal_rescale.dcm",
     .acquiredFrames = 1,
     .dcm2niixSuffix = "_real"},
    {.name = "NibabelEmptySliceThicknessJ2k",
     .input = "dicom_odd_nibabel/slicethickness_empty_string.dcm",
     .acquiredFrames = 1,
     .dcm2niix = false},  // dcm2niix refuses: "Unable to determine slice thickness"
    {.name = "SiemensMosaicEpi",
     .input = "ts_siemens_mr_transfer_syntaxes/In/1.dcm",
     .acquiredFrames = 35},
    {.name = "SiemensMosaic12bitUnsigned",
     .input = "mr_siemens_12bit_signed/In/12bitUnsigned.dcm",
     .acquiredFrames = 35},
    {.name = "SiemensMosaic12bitSigned",
     .input = "mr_siemens_12bit_signed/In/12bitSigned_0x0F0F.dcm",
     .acquiredFrames = 35},
    {.name = "NibabelSiemensDwiMosaic", .input = "dicom_odd_nibabel/0.dcm", .acquiredFrames = 48},
    {.name = "PydicomCt2Slab",
     .input = "seg_highdicom_ct2/pydicom_dicomdirtests_CT2",
     .member = "17136",
     .acquiredFrames = 3},
    {.name = "PydicomCtSmall", .input = "dicom_odd_pydicom/CT_small.dcm", .acquiredFrames = 1},
    {.name = "PydicomMrSmall", .input = "dicom_odd_pydicom/MR_small.dcm", .acquiredFrames = 1},
};

std::string caseName(const ::testing::TestParamInfo<ReferenceCase>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(RealSeries, DicomReferenceTest, ::testing::ValuesIn(kCases), caseName);

}  // namespace
}  // namespace annotrace
