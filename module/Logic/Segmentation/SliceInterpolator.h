#pragma once

#include <cstddef>
#include <map>
#include <vector>

#include "Core/Progress.h"
#include "Segmentation/SegmentationPreview.h"
#include "Segmentation/Segmentation.h"
#include "Volume/Volume.h"

namespace annotrace {

struct InterpolationOptions {
  /// The slice family whose slices are filled in (axial: between key k slices).
  SliceOrientation orientation = SliceOrientation::Axial;
  /// Segments to interpolate; empty: every unlocked segment.
  std::vector<SegmentId> segments;
  /// Key slices per segment. A segment not listed uses its drawn slices of this family
  /// (SliceProvenance); with fewer than two of those, every slice that holds it.
  std::map<SegmentId, std::vector<std::size_t>> keySlices;
};

/// Fills the slices between key slices of segments (shape-based interpolation with
/// per-component correspondence; Docs/Interpolation.md). Key slices are never changed; slices
/// outside the first and last key slice are left alone. Works inside each segment's bounding
/// box, gaps in parallel. Several segments at once never claim the same voxel: where two would,
/// the one deeper inside its interpolated shape keeps it.
class SliceInterpolator {
 public:
  static SegmentationPreview interpolate(const Segmentation& segmentation,
                                         const InterpolationOptions& options,
                                         const Progress* progress = nullptr);
  /// The same, guided by the image the segments were drawn on (same grid): near each
  /// interpolated contour, tissue that looks like the structure on its key slices is taken in and
  /// tissue unlike it left out.
  static SegmentationPreview interpolate(const Volume& image, const Segmentation& segmentation,
                                         const InterpolationOptions& options,
                                         const Progress* progress = nullptr);

 private:
  static SegmentationPreview interpolate(const Volume* image, const Segmentation& segmentation,
                                         const InterpolationOptions& options,
                                         const Progress* progress);
};

/// Writes a preview's slices into a segmentation as they are (each patch replaces its slice of
/// its segment), without undo or provenance: for tests and harnesses. The editor's accept()
/// is the interactive path.
void applyPreview(const SegmentationPreview& preview, Segmentation& segmentation);

}  // namespace annotrace
