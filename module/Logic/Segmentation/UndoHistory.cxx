#include "Segmentation/UndoHistory.h"

#include <zlib.h>

#include <istream>
#include <iterator>
#include <ostream>
#include <stdexcept>
#include <string_view>

#include "Segmentation/SegmentJson.h"
#include "Segmentation/Segmentation.h"

namespace annotrace {

namespace {

constexpr std::string_view kMagic = "ANNOTRACE-UNDO\n";
constexpr std::uint32_t kVersion = 1;

// Little-endian byte writer/reader: the file must read the same on any machine.
class ByteWriter {
 public:
  void u8(std::uint8_t v) { bytes.push_back(static_cast<char>(v)); }
  void u32(std::uint32_t v) {
    for (int b = 0; b < 4; ++b) u8(static_cast<std::uint8_t>(v >> (8 * b)));
  }
  void u64(std::uint64_t v) {
    for (int b = 0; b < 8; ++b) u8(static_cast<std::uint8_t>(v >> (8 * b)));
  }
  void text(std::string_view s) {
    u64(s.size());
    bytes.append(s);
  }
  std::string bytes;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}
  std::uint8_t u8() {
    need(1);
    return static_cast<std::uint8_t>(data_[pos_++]);
  }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int b = 0; b < 4; ++b) v |= std::uint32_t{u8()} << (8 * b);
    return v;
  }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int b = 0; b < 8; ++b) v |= std::uint64_t{u8()} << (8 * b);
    return v;
  }
  std::string text() {
    const std::uint64_t n = u64();
    need(n);
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  /// A count of items of at least `itemBytes` each, checked against what is left.
  std::uint64_t count(std::size_t itemBytes) {
    const std::uint64_t n = u64();
    if (n > (data_.size() - pos_) / itemBytes) damaged("a count larger than the file");
    return n;
  }
  bool atEnd() const { return pos_ == data_.size(); }
  [[noreturn]] static void damaged(const std::string& what) {
    throw std::runtime_error("undo history is damaged: " + what);
  }

 private:
  void need(std::uint64_t n) const {
    if (n > data_.size() - pos_) damaged("it ends early");
  }
  std::string_view data_;
  std::size_t pos_ = 0;
};

nlohmann::json tableChangesToJson(const std::vector<SegmentTableChange>& changes) {
  nlohmann::json out = nlohmann::json::array();
  for (const SegmentTableChange& c : changes) {
    nlohmann::json change{{"before", c.before ? segmentToJson(*c.before) : nlohmann::json()},
                          {"after", c.after ? segmentToJson(*c.after) : nlohmann::json()},
                          {"position", c.position}};
    if (!c.removedProvenance.empty()) {
      const SliceProvenance& p = c.removedProvenance;
      change["removed_provenance"] = {
          {"size",
           {p.sliceCount(SliceOrientation::Sagittal), p.sliceCount(SliceOrientation::Coronal),
            p.sliceCount(SliceOrientation::Axial)}},
          {"slices", provenanceToJson(p)}};
    }
    out.push_back(std::move(change));
  }
  return out;
}

std::vector<SegmentTableChange> tableChangesFromJson(const nlohmann::json& json) {
  std::vector<SegmentTableChange> out;
  for (const auto& item : json) {
    SegmentTableChange c;
    auto segmentOf = [](const nlohmann::json& j) -> std::optional<Segment> {
      if (j.is_null()) return std::nullopt;
      Segment s;
      updateSegmentFromJson(j, s);
      return s;
    };
    c.before = segmentOf(item.at("before"));
    c.after = segmentOf(item.at("after"));
    c.position = item.at("position").get<std::size_t>();
    if (item.contains("removed_provenance")) {
      const auto& removed = item.at("removed_provenance");
      c.removedProvenance = provenanceFromJson(
          removed.at("slices"), removed.at("size").get<std::array<std::size_t, 3>>());
    }
    out.push_back(std::move(c));
  }
  return out;
}

