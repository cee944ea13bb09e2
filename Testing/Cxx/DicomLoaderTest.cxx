// The DICOM loader against independent references, on every image series of the shared data:
// geometry against dcm2niix (run here on the same files, compared in LPS world coordinates) and
// voxel values against pydicom (Testing/Python/dicom_reference.py), located by world position.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "IO/DicomFolderScanner.h"
#include "IO/DicomSeriesLoader.h"
#include "IO/VolumeReader.h"
#include "TestData.h"

namespace annotrace {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Code = LoadWarning::Code;

constexpr double kWorldTolerance = 0.01;      // mm, positions
constexpr double kDirectionTolerance = 1e-4;  // direction cosines and spacing

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

std::string describe(const Vec3& v) {
  std::ostringstream s;
  s << "(" << v[0] << ", " << v[1] << ", " << v[2] << ")";
  return s.str();
}

std::string warningList(const std::vector<LoadWarning>& warnings) {
  std::string names;
  for (const auto& w : warnings) names += std::string(warningCodeName(w.code)) + " ";
  return names;
}

bool pathContains(const fs::path& path, const std::string& part) {
  return path.string().find(part) != std::string::npos;
}

/// The image stack a case is about: the one holding a frame whose path contains `member`.
const DicomSeries& findStack(const DicomScanResult& scan, const std::string& member) {
  std::vector<const DicomSeries*> matches;
  for (const auto& series : scan.series) {
    if (series.frames.empty()) continue;
    if (member.empty() ||
        std::any_of(series.frames.begin(), series.frames.end(),
                    [&](const DicomFrame& f) { return pathContains(f.file, member); })) {
      matches.push_back(&series);
    }
  }
  if (matches.empty())
    throw std::runtime_error("no image stack holds a file matching '" + member + "'");
  if (member.empty() && matches.size() != 1) {
    throw std::runtime_error("expected one image stack, found " + std::to_string(matches.size()));
  }
  return *matches.front();
}

std::vector<fs::path> stackFiles(const DicomSeries& stack) {
  std::vector<fs::path> files;
  std::set<fs::path> seen;
  for (const auto& f : stack.frames) {
    if (seen.insert(f.file).second) files.push_back(f.file);
  }
  return files;
}

Vec3 jsonVec3(const json& values, std::size_t offset = 0) {
  return {values.at(offset).get<double>(), values.at(offset + 1).get<double>(),
          values.at(offset + 2).get<double>()};
}

std::vector<Vec3> gridCorners(const ImageGeometry& g) {
  std::vector<Vec3> corners;
  for (double i : {0.0, double(g.size[0]) - 1})
    for (double j : {0.0, double(g.size[1]) - 1})
      for (double k : {0.0, double(g.size[2]) - 1}) corners.push_back(g.indexToWorld({i, j, k}));
  return corners;
}

double nearestDistance(const Vec3& p, const std::vector<Vec3>& set) {
  double best = 1e300;
  for (const auto& q : set) best = std::min(best, norm(p - q));
  return best;
}

/// Same grid as a dcm2niix output: dims, spacing and direction up to axis permutation and
/// flip, and the same set of 8 voxel-centre corners in LPS.
void expectSameGridAsDcm2niix(const ImageGeometry& g, const json& ref) {
  SCOPED_TRACE("dcm2niix output " + ref.at("file").get<std::string>());
  const auto& affine = ref.at("affine_lps");
  std::array<Vec3, 3> refAxes{};
  std::array<double, 3> refSpacing{};
  for (int b = 0; b < 3; ++b) {
    const Vec3 column{affine[0][b].get<double>(), affine[1][b].get<double>(),
                      affine[2][b].get<double>()};
    refSpacing[b] = norm(column);
    refAxes[b] = normalized(column);
  }
  const auto& shape = ref.at("shape");
  EXPECT_TRUE(ref.at("orthonormal").get<bool>()) << "dcm2niix output is not a valid reference";
  for (int a = 0; a < 3; ++a) {
    const Vec3 axis = column(g.direction, a);
    int match = -1;
    for (int b = 0; b < 3; ++b) {
      if (std::abs(std::abs(dot(axis, refAxes[b])) - 1) < kDirectionTolerance) match = b;
    }
    if (match < 0) {
      ADD_FAILURE() << "axis " << a << " direction " << describe(axis)
                    << " matches no dcm2niix axis";
      continue;
    }
    const double sign = dot(axis, refAxes[match]) > 0 ? 1 : -1;
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(axis[c], sign * refAxes[match][c], kDirectionTolerance) << "axis " << a;
    }
    EXPECT_EQ(g.size[a], shape.at(match).get<std::size_t>()) << "axis " << a;
    if (g.size[a] > 1) {
      EXPECT_NEAR(g.spacing[a], refSpacing[match], kDirectionTolerance) << "spacing, axis " << a;
    }
  }
  const auto ours = gridCorners(g);
  std::vector<Vec3> theirs;
  for (const auto& c : ref.at("corners_lps")) theirs.push_back(jsonVec3(c));
  for (const auto& p : ours) {
    EXPECT_LE(nearestDistance(p, theirs), kWorldTolerance) << "our corner " << describe(p);
  }
  for (const auto& p : theirs) {
    EXPECT_LE(nearestDistance(p, ours), kWorldTolerance) << "dcm2niix corner " << describe(p);
  }
}

