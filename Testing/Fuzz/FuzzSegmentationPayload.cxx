// The plaintext of a segmentation record (Records/SegmentationPayload) from untrusted bytes: a
// member with the project key can write any payload, so the decoder must end in a result or a
// std::runtime_error. The first byte picks the mode:
//   0: the bytes are the whole payload;
//   1: a valid table for a small grid with one segment, followed by the bytes as its run block
//      (with run_bytes and voxel_count taken from the run block itself, so the run decoder is
//      reached on almost every input).
// A payload that decodes must encode and decode again to the same segmentation.

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "Records/CanonicalJson.h"
#include "Records/SegmentationPayload.h"

namespace {

using annotrace::records::SegmentationPayload;

std::vector<std::uint8_t> withTable(const std::uint8_t* data, std::size_t size) {
  // Count the voxels the runs claim, so that voxel_count agrees when the runs are valid.
  std::uint64_t voxels = 0;
  std::uint64_t value = 0;
  int shift = 0;
  bool length = false;
  for (std::size_t i = 0; i < size; ++i) {
    value |= static_cast<std::uint64_t>(data[i] & 0x7f) << (shift < 63 ? shift : 63);
    if (data[i] & 0x80) {
      shift += 7;
      continue;
    }
    if (length) voxels += value;
    length = !length;
    value = 0;
    shift = 0;
  }
  const nlohmann::json table = {
      {"format", "annotrace-segmentation-payload"},
      {"version", 1},
      {"geometry",
       {{"size", {17, 9, 5}},
        {"origin", {0.0, 0.0, 0.0}},
        {"spacing", {1.0, 1.0, 2.0}},
        {"direction", {{1.0, 0.0, 0.0}, {0.0, 1.0, 0.0}, {0.0, 0.0, 1.0}}}}},
      {"next_segment_id", 2},
      {"operations", nlohmann::json::array()},
      {"segments",
       {{{"id", 1},
         {"name", "A"},
         {"label_value", 1},
         {"provenance", {{"axial", {{"drawn", {1, 3}}}}}},
         {"voxel_count", voxels},
         {"run_bytes", size}}}}};
  const std::string text = annotrace::records::canonicalJson(table);
  std::vector<std::uint8_t> out = {'A', 'T', 'S', 'E', 'G', 0, 1, '\n'};
  for (int b = 0; b < 4; ++b) out.push_back(static_cast<std::uint8_t>(text.size() >> (8 * b)));
  out.insert(out.end(), text.begin(), text.end());
  out.insert(out.end(), data, data + size);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::vector<std::uint8_t> payload =
      data[0] % 2 == 0 ? std::vector<std::uint8_t>(data + 1, data + size)
                       : withTable(data + 1, size - 1);
  try {
    const auto bundle = SegmentationPayload::decode(payload);
    const auto again = SegmentationPayload::decode(
        SegmentationPayload::encode(bundle.segmentation, bundle.operationLog));
    if (!(again.segmentation == bundle.segmentation)) __builtin_trap();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
