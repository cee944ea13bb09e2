// NIfTI/NRRD reading and writing, checked against nibabel (and a numpy NRRD reader) run on the
// same files by Testing/Python/nifti_reference.py.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "IO/VolumeFileIO.h"
#include "TestGeometry.h"
#include "Volume/Volume.h"

namespace fs = std::filesystem;
using annotrace::ImageGeometry;
using annotrace::LoadWarning;
using annotrace::Mat3;
using annotrace::Vec3;
using annotrace::Volume;
using annotrace::VolumeFileIO;
using annotrace::VoxelBuffer;

namespace {

// Set by Testing/Cxx/CMakeLists.txt (annotrace_add_test).
fs::path dataRoot() {
  if (const char* env = std::getenv("ANNOTRACE_DATA"); env && *env) return env;
  return ANNOTRACE_TEST_DATA_DIR;
}

fs::path referenceScript() {
  return fs::path(ANNOTRACE_TEST_PYTHON_DIR) / "nifti_reference.py";
}

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

nlohmann::json runReference(const fs::path& file, const std::vector<std::array<int, 3>>& voxels) {
  std::string voxelArg;
  for (const auto& v : voxels) {
    voxelArg += (voxelArg.empty() ? "" : ";") + std::to_string(v[0]) + "," + std::to_string(v[1]) +
                "," + std::to_string(v[2]);
  }
  const std::string command = shellQuote(ANNOTRACE_TEST_PYTHON) + " " +
                              shellQuote(referenceScript().string()) + " --voxels " +
                              shellQuote(voxelArg) + " " + shellQuote(file.string());
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string output;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe.get())) output.append(buffer, n);
  auto json = nlohmann::json::parse(output);
  if (json.contains("error"))
    throw std::runtime_error("reference failed: " + json["error"].get<std::string>());
  return json;
}

// Corners, centre and a few seeded pseudo-random voxels of a grid.
std::vector<std::array<int, 3>> sampleVoxels(const std::array<std::size_t, 3>& size) {
  std::vector<std::array<int, 3>> v;
  for (int corner = 0; corner < 8; ++corner) {
    std::array<int, 3> c{};
    for (int a = 0; a < 3; ++a) c[a] = (corner >> a) & 1 ? int(size[a]) - 1 : 0;
    v.push_back(c);
  }
  v.push_back({int(size[0] / 2), int(size[1] / 2), int(size[2] / 2)});
  std::mt19937 rng(1234);
  for (int n = 0; n < 24; ++n) {
    v.push_back({int(rng() % size[0]), int(rng() % size[1]), int(rng() % size[2])});
  }
  return v;
}

// Our LPS index-to-world matrix in RAS terms (negate the first two rows), to compare with
// nibabel's affine.
std::array<std::array<double, 4>, 4> rasMatrix(const ImageGeometry& g) {
  auto m = g.indexToWorldMatrix();
  for (int r = 0; r < 2; ++r) {
    for (int c = 0; c < 4; ++c) m[r][c] = -m[r][c];
  }
  return m;
}

void expectMatrixNear(const std::array<std::array<double, 4>, 4>& ours, const nlohmann::json& ref,
                      double tolerance, const std::string& what) {
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 4; ++c) {
      EXPECT_NEAR(ours[r][c], ref[r][c].get<double>(), tolerance)
          << what << " element (" << r << ", " << c << ")";
    }
  }
}

void expectValuesMatch(const Volume& volume, const nlohmann::json& ref,
                       const std::vector<std::array<int, 3>>& voxels, const std::string& what) {
  ASSERT_EQ(ref["values"].size(), voxels.size());
  for (std::size_t n = 0; n < voxels.size(); ++n) {
    const double expected = ref["values"][n].get<double>();
    const auto& v = voxels[n];
    EXPECT_NEAR(volume.value(v[0], v[1], v[2]), expected, 1e-5 * std::max(1.0, std::abs(expected)))
        << what << " voxel (" << v[0] << ", " << v[1] << ", " << v[2] << ")";
  }
  const auto [lo, hi] = volume.valueRange();
  EXPECT_NEAR(lo, ref["min"].get<double>(), 1e-5 * std::max(1.0, std::abs(lo))) << what;
  EXPECT_NEAR(hi, ref["max"].get<double>(), 1e-5 * std::max(1.0, std::abs(hi))) << what;
}

