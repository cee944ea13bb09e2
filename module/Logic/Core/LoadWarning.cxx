#include "Core/LoadWarning.h"

#include <algorithm>

namespace annotrace {

std::string_view warningCodeName(LoadWarning::Code code) {
  using C = LoadWarning::Code;
  switch (code) {
    case C::GantryTilt:
      return "gantry-tilt";
    case C::NonUniformSpacing:
      return "non-uniform-spacing";
    case C::MissingSlices:
      return "missing-slices";
    case C::DuplicatePositions:
      return "duplicate-positions";
    case C::InconsistentOrientation:
      return "inconsistent-orientation";
    case C::Resampled:
      return "resampled";
    case C::MixedSliceThickness:
      return "mixed-slice-thickness";
    case C::OverlappingSlices:
      return "overlapping-slices";
    case C::GapsBetweenSlices:
      return "gaps-between-slices";
    case C::SplitSeries:
      return "split-series";
    case C::MissingAttribute:
      return "missing-attribute";
    case C::UnreadableFiles:
      return "unreadable-files";
    case C::Localizer:
      return "localizer";
    case C::NonImage:
      return "non-image";
    case C::Other:
      return "other";
  }
  return "other";
}

bool hasWarning(const std::vector<LoadWarning>& warnings, LoadWarning::Code code) {
  return std::any_of(warnings.begin(), warnings.end(),
                     [code](const LoadWarning& w) { return w.code == code; });
}

}  // namespace annotrace