// Provenance changes as [[segment, family (0 axial, 1 coronal, 2 sagittal), slice, before,
// after], ...] with sources as their numbers.
nlohmann::json provenanceChangesToJson(const std::vector<ProvenanceChange>& changes) {
  nlohmann::json out = nlohmann::json::array();
  for (const ProvenanceChange& c : changes) {
    out.push_back({c.segment, static_cast<int>(c.orientation), c.slice, static_cast<int>(c.before),
                   static_cast<int>(c.after)});
  }
  return out;
}

std::vector<ProvenanceChange> provenanceChangesFromJson(const nlohmann::json& json) {
  std::vector<ProvenanceChange> out;
  auto source = [](int value) {
    if (value < 0 || value > 3) throw std::invalid_argument("unknown slice source");
    return static_cast<SliceSource>(value);
  };
  for (const auto& item : json) {
    const int family = item.at(1).get<int>();
    if (family < 0 || family > 2) throw std::invalid_argument("unknown slice family");
    out.push_back({item.at(0).get<std::uint32_t>(), static_cast<SliceOrientation>(family),
                   item.at(2).get<std::size_t>(), source(item.at(3).get<int>()),
                   source(item.at(4).get<int>())});
  }
  return out;
}

void writeStep(ByteWriter& w, const UndoStep& step) {
  w.text(step.name);
  w.text(tableChangesToJson(step.tableChanges).dump());
  w.text(provenanceChangesToJson(step.provenance).dump());
  w.u64(step.flips.size());
  for (const SegmentFlips& f : step.flips) {
    w.u32(f.segment);
    w.u8(f.axis);
    w.u64(f.runs.size());
    for (std::uint64_t run : f.runs) w.u64(run);
  }
}

UndoStep readStep(ByteReader& r) {
  UndoStep step;
  step.name = r.text();
  const std::string table = r.text();
  const std::string provenance = r.text();
  try {
    step.tableChanges = tableChangesFromJson(nlohmann::json::parse(table));
    step.provenance = provenanceChangesFromJson(nlohmann::json::parse(provenance));
  } catch (const std::exception& e) {
    ByteReader::damaged(std::string("step \"") + step.name + "\": " + e.what());
  }
  const std::uint64_t flipCount = r.count(13);
  for (std::uint64_t n = 0; n < flipCount; ++n) {
    SegmentFlips f;
    f.segment = r.u32();
    f.axis = r.u8();
    if (f.axis > 2) ByteReader::damaged("an axis above 2");
    f.runs.resize(r.count(8));
    for (std::uint64_t& run : f.runs) run = r.u64();
    step.flips.push_back(std::move(f));
  }
  return step;
}

}  // namespace

void UndoHistory::push(UndoStep step) {
  if (step.empty()) return;
  redo_.clear();
  undoBytes_ += step.memoryBytes();
  undo_.push_back(std::move(step));
  enforceLimits();
}

void UndoHistory::enforceLimits() {
  // Always keep the newest step, even when it alone exceeds the byte limit.
  while (undo_.size() > 1 && (undo_.size() > limits_.maxSteps || undoBytes_ > limits_.maxBytes)) {
    undoBytes_ -= undo_.front().memoryBytes();
    undo_.pop_front();
  }
}

std::string UndoHistory::undoName() const {
  return undo_.empty() ? "" : undo_.back().name;
}
std::string UndoHistory::redoName() const {
  return redo_.empty() ? "" : redo_.back().name;
}

std::string UndoHistory::undo(Segmentation& segmentation) {
  if (undo_.empty()) throw std::logic_error("nothing to undo");
  undo_.back().applyBackward(segmentation);
  undoBytes_ -= undo_.back().memoryBytes();
  redo_.push_back(std::move(undo_.back()));
  undo_.pop_back();
  return redo_.back().name;
}

