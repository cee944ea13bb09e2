// NIfTI-1/2 header parsing and voxel reading (plain, not gzipped): any input must end in a
// result or a std::exception.

#include <stdexcept>
#include <vector>

#include "FuzzInputFile.h"
#include "IO/NiftiHeader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace annotrace;
  const auto path = fuzz::writeInput(data, size, ".nii");
  try {
    const NiftiHeader header = NiftiHeader::read(path);
    std::vector<LoadWarning> warnings;
    (void)chooseNiftiAffine(header, {1, 1, 1}, warnings);
    const std::size_t bytes = header.voxelsPerVolume() * header.bytesPerVoxel(path);
    if (bytes == 0 || bytes > (std::size_t(1) << 26)) return 0;
    std::vector<char> voxels(bytes);
    header.readFirstVolume(path, voxels.data());
  } catch (const std::exception&) {
  }
  return 0;
}
