#pragma once

#include <span>
#include <vector>

#include "Core/LoadWarning.h"
#include "IO/DicomSeries.h"
#include "Volume/ImageGeometry.h"

namespace annotrace {

/// Where the acquired slices of a stack lie, and the regular grid the volume gets.
///
/// Slices are ordered by their position along the normal (row x column direction). A stack is
/// regular when the in-plane offset between slices is zero (no shear) and the slice positions
/// are evenly spaced; otherwise it needs resampling onto `grid`, whose first slice is the first
/// acquired slice and whose last slice is the last acquired one (see Docs/Loading.md).
struct SliceStackGeometry {
  ImageGeometry grid;                  ///< the volume's grid (equals the acquired one if regular)
  std::vector<double> slicePositions;  ///< acquired slices: distance along the normal from slice 0
  std::vector<Vec3> sliceOrigins;      ///< acquired slices: ImagePositionPatient
  bool sheared = false;                ///< slices offset in-plane (gantry tilt)
  double shearAngleDegrees = 0;        ///< angle between the slice stacking and the normal
  bool uniform = true;                 ///< evenly spaced along the normal
  std::vector<LoadWarning> warnings;

  bool needsResampling() const { return sheared || !uniform; }

  /// Analyses frames already sorted along the normal (DicomFolderScanner sorts them).
  /// Throws std::runtime_error when the frames cannot form one volume.
  static SliceStackGeometry analyze(std::span<const DicomFrame> sortedFrames);
};

}  // namespace annotrace
