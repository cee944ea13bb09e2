#include "IO/DicomFrameReader.h"

#include <gdcmAttribute.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmSplitMosaicFilter.h>
#include <gdcmTrace.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>

namespace annotrace {

namespace {

using gdcm::Tag;

// SOP classes that hold no volume to load, even when they carry pixel data.
constexpr std::string_view kSegmentationStorage = "1.2.840.10008.5.1.4.1.1.66.4";
constexpr std::string_view kRtStructureSetStorage = "1.2.840.10008.5.1.4.1.1.481.3";
constexpr std::string_view kStructuredReportPrefix = "1.2.840.10008.5.1.4.1.1.88.";
constexpr std::string_view kMediaStorageDirectory = "1.2.840.10008.1.3.10";

std::string trimmed(std::string s) {
  const auto notPad = [](char c) { return c != ' ' && c != '\0'; };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), notPad));
  s.erase(std::find_if(s.rbegin(), s.rend(), notPad).base(), s.end());
  return s;
}

const gdcm::DataElement* findElement(const gdcm::DataSet& ds, const Tag& tag) {
  if (!ds.FindDataElement(tag)) return nullptr;
  const gdcm::DataElement& de = ds.GetDataElement(tag);
  return de.IsEmpty() ? nullptr : &de;
}

std::string stringValue(const gdcm::DataSet& ds, const Tag& tag) {
  const gdcm::DataElement* de = findElement(ds, tag);
  if (!de) return {};
  const gdcm::ByteValue* bv = de->GetByteValue();
  if (!bv) return {};
  return trimmed(std::string(bv->GetPointer(), bv->GetLength()));
}

// Decimal strings (DS, IS) split at backslashes; unparsable parts are skipped.
std::vector<double> numbers(const gdcm::DataSet& ds, const Tag& tag) {
  std::vector<double> values;
  const std::string text = stringValue(ds, tag);
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\\', start), text.size());
    const std::string part = trimmed(text.substr(start, end - start));
    if (!part.empty()) {
      try {
        values.push_back(std::stod(part));
      } catch (const std::exception&) {
      }
    }
    start = end + 1;
  }
  return values;
}

std::optional<double> number(const gdcm::DataSet& ds, const Tag& tag) {
  const auto values = numbers(ds, tag);
  if (values.empty()) return std::nullopt;
  return values.front();
}

// Unsigned short attributes (Rows, Columns, Bits Allocated); GDCM handles byte order.
template <std::uint16_t Group, std::uint16_t Element>
unsigned ushortValue(const gdcm::DataSet& ds) {
  if (!findElement(ds, Tag(Group, Element))) return 0;
  gdcm::Attribute<Group, Element> attribute;
  attribute.SetFromDataSet(ds);
  return attribute.GetValue();
}

// Binary attributes (FD, UL) read through GDCM's typed Attribute, which handles byte order.
template <std::uint16_t Group, std::uint16_t Element>
std::optional<double> binaryValue(const gdcm::DataSet& ds) {
  if (!findElement(ds, Tag(Group, Element))) return std::nullopt;
  gdcm::Attribute<Group, Element> attribute;
  attribute.SetFromDataSet(ds);
  return static_cast<double>(attribute.GetValue());
}

// First item of a sequence, or nullptr.
const gdcm::DataSet* firstItem(const gdcm::DataSet& ds, const Tag& tag) {
  const gdcm::DataElement* de = findElement(ds, tag);
  if (!de) return nullptr;
  gdcm::SmartPointer<gdcm::SequenceOfItems> sq = de->GetValueAsSQ();
  if (!sq || sq->GetNumberOfItems() == 0) return nullptr;
  return &sq->GetItem(1).GetNestedDataSet();
}

SeriesIdentity readIdentity(const gdcm::DataSet& ds) {
  SeriesIdentity id;
  id.patientName = stringValue(ds, Tag(0x0010, 0x0010));
  id.patientId = stringValue(ds, Tag(0x0010, 0x0020));
  id.patientBirthDate = stringValue(ds, Tag(0x0010, 0x0030));
  id.patientSex = stringValue(ds, Tag(0x0010, 0x0040));
  id.studyInstanceUid = stringValue(ds, Tag(0x0020, 0x000d));
  id.studyId = stringValue(ds, Tag(0x0020, 0x0010));
  id.studyDate = stringValue(ds, Tag(0x0008, 0x0020));
  id.studyTime = stringValue(ds, Tag(0x0008, 0x0030));
  id.studyDescription = stringValue(ds, Tag(0x0008, 0x1030));
  id.accessionNumber = stringValue(ds, Tag(0x0008, 0x0050));
  id.seriesInstanceUid = stringValue(ds, Tag(0x0020, 0x000e));
  id.seriesNumber = stringValue(ds, Tag(0x0020, 0x0011));
  id.seriesDescription = stringValue(ds, Tag(0x0008, 0x103e));
  id.frameOfReferenceUid = stringValue(ds, Tag(0x0020, 0x0052));
  id.modality = stringValue(ds, Tag(0x0008, 0x0060));
  id.manufacturer = stringValue(ds, Tag(0x0008, 0x0070));
  id.manufacturerModelName = stringValue(ds, Tag(0x0008, 0x1090));
  id.bodyPartExamined = stringValue(ds, Tag(0x0018, 0x0015));
  return id;
}