bool fitsInt16(const nlohmann::json& ref) {
  return ref["allIntegers"].get<bool>() && ref["min"].get<double>() >= -32768 &&
         ref["max"].get<double>() <= 32767;
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("annotrace-io-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

using annotrace::test::obliqueDirection;

Volume makeObliqueVolume(bool asFloat) {
  ImageGeometry g;
  g.size = {23, 17, 9};
  g.spacing = {0.7, 0.85, 2.5};
  g.origin = {-101.25, 37.5, -412.75};
  g.direction = obliqueDirection();
  const std::size_t n = g.voxelCount();
  VoxelBuffer voxels;
  if (asFloat) {
    annotrace::VoxelVector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(std::sin(0.01 * i) * 1234.5678);
    voxels = std::move(v);
  } else {
    annotrace::VoxelVector<std::int16_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::int16_t>(int(i * 37 % 4001) - 1024);
    voxels = std::move(v);
  }
  return Volume(g, std::move(voxels));
}

void expectSameGeometry(const ImageGeometry& a, const ImageGeometry& b, double tolerance) {
  EXPECT_EQ(a.size, b.size);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(a.spacing[i], b.spacing[i], tolerance) << "spacing " << i;
    EXPECT_NEAR(a.origin[i], b.origin[i], tolerance) << "origin " << i;
    for (int j = 0; j < 3; ++j) {
      EXPECT_NEAR(a.direction[i][j], b.direction[i][j], tolerance) << "direction " << i << j;
    }
  }
}

void expectSameVoxels(const Volume& a, const Volume& b) {
  ASSERT_EQ(a.isInt16(), b.isInt16());
  EXPECT_TRUE(a.voxels() == b.voxels()) << "voxel values differ";
}

std::vector<fs::path> niftiFiles() {
  std::vector<fs::path> files;
  for (const char* folder : {"nifti_nibabel", "nifti_totalseg"}) {
    for (const auto& entry : fs::directory_iterator(dataRoot() / folder)) {
      if (VolumeFileIO::isSupportedFile(entry.path())) files.push_back(entry.path());
    }
  }
  files.push_back(dataRoot() / "ct_siemens_j2k_totalseg" / "example_seg_dicom.nii.gz");
  files.push_back(dataRoot() / "rtstruct_visiblehuman_varian" / "AnonDICOM" / "Image.nii.gz");
  files.push_back(dataRoot() / "rtstruct_visiblehuman_varian" / "AnonDICOM" / "Mask.nii.gz");
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST(VolumeFileIO, RecognisesFileNames) {
  EXPECT_TRUE(VolumeFileIO::isSupportedFile("a/b.nii"));
  EXPECT_TRUE(VolumeFileIO::isSupportedFile("a/b.NII.GZ"));
  EXPECT_TRUE(VolumeFileIO::isSupportedFile("b.nrrd"));
  EXPECT_TRUE(VolumeFileIO::isSupportedFile("b.nhdr"));
  EXPECT_FALSE(VolumeFileIO::isSupportedFile("b.dcm"));
  EXPECT_FALSE(VolumeFileIO::isSupportedFile("nii"));
  EXPECT_FALSE(VolumeFileIO::isSupportedFile("b.gz"));
}

// Every real NIfTI file: grid, affine and values as nibabel reads them.
TEST(VolumeFileIO, RealNiftiFilesMatchNibabel) {
  const auto files = niftiFiles();
  ASSERT_GE(files.size(), 17u) << "shared data missing under " << dataRoot();
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    const Volume volume = VolumeFileIO::read(file);
    const auto& g = volume.geometry();
    const auto voxels = sampleVoxels(g.size);
    const auto ref = runReference(file, voxels);
    for (int a = 0; a < 3; ++a) EXPECT_EQ(g.size[a], ref["shape"][a].get<std::size_t>());
    EXPECT_TRUE(g.hasOrthonormalDirection());
    // Positions to 0.001 mm and matrix elements to float precision of the header.
    expectMatrixNear(rasMatrix(g), ref["rasAffine"], 1e-3, "affine");
    expectValuesMatch(volume, ref, voxels, file.filename().string());
    EXPECT_EQ(volume.isInt16(), fitsInt16(ref)) << "storage type rule";
    const bool multiVolume = ref["fullShape"].size() > 3 && ref["fullShape"][3].get<int>() > 1;
    bool warned = false;
    for (const auto& w : volume.warnings) {
      warned |= w.message.find("only the first volume was loaded") != std::string::npos;
    }
    EXPECT_EQ(warned, multiVolume) << "4D warning";
  }
}

TEST(VolumeFileIO, ScaledNiftiGivesPhysicalFloatValues) {
  // functional.nii: int16 on disk with scl_slope 0.0754 and scl_inter 3100.76.
  const auto file = dataRoot() / "nifti_nibabel" / "functional.nii";
  const Volume volume = VolumeFileIO::read(file);
  EXPECT_FALSE(volume.isInt16());
  const auto voxels = sampleVoxels(volume.geometry().size);
  const auto ref = runReference(file, voxels);
  EXPECT_GT(ref["min"].get<double>(), 700.0);  // physical values, not raw ones
  expectValuesMatch(volume, ref, voxels, "functional.nii");
}

TEST(VolumeFileIO, NiftiOrientationIsLps) {
  // anatomical.nii (big-endian): sform x step -2 mm in RAS = +2 mm towards L, origin R 32 mm.
  const Volume volume = VolumeFileIO::read(dataRoot() / "nifti_nibabel" / "anatomical.nii");
  const auto& g = volume.geometry();
  EXPECT_NEAR(g.origin[0], -32.0, 1e-9);
  EXPECT_NEAR(g.origin[1], 40.0, 1e-9);
  EXPECT_NEAR(g.origin[2], -16.0, 1e-9);
  EXPECT_NEAR(g.direction[0][0], 1.0, 1e-9);
  EXPECT_NEAR(g.direction[1][1], -1.0, 1e-9);
  EXPECT_EQ(g.orientationCode(), "LAS");
}

TEST(VolumeFileIO, RealNrrdMatchesIndependentReader) {
  const auto file = dataRoot() / "seg_dcmqi" / "data" / "segmentations" / "liver_seg.nrrd";
  const Volume volume = VolumeFileIO::read(file);
  const auto voxels = sampleVoxels(volume.geometry().size);
  const auto ref = runReference(file, voxels);
  expectMatrixNear(volume.geometry().indexToWorldMatrix(), ref["lpsMatrix"], 1e-6, "LPS matrix");
  expectValuesMatch(volume, ref, voxels, "liver_seg.nrrd");
  EXPECT_TRUE(volume.isInt16());
  EXPECT_DOUBLE_EQ(ref["max"].get<double>(), 1.0);  // the file really holds a label
}

class RoundTrip : public ::testing::TestWithParam<std::tuple<bool, std::string>> {};

TEST_P(RoundTrip, KeepsGeometryTypeAndValues) {
  const auto [asFloat, extension] = GetParam();
  TempDir dir;
  const Volume original = makeObliqueVolume(asFloat);
  const fs::path file = dir.path / ("oblique" + extension);
  VolumeFileIO::write(original, file);
  const Volume back = VolumeFileIO::read(file);
  expectSameGeometry(back.geometry(), original.geometry(), 1e-5);
  expectSameVoxels(back, original);
  // Nothing but the file (and a .nhdr's data file) is left in the folder.
  std::size_t entries = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) {
    EXPECT_EQ(e.path().filename().string().rfind(".annotrace", 0), std::string::npos);
    ++entries;
  }
  EXPECT_EQ(entries, extension == ".nhdr" ? 2u : 1u);

  // An independent reader agrees on what was written.
  const auto voxels = sampleVoxels(original.geometry().size);
  const auto ref = runReference(file, voxels);
  expectValuesMatch(original, ref, voxels, "written file");
  if (extension.rfind(".nii", 0) == 0) {
    expectMatrixNear(rasMatrix(original.geometry()), ref["rasAffine"], 1e-4, "nibabel affine");
    expectMatrixNear(rasMatrix(original.geometry()), ref["qform"], 1e-4, "qform");
    EXPECT_EQ(ref["qformCode"].get<int>(), 1);
    EXPECT_EQ(ref["sformCode"].get<int>(), 1);
  } else {
    expectMatrixNear(original.geometry().indexToWorldMatrix(), ref["lpsMatrix"], 1e-6, "NRRD");
  }
}

