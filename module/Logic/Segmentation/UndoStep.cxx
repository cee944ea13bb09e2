#include "Segmentation/UndoStep.h"

#include <stdexcept>

#include "Segmentation/Segmentation.h"

namespace annotrace {

std::size_t SegmentFlips::voxelCount() const {
  std::size_t n = 0;
  for (std::uint64_t run : runs) n += runLength(run);
  return n;
}

FlipRecorder::FlipRecorder(SegmentId segment, int axis, const std::array<std::size_t, 3>& size)
    : axisSize_(size[axis]) {
  flips_.segment = segment;
  flips_.axis = static_cast<std::uint8_t>(axis);
  stride_ = axis == 0 ? 1 : axis == 1 ? size[0] : size[0] * size[1];
}

void FlipRecorder::add(std::uint64_t linearIndex) {
  // A run continues only along one line of the axis: the next voxel must follow the last one
  // and not start a new line (so runs never wrap and replay by stepping one coordinate).
  if (length_ != 0 && linearIndex == start_ + length_ * stride_ &&
      (linearIndex / stride_) % axisSize_ != 0 && length_ < SegmentFlips::kMaxRunLength) {
    ++length_;
    return;
  }
  flush();
  start_ = linearIndex;
  length_ = 1;
}

void FlipRecorder::flush() {
  if (length_ != 0) flips_.runs.push_back(SegmentFlips::pack(start_, length_));
  length_ = 0;
}

SegmentFlips FlipRecorder::take() {
  flush();
  flips_.runs.shrink_to_fit();  // steps live long: give back the growth slack
  SegmentFlips out = std::move(flips_);
  flips_.runs.clear();
  flips_.segment = out.segment;
  flips_.axis = out.axis;
  return out;
}

void applyFlips(const SegmentFlips& flips, SparseMask& mask) {
  const auto& size = mask.size();
  const std::uint64_t total = std::uint64_t{size[0]} * size[1] * size[2];
  const int axis = flips.axis;
  if (axis > 2) throw std::runtime_error("undo step names index axis " + std::to_string(axis));
  for (std::uint64_t run : flips.runs) {
    const std::uint64_t start = SegmentFlips::runStart(run);
    const std::uint64_t length = SegmentFlips::runLength(run);
    std::array<std::size_t, 3> index{start % size[0], (start / size[0]) % size[1],
                                     start / (std::uint64_t{size[0]} * size[1])};
    if (start >= total || index[axis] + length > size[axis]) {
      throw std::runtime_error("undo step does not fit the segmentation grid");
    }
    for (std::uint64_t n = 0; n < length; ++n) {
      mask.flip(index[0], index[1], index[2]);
      ++index[axis];
    }
  }
}

std::size_t UndoStep::changedVoxels() const {
  std::size_t n = 0;
  for (const SegmentFlips& f : flips) n += f.voxelCount();
  return n;
}

std::size_t UndoStep::memoryBytes() const {
  std::size_t bytes = sizeof(UndoStep) + name.capacity();
  for (const SegmentFlips& f : flips) {
    bytes += sizeof(SegmentFlips) + f.runs.capacity() * sizeof(std::uint64_t);
  }
  for (const SegmentTableChange& c : tableChanges) {
    bytes += sizeof(SegmentTableChange);
    if (!c.removedProvenance.empty()) {
      for (SliceOrientation o :
           {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal}) {
        bytes += c.removedProvenance.sliceCount(o);
      }
    }
  }
  bytes += provenance.capacity() * sizeof(ProvenanceChange);
  return bytes;
}

void UndoStep::applyForward(Segmentation& segmentation) const {
  for (const SegmentTableChange& c : tableChanges) {
    if (!c.before && c.after) {
      segmentation.insertSegment(c.position, *c.after, SparseMask(segmentation.geometry().size));
    }
  }
  for (const SegmentFlips& f : flips) applyFlips(f, segmentation.mask(f.segment));
  for (const ProvenanceChange& p : provenance) {
    segmentation.provenance(p.segment).set(p.orientation, p.slice, p.after);
  }
  for (const SegmentTableChange& c : tableChanges) {
    if (c.before && !c.after) segmentation.removeSegment(c.before->id);
    if (c.before && c.after) segmentation.updateSegment(*c.after);
  }
}

void UndoStep::applyBackward(Segmentation& segmentation) const {
  for (auto c = tableChanges.rbegin(); c != tableChanges.rend(); ++c) {
    if (c->before && !c->after) {
      segmentation.insertSegment(c->position, *c->before, SparseMask(segmentation.geometry().size),
                                 c->removedProvenance);
    }
    if (c->before && c->after) segmentation.updateSegment(*c->before);
  }
  for (auto p = provenance.rbegin(); p != provenance.rend(); ++p) {
    segmentation.provenance(p->segment).set(p->orientation, p->slice, p->before);
  }
  for (auto f = flips.rbegin(); f != flips.rend(); ++f) {
    applyFlips(*f, segmentation.mask(f->segment));
  }
  for (auto c = tableChanges.rbegin(); c != tableChanges.rend(); ++c) {
    if (!c->before && c->after) segmentation.removeSegment(c->after->id);
  }
}

}  // namespace annotrace
