#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "Core/Vec3.h"
#include "Segmentation/SliceSpec.h"

namespace annotrace {

enum class EditTool {
  Polygon,      ///< clicked vertices, closed
  Freehand,     ///< dense points, closed
  Brush,        ///< circle or sphere swept along the points
  Eraser,       ///< the brush, erasing
  Scissors,     ///< fill or erase inside or outside a contour, on one slice or a slab
  Fill,         ///< flood fill of an enclosed region from a seed, or of every hole on a slice
  Interpolate,  ///< fill the slices between key slices of segments
  Propagate,    ///< carry a segment from one slice to its neighbours, following the image
  AddSegment,
  RemoveSegment,
  UpdateSegment,
  Undo,
  Redo,
};

enum class BrushShape { Circle, Sphere };
enum class ScissorsAction { FillInside, EraseInside, FillOutside, EraseOutside };
enum class FillMode { Seed, Holes };
enum class OverlapPolicy { Overwrite, Allow };

/// Only voxels whose source intensity lies in [min, max] (physical units, e.g. HU) change.
struct IntensityRange {
  double min = 0;
  double max = 0;
  bool operator==(const IntensityRange&) const = default;
};

/// Where an edit may change voxels.
struct EditableArea {
  enum class Kind { Everywhere, InsideSegment, OutsideAllSegments };
  Kind kind = Kind::Everywhere;
  std::string segment;  ///< for InsideSegment
  bool operator==(const EditableArea&) const = default;
};

struct EditConstraints {
  std::optional<IntensityRange> intensityRange;
  EditableArea editableArea;
  /// Overwrite: painting a voxel removes it from every other unlocked segment.
  /// Allow: other segments keep it (segments may overlap).
  OverlapPolicy overlap = OverlapPolicy::Overwrite;
  bool operator==(const EditConstraints&) const = default;
};

/// One tool operation as data: what the user did, in world millimetres, so any label can be
/// replayed exactly (`annotrace edit`) and a record can keep how it was made.
///
/// JSON form (Docs/EditOperations.md):
///   {"tool": "brush", "segment": "Liver", "plane": "axial", "slice": 40,
///    "points": [[x, y, z], ...], "radius_mm": 5, "shape": "circle",
///    "intensity_range": [-100, 300], "editable_area": "everywhere", "overlap": "overwrite"}
struct EditOperation {
  EditTool tool = EditTool::Brush;
  std::string segment;  ///< segment name the tool works on
  SliceOrientation plane = SliceOrientation::Axial;
  std::optional<std::size_t> slice;  ///< absent: the slice nearest the points
  std::vector<Vec3> points;          ///< world millimetres (LPS)
  double radiusMm = 0;               ///< brush / eraser
  BrushShape shape = BrushShape::Circle;
  bool erase = false;  ///< polygon / freehand / fill: erase instead of paint
  ScissorsAction scissors = ScissorsAction::EraseInside;
  /// Scissors through a slab of slices (inclusive); `wholeVolume` for every slice.
  std::optional<std::pair<std::size_t, std::size_t>> slab;
  bool wholeVolume = false;
  FillMode fill = FillMode::Seed;
  EditConstraints constraints;
  /// Interpolate: the segments (names; empty: every unlocked one) and, optionally, their key
  /// slices (empty: each segment's drawn slices).
  std::vector<std::string> segments;
  std::vector<std::size_t> keySlices;
  /// Interpolate: move the interpolated contours towards what the source image shows near
  /// them (false: the shapes alone).
  bool followImage = true;
  /// Propagate: from `slice`, at most this many slices each way (0: until the structure
  /// ends), and in which directions.
  std::size_t maxSlices = 0;
  bool forward = true;
  bool backward = true;
  /// AddSegment / UpdateSegment: the segment's members in SegmentJson form, plus
  /// "terminology_name" to take terminology and colour from the catalog.
  nlohmann::json segmentFields;

  /// Throws std::invalid_argument naming the member that is missing or wrong.
  static EditOperation fromJson(const nlohmann::json& json);
  nlohmann::json toJson() const;
  bool operator==(const EditOperation&) const = default;
};

std::string_view editToolName(EditTool tool);

}  // namespace annotrace
