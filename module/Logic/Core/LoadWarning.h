#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace annotrace {

/// Something about a series a reader of the volume must know; see Docs/Loading.md.
struct LoadWarning {
  enum class Code {
    GantryTilt,               ///< slices are sheared relative to their normal (CT gantry tilt)
    NonUniformSpacing,        ///< slice positions are not evenly spaced
    MissingSlices,            ///< gaps that are whole multiples of the usual spacing
    DuplicatePositions,       ///< two or more frames at one position; only one kept
    InconsistentOrientation,  ///< frames with other orientations were split off
    Resampled,                ///< voxels were interpolated onto a regular grid
    MixedSliceThickness,      ///< SliceThickness differs between slices
    OverlappingSlices,        ///< SliceThickness larger than the spacing between slices
    GapsBetweenSlices,        ///< SliceThickness smaller than the spacing between slices
    SplitSeries,              ///< one Series Instance UID held several stacks
    MissingAttribute,         ///< an attribute needed for exact geometry was absent
    UnreadableFiles,          ///< some files in the input were not DICOM or could not be read
    Localizer,                ///< the stack is a localizer (scout)
    NonImage,                 ///< the series holds no image (SEG, RTSTRUCT, SR, ...)
    Other
  };
  Code code = Code::Other;
  std::string message;
};

/// Stable machine-readable name of a warning code, e.g. "gantry-tilt" (used in JSON output).
std::string_view warningCodeName(LoadWarning::Code code);

bool hasWarning(const std::vector<LoadWarning>& warnings, LoadWarning::Code code);

}  // namespace annotrace
