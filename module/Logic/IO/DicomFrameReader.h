#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "IO/DicomSeries.h"

namespace annotrace {

/// What one DICOM file says about itself: identity, kind and (for images) its frames.
struct DicomFileHeader {
  std::filesystem::path file;
  SeriesIdentity identity;
  std::string sopClassUid;
  std::string sopInstanceUid;
  DicomSeriesKind kind = DicomSeriesKind::Image;
  std::vector<DicomFrame> frames;  ///< empty for non-image objects
};

/// Parses the header of one file with GDCM, stopping before the pixel data, and expands
/// enhanced multi-frame objects into one DicomFrame per frame using their functional groups.
class DicomFrameReader {
 public:
  /// Throws std::runtime_error naming the file when it is not DICOM or cannot be parsed.
  static DicomFileHeader readHeader(const std::filesystem::path& file);
};

}  // namespace annotrace
