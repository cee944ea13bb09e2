#include "Segmentation/Segmentation.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>

namespace annotrace {

namespace {

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// FNV-1a: a stable 64-bit digest, enough to tell whether saved history matches saved voxels.
struct Fnv1a {
  std::uint64_t state = 0xcbf29ce484222325ULL;
  void add(std::uint64_t value) {
    for (int byte = 0; byte < 8; ++byte) {
      state ^= (value >> (8 * byte)) & 0xff;
      state *= 0x100000001b3ULL;
    }
  }
};

}  // namespace

Segmentation::Segmentation(const ImageGeometry& geometry) : geometry_(geometry) {
  if (geometry.voxelCount() == 0) throw std::invalid_argument("segmentation grid is empty");
  if (geometry.voxelCount() >= (std::size_t{1} << 40)) {
    throw std::invalid_argument("segmentation grid is too large (2^40 voxels or more)");
  }
}

std::vector<Segment> Segmentation::segments() const {
  std::vector<Segment> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) out.push_back(e.segment);
  return out;
}

const Segment* Segmentation::findSegment(SegmentId id) const {
  for (const Entry& e : entries_) {
    if (e.segment.id == id) return &e.segment;
  }
  return nullptr;
}

const Segment* Segmentation::findSegmentByName(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.segment.name == name) return &e.segment;
  }
  for (const Entry& e : entries_) {
    if (equalsIgnoringCase(e.segment.name, name)) return &e.segment;
  }
  return nullptr;
}

const Segment& Segmentation::segment(SegmentId id) const {
  return entries_[positionOf(id)].segment;
}

std::size_t Segmentation::positionOf(SegmentId id) const {
  for (std::size_t p = 0; p < entries_.size(); ++p) {
    if (entries_[p].segment.id == id) return p;
  }
  throw std::invalid_argument("no segment with id " + std::to_string(id));
}

const SparseMask& Segmentation::mask(SegmentId id) const {
  return entries_[positionOf(id)].mask;
}
SparseMask& Segmentation::mask(SegmentId id) {
  return entries_[positionOf(id)].mask;
}

const SliceProvenance& Segmentation::provenance(SegmentId id) const {
  return entries_[positionOf(id)].provenance;
}

SliceProvenance& Segmentation::provenance(SegmentId id) {
  return entries_[positionOf(id)].provenance;
}

void Segmentation::checkUnique(const Segment& s, SegmentId ignoring) const {
  if (s.labelValue == 0) throw std::invalid_argument("label value 0 means background");
  // Label map files store int16 voxels.
  if (s.labelValue > 32767) {
    throw std::invalid_argument("label value " + std::to_string(s.labelValue) +
                                " is above 32767, the largest a label map file can hold");
  }
  for (const Entry& e : entries_) {
    if (e.segment.id == ignoring) continue;
    if (e.segment.id == s.id) {
      throw std::invalid_argument("segment id " + std::to_string(s.id) + " is already used");
    }
    if (equalsIgnoringCase(e.segment.name, s.name)) {
      throw std::invalid_argument("a segment named \"" + e.segment.name + "\" already exists");
    }
    if (e.segment.labelValue == s.labelValue) {
      throw std::invalid_argument("label value " + std::to_string(s.labelValue) +
                                  " is already used by segment \"" + e.segment.name + "\"");
    }
  }
}

Segment Segmentation::completed(Segment s) const {
  if (s.id == 0) s.id = nextId_;
  if (s.labelValue == 0) {
    std::uint16_t value = 1;
    while (std::any_of(entries_.begin(), entries_.end(),
                       [&](const Entry& e) { return e.segment.labelValue == value; })) {
      ++value;
    }
    s.labelValue = value;
  }
  if (s.name.empty()) {
    for (SegmentId n = s.id;; ++n) {
      std::string name = "Segment " + std::to_string(n);
      if (!findSegmentByName(name)) {
        s.name = std::move(name);
        break;
      }
    }
  }
  return s;
}

const Segment& Segmentation::addSegment(Segment segment) {
  return insertSegment(entries_.size(), std::move(segment), SparseMask(geometry_.size));
}

const Segment& Segmentation::insertSegment(std::size_t position, Segment segment, SparseMask mask,
                                           SliceProvenance provenance) {
  if (geometry_.voxelCount() == 0) throw std::logic_error("segmentation has no grid");
  Segment s = completed(std::move(segment));
  checkUnique(s, 0);
  if (mask.size() != geometry_.size) {
    throw std::invalid_argument("segment mask does not match the segmentation grid");
  }
  position = std::min(position, entries_.size());
  if (provenance.empty()) provenance = SliceProvenance(geometry_.size);
  if (provenance.sliceCount(SliceOrientation::Axial) != geometry_.size[2] ||
      provenance.sliceCount(SliceOrientation::Coronal) != geometry_.size[1] ||
      provenance.sliceCount(SliceOrientation::Sagittal) != geometry_.size[0]) {
    throw std::invalid_argument("segment provenance does not match the segmentation grid");
  }
  entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(position),
                  Entry{std::move(s), std::move(mask), std::move(provenance)});
  nextId_ = std::max(nextId_, entries_[position].segment.id + 1);
  return entries_[position].segment;
}

SparseMask Segmentation::removeSegment(SegmentId id, SliceProvenance* provenance) {
  const std::size_t p = positionOf(id);
  SparseMask mask = std::move(entries_[p].mask);
  if (provenance) *provenance = std::move(entries_[p].provenance);
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(p));
  return mask;
}

void Segmentation::updateSegment(const Segment& segment) {
  const std::size_t p = positionOf(segment.id);
  if (segment.name.empty()) throw std::invalid_argument("a segment needs a name");
  checkUnique(segment, segment.id);
  entries_[p].segment = segment;
}

void Segmentation::setNextSegmentId(SegmentId next) {
  for (const Entry& e : entries_) {
    if (e.segment.id >= next) {
      throw std::invalid_argument("next segment id " + std::to_string(next) +
                                  " is not above existing id " + std::to_string(e.segment.id));
    }
  }
  nextId_ = next;
}

std::size_t Segmentation::memoryBytes() const {
  std::size_t bytes = 0;
  for (const Entry& e : entries_) bytes += e.mask.memoryBytes();
  return bytes;
}

std::uint64_t Segmentation::contentDigest() const {
  Fnv1a digest;
  for (int a = 0; a < 3; ++a) digest.add(geometry_.size[a]);
  for (const Entry& e : entries_) {
    digest.add(0xffffffff00000000ULL | e.segment.id);
    e.mask.forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t length) {
      digest.add(geometry_.linearIndex(i, j, k));
      digest.add(length);
    });
  }
  return digest.state;
}

bool Segmentation::operator==(const Segmentation& other) const {
  if (geometry_.size != other.geometry_.size || geometry_.origin != other.geometry_.origin ||
      geometry_.spacing != other.geometry_.spacing ||
      geometry_.direction != other.geometry_.direction ||
      entries_.size() != other.entries_.size()) {
    return false;
  }
  for (std::size_t p = 0; p < entries_.size(); ++p) {
    if (!(entries_[p].segment == other.entries_[p].segment) ||
        !(entries_[p].mask == other.entries_[p].mask) ||
        !(entries_[p].provenance == other.entries_[p].provenance)) {
      return false;
    }
  }
  return true;
}

}  // namespace annotrace