const json& pickDcm2niixOutput(const json& reference, const std::string& suffix) {
  for (const auto& v : reference.at("volumes")) {
    if (v.at("suffix").get<std::string>() == suffix) return v;
  }
  std::string found;
  for (const auto& v : reference.at("volumes"))
    found += "'" + v.at("suffix").get<std::string>() + "' ";
  throw std::runtime_error("dcm2niix wrote no output with suffix '" + suffix + "' (found " + found +
                           ")\n" + reference.value("log", ""));
}

struct ReferenceFrame {
  const json* frame = nullptr;
  std::string file;
};

using ReferenceKey = std::tuple<std::string, int, int>;  // file, frame number, mosaic tile

/// pydicom frames keyed by (file, frame number, mosaic tile); single-frame files use frame 0.
std::map<ReferenceKey, ReferenceFrame> indexReference(const json& reference) {
  std::map<ReferenceKey, ReferenceFrame> index;
  for (const auto& file : reference.at("files")) {
    const std::string path = fs::weakly_canonical(file.at("file").get<std::string>()).string();
    if (file.contains("error")) {
      throw std::runtime_error("pydicom reference cannot read " + path + ": " +
                               file.at("error").get<std::string>());
    }
    for (const auto& frame : file.at("frames")) {
      index[{path, frame.at("frame_number").get<int>(), frame.value("mosaic_tile", 0)}] = {&frame,
                                                                                           path};
    }
  }
  return index;
}

/// The reference frame of every slice source of the volume. A Siemens mosaic lists its file
/// once per tile, in tile order; any other file listed twice finds no second entry and fails.
std::vector<ReferenceFrame> referenceFrames(const Volume& volume, const json& reference) {
  const auto index = indexReference(reference);
  std::map<std::pair<std::string, int>, int> occurrences;
  std::vector<ReferenceFrame> frames;
  for (const SourceFrame& source : volume.sourceFrames) {
    const std::string path = fs::weakly_canonical(source.filePath).string();
    const int tile = occurrences[{path, source.frameNumber}]++;
    auto it = index.find({path, source.frameNumber, tile});
    // An enhanced object with a single frame: the loader may call it frame 1 or 0.
    if (it == index.end() && source.frameNumber <= 1) {
      it = index.find({path, 1 - source.frameNumber, tile});
    }
    if (it == index.end()) {
      throw std::runtime_error("source frame " + path + " #" + std::to_string(source.frameNumber) +
                               (tile ? " (listed " + std::to_string(tile + 1) + " times)" : "") +
                               " is not in the pydicom reference");
    }
    frames.push_back(it->second);
  }
  return frames;
}

/// World point of pixel (row r, column c) of a reference frame.
Vec3 pixelWorld(const json& frame, double r, double c) {
  const Vec3 ipp = jsonVec3(frame.at("ipp"));
  const auto& iop = frame.at("iop");
  const Vec3 rowDirection = jsonVec3(iop, 0), columnDirection = jsonVec3(iop, 3);
  double rowSpacing = 1, columnSpacing = 1;
  if (!frame.at("pixel_spacing").is_null()) {
    rowSpacing = frame["pixel_spacing"][0].get<double>();
    columnSpacing = frame["pixel_spacing"][1].get<double>();
  }
  return ipp + (c * columnSpacing) * rowDirection + (r * rowSpacing) * columnDirection;
}

bool valuesEqual(double ours, double reference) {
  return std::abs(ours - reference) <= 1e-4 * std::max(1.0, std::abs(reference));
}

