#pragma once

#include <string>

#include "Segmentation/EditOperation.h"

namespace annotrace {

/// What the mouse does in the slice views, shared by the three views and set by the tool bar.
struct ToolState {
  enum class Mode { Navigate, Polygon, Freehand, Brush, Eraser, Scissors, Fill };
  Mode mode = Mode::Navigate;
  double radiusMm = 5;
  BrushShape shape = BrushShape::Circle;
  ScissorsAction scissors = ScissorsAction::EraseInside;
  std::string segment;  ///< the segment tools work on (name)
  EditConstraints constraints;
};

}  // namespace annotrace
