#include "Records/SegmentationPayload.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "Records/CanonicalJson.h"
#include "Segmentation/SegmentJson.h"

namespace annotrace::records {

namespace {

using nlohmann::json;

constexpr std::array<std::uint8_t, 8> kMagic = {'A', 'T', 'S', 'E', 'G', 0, 1, '\n'};
constexpr const char* kFormat = "annotrace-segmentation-payload";
constexpr int kVersion = 1;

[[noreturn]] void bad(const std::string& what) {
  throw std::runtime_error("segmentation payload: " + what);
}

void putVarint(std::vector<std::uint8_t>& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::size_t left() const { return bytes_.size() - at_; }
  std::span<const std::uint8_t> take(std::size_t n, const char* what) {
    if (n > left()) bad(std::string(what) + " runs past the end");
    const auto out = bytes_.subspan(at_, n);
    at_ += n;
    return out;
  }
  std::uint64_t varint(const char* what) {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const std::uint8_t byte = take(1, what)[0];
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    bad(std::string(what) + " has an over-long number");
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
};

std::vector<std::uint8_t> encodeRuns(const SparseMask& mask) {
  // forEachRun visits bricks row by brick row, not in linear order: sort the runs first.
  const auto& size = mask.size();
  std::vector<std::pair<std::uint64_t, std::uint64_t>> runs;
  mask.forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t length) {
    runs.emplace_back((static_cast<std::uint64_t>(k) * size[1] + j) * size[0] + i, length);
  });
  std::sort(runs.begin(), runs.end());
  std::vector<std::uint8_t> out;
  out.reserve(runs.size() * 4);
  std::uint64_t previousEnd = 0;
  for (const auto& [start, length] : runs) {
    putVarint(out, start - previousEnd);
    putVarint(out, length);
    previousEnd = start + length;
  }
  return out;
}

SparseMask decodeRuns(std::span<const std::uint8_t> block, const ImageGeometry& grid,
                      std::size_t expectedCount, const std::string& who) {
  SparseMask mask(grid.size);
  Reader reader(block);
  const std::uint64_t total = grid.voxelCount();
  std::uint64_t position = 0;
  std::uint64_t count = 0;
  while (reader.left() > 0) {
    const std::uint64_t gap = reader.varint(who.c_str());
    const std::uint64_t length = reader.varint(who.c_str());
    if (gap > total - position || length == 0 || length > total - position - gap) {
      bad(who + ": a run lies outside the grid");
    }
    const std::uint64_t start = position + gap;
    const std::uint64_t i = start % grid.size[0];
    if (i + length > grid.size[0]) bad(who + ": a run crosses the end of its row");
    // Runs split only at row ends: touching runs inside a row would be one run.
    if (count != 0 && gap == 0 && start % grid.size[0] != 0) {
      bad(who + ": two runs touch inside a row (the writer merges them)");
    }
    const std::uint64_t row = start / grid.size[0];
    mask.setRun(i, row % grid.size[1], row / grid.size[1], length);
    count += length;
    position = start + length;
  }
  if (count != expectedCount) {
    bad(who + " holds " + std::to_string(count) + " voxels, but the table says " +
        std::to_string(expectedCount));
  }
  return mask;
}

const json& required(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end()) bad(std::string("no \"") + name + "\"");
  return *it;
}

}  // namespace

std::vector<std::uint8_t> SegmentationPayload::encode(const Segmentation& segmentation,
                                                      const json& operations) {
  json segments = json::array();
  std::vector<std::vector<std::uint8_t>> blocks;
  for (std::size_t p = 0; p < segmentation.segmentCount(); ++p) {
    const Segment& segment = segmentation.segmentAt(p);
    blocks.push_back(encodeRuns(segmentation.maskAt(p)));
    json entry = segmentToJson(segment);
    entry["provenance"] = provenanceToJson(segmentation.provenance(segment.id));
    entry["voxel_count"] = segmentation.maskAt(p).count();
    entry["run_bytes"] = blocks.back().size();
    segments.push_back(std::move(entry));
  }
  const json doc = {{"format", kFormat},
                    {"version", kVersion},
                    {"geometry", geometryToJson(segmentation.geometry())},
                    {"next_segment_id", segmentation.nextSegmentId()},
                    {"operations", operations.is_array() ? operations : json::array()},
                    {"segments", std::move(segments)}};
  const std::string text = canonicalJson(doc);
  std::vector<std::uint8_t> out(kMagic.begin(), kMagic.end());
  const auto n = static_cast<std::uint32_t>(text.size());
  for (int b = 0; b < 4; ++b) out.push_back(static_cast<std::uint8_t>(n >> (8 * b)));
  out.insert(out.end(), text.begin(), text.end());
  for (const auto& block : blocks) out.insert(out.end(), block.begin(), block.end());
  return out;
}

