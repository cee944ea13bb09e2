// Edit operations from untrusted JSON (an operations file, a record's edit log) applied to a
// small oblique volume: any input must end in a result or a std::exception, and undoing every
// applied step must give back the starting segmentation exactly.

#include <cstdint>
#include <exception>
#include <string_view>

#include <nlohmann/json.hpp>

#include "Segmentation/SegmentEditorLogic.h"

namespace {

annotrace::Volume makeVolume() {
  using namespace annotrace;
  ImageGeometry g;
  g.size = {12, 10, 8};
  g.spacing = {0.9, 1.3, 2.0};
  g.origin = {-5, 3, 10};
  const double c = 0.8, s = 0.6;  // rotated 36.87 degrees about z
  g.direction = Mat3{{{c, -s, 0}, {s, c, 0}, {0, 0, 1}}};
  VoxelVector<std::int16_t> voxels(g.voxelCount(), 0);
  for (std::size_t n = 0; n < voxels.size(); ++n) voxels[n] = static_cast<std::int16_t>(n % 400);
  return Volume(g, std::move(voxels));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace annotrace;
  static const Volume volume = makeVolume();
  const nlohmann::json ops = nlohmann::json::parse(
      std::string_view(reinterpret_cast<const char*>(data), size), nullptr, false);
  if (!ops.is_array()) return 0;
  // The starting segments are not undo steps: "undo" in the input cannot go past the start.
  Segmentation initial(volume.geometry());
  for (const char* name : {"A", "B"}) {
    Segment segment;
    segment.name = name;
    initial.addSegment(segment);
  }
  SegmentEditorLogic editor(volume, initial);
  const Segmentation& start = initial;
  for (const auto& item : ops) {
    try {
      editor.apply(EditOperation::fromJson(item));
    } catch (const std::exception&) {
    }
  }
  while (editor.history().canUndo()) editor.undo();
  if (!(editor.segmentation() == start)) __builtin_trap();
  return 0;
}
