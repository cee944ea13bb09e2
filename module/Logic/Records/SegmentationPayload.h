#pragma once

// The plaintext of a "segmentation" record (Docs/RecordFormat.md, "Segmentation payload"):
// the segment table with terminology and per-slice provenance, the exact grid, the edit
// operations, and each segment's voxels as runs along i.
//
//   "ATSEG\0" 0x01 '\n' | u32 LE n | n bytes of canonical JSON | run blocks, one per segment
//   JSON: {"format": "annotrace-segmentation-payload", "version": 1, "geometry": {...},
//          "next_segment_id": N, "operations": [...],
//          "segments": [segmentToJson + {"provenance", "voxel_count", "run_bytes"}, ...]}
//   run block: LEB128 pairs (gap, length): a run starts `gap` voxels after the end of the one
//   before it (linear index (k * ny + j) * nx + i, the first from 0) and covers `length` >= 1
//   voxels along i without leaving its row.
//
// Runs make the payload cost what the labels hold (a 512 x 512 x 300 map with 10 organs is
// 135 kB before zlib, benchmark P5), where a dense int16 map would be 157 MB and could not hold
// overlaps.

#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include "Segmentation/LabelmapFileIO.h"
#include "Segmentation/Segmentation.h"

namespace annotrace::records {

class SegmentationPayload {
 public:
  static constexpr std::uint64_t kMaxVoxels = std::uint64_t{1} << 33;  ///< grids we accept
  static constexpr std::uint64_t kMaxBricks = std::uint64_t{1} << 22;  ///< 32 MB brick table

  static std::vector<std::uint8_t> encode(
      const Segmentation& segmentation, const nlohmann::json& operations = nlohmann::json::array());

  /// Throws std::runtime_error naming what is wrong ("segmentation payload: ...").
  static LabelmapBundle decode(std::span<const std::uint8_t> bytes);
};

}  // namespace annotrace::records
