#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "Segmentation/Segment.h"
#include "Segmentation/SliceProvenance.h"
#include "Segmentation/SparseMask.h"

namespace annotrace {

class Segmentation;

/// Voxels of one segment that an edit flipped, as runs along one index axis.
///
/// A binary voxel changes only by flipping, so the same list undoes and redoes the edit: the
/// step stores which voxels changed, never their contents, and costs 8 bytes per run. Runs
/// follow the edited plane's rows (i for axial and coronal, j for sagittal), so a stroke on any
/// plane is a few runs per row.
struct SegmentFlips {
  SegmentId segment = 0;
  std::uint8_t axis = 0;  ///< index axis the runs step along (0 = i, 1 = j, 2 = k)
  /// Each run packed as (start linear index << 24) | length; length is 1..2^24-1.
  std::vector<std::uint64_t> runs;

  static constexpr int kLengthBits = 24;
  static constexpr std::uint64_t kMaxRunLength = (std::uint64_t{1} << kLengthBits) - 1;
  static std::uint64_t pack(std::uint64_t start, std::uint64_t length) {
    return (start << kLengthBits) | length;
  }
  static std::uint64_t runStart(std::uint64_t run) { return run >> kLengthBits; }
  static std::uint64_t runLength(std::uint64_t run) { return run & kMaxRunLength; }

  std::size_t voxelCount() const;
  bool operator==(const SegmentFlips&) const = default;
};

/// Builds SegmentFlips while an edit visits voxels in row order, merging neighbours into runs.
class FlipRecorder {
 public:
  FlipRecorder(SegmentId segment, int axis, const std::array<std::size_t, 3>& gridSize);
  void add(std::uint64_t linearIndex);
  SegmentFlips take();
  bool empty() const { return flips_.runs.empty() && length_ == 0; }

 private:
  void flush();
  SegmentFlips flips_;
  std::uint64_t axisSize_ = 1;
  std::uint64_t stride_ = 1;
  std::uint64_t start_ = 0;
  std::uint64_t length_ = 0;
};

/// A change to the segment table: added (no before), removed (no after) or edited (both).
struct SegmentTableChange {
  std::optional<Segment> before;
  std::optional<Segment> after;
  std::size_t position = 0;  ///< table position of the segment (before removal, after insertion)
  SliceProvenance removedProvenance;  ///< a removed segment's provenance, restored by undo
  bool operator==(const SegmentTableChange&) const = default;
};

/// One undoable step: its name as the user sees it ("Brush 5 mm on Liver") and the voxels and
/// table entries it changed. The operation that made it lives in the editor's edit log, not
/// here: a step holds only what undo needs.
///
/// Applied forward: table insertions, then flips and provenance changes, then removals and
/// description changes. Backward runs the mirror order, so removing a segment with voxels is
/// undone exactly.
struct UndoStep {
  std::string name;
  std::vector<SegmentFlips> flips;
  std::vector<SegmentTableChange> tableChanges;
  std::vector<ProvenanceChange> provenance;

  bool empty() const { return flips.empty() && tableChanges.empty() && provenance.empty(); }
  std::size_t changedVoxels() const;
  /// Bytes this step holds in memory (runs, table entries, name).
  std::size_t memoryBytes() const;

  void applyForward(Segmentation& segmentation) const;
  void applyBackward(Segmentation& segmentation) const;
  bool operator==(const UndoStep&) const = default;
};

/// Flips every run of `flips` in `mask` (the mask's grid gives the strides).
void applyFlips(const SegmentFlips& flips, SparseMask& mask);

}  // namespace annotrace