/// Voxel values against pydicom: every sampled pixel of every source frame (only the anchor
/// slice, k = 0, when the stack was resampled) is found at its world position and compared.
void expectPixelsMatchPydicom(const Volume& volume, const json& reference, bool resampled,
                              bool hasPositions) {
  const auto references = referenceFrames(volume, reference);
  const ImageGeometry& g = volume.geometry();
  int failures = 0, checked = 0;
  const auto fail = [&](const std::string& what) {
    if (++failures <= 12) ADD_FAILURE() << what;
  };
  for (std::size_t k = 0; k < volume.sourceFrames.size(); ++k) {
    const ReferenceFrame& ref = references[k];
    const json& frame = *ref.frame;
    const bool positioned =
        hasPositions && !frame.at("ipp").is_null() && !frame.at("iop").is_null();
    if (resampled) {
      // Only the anchor slice keeps its acquired pixels exactly.
      const double kIndex = g.worldToIndex(pixelWorld(frame, 0, 0))[2];
      if (std::abs(kIndex) > 1e-3) continue;
    }
    for (const auto& sample : frame.at("samples")) {
      const int r = sample[0].get<int>(), c = sample[1].get<int>();
      const double expected = sample[2].get<double>();
      std::array<std::int64_t, 3> voxel{c, r, static_cast<std::int64_t>(k)};
      std::string where =
          ref.file + " frame " + frame.at("frame_number").dump() +
          (frame.contains("mosaic_tile") ? " tile " + frame["mosaic_tile"].dump() : "") + " (row " +
          std::to_string(r) + ", column " + std::to_string(c) + ")";
      if (positioned) {
        const Vec3 world = pixelWorld(frame, r, c);
        if (!g.worldToNearestVoxel(world, voxel)) {
          fail(where + " at " + describe(world) + " lies outside the volume");
          continue;
        }
        const Vec3 centre = g.indexToWorld({double(voxel[0]), double(voxel[1]), double(voxel[2])});
        if (norm(centre - world) > kWorldTolerance) {
          fail(where + " at " + describe(world) + " is " + std::to_string(norm(centre - world)) +
               " mm from the nearest voxel centre");
          continue;
        }
        if (!resampled && voxel[2] != static_cast<std::int64_t>(k)) {
          fail(where + " is source frame of slice " + std::to_string(k) + " but lies in slice " +
               std::to_string(voxel[2]));
        }
      } else if (!g.contains(voxel)) {
        fail(where + " has no voxel");
        continue;
      }
      const double ours = volume.value(voxel[0], voxel[1], voxel[2]);
      ++checked;
      if (!valuesEqual(ours, expected)) {
        fail(where + ": volume has " + std::to_string(ours) + ", pydicom " +
             std::to_string(expected));
      }
    }
  }
  EXPECT_EQ(failures, 0) << failures << " pixel mismatches";
  EXPECT_GT(checked, 0) << "no pixel was compared";
}

/// The first and last acquired slices (by IPP along the normal) lie at the two ends of the
/// grid; without shear their IPPs are voxel centres, with shear the first one (the anchor) is
/// and the last one lies on the last slice plane inside the grid.
void expectAcquiredEndsOnGrid(const Volume& volume, const json& reference, bool sheared) {
  std::vector<const json*> frames;
  for (const auto& ref : referenceFrames(volume, reference)) frames.push_back(ref.frame);
  ASSERT_FALSE(frames.empty());
  const auto& iop = frames.front()->at("iop");
  const Vec3 normal = normalized(cross(jsonVec3(iop, 0), jsonVec3(iop, 3)));
  const auto along = [&](const json* f) { return dot(jsonVec3(f->at("ipp")), normal); };
  const auto [first, last] =
      std::minmax_element(frames.begin(), frames.end(),
                          [&](const json* a, const json* b) { return along(a) < along(b); });
  const ImageGeometry& g = volume.geometry();
  const double lastK = double(g.size[2]) - 1;
  const Vec3 firstIpp = jsonVec3((*first)->at("ipp")), lastIpp = jsonVec3((*last)->at("ipp"));
  const Vec3 firstIndex = g.worldToIndex(firstIpp), lastIndex = g.worldToIndex(lastIpp);
  // Which end is which depends on the direction of the slice axis.
  const bool firstAtZero = std::abs(firstIndex[2]) < std::abs(firstIndex[2] - lastK);
  const double firstEnd = firstAtZero ? 0 : lastK, lastEnd = firstAtZero ? lastK : 0;
  EXPECT_NEAR(firstIndex[2] * g.spacing[2], firstEnd * g.spacing[2], kWorldTolerance)
      << "first acquired slice " << describe(firstIpp) << " is not the grid's end slice";
  EXPECT_NEAR(lastIndex[2] * g.spacing[2], lastEnd * g.spacing[2], kWorldTolerance)
      << "last acquired slice " << describe(lastIpp) << " is not the grid's end slice";
  const auto expectVoxelCentre = [&](const Vec3& world, const char* which) {
    std::array<std::int64_t, 3> voxel{};
    ASSERT_TRUE(g.worldToNearestVoxel(world, voxel))
        << which << " " << describe(world) << " outside";
    const Vec3 centre = g.indexToWorld({double(voxel[0]), double(voxel[1]), double(voxel[2])});
    EXPECT_LE(norm(centre - world), kWorldTolerance)
        << which << " acquired slice position " << describe(world) << " is not a voxel centre";
  };
  expectVoxelCentre(firstIpp, "first");
  if (!sheared) {
    expectVoxelCentre(lastIpp, "last");
  } else {
    for (int a = 0; a < 2; ++a) {
      EXPECT_GE(lastIndex[a], -0.5) << "last slice origin outside the grid";
      EXPECT_LE(lastIndex[a], double(g.size[a]) - 0.5) << "last slice origin outside the grid";
    }
  }
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
    if (std::string(name) == "12bitUnsigned_0x0F0F.dcm") EXPECT_EQ(high, 4095);
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
