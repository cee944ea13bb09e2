#include "Segmentation/SliceMask.h"

#include <algorithm>

namespace annotrace {

std::size_t SliceMask::count() const {
  return static_cast<std::size_t>(std::count(pixels.begin(), pixels.end(), std::uint8_t{1}));
}

}  // namespace annotrace
