#pragma once

#include "Core/Progress.h"
#include "IO/SliceStackGeometry.h"
#include "Volume/Volume.h"

namespace annotrace {

/// Interpolates an irregular stack (sheared and/or unevenly spaced slices) onto the regular
/// grid chosen by SliceStackGeometry: linear between the two acquired slices that bracket each
/// output slice, bilinear within each slice's own plane. Output slices that coincide with an
/// acquired one on its pixel lattice are exact copies. Points outside every acquired slice
/// get `fillValue`. Integer (int16) volumes are rounded to the nearest integer.
class StackResampler {
 public:
  /// `stack` holds the acquired slices, in the order of geometry.slicePositions, each
  /// `columns` x `rows` voxels.
  static VoxelBuffer resample(const VoxelBuffer& stack, unsigned columns, unsigned rows,
                              const SliceStackGeometry& geometry, double fillValue,
                              unsigned threads = 0, const Progress* progress = nullptr);
};

}  // namespace annotrace
