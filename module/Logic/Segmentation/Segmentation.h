#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "Segmentation/Segment.h"
#include "Segmentation/SliceProvenance.h"
#include "Segmentation/SparseMask.h"
#include "Volume/ImageGeometry.h"

namespace annotrace {

/// The segments of one source volume: their descriptions and their voxels, on the volume's
/// exact grid. Segments may overlap (each has its own sparse mask); whether an edit may create
/// overlap is the edit's choice (EditConstraints::overlap).
///
/// Segment ids are never reused: nextSegmentId() survives save and load so undo steps and edit
/// logs keep naming the right segment.
class Segmentation {
 public:
  Segmentation() = default;
  /// Throws std::invalid_argument for an empty grid or one too large for edit records (2^40).
  explicit Segmentation(const ImageGeometry& geometry);

  const ImageGeometry& geometry() const { return geometry_; }

  std::size_t segmentCount() const { return entries_.size(); }
  /// The segment at a position of the table (0-based, in display order).
  const Segment& segmentAt(std::size_t position) const { return entries_.at(position).segment; }
  const SparseMask& maskAt(std::size_t position) const { return entries_.at(position).mask; }
  std::vector<Segment> segments() const;

  const Segment* findSegment(SegmentId id) const;
  /// Exact name match first, then a case-insensitive one; nullptr when none.
  const Segment* findSegmentByName(std::string_view name) const;
  /// Throws std::invalid_argument naming the id when it is not in the table.
  const Segment& segment(SegmentId id) const;
  std::size_t positionOf(SegmentId id) const;
  const SparseMask& mask(SegmentId id) const;
  SparseMask& mask(SegmentId id);
  /// Which slices of the segment were drawn, interpolated or propagated.
  const SliceProvenance& provenance(SegmentId id) const;
  SliceProvenance& provenance(SegmentId id);

  /// Adds a segment at the end (or at `position`) and returns it as stored. An id of 0 gets
  /// the next free id, a label value of 0 the smallest free value, an empty name "Segment N".
  /// Throws std::invalid_argument on a duplicate name, id or label value.
  const Segment& addSegment(Segment segment);
  /// An empty provenance means none yet (every slice SliceSource::None).
  const Segment& insertSegment(std::size_t position, Segment segment, SparseMask mask,
                               SliceProvenance provenance = {});
  /// Removes a segment and returns its mask (and, when asked, its provenance).
  SparseMask removeSegment(SegmentId id, SliceProvenance* provenance = nullptr);
  /// Replaces a segment's description (same id); same checks as addSegment.
  void updateSegment(const Segment& segment);

  SegmentId nextSegmentId() const { return nextId_; }
  void setNextSegmentId(SegmentId next);

  /// Total bytes held by all masks.
  std::size_t memoryBytes() const;

  /// A 64-bit digest of the segment ids and their voxels (not the descriptions). Saved undo
  /// history carries it so it is only ever replayed onto the exact voxels it was made on.
  std::uint64_t contentDigest() const;

  /// Same geometry, same segments in the same order, same voxels, same provenance.
  bool operator==(const Segmentation& other) const;

 private:
  struct Entry {
    Segment segment;
    SparseMask mask;
    SliceProvenance provenance;
  };
  void checkUnique(const Segment& segment, SegmentId ignoring) const;
  Segment completed(Segment segment) const;

  ImageGeometry geometry_;
  std::vector<Entry> entries_;
  SegmentId nextId_ = 1;
};

}  // namespace annotrace
