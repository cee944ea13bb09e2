#pragma once

// The edits of benchmark P2/P3 (BenchP2.cxx): the operations it times, one per repetition on
// another blob, slice and direction, and what an undo step holds and changed (measured outside
// the clock).

#include <array>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "Segmentation/EditOperation.h"
#include "Segmentation/IndexBox.h"
#include "Segmentation/Segment.h"
#include "Segmentation/UndoStep.h"
#include "Volume/ImageGeometry.h"

#include "BenchP2Fixture.h"

namespace annotrace::bench::p2 {

enum class Kind {
  BrushAxial,
  Polygon,
  PolygonSagittal,
  Eraser,
  BrushSagittal,
  BrushCoronal,
  Sphere,
  ScissorsAllSlices
};
inline constexpr std::array kEditKinds{Kind::BrushAxial, Kind::Polygon,       Kind::PolygonSagittal,
                                       Kind::Eraser,     Kind::BrushSagittal, Kind::BrushCoronal,
                                       Kind::Sphere};
/// Timed but outside the P2 targets: scissors through every slice must visit every slice, so
/// its cost grows with depth by nature; it shows what erasing a whole segment's outside costs.
inline constexpr std::array kTimedKinds{
    Kind::BrushAxial,    Kind::Polygon,      Kind::PolygonSagittal, Kind::Eraser,
    Kind::BrushSagittal, Kind::BrushCoronal, Kind::Sphere,          Kind::ScissorsAllSlices};

/// Whether the operation of this label is held to the P2 targets (all but the "g" ones).
bool isTargetKind(const std::string& label);

/// The label the tables show for the operation, e.g. "a brush 30 mm axial".
const char* kindLabel(Kind kind);

/// The operation of one repetition: each repetition works on another blob, slice and direction.
/// Painting tools paint the segment three places further on over the blob's own segment
/// (overwrite); the eraser erases the blob's own segment.
EditOperation makeEdit(Kind kind, int rep, const std::vector<Blob>& blobs, const ImageGeometry& g);

/// Time of building the operation's region alone (the first part of apply), in ms.
double regionMs(const EditOperation& op, const ImageGeometry& g);

/// What one step holds and changed, measured outside the clock.
struct StepFigures {
  std::size_t distinctVoxels = 0;  ///< voxels whose label changed (overwrite flips two segments)
  std::size_t stepBytes = 0;       ///< UndoStep::memoryBytes()
  std::size_t runsBytes = 0;       ///< of which the flip runs (vector capacity)
  std::size_t runsUsedBytes = 0;   ///< the runs themselves (vector size)
  std::size_t slicerBytes = 0;     ///< uint8 copy of each modified segment's bounding box
};

/// Bounding boxes of the segments as a Slicer-style undo would copy them: the extent before the
/// edit grown by the voxels it changed (extents never shrink).
using ExtentCache = std::map<SegmentId, IndexBox>;

/// The figures of `step` on a grid of `size`, the Slicer-style copies from `extents` (grown by
/// the step's voxels when `growExtents`).
StepFigures measureStep(const UndoStep& step, const std::array<std::size_t, 3>& size,
                        ExtentCache& extents, bool growExtents);

}  // namespace annotrace::bench::p2