DicomSeriesKind kindOf(const std::string& sopClassUid, const std::string& modality,
                       const std::string& imageType, bool hasImagePixels) {
  if (sopClassUid == kSegmentationStorage || modality == "SEG") {
    return DicomSeriesKind::Segmentation;
  }
  if (sopClassUid == kRtStructureSetStorage || modality == "RTSTRUCT") {
    return DicomSeriesKind::RtStructureSet;
  }
  if (sopClassUid.rfind(kStructuredReportPrefix, 0) == 0 || modality == "SR") {
    return DicomSeriesKind::StructuredReport;
  }
  if (!hasImagePixels || modality == "RTDOSE" || modality == "RTPLAN" || modality == "PR" ||
      modality == "KO") {
    return DicomSeriesKind::OtherNonImage;
  }
  std::string upper = imageType;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  if (upper.find("LOCALIZER") != std::string::npos) return DicomSeriesKind::Localizer;
  return DicomSeriesKind::Image;
}

// Values a frame may take from the top-level data set of a classic image, or from one
// functional group item of an enhanced one.
void applyPlanePosition(const gdcm::DataSet& ds, DicomFrame& f) {
  if (const auto p = numbers(ds, Tag(0x0020, 0x0032)); p.size() == 3) {
    f.position = {p[0], p[1], p[2]};
    f.hasPosition = true;
  }
}

void applyPlaneOrientation(const gdcm::DataSet& ds, DicomFrame& f) {
  if (const auto o = numbers(ds, Tag(0x0020, 0x0037)); o.size() == 6) {
    f.rowDirection = normalized(Vec3{o[0], o[1], o[2]});
    f.columnDirection = normalized(Vec3{o[3], o[4], o[5]});
    f.hasOrientation = true;
  }
}

void applyPixelMeasures(const gdcm::DataSet& ds, DicomFrame& f) {
  if (const auto s = numbers(ds, Tag(0x0028, 0x0030)); s.size() == 2 && s[0] > 0 && s[1] > 0) {
    f.rowSpacing = s[0];
    f.columnSpacing = s[1];
    f.hasPixelSpacing = true;
  }
  if (const auto t = number(ds, Tag(0x0018, 0x0050))) f.sliceThickness = *t;
}

void applyRescale(const gdcm::DataSet& ds, DicomFrame& f) {
  if (const auto slope = number(ds, Tag(0x0028, 0x1053)); slope && *slope != 0) {
    f.rescaleSlope = *slope;
  }
  if (const auto intercept = number(ds, Tag(0x0028, 0x1052))) f.rescaleIntercept = *intercept;
}

void applyWindow(const gdcm::DataSet& ds, DicomFrame& f) {
  const auto centers = numbers(ds, Tag(0x0028, 0x1050));
  const auto widths = numbers(ds, Tag(0x0028, 0x1051));
  if (!centers.empty() && centers.size() == widths.size()) {
    f.windowCenters = centers;
    f.windowWidths = widths;
  }
}