std::string UndoHistory::redo(Segmentation& segmentation) {
  if (redo_.empty()) throw std::logic_error("nothing to redo");
  redo_.back().applyForward(segmentation);
  undoBytes_ += redo_.back().memoryBytes();
  undo_.push_back(std::move(redo_.back()));
  redo_.pop_back();
  return undo_.back().name;
}

std::size_t UndoHistory::memoryBytes() const {
  std::size_t bytes = undoBytes_;
  for (const UndoStep& s : redo_) bytes += s.memoryBytes();
  return bytes;
}

void UndoHistory::clear() {
  undo_.clear();
  redo_.clear();
  undoBytes_ = 0;
}

void UndoHistory::write(std::ostream& out, std::uint64_t segmentationDigest) const {
  ByteWriter payload;
  payload.u64(undo_.size());
  for (const UndoStep& s : undo_) writeStep(payload, s);
  payload.u64(redo_.size());
  for (const UndoStep& s : redo_) writeStep(payload, s);

  uLongf compressedSize = compressBound(payload.bytes.size());
  std::string compressed(compressedSize, '\0');
  if (compress2(reinterpret_cast<Bytef*>(compressed.data()), &compressedSize,
                reinterpret_cast<const Bytef*>(payload.bytes.data()), payload.bytes.size(),
                Z_BEST_SPEED) != Z_OK) {
    throw std::runtime_error("could not compress the undo history");
  }
  compressed.resize(compressedSize);

  ByteWriter header;
  header.bytes.append(kMagic);
  header.u32(kVersion);
  header.u64(segmentationDigest);
  header.u64(payload.bytes.size());
  header.u64(compressed.size());
  out.write(header.bytes.data(), static_cast<std::streamsize>(header.bytes.size()));
  out.write(compressed.data(), static_cast<std::streamsize>(compressed.size()));
  if (!out) throw std::runtime_error("could not write the undo history");
}

UndoHistory UndoHistory::read(std::istream& in, std::uint64_t expectedDigest, Limits limits) {
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (file.compare(0, kMagic.size(), kMagic) != 0) {
    throw std::runtime_error("not an annotrace undo history (wrong magic)");
  }
  ByteReader header(std::string_view(file).substr(kMagic.size()));
  const std::uint32_t version = header.u32();
  if (version != kVersion) {
    throw std::runtime_error("undo history format version " + std::to_string(version) +
                             " is not supported (this build reads version 1)");
  }
  const std::uint64_t digest = header.u64();
  if (digest != expectedDigest) {
    throw std::runtime_error("undo history belongs to other voxels (digest mismatch)");
  }
  const std::uint64_t rawSize = header.u64();
  const std::uint64_t compressedSize = header.u64();
  const std::size_t headerSize = kMagic.size() + 4 + 8 * 3;
  if (compressedSize != file.size() - headerSize) ByteReader::damaged("wrong compressed size");
  // zlib cannot expand more than ~1032:1: a larger claim is damage, not a reason to allocate.
  if (rawSize > compressedSize * 1100 + 64) ByteReader::damaged("implausible size");
  std::string raw(rawSize, '\0');
  uLongf outSize = rawSize;
  if (uncompress(reinterpret_cast<Bytef*>(raw.data()), &outSize,
                 reinterpret_cast<const Bytef*>(file.data() + headerSize),
                 compressedSize) != Z_OK ||
      outSize != rawSize) {
    ByteReader::damaged("its compressed data is corrupt");
  }
  UndoHistory history(limits);
  ByteReader r(raw);
  const std::uint64_t undoCount = r.count(32);
  for (std::uint64_t n = 0; n < undoCount; ++n) {
    history.undo_.push_back(readStep(r));
    history.undoBytes_ += history.undo_.back().memoryBytes();
  }
  const std::uint64_t redoCount = r.count(32);
  for (std::uint64_t n = 0; n < redoCount; ++n) history.redo_.push_back(readStep(r));
  if (!r.atEnd()) ByteReader::damaged("trailing bytes");
  history.enforceLimits();
  return history;
}

}  // namespace annotrace