INSTANTIATE_TEST_SUITE_P(
    VolumeFileIO, RoundTrip,
    ::testing::Combine(::testing::Bool(), ::testing::Values(".nii.gz", ".nii", ".nrrd", ".nhdr")));

TEST(VolumeFileIO, WrittenNiftiKeepsStorageType) {
  TempDir dir;
  for (bool asFloat : {false, true}) {
    const fs::path file = dir.path / (asFloat ? "f.nii" : "s.nii");
    VolumeFileIO::write(makeObliqueVolume(asFloat), file);
    std::ifstream in(file, std::ios::binary);
    char header[348];
    in.read(header, sizeof header);
    std::int16_t datatype;
    std::memcpy(&datatype, header + 70, 2);
    EXPECT_EQ(datatype, asFloat ? 16 : 4);  // NIFTI_TYPE_FLOAT32 / NIFTI_TYPE_INT16
  }
}

// Byte-patches a written NIfTI-1 header to create the qform/sform cases of real files.
class NiftiHeaderCases : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = dir_.path / "case.nii";
    VolumeFileIO::write(makeObliqueVolume(false), file_);
  }
  template <typename T>
  void patch(std::size_t offset, T value) {
    std::fstream f(file_, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(reinterpret_cast<const char*>(&value), sizeof value);
  }
  TempDir dir_;
  fs::path file_;
};

