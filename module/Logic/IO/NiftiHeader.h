#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "Core/LoadWarning.h"
#include "Core/Vec3.h"

namespace annotrace {

/// Row-major 3x4 affine: the first three rows of a homogeneous 4x4 matrix.
using Affine3x4 = std::array<std::array<double, 4>, 3>;

/// The fields of a NIfTI-1 or NIfTI-2 header (.nii or .nii.gz, either byte order) that decide
/// geometry and voxel values, read at full precision.
///
/// Read directly rather than through ITK because ITK 5.2 cannot open NIfTI-2, reads truncated
/// files without an error, and takes the spacing from pixdim even when the sform says otherwise;
/// nibabel, FSL and dcm2niix read the sform as the full index-to-RAS affine, and so do we.
struct NiftiHeader {
  int version = 1;         ///< 1 or 2
  bool swapBytes = false;  ///< file byte order differs from this machine's
  std::array<std::int64_t, 8> dim{};
  std::array<double, 8> pixdim{};
  int datatype = 0;
  int bitpix = 0;
  std::int64_t voxOffset = 0;
  double sclSlope = 0;
  double sclInter = 0;
  double calMin = 0;
  double calMax = 0;
  int qformCode = 0;
  int sformCode = 0;
  double quaternB = 0, quaternC = 0, quaternD = 0;
  Vec3 qoffset{0, 0, 0};
  Affine3x4 srow{};
  std::string descrip;

  /// Throws std::runtime_error naming the file when it is not a readable NIfTI-1/2 file.
  static NiftiHeader read(const std::filesystem::path& path);

  /// Index-to-RAS affine of the quaternion fields (NIfTI method 2).
  Affine3x4 qformAffine() const;
  Affine3x4 sformAffine() const { return srow; }
  /// pixdim scaling only (NIfTI method 1), for files with neither qform nor sform.
  Affine3x4 scalingAffine() const;

  /// Product of dim[4..7]: how many 3D volumes the file holds.
  std::int64_t volumeCount() const;
  std::size_t voxelsPerVolume() const;

  /// Bytes of one voxel of this datatype; throws for non-scalar (colour, complex) datatypes.
  std::size_t bytesPerVoxel(const std::filesystem::path& path) const;
  /// True when scl_slope/scl_inter change the stored values (slope 0 or NaN means "unscaled").
  bool hasScaling() const;
  /// Reads the stored (unscaled) voxels of the first 3D volume, in this machine's byte order,
  /// into destination (voxelsPerVolume() * bytesPerVoxel() bytes). Throws when the file is
  /// truncated: ITK 5.2's NIfTI reader silently returns garbage then.
  void readFirstVolume(const std::filesystem::path& path, void* destination) const;
};

/// The index-to-RAS affine a NIfTI reader must use, chosen as nibabel does: the sform when its
/// code is set, else the qform, else pixdim scaling. Adds a warning when the choice matters
/// (qform and sform disagree, no orientation at all).
Affine3x4 chooseNiftiAffine(const NiftiHeader& header, std::array<std::size_t, 3> size,
                            std::vector<LoadWarning>& warnings);

}  // namespace annotrace
