// Header parsing, pixel-data checks and decoding of one DICOM file: any input must end in a
// result or a std::exception, never a crash, a sanitizer report or a hang.

#include <stdexcept>
#include <vector>

#include "FuzzInputFile.h"
#include "IO/DicomFrameReader.h"
#include "IO/DicomPixelDecoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace annotrace;
  const auto path = fuzz::writeInput(data, size, ".dcm");
  try {
    const DicomFileHeader header = DicomFrameReader::readHeader(path);
    if (header.frames.empty()) return 0;
    const DicomFrame& first = header.frames.front();
    const std::size_t slice = std::size_t(first.rows) * first.columns;
    if (slice == 0 || slice * header.frames.size() > (std::size_t(1) << 24)) return 0;
    std::vector<std::size_t> slices(header.frames.size());
    for (std::size_t i = 0; i < slices.size(); ++i) slices[i] = i;
    std::vector<float> stack(slice * header.frames.size());
    DicomPixelDecoder::decode(path, header.frames, slices, stack.data());
  } catch (const std::exception&) {
  }
  return 0;
}
