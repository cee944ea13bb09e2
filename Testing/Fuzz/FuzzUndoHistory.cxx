// A saved undo history (the .undo file beside a label map) from untrusted bytes: the input is
// the history's payload, wrapped here in a valid header and zlib stream so the fuzzer reaches
// the step parser. Reading and replaying the steps must end in a result or a std::exception.

#include <zlib.h>

#include <cstdint>
#include <exception>
#include <sstream>
#include <string>

#include "Segmentation/Segmentation.h"
#include "Segmentation/UndoHistory.h"

namespace {

void put(std::string& out, std::uint64_t value, int bytes) {
  for (int b = 0; b < bytes; ++b) out.push_back(static_cast<char>(value >> (8 * b)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace annotrace;
  ImageGeometry g;
  g.size = {9, 7, 5};
  Segmentation segmentation(g);
  Segment a;
  a.name = "A";
  segmentation.addSegment(a);
  const std::uint64_t digest = segmentation.contentDigest();

  uLongf compressedSize = compressBound(size);
  std::string compressed(compressedSize, '\0');
  if (compress2(reinterpret_cast<Bytef*>(compressed.data()), &compressedSize, data, size, 1) !=
      Z_OK) {
    return 0;
  }
  compressed.resize(compressedSize);
  std::string file = "ANNOTRACE-UNDO\n";
  put(file, 1, 4);
  put(file, digest, 8);
  put(file, size, 8);
  put(file, compressed.size(), 8);
  file += compressed;

  std::istringstream in(file);
  try {
    UndoHistory history = UndoHistory::read(in, digest);
    while (history.canUndo()) history.undo(segmentation);
    while (history.canRedo()) history.redo(segmentation);
  } catch (const std::exception&) {
  }
  return 0;
}