// One functional group item (shared or per-frame) applied to a frame.
void applyFunctionalGroup(const gdcm::DataSet& group, DicomFrame& f) {
  if (const auto* item = firstItem(group, Tag(0x0020, 0x9113))) applyPlanePosition(*item, f);
  if (const auto* item = firstItem(group, Tag(0x0020, 0x9116))) applyPlaneOrientation(*item, f);
  if (const auto* item = firstItem(group, Tag(0x0028, 0x9110))) applyPixelMeasures(*item, f);
  if (const auto* item = firstItem(group, Tag(0x0028, 0x9145))) applyRescale(*item, f);
  if (const auto* item = firstItem(group, Tag(0x0028, 0x9132))) applyWindow(*item, f);
  if (const auto* item = firstItem(group, Tag(0x0018, 0x9114))) {
    if (const auto te = binaryValue<0x0018, 0x9082>(*item)) f.echoTime = *te;
  }
  if (const auto* item = firstItem(group, Tag(0x0020, 0x9111))) {
    f.stackId = stringValue(*item, Tag(0x0020, 0x9056));
    if (const auto t = binaryValue<0x0020, 0x9128>(*item))
      f.temporalPosition = static_cast<int>(*t);
  }
  if (const auto* item = firstItem(group, Tag(0x0018, 0x9226))) {  // MR Image Frame Type
    if (auto t = stringValue(*item, Tag(0x0008, 0x9007)); !t.empty()) f.imageType = t;
  }
  if (const auto* item = firstItem(group, Tag(0x0018, 0x9329))) {  // CT Image Frame Type
    if (auto t = stringValue(*item, Tag(0x0008, 0x9007)); !t.empty()) f.imageType = t;
  }
  if (const auto* item = firstItem(group, Tag(0x0018, 0x9118))) {  // Cardiac Synchronization
    if (const auto t = binaryValue<0x0020, 0x9153>(*item)) f.triggerTime = *t;
  }
}

// Siemens mosaic: one stored image tiling the slices of a volume. GDCM's SplitMosaicFilter reads
// the tile count and slice normal from the CSA header. ImagePositionPatient names the top-left
// pixel of the whole mosaic; the first tile is centred in it (as dcm2niix and nibabel do).
std::vector<DicomFrame> expandMosaic(const gdcm::File& file, const DicomFrame& mosaic) {
  // SetImage keeps its argument in an intrusive SmartPointer, so the image must live on the heap
  // under GDCM's reference count (a stack object would be deleted by the filter).
  gdcm::SmartPointer<gdcm::Image> image = new gdcm::Image;
  image->SetNumberOfDimensions(2);
  image->SetDimension(0, mosaic.columns);
  image->SetDimension(1, mosaic.rows);
  gdcm::SplitMosaicFilter filter;
  filter.SetImage(*image);
  filter.SetFile(file);
  unsigned dims[3] = {0, 0, 0};
  double normal[3] = {0, 0, 0};
  bool inverted = false;
  if (!filter.ComputeMOSAICDimensions(dims) || dims[0] == 0 || dims[1] == 0 || dims[2] == 0 ||
      !filter.ComputeMOSAICSliceNormal(normal, inverted)) {
    return {};
  }
  const Vec3 firstTile =
      mosaic.position +
      (0.5 * (double(mosaic.columns) - dims[0]) * mosaic.columnSpacing) * mosaic.rowDirection +
      (0.5 * (double(mosaic.rows) - dims[1]) * mosaic.rowSpacing) * mosaic.columnDirection;
  const double spacing =
      number(file.GetDataSet(), Tag(0x0018, 0x0088)).value_or(mosaic.sliceThickness);
  const Vec3 step = spacing * normalized(Vec3{normal[0], normal[1], normal[2]});
  std::vector<DicomFrame> tiles;
  for (unsigned t = 0; t < dims[2]; ++t) {
    DicomFrame tile = mosaic;
    tile.columns = dims[0];
    tile.rows = dims[1];
    tile.mosaicTile = static_cast<int>(t);
    tile.mosaicColumns = mosaic.columns;
    tile.mosaicRows = mosaic.rows;
    tile.position = firstTile + double(t) * step;
    tile.hasPosition = true;
    tiles.push_back(std::move(tile));
  }
  return tiles;
}

}  // namespace

