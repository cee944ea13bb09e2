// Damaged NIfTI headers found by FuzzNiftiFile (Testing/Fuzz) stay fixed: a real file with one
// header field broken must be refused with a message naming the problem.

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "IO/VolumeFileIO.h"
#include "TestData.h"

using namespace annotrace;
namespace fs = std::filesystem;

namespace {

// Copies the real NIfTI-1 file anatomical.nii with `patch` applied to its header bytes.
fs::path damagedCopy(const std::string& name, void (*patch)(std::vector<char>&)) {
  std::ifstream in(test::dataPath("nifti_nibabel/anatomical.nii"), std::ios::binary);
  std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_GT(bytes.size(), 352u);
  patch(bytes);
  const fs::path out = fs::temp_directory_path() / ("annotrace-" + name + ".nii");
  std::ofstream(out, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
  return out;
}

// anatomical.nii is big-endian: fields are written in that byte order.
void putBigEndian(std::vector<char>& bytes, std::size_t offset, const void* value, std::size_t n) {
  const auto* p = static_cast<const char*>(value);
  for (std::size_t i = 0; i < n; ++i) bytes[offset + i] = p[n - 1 - i];
}

std::string loadError(const fs::path& file) {
  try {
    VolumeFileIO::read(file);
  } catch (const std::runtime_error& e) {
    fs::remove(file);
    return e.what();
  }
  fs::remove(file);
  return "(loaded without an error)";
}

}  // namespace

TEST(NiftiDamage, NotANumberVoxelOffsetIsRefused) {
  const fs::path file = damagedCopy("nan-vox-offset", [](std::vector<char>& bytes) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    putBigEndian(bytes, 108, &nan, 4);
  });
  EXPECT_NE(loadError(file).find("vox_offset is not a valid byte offset"), std::string::npos);
}

TEST(NiftiDamage, DimensionsThatOverflowAreRefused) {
  const fs::path file = damagedCopy("huge-dims", [](std::vector<char>& bytes) {
    const std::int16_t dims[8] = {7, 32767, 32767, 32767, 32767, 32767, 32767, 32767};
    for (int i = 0; i < 8; ++i) putBigEndian(bytes, 40 + 2 * i, &dims[i], 2);
  });
  EXPECT_NE(loadError(file).find("dimensions multiply to"), std::string::npos);
}
