#include "Segmentation/SliceSpec.h"

namespace annotrace {

std::string_view orientationName(SliceOrientation orientation) {
  switch (orientation) {
    case SliceOrientation::Axial:
      return "axial";
    case SliceOrientation::Coronal:
      return "coronal";
    case SliceOrientation::Sagittal:
      return "sagittal";
  }
  return "axial";
}

std::array<int, 3> SliceSpec::axes() const {
  switch (orientation) {
    case SliceOrientation::Axial:
      return {0, 1, 2};
    case SliceOrientation::Coronal:
      return {0, 2, 1};
    case SliceOrientation::Sagittal:
      return {1, 2, 0};
  }
  return {0, 1, 2};
}

}  // namespace annotrace
