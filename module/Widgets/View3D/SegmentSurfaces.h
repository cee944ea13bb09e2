#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <vtkSmartPointer.h>

#include "Segmentation/Segment.h"
#include "Segmentation/SparseMask.h"
#include "Volume/ImageGeometry.h"

class vtkPolyData;

namespace annotrace {

class Segmentation;

/// How a segment's voxels become a surface.
struct SurfaceOptions {
  /// Windowed-sinc smoothing removes the voxel staircase while keeping the volume (a plain
  /// Laplacian shrinks it); 0 iterations leaves the raw contour.
  int smoothingIterations = 20;
  double passBand = 0.01;  ///< lower is smoother (Slicer's "smoothing factor 0.5")
  /// Fraction of triangles removed (vtkQuadricDecimation) before smoothing; 0 keeps all.
  double decimation = 0.0;
  bool computeNormals = true;
};

/// The surface of one segment's voxels, in world (LPS, mm) coordinates: the 0.5 iso-surface of
/// the binary mask, extracted inside the mask's bounding box plus one voxel so that it closes
/// at the box faces and costs what the segment holds, not the grid. nullptr for an empty mask.
///
/// Uses only VTK objects it creates itself, so it may run on any thread (the view extracts
/// off the GUI thread) while the caller keeps `mask` and `geometry` alive.
vtkSmartPointer<vtkPolyData> buildSegmentSurface(const SparseMask& mask,
                                                 const ImageGeometry& geometry,
                                                 const SurfaceOptions& options = {});

/// One surface per visible segment of a segmentation, kept by segment id, rebuilt one segment
/// at a time after an edit. Owns no rendering: the view turns each entry into an actor.
class SegmentSurfaces {
 public:
  struct Entry {
    SegmentId id = 0;
    std::array<std::uint8_t, 3> color{};   ///< sRGB, as the segment has it
    vtkSmartPointer<vtkPolyData> surface;  ///< world LPS; nullptr when the mask is empty
  };

  explicit SegmentSurfaces(SurfaceOptions options = {}) : options_(options) {}

  /// Builds every visible segment (hidden ones get no entry) and drops all earlier entries.
  void rebuildAll(const Segmentation& segmentation);
  /// Rebuilds one segment after an edit: dropped when it is hidden or no longer exists.
  void rebuildSegment(const Segmentation& segmentation, SegmentId id);
  /// Stores a surface built elsewhere (e.g. on a worker thread), replacing any earlier one.
  void setSurface(SegmentId id, const std::array<std::uint8_t, 3>& color,
                  vtkSmartPointer<vtkPolyData> surface);
  void dropSegment(SegmentId id);
  void clear() { entries_.clear(); }

  const Entry* find(SegmentId id) const;
  /// In the order the segments were added (display order for rebuildAll).
  const std::vector<Entry>& entries() const { return entries_; }
  const SurfaceOptions& options() const { return options_; }

 private:
  SurfaceOptions options_;
  std::vector<Entry> entries_;
};

}  // namespace annotrace
