#pragma once

#include <span>

#include "Core/Vec3.h"
#include "Segmentation/SliceMask.h"
#include "Segmentation/SliceSpec.h"
#include "Volume/ImageGeometry.h"

namespace annotrace {

/// Turns a closed contour drawn on one slice into the pixels it encloses.
///
/// Points are in world millimetres (LPS). Each is mapped to continuous voxel indices and
/// projected onto the slice along its fixed axis (the component across the slice is ignored,
/// so points a viewer picked on the slice plane need no exact depth). A pixel belongs to the
/// polygon when its centre has a nonzero winding number (self-intersecting freehand loops stay
/// filled). Centres exactly on the boundary follow a half-open rule, like the top-left rule of
/// GPU rasterisers: a centre on a left edge (smaller u) or a lower edge (smaller v) is inside,
/// one on a right or upper edge is outside, so two polygons sharing an edge never both claim a
/// pixel. The result depends only on the inputs: identical on every run and, for the same
/// contour in index coordinates, on every plane (see Docs/Rasterisation.md).
class PolygonRasterizer {
 public:
  /// Throws std::invalid_argument when the slice index is outside the grid.
  static SliceMask rasterize(const ImageGeometry& grid, const SliceSpec& slice,
                             std::span<const Vec3> worldPoints);

  /// The same on a slice of `width` x `height` pixels with vertices already in the slice's
  /// (u, v) index coordinates (the x and y of each point; z is ignored).
  static SliceMask rasterizeIndexPolygon(std::size_t width, std::size_t height,
                                         std::span<const Vec3> uvPoints);
};

}  // namespace annotrace
