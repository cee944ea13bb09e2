#pragma once

#include <array>
#include <cstddef>

#include "Core/Vec3.h"
#include "Segmentation/SliceSpec.h"
#include "Volume/ImageGeometry.h"

namespace annotrace {

/// How one slice family of a grid is laid out on screen, in the radiological convention:
/// axial seen from the feet (patient's left on screen right, anterior up), coronal from the
/// front (left on the right, superior up), sagittal from the patient's left (anterior on the
/// left, superior up). Works from the grid's direction cosines, so oblique and unusually stored
/// grids (a sagittal MR whose "axial" index family shows sagittal anatomy) are shown upright;
/// the slice's (u, v) axes may be swapped (transpose) and flipped.
///
/// Screen pixels (x, y) run right and down; pixel (x, y) covers [x, x + 1) x [y, y + 1).
struct SliceDisplay {
  SliceOrientation family = SliceOrientation::Axial;
  std::array<int, 3> axes{0, 1, 2};  ///< index axes of the family's u, v and fixed axis
  std::size_t sliceWidth = 0, sliceHeight = 0, sliceCount = 0;  ///< along u, v and fixed
  bool transpose = false;  ///< screen x follows v (and y follows u)
  bool flipX = false, flipY = false;
  std::size_t width = 0, height = 0;  ///< screen pixels
  double pixelWidthMm = 1, pixelHeightMm = 1;
  /// Orientation letters at the left, right, top and bottom edges ("R", "L", "A", "P").
  std::array<char, 4> letters{'?', '?', '?', '?'};
  /// The anatomical plane the family shows ("axial", "coronal", "sagittal", or "oblique").
  const char* plane = "axial";

  static SliceDisplay of(const ImageGeometry& geometry, SliceOrientation family);

  /// Continuous slice position (u, v) of a screen point.
  std::array<double, 2> screenToSlice(double x, double y) const;
  /// Screen point of a continuous slice position.
  std::array<double, 2> sliceToScreen(double u, double v) const;
  /// Voxel index (continuous) of a screen point on slice `slice` of the family.
  Vec3 screenToIndex(double x, double y, double slice) const;
  /// Integer slice pixel (u, v) of screen pixel (x, y), both in range.
  std::array<std::size_t, 2> slicePixel(std::size_t x, std::size_t y) const;
};

}  // namespace annotrace
