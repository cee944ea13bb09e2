#pragma once

#include <string>

#include "Volume/ImageGeometry.h"

namespace annotrace {

/// What differs between two grids, for people ("size 10 x 10 x 4 instead of ...; origin ...");
/// "" when they match: sizes exactly, origin and spacing within `positionTolerance` mm, each
/// index axis' direction within `directionTolerance`. `actual` is the grid as read, `expected`
/// the one it must match.
std::string geometryDifference(const ImageGeometry& actual, const ImageGeometry& expected,
                               double positionTolerance = 1e-3, double directionTolerance = 1e-4);

}  // namespace annotrace