DicomFileHeader DicomFrameReader::readHeader(const std::filesystem::path& file) {
  // GDCM prints its own diagnostics to stderr; ours are in the exceptions and warnings.
  gdcm::Trace::WarningOff();
  gdcm::Trace::ErrorOff();
  gdcm::Trace::DebugOff();
  gdcm::Reader reader;
  reader.SetFileName(file.string().c_str());
  const std::set<Tag> skip;
  if (!reader.ReadUpToTag(Tag(0x7fe0, 0x0010), skip)) {
    throw std::runtime_error(file.string() + ": not a DICOM file, or its header is damaged");
  }
  const gdcm::File& gdcmFile = reader.GetFile();
  const gdcm::DataSet& ds = gdcmFile.GetDataSet();
  const gdcm::FileMetaInformation& meta = gdcmFile.GetHeader();

  DicomFileHeader header;
  header.file = file;
  header.identity = readIdentity(ds);
  header.sopClassUid = stringValue(ds, Tag(0x0008, 0x0016));
  if (header.sopClassUid.empty()) header.sopClassUid = stringValue(meta, Tag(0x0002, 0x0002));
  header.sopInstanceUid = stringValue(ds, Tag(0x0008, 0x0018));
  if (header.sopClassUid == kMediaStorageDirectory) {
    throw std::runtime_error(file.string() + ": a DICOMDIR (media index), not an image");
  }
  if (header.sopClassUid.empty() && header.identity.seriesInstanceUid.empty() &&
      !findElement(ds, Tag(0x0028, 0x0010))) {
    throw std::runtime_error(file.string() + ": not a DICOM file (no SOP Class, Series or image)");
  }

  const std::string imageType = stringValue(ds, Tag(0x0008, 0x0008));
  const unsigned rows = ushortValue<0x0028, 0x0010>(ds);
  const unsigned columns = ushortValue<0x0028, 0x0011>(ds);
  header.kind =
      kindOf(header.sopClassUid, header.identity.modality, imageType, rows > 0 && columns > 0);
  if (header.kind != DicomSeriesKind::Image && header.kind != DicomSeriesKind::Localizer) {
    return header;
  }

  DicomFrame base;
  base.file = file;
  base.sopClassUid = header.sopClassUid;
  base.sopInstanceUid = header.sopInstanceUid;
  base.imageType = imageType;
  base.rows = rows;
  base.columns = columns;
  base.bitsAllocated = ushortValue<0x0028, 0x0100>(ds);
  base.bitsStored = ushortValue<0x0028, 0x0101>(ds);
  base.pixelsSigned = ushortValue<0x0028, 0x0103>(ds) == 1;
  base.samplesPerPixel = std::max(1u, ushortValue<0x0028, 0x0002>(ds));
  base.transferSyntaxUid = stringValue(meta, Tag(0x0002, 0x0010));
  base.instanceNumber = static_cast<int>(number(ds, Tag(0x0020, 0x0013)).value_or(0));
  base.acquisitionNumber = static_cast<int>(number(ds, Tag(0x0020, 0x0012)).value_or(0));
  base.echoNumber = static_cast<int>(number(ds, Tag(0x0018, 0x0086)).value_or(0));
  base.echoTime = number(ds, Tag(0x0018, 0x0081)).value_or(0);
  base.triggerTime = number(ds, Tag(0x0018, 0x1060)).value_or(0);
  base.temporalPosition = static_cast<int>(number(ds, Tag(0x0020, 0x0100)).value_or(0));
  base.gantryTilt = number(ds, Tag(0x0018, 0x1120)).value_or(0);
  applyPlanePosition(ds, base);
  applyPlaneOrientation(ds, base);
  applyPixelMeasures(ds, base);
  applyRescale(ds, base);
  applyWindow(ds, base);

  if (imageType.find("MOSAIC") != std::string::npos) {
    if (auto tiles = expandMosaic(gdcmFile, base); !tiles.empty()) {
      header.frames = std::move(tiles);
      return header;
    }
  }

  const int frameCount = static_cast<int>(number(ds, Tag(0x0028, 0x0008)).value_or(1));
  const gdcm::DataElement* perFrame = findElement(ds, Tag(0x5200, 0x9230));
  if (frameCount <= 1 && !perFrame) {
    header.frames.push_back(std::move(base));
    return header;
  }

  // Multi-frame: shared groups first, then each frame's own groups override them.
  if (const auto* shared = firstItem(ds, Tag(0x5200, 0x9229))) applyFunctionalGroup(*shared, base);
  gdcm::SmartPointer<gdcm::SequenceOfItems> perFrameItems =
      perFrame ? perFrame->GetValueAsSQ() : nullptr;
  const double spacingBetweenSlices = number(ds, Tag(0x0018, 0x0088)).value_or(0);
  header.frames.reserve(static_cast<std::size_t>(std::max(frameCount, 1)));
  for (int i = 1; i <= std::max(frameCount, 1); ++i) {
    DicomFrame frame = base;
    frame.frameNumber = i;
    if (perFrameItems && static_cast<std::size_t>(i) <= perFrameItems->GetNumberOfItems()) {
      applyFunctionalGroup(perFrameItems->GetItem(i).GetNestedDataSet(), frame);
    } else if (!perFrameItems && spacingBetweenSlices > 0) {
      // Legacy multi-frame stacks give one position and the distance between frames.
      frame.position = base.position + ((i - 1) * spacingBetweenSlices) * base.sliceNormal();
    }
    header.frames.push_back(std::move(frame));
  }
  return header;
}

}  // namespace annotrace