TEST_F(NiftiHeaderCases, QformOnlyWhenSformCodeIsZero) {
  patch<std::int16_t>(254, 0);                                   // sform_code
  for (int i = 0; i < 12; ++i) patch<float>(280 + 4 * i, 0.0f);  // srow_*
  const Volume volume = VolumeFileIO::read(file_);
  const auto ref = runReference(file_, {{0, 0, 0}});
  ASSERT_EQ(ref["sformCode"].get<int>(), 0);
  expectMatrixNear(rasMatrix(volume.geometry()), ref["qform"], 1e-4, "qform");
  expectSameGeometry(volume.geometry(), makeObliqueVolume(false).geometry(), 1e-5);
}

TEST_F(NiftiHeaderCases, SformWinsWhenQformDisagrees) {
  patch<float>(268, 50.0f);  // qoffset_x moved by tens of millimetres
  const Volume volume = VolumeFileIO::read(file_);
  const auto ref = runReference(file_, {{0, 0, 0}});
  expectMatrixNear(rasMatrix(volume.geometry()), ref["sform"], 1e-4, "sform");
  expectMatrixNear(rasMatrix(volume.geometry()), ref["rasAffine"], 1e-4, "nibabel's choice");
  ASSERT_FALSE(volume.warnings.empty());
  EXPECT_NE(volume.warnings.front().message.find("qform and sform disagree"), std::string::npos);
}

