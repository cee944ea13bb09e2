#pragma once

// Small builders shared by the segment editor tests: synthetic volumes on chosen grids and
// operations written the way a user (or the JSON file) would give them.

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "Segmentation/EditOperation.h"
#include "Segmentation/SegmentEditorLogic.h"
#include "TestGeometry.h"
#include "Volume/Volume.h"

namespace annotrace::test {

inline ImageGeometry grid(std::array<std::size_t, 3> size, Vec3 spacing, Mat3 direction,
                          Vec3 origin = {-20.0, 15.0, -40.0}) {
  ImageGeometry g;
  g.size = size;
  g.spacing = spacing;
  g.direction = direction;
  g.origin = origin;
  return g;
}

/// A volume whose voxel value is `valueOf(i, j, k)` (int16).
template <typename Fn>
Volume makeVolume(const ImageGeometry& g, Fn valueOf) {
  VoxelVector<std::int16_t> voxels(g.voxelCount(), 0);
  for (std::size_t k = 0; k < g.size[2]; ++k) {
    for (std::size_t j = 0; j < g.size[1]; ++j) {
      for (std::size_t i = 0; i < g.size[0]; ++i) {
        voxels[g.linearIndex(i, j, k)] = static_cast<std::int16_t>(valueOf(i, j, k));
      }
    }
  }
  return Volume(g, std::move(voxels));
}

inline Volume blankVolume(const ImageGeometry& g) {
  return makeVolume(g, [](std::size_t, std::size_t, std::size_t) { return 0; });
}

/// World position of a continuous index.
inline Vec3 at(const ImageGeometry& g, double i, double j, double k) {
  return g.indexToWorld({i, j, k});
}

inline EditOperation addSegment(const std::string& name) {
  EditOperation op;
  op.tool = EditTool::AddSegment;
  op.segmentFields = {{"name", name}};
  return op;
}

inline EditOperation brush(const std::string& segment, SliceOrientation plane,
                           std::vector<Vec3> points, double radiusMm,
                           BrushShape shape = BrushShape::Circle, bool erase = false) {
  EditOperation op;
  op.tool = erase ? EditTool::Eraser : EditTool::Brush;
  op.erase = erase;
  op.segment = segment;
  op.plane = plane;
  op.points = std::move(points);
  op.radiusMm = radiusMm;
  op.shape = shape;
  return op;
}

inline EditOperation polygon(const std::string& segment, SliceOrientation plane,
                             std::vector<Vec3> points, bool erase = false) {
  EditOperation op;
  op.tool = EditTool::Polygon;
  op.segment = segment;
  op.plane = plane;
  op.points = std::move(points);
  op.erase = erase;
  return op;
}

/// Number of set voxels of a segment.
inline std::size_t voxels(const SegmentEditorLogic& editor, const std::string& segment) {
  return editor.segmentation().mask(editor.segmentation().findSegmentByName(segment)->id).count();
}

inline const SparseMask& maskOf(const SegmentEditorLogic& editor, const std::string& segment) {
  return editor.segmentation().mask(editor.segmentation().findSegmentByName(segment)->id);
}

}  // namespace annotrace::test