LabelmapBundle SegmentationPayload::decode(std::span<const std::uint8_t> bytes) {
  Reader reader(bytes);
  const auto magic = reader.take(kMagic.size(), "the magic");
  if (!std::equal(magic.begin(), magic.end(), kMagic.begin())) {
    bad("not a segmentation payload (wrong magic or version)");
  }
  const auto lengthBytes = reader.take(4, "the JSON length");
  std::uint32_t n = 0;
  for (int b = 0; b < 4; ++b) n |= static_cast<std::uint32_t>(lengthBytes[b]) << (8 * b);
  const auto text = reader.take(n, "the JSON table");
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::exception&) {
    bad("the table is not JSON");
  }
  if (!doc.is_object() || doc.value("format", json()) != kFormat) bad("not a segmentation table");
  if (doc.value("version", json()) != kVersion) bad("unsupported version");

  LabelmapBundle bundle;
  try {
    const ImageGeometry grid = geometryFromJson(required(doc, "geometry"));
    std::uint64_t voxels = 1;
    std::uint64_t bricks = 1;
    for (const std::size_t s : grid.size) {
      if (s == 0 || s > kMaxVoxels || voxels > kMaxVoxels / s)
        bad("the grid is empty or too large");
      voxels *= s;
      bricks *= (s + SparseMask::kBrickEdge - 1) / SparseMask::kBrickEdge;
    }
    if (bricks > kMaxBricks) bad("the grid is too large");
    bundle.segmentation = Segmentation(grid);
    const json& list = required(doc, "segments");
    if (!list.is_array()) bad("\"segments\" is not a list");
    for (std::size_t p = 0; p < list.size(); ++p) {
      const json& entry = list[p];
      if (!entry.is_object()) bad("segment " + std::to_string(p + 1) + " is not an object");
      Segment segment;
      updateSegmentFromJson(entry, segment);
      const std::string who = "segment \"" + segment.name + "\"";
      const json& count = required(entry, "voxel_count");
      const json& runBytes = required(entry, "run_bytes");
      if (!count.is_number_unsigned() || !runBytes.is_number_unsigned()) {
        bad(who + ": voxel_count and run_bytes must be non-negative integers");
      }
      if (!entry.contains("id") || segment.id == 0) bad(who + " has no id");
      SparseMask mask = decodeRuns(reader.take(runBytes.get<std::size_t>(), who.c_str()), grid,
                                   count.get<std::size_t>(), who);
      SliceProvenance provenance =
          provenanceFromJson(entry.value("provenance", json::object()), grid.size);
      bundle.segmentation.insertSegment(p, std::move(segment), std::move(mask),
                                        std::move(provenance));
    }
    const json& next = required(doc, "next_segment_id");
    if (!next.is_number_unsigned()) bad("\"next_segment_id\" is not a number");
    bundle.segmentation.setNextSegmentId(next.get<SegmentId>());
  } catch (const std::invalid_argument& e) {
    bad(e.what());
  } catch (const json::exception& e) {
    bad(std::string("the table is malformed: ") + e.what());
  }
  if (reader.left() != 0) bad(std::to_string(reader.left()) + " bytes after the last segment");
  bundle.operationLog = doc.value("operations", json::array());
  if (!bundle.operationLog.is_array()) bad("\"operations\" is not a list");
  return bundle;
}

}  // namespace annotrace::records
