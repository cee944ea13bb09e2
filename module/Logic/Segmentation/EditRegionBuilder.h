#pragma once

#include <cstddef>
#include <span>

#include "Core/Vec3.h"
#include "Segmentation/EditOperation.h"
#include "Segmentation/EditRegion.h"
#include "Volume/ImageGeometry.h"

namespace annotrace {

/// Turns a tool's contour or stroke, in world millimetres, into the voxels it selects on the
/// volume grid. Every rule compares pixel centres with the shape, in physical millimetres on
/// the grid's own (possibly oblique, anisotropic) axes, so the result is the same on every run
/// and for the same shape on every plane (Docs/Rasterisation.md).
class EditRegionBuilder {
 public:
  /// Pixels whose centre lies inside the closed contour (PolygonRasterizer's rule).
  static EditRegion polygon(const ImageGeometry& grid, const SliceSpec& slice,
                            std::span<const Vec3> worldPoints);

  /// Pixels (circle) or voxels (sphere) whose centre lies within `radiusMm` of the stroke: the
  /// polyline through the points, projected onto the slice. Sweeping every segment of the
  /// polyline, not stamping at the points, is what keeps fast strokes free of gaps.
  static EditRegion brushStroke(const ImageGeometry& grid, const SliceSpec& slice,
                                std::span<const Vec3> worldPoints, double radiusMm,
                                BrushShape shape);

  /// Inside or outside the contour on slices first..last of the slice's orientation.
  static EditRegion scissors(const ImageGeometry& grid, const SliceSpec& slice,
                             std::span<const Vec3> worldPoints, bool inside,
                             std::size_t firstSlice, std::size_t lastSlice);

  /// The slice nearest the mean of the points along the orientation's fixed axis; throws
  /// std::invalid_argument when there are no points or they lie off the grid.
  static std::size_t nearestSlice(const ImageGeometry& grid, SliceOrientation orientation,
                                  std::span<const Vec3> worldPoints);

  /// The smallest part of a full-slice mask holding its set pixels, placed on the slice.
  static EditRegion::Slice cropped(std::size_t sliceIndex, const SliceMask& fullSlice);
};

}  // namespace annotrace
