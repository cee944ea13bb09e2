#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace annotrace {

/// The three slice families of a volume grid. They follow the grid's index axes, so on an
/// oblique grid they are the planes the loader's rows, columns and slices span:
/// axial fixes k and spans (i, j), coronal fixes j and spans (i, k), sagittal fixes i and
/// spans (j, k). The first spanned axis is the mask's u (width), the second its v (height).
enum class SliceOrientation { Axial, Coronal, Sagittal };

std::string_view orientationName(SliceOrientation orientation);

/// One slice of a volume grid.
struct SliceSpec {
  SliceOrientation orientation = SliceOrientation::Axial;
  std::size_t index = 0;  ///< along the fixed axis

  /// Index axes (0 = i, 1 = j, 2 = k) of the mask's u, v and of the fixed axis.
  std::array<int, 3> axes() const;
};

}  // namespace annotrace
