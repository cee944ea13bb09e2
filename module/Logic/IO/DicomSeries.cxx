#include "IO/DicomSeries.h"

namespace annotrace {

Vec3 DicomFrame::sliceNormal() const {
  return normalized(cross(rowDirection, columnDirection));
}

std::string_view seriesKindName(DicomSeriesKind kind) {
  switch (kind) {
    case DicomSeriesKind::Image:
      return "image";
    case DicomSeriesKind::Localizer:
      return "localizer";
    case DicomSeriesKind::Segmentation:
      return "SEG";
    case DicomSeriesKind::RtStructureSet:
      return "RTSTRUCT";
    case DicomSeriesKind::StructuredReport:
      return "SR";
    case DicomSeriesKind::OtherNonImage:
      return "non-image";
  }
  return "non-image";
}

std::vector<const DicomSeries*> DicomScanResult::imageSeries() const {
  std::vector<const DicomSeries*> images;
  for (const auto& s : series) {
    if (s.kind == DicomSeriesKind::Image) images.push_back(&s);
  }
  return images;
}

}  // namespace annotrace
