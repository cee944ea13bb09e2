// The Siemens CSA header reader takes raw bytes from a private element: any bytes must parse
// without reading outside the buffer.

#include <span>

#include "IO/SiemensCsaHeader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const annotrace::SiemensCsaHeader csa(std::span(data, size));
  (void)csa.numbers("NumberOfImagesInMosaic");
  (void)csa.numbers("SliceNormalVector");
  return 0;
}
