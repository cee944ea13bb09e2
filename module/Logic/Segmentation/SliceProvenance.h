#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "Segmentation/SliceSpec.h"

namespace annotrace {

/// How the content of one slice of a segment came about.
enum class SliceSource : std::uint8_t {
  None = 0,          ///< not touched slice-wise (empty, or made by 3D tools)
  Drawn = 1,         ///< a user drew or erased on it: a key slice, never changed by automation
  Interpolated = 2,  ///< filled in between key slices
  Propagated = 3,    ///< carried from a neighbour slice and adapted to the image
};

std::string_view sliceSourceName(SliceSource source);
std::optional<SliceSource> sliceSourceFromName(std::string_view name);

/// The per-slice provenance of one segment along each slice family (axial, coronal, sagittal):
/// what a reviewer needs to tell drawn slices from computed ones.
class SliceProvenance {
 public:
  SliceProvenance() = default;
  /// Slice counts of the axial, coronal and sagittal families (k, j and i sizes).
  explicit SliceProvenance(const std::array<std::size_t, 3>& gridSize);

  SliceSource at(SliceOrientation orientation, std::size_t slice) const;
  void set(SliceOrientation orientation, std::size_t slice, SliceSource source);
  /// Slices of one family with the given source, ascending.
  std::vector<std::size_t> slicesWith(SliceOrientation orientation, SliceSource source) const;
  std::size_t sliceCount(SliceOrientation orientation) const;
  bool empty() const;
  bool operator==(const SliceProvenance&) const = default;

 private:
  std::array<std::vector<SliceSource>, 3> slices_;  ///< by SliceOrientation
};

/// One provenance change of an undo step.
struct ProvenanceChange {
  std::uint32_t segment = 0;
  SliceOrientation orientation = SliceOrientation::Axial;
  std::size_t slice = 0;
  SliceSource before = SliceSource::None;
  SliceSource after = SliceSource::None;
  bool operator==(const ProvenanceChange&) const = default;
};

}  // namespace annotrace