TEST_F(NiftiHeaderCases, ShearedSformFallsBackToQform) {
  patch<float>(280 + 4 * 1, 0.9f);  // srow_x[1]: the j axis leans towards x
  const Volume volume = VolumeFileIO::read(file_);
  const auto ref = runReference(file_, {{0, 0, 0}});
  expectMatrixNear(rasMatrix(volume.geometry()), ref["qform"], 1e-4, "qform");
  ASSERT_FALSE(volume.warnings.empty());
  EXPECT_NE(volume.warnings.front().message.find("sheared"), std::string::npos);
}

TEST_F(NiftiHeaderCases, NoOrientationIsReported) {
  patch<std::int16_t>(252, 0);
  patch<std::int16_t>(254, 0);
  const Volume volume = VolumeFileIO::read(file_);
  EXPECT_TRUE(annotrace::hasWarning(volume.warnings, LoadWarning::Code::MissingAttribute));
  EXPECT_NEAR(volume.geometry().spacing[2], 2.5, 1e-6);
}

TEST(VolumeFileIO, FailedWriteKeepsExistingFile) {
  TempDir dir;
  const fs::path file = dir.path / "keep.nii.gz";
  VolumeFileIO::write(makeObliqueVolume(false), file);
  const auto sizeBefore = fs::file_size(file);
  Volume bad = makeObliqueVolume(true);
  ImageGeometry g = bad.geometry();
  g.direction[0][1] = 0.5;  // not orthonormal: refused
  bad.setGeometry(g);
  EXPECT_THROW(VolumeFileIO::write(bad, file), std::runtime_error);
  EXPECT_EQ(fs::file_size(file), sizeBefore);
  const Volume still = VolumeFileIO::read(file);
  expectSameVoxels(still, makeObliqueVolume(false));
  EXPECT_THROW(VolumeFileIO::write(makeObliqueVolume(false), dir.path / "no" / "such.nii"),
               std::runtime_error);
  EXPECT_THROW(VolumeFileIO::write(makeObliqueVolume(false), dir.path / "x.mha"),
               std::runtime_error);
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path)) ++entries;
  EXPECT_EQ(entries, 1u) << "no temporary files left behind";
}

TEST(VolumeFileIO, OverwritesExistingFile) {
  TempDir dir;
  const fs::path file = dir.path / "v.nrrd";
  VolumeFileIO::write(makeObliqueVolume(false), file);
  VolumeFileIO::write(makeObliqueVolume(true), file);
  expectSameVoxels(VolumeFileIO::read(file), makeObliqueVolume(true));
}

TEST(VolumeFileIO, BadFilesGiveClearErrors) {
  TempDir dir;
  auto expectError = [](const fs::path& file, const std::string& fragment) {
    try {
      VolumeFileIO::read(file);
      ADD_FAILURE() << "no error for " << file;
    } catch (const std::runtime_error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(file.string()), std::string::npos) << message;
      EXPECT_NE(message.find(fragment), std::string::npos) << message;
    }
  };
  expectError(dir.path / "missing.nii.gz", "no such file");
  { std::ofstream(dir.path / "text.nii") << "this is not an image"; }
  expectError(dir.path / "text.nii", "NIfTI");
  // A real file cut in the middle of its voxel data.
  const fs::path cut = dir.path / "cut.nii";
  fs::copy_file(dataRoot() / "nifti_nibabel" / "anatomical.nii", cut);
  fs::resize_file(cut, fs::file_size(cut) / 2);
  expectError(cut, "cut.nii");
  { std::ofstream(dir.path / "text.nrrd") << "NRRD0004\nnonsense\n"; }
  expectError(dir.path / "text.nrrd", "NRRD");
  expectError(dir.path / "image.png", "not a NIfTI");
}
