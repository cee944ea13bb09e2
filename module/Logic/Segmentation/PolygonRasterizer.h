#pragma once

#include <span>
#include <vector>

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

  /// The same, returning only the window of the slice the contour covers: the mask of that
  /// window and, in u0 / v0, where its pixel (0, 0) lies on the slice. Costs the window's
  /// size, not the slice's.
  static SliceMask rasterizeCropped(const ImageGeometry& grid, const SliceSpec& slice,
                                    std::span<const Vec3> worldPoints, std::size_t& u0,
                                    std::size_t& v0);

  /// The same on a slice of `width` x `height` pixels with vertices already in the slice's
  /// (u, v) index coordinates (the x and y of each point; z is ignored).
  static SliceMask rasterizeIndexPolygon(std::size_t width, std::size_t height,
                                         std::span<const Vec3> uvPoints);
  static SliceMask rasterizeIndexPolygonCropped(std::size_t width, std::size_t height,
                                                std::span<const Vec3> uvPoints, std::size_t& u0,
                                                std::size_t& v0);

 private:
  /// Contour points in the slice's (u, v) index coordinates; throws for a slice off the grid.
  static std::vector<Vec3> toSliceIndex(const ImageGeometry& grid, const SliceSpec& slice,
                                        std::span<const Vec3> worldPoints);
};

}  // namespace annotrace
