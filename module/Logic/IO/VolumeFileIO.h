#pragma once

#include <filesystem>

#include "Volume/Volume.h"

namespace annotrace {

/// NIfTI (.nii, .nii.gz) and NRRD (.nrrd, .nhdr) reading and writing through ITK's ImageIO.
///
/// Geometry is converted between the files' conventions (NIfTI: RAS, with qform/sform) and the
/// LPS geometry of Volume. Writing keeps int16 or float voxels as they are stored; NIfTI files
/// get both qform and sform (code 1, scanner anatomical). Throws std::runtime_error with the
/// path and the problem on failure.
class VolumeFileIO {
 public:
  static bool isSupportedFile(const std::filesystem::path& path);
  static Volume read(const std::filesystem::path& path);
  static void write(const Volume& volume, const std::filesystem::path& path);
};

}  // namespace annotrace
