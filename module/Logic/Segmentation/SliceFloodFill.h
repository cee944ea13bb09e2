#pragma once

#include <cstddef>

#include "Segmentation/SliceMask.h"

namespace annotrace {

/// 4-connected flood fills on one slice (4-connectivity, so a diagonal gap in a drawn outline
/// still encloses its inside, as the outline itself is 8-connected).
class SliceFloodFill {
 public:
  /// The pixels 4-connected to (u, v) whose value in `domain` is nonzero. `reachesBorder`
  /// tells whether the region touches the slice edge (it is then not enclosed).
  static SliceMask connectedRegion(const SliceMask& domain, std::size_t u, std::size_t v,
                                   bool& reachesBorder);
  /// Pixels outside `barrier` that are not 4-connected to the slice edge through other such
  /// pixels: the holes of the shape.
  static SliceMask holes(const SliceMask& barrier);
};

}  // namespace annotrace
