#include "IO/DicomFrameReader.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmf.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>

#include "IO/PixelDataInspector.h"
#include "IO/SiemensCsaHeader.h"

// Headers are parsed with DCMTK rather than GDCM: DCMTK reports damaged input through status
// codes, whereas Debian's GDCM build aborts on assertions for some malformed files (a DICOMDIR
// without offsets, a corrupt Siemens CSA header). GDCM still decodes the pixels.

namespace annotrace {

namespace {

constexpr std::string_view kSegmentationStorage = "1.2.840.10008.5.1.4.1.1.66.4";
constexpr std::string_view kRtStructureSetStorage = "1.2.840.10008.5.1.4.1.1.481.3";
constexpr std::string_view kStructuredReportPrefix = "1.2.840.10008.5.1.4.1.1.88.";
constexpr std::string_view kMediaStorageDirectory = "1.2.840.10008.1.3.10";

void configureDcmtk() {
  static std::once_flag once;
  std::call_once(once, [] {
    OFLog::configure(OFLogger::FATAL_LOG_LEVEL);  // our messages travel in exceptions
    // Some writers store attributes as UN (e.g. explicit_VR-UN.dcm): read them with their
    // dictionary VR, as dcmdump +uc does.
    dcmEnableUnknownVRConversion.set(OFTrue);
  });
}

std::string trimmed(std::string s) {
  const auto notPad = [](char c) { return c != ' ' && c != '\0'; };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), notPad));
  s.erase(std::find_if(s.rbegin(), s.rend(), notPad).base(), s.end());
  return s;
}

std::string stringValue(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  if (item.findAndGetOFStringArray(tag, value).bad()) return {};
  return trimmed(std::string(value.data(), value.size()));
}

// All values of a numeric attribute (DS, IS, FD, FL, US, UL), in order.
std::vector<double> numbers(DcmItem& item, const DcmTagKey& tag) {
  std::vector<double> values;
  DcmElement* element = nullptr;
  if (item.findAndGetElement(tag, element).bad() || !element) return values;
  const unsigned long count = element->getVM();
  for (unsigned long i = 0; i < count; ++i) {
    Float64 f = 0;
    if (element->getFloat64(f, i).good()) {
      values.push_back(f);
      continue;
    }
    Uint16 u16 = 0;
    Uint32 u32 = 0;
    Sint32 s32 = 0;
    if (element->getUint16(u16, i).good())
      values.push_back(u16);
    else if (element->getUint32(u32, i).good())
      values.push_back(u32);
    else if (element->getSint32(s32, i).good())
      values.push_back(s32);
  }
  return values;
}

std::optional<double> number(DcmItem& item, const DcmTagKey& tag) {
  const auto values = numbers(item, tag);
  if (values.empty()) return std::nullopt;
  return values.front();
}

DcmItem* firstItem(DcmItem& item, const DcmTagKey& sequence) {
  DcmItem* first = nullptr;
  if (item.findAndGetSequenceItem(sequence, first, 0).bad()) return nullptr;
  return first;
}

SeriesIdentity readIdentity(DcmItem& ds) {
  SeriesIdentity id;
  id.patientName = stringValue(ds, DCM_PatientName);
  id.patientId = stringValue(ds, DCM_PatientID);
  id.patientBirthDate = stringValue(ds, DCM_PatientBirthDate);
  id.patientSex = stringValue(ds, DCM_PatientSex);
  id.studyInstanceUid = stringValue(ds, DCM_StudyInstanceUID);
  id.studyId = stringValue(ds, DCM_StudyID);
  id.studyDate = stringValue(ds, DCM_StudyDate);
  id.studyTime = stringValue(ds, DCM_StudyTime);
  id.studyDescription = stringValue(ds, DCM_StudyDescription);
  id.accessionNumber = stringValue(ds, DCM_AccessionNumber);
  id.seriesInstanceUid = stringValue(ds, DCM_SeriesInstanceUID);
  id.seriesNumber = stringValue(ds, DCM_SeriesNumber);
  id.seriesDescription = stringValue(ds, DCM_SeriesDescription);
  id.frameOfReferenceUid = stringValue(ds, DCM_FrameOfReferenceUID);
  id.modality = stringValue(ds, DCM_Modality);
  id.manufacturer = stringValue(ds, DCM_Manufacturer);
  id.manufacturerModelName = stringValue(ds, DCM_ManufacturerModelName);
  id.bodyPartExamined = stringValue(ds, DCM_BodyPartExamined);
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
  if (imageType.find("LOCALIZER") != std::string::npos) return DicomSeriesKind::Localizer;
  return DicomSeriesKind::Image;
}

void applyPlanePosition(DcmItem& ds, DicomFrame& f) {
  if (const auto p = numbers(ds, DCM_ImagePositionPatient); p.size() == 3) {
    f.position = {p[0], p[1], p[2]};
    f.hasPosition = true;
  }
}

void applyPlaneOrientation(DcmItem& ds, DicomFrame& f) {
  if (const auto o = numbers(ds, DCM_ImageOrientationPatient); o.size() == 6) {
    f.rowDirection = normalized(Vec3{o[0], o[1], o[2]});
    f.columnDirection = normalized(Vec3{o[3], o[4], o[5]});
    f.hasOrientation = true;
  }
}

void applyPixelMeasures(DcmItem& ds, DicomFrame& f) {
  if (const auto s = numbers(ds, DCM_PixelSpacing); s.size() == 2 && s[0] > 0 && s[1] > 0) {
    f.rowSpacing = s[0];
    f.columnSpacing = s[1];
    f.hasPixelSpacing = true;
  }
  if (const auto t = number(ds, DCM_SliceThickness)) f.sliceThickness = *t;
}

void applyRescale(DcmItem& ds, DicomFrame& f) {
  if (const auto slope = number(ds, DCM_RescaleSlope); slope && *slope != 0) {
    f.rescaleSlope = *slope;
  }
  if (const auto intercept = number(ds, DCM_RescaleIntercept)) f.rescaleIntercept = *intercept;
}

void applyWindow(DcmItem& ds, DicomFrame& f) {
  const auto centers = numbers(ds, DCM_WindowCenter);
  const auto widths = numbers(ds, DCM_WindowWidth);
  if (!centers.empty() && centers.size() == widths.size()) {
    f.windowCenters = centers;
    f.windowWidths = widths;
  }
}

// One functional group item (shared or per-frame) of an enhanced object applied to a frame.
void applyFunctionalGroup(DcmItem& group, DicomFrame& f) {
  if (auto* item = firstItem(group, DCM_PlanePositionSequence)) applyPlanePosition(*item, f);
  if (auto* item = firstItem(group, DCM_PlaneOrientationSequence)) applyPlaneOrientation(*item, f);
  if (auto* item = firstItem(group, DCM_PixelMeasuresSequence)) applyPixelMeasures(*item, f);
  if (auto* item = firstItem(group, DCM_PixelValueTransformationSequence)) applyRescale(*item, f);
  if (auto* item = firstItem(group, DCM_FrameVOILUTSequence)) applyWindow(*item, f);
  if (auto* item = firstItem(group, DCM_MREchoSequence)) {
    if (const auto te = number(*item, DCM_EffectiveEchoTime)) f.echoTime = *te;
  }
  for (const DcmTagKey& frameType : {DCM_MRImageFrameTypeSequence, DCM_CTImageFrameTypeSequence}) {
    if (auto* item = firstItem(group, frameType)) {
      if (auto t = stringValue(*item, DCM_FrameType); !t.empty()) f.imageType = t;
    }
  }
  if (auto* item = firstItem(group, DCM_FrameContentSequence)) {
    f.stackId = stringValue(*item, DCM_StackID);
    if (const auto t = number(*item, DCM_TemporalPositionIndex)) f.temporalPosition = int(*t);
  }
  if (auto* item = firstItem(group, DCM_CardiacSynchronizationSequence)) {
    if (const auto t = number(*item, DCM_NominalCardiacTriggerDelayTime)) f.triggerTime = *t;
  }
}

// Siemens mosaic: one stored image tiling the slices of a volume. The tile count and slice
// normal come from the CSA image header; ImagePositionPatient names the top-left pixel of the
// whole mosaic, so the first tile is centred in it (as dcm2niix and nibabel do).
std::vector<DicomFrame> expandMosaic(DcmItem& ds, const DicomFrame& mosaic) {
  const Uint8* csaBytes = nullptr;
  unsigned long csaLength = 0;
  if (ds.findAndGetUint8Array(DcmTagKey(0x0029, 0x1010), csaBytes, &csaLength).bad() || !csaBytes) {
    return {};
  }
  const SiemensCsaHeader csa(std::span(reinterpret_cast<const std::uint8_t*>(csaBytes), csaLength));
  const auto tiles = csa.numbers("NumberOfImagesInMosaic");
  if (tiles.empty() || tiles.front() < 1) return {};
  const auto tileCount = static_cast<unsigned>(tiles.front());
  // Tiles fill a square grid; a mosaic whose size is not a multiple of the grid has padding
  // after the last tile column and row (dcm2niix and nibabel round the tile size down too).
  const auto perRow = static_cast<unsigned>(std::ceil(std::sqrt(double(tileCount))));
  if (perRow == 0 || mosaic.columns < perRow || mosaic.rows < perRow) return {};
  const unsigned tileColumns = mosaic.columns / perRow, tileRows = mosaic.rows / perRow;

  Vec3 normal = mosaic.sliceNormal();
  if (const auto n = csa.numbers("SliceNormalVector"); n.size() == 3) {
    normal = normalized(Vec3{n[0], n[1], n[2]});
  }
  // The shift to the first tile uses the unrounded tile size, as dcm2niix and nibabel do; it
  // differs from the rounded one only for padded mosaics.
  const double exactTileColumns = double(mosaic.columns) / perRow;
  const double exactTileRows = double(mosaic.rows) / perRow;
  const Vec3 firstTile =
      mosaic.position +
      (0.5 * (mosaic.columns - exactTileColumns) * mosaic.columnSpacing) * mosaic.rowDirection +
      (0.5 * (mosaic.rows - exactTileRows) * mosaic.rowSpacing) * mosaic.columnDirection;
  const double spacing = number(ds, DCM_SpacingBetweenSlices).value_or(mosaic.sliceThickness);

  std::vector<DicomFrame> frames;
  for (unsigned t = 0; t < tileCount; ++t) {
    DicomFrame tile = mosaic;
    tile.columns = tileColumns;
    tile.rows = tileRows;
    tile.mosaicTile = static_cast<int>(t);
    tile.mosaicColumns = mosaic.columns;
    tile.mosaicRows = mosaic.rows;
    tile.position = firstTile + (double(t) * spacing) * normal;
    tile.hasPosition = true;
    frames.push_back(std::move(tile));
  }
  return frames;
}

// The first bytes of a file, to tell what a file DCMTK could not parse actually is.
std::string fileStart(const std::filesystem::path& file, std::size_t count) {
  std::ifstream in(file, std::ios::binary);
  std::string bytes(count, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(count));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

std::string notDicom(const std::filesystem::path& file, const std::string& detail) {
  std::error_code ec;
  if (std::filesystem::file_size(file, ec) == 0 && !ec) return file.string() + ": empty file";
  const std::string start = fileStart(file, 132);
  if (start.size() >= 2 && start[0] == '\x1f' && start[1] == '\x8b') {
    return file.string() + ": a gzip-compressed file; decompress it first";
  }
  if (start.size() == 132 && start.compare(128, 4, "DICM") == 0) {
    return file.string() + ": a damaged DICOM file (" + detail + ")";
  }
  return file.string() + ": not a DICOM file (" + detail + ")";
}

// Checks the Pixel Data element, whose value starts where the header stream stopped, and
// returns the byte offset of uncompressed data (readable in place), else 0.
std::uint64_t inspectPixelData(const std::filesystem::path& file, DcmDataset& ds,
                               const DicomFrame& frame, offile_off_t pixelDataStart) {
  if (pixelDataStart <= 0) return 0;
  const auto start = static_cast<std::uint64_t>(pixelDataStart);
  const DcmXfer xfer(ds.getOriginalXfer());
  if (xfer.getStreamCompression() != ESC_none) return 0;  // deflated: offsets are not file offsets
  if (xfer.isEncapsulated()) {
    PixelDataInspector::checkEncapsulated(file, start);
    return 0;
  }
  const double frames = std::max(1.0, number(ds, DCM_NumberOfFrames).value_or(1));
  const double bytesPerSample = frame.bitsAllocated == 1 ? 1.0 / 8 : frame.bitsAllocated / 8.0;
  const auto expected = static_cast<std::uint64_t>(std::ceil(
      double(frame.rows) * frame.columns * frames * frame.samplesPerPixel * bytesPerSample));
  PixelDataInspector::checkNative(file, start, expected, xfer.isLittleEndian());
  return start;
}

}  // namespace

DicomFileHeader DicomFrameReader::readHeader(const std::filesystem::path& file) {
  configureDcmtk();
  DcmFileFormat fileFormat;
  // Read through a stream of our own so that its position tells where the pixel data begins.
  DcmInputFileStream stream(file.c_str());
  OFCondition status = stream.status();
  offile_off_t pixelDataStart = 0;
  if (status.good()) {
    fileFormat.transferInit();
    status = fileFormat.readUntilTag(stream, EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
                                     DCM_PixelData);
    fileFormat.transferEnd();
    pixelDataStart = stream.tell();
  }
  if (status.bad()) {
    throw std::runtime_error(notDicom(file, status.text()));
  }
  DcmDataset& ds = *fileFormat.getDataset();
  DcmMetaInfo& meta = *fileFormat.getMetaInfo();

  DicomFileHeader header;
  header.file = file;
  header.identity = readIdentity(ds);
  header.sopClassUid = stringValue(ds, DCM_SOPClassUID);
  if (header.sopClassUid.empty())
    header.sopClassUid = stringValue(meta, DCM_MediaStorageSOPClassUID);
  header.sopInstanceUid = stringValue(ds, DCM_SOPInstanceUID);
  if (header.sopInstanceUid.empty()) {
    header.sopInstanceUid = stringValue(meta, DCM_MediaStorageSOPInstanceUID);
  }
  if (header.sopClassUid == kMediaStorageDirectory) {
    throw std::runtime_error(file.string() + ": a DICOMDIR (media index), not an image");
  }
  const unsigned rows = static_cast<unsigned>(number(ds, DCM_Rows).value_or(0));
  const unsigned columns = static_cast<unsigned>(number(ds, DCM_Columns).value_or(0));
  if (header.sopClassUid.empty() && header.identity.seriesInstanceUid.empty() && rows == 0) {
    throw std::runtime_error(notDicom(file, "no SOP Class, Series or image"));
  }
  std::string transferSyntax = stringValue(meta, DCM_TransferSyntaxUID);
  if (transferSyntax.empty()) transferSyntax = DcmXfer(ds.getOriginalXfer()).getXferID();

  const std::string imageType = stringValue(ds, DCM_ImageType);
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
  base.bitsAllocated = static_cast<unsigned>(number(ds, DCM_BitsAllocated).value_or(0));
  base.bitsStored = static_cast<unsigned>(number(ds, DCM_BitsStored).value_or(0));
  base.pixelsSigned = number(ds, DCM_PixelRepresentation).value_or(0) == 1;
  base.samplesPerPixel = static_cast<unsigned>(number(ds, DCM_SamplesPerPixel).value_or(1));
  base.transferSyntaxUid = transferSyntax;
  base.instanceNumber = static_cast<int>(number(ds, DCM_InstanceNumber).value_or(0));
  base.acquisitionNumber = static_cast<int>(number(ds, DCM_AcquisitionNumber).value_or(0));
  base.echoNumber = static_cast<int>(number(ds, DCM_EchoNumbers).value_or(0));
  base.echoTime = number(ds, DCM_EchoTime).value_or(0);
  base.triggerTime = number(ds, DCM_TriggerTime).value_or(0);
  base.temporalPosition = static_cast<int>(number(ds, DCM_TemporalPositionIdentifier).value_or(0));
  base.gantryTilt = number(ds, DCM_GantryDetectorTilt).value_or(0);
  applyPlanePosition(ds, base);
  applyPlaneOrientation(ds, base);
  applyPixelMeasures(ds, base);
  applyRescale(ds, base);
  applyWindow(ds, base);

  base.pixelDataOffset = inspectPixelData(file, ds, base, pixelDataStart);
  base.pixelDataBigEndian = DcmXfer(ds.getOriginalXfer()).isBigEndian();

  if (imageType.find("MOSAIC") != std::string::npos) {
    if (auto tiles = expandMosaic(ds, base); !tiles.empty()) {
      header.frames = std::move(tiles);
      return header;
    }
  }

  const int frameCount = static_cast<int>(number(ds, DCM_NumberOfFrames).value_or(1));
  DcmItem* firstPerFrame = firstItem(ds, DCM_PerFrameFunctionalGroupsSequence);
  if (frameCount <= 1 && !firstPerFrame) {
    header.frames.push_back(std::move(base));
    return header;
  }

  // Multi-frame: shared groups first, then each frame's own groups override them.
  if (auto* shared = firstItem(ds, DCM_SharedFunctionalGroupsSequence)) {
    applyFunctionalGroup(*shared, base);
  }
  const double spacingBetweenSlices = number(ds, DCM_SpacingBetweenSlices).value_or(0);
  const int count = std::max(frameCount, 1);
  header.frames.reserve(static_cast<std::size_t>(count));
  for (int i = 1; i <= count; ++i) {
    DicomFrame frame = base;
    frame.frameNumber = i;
    DcmItem* perFrame = nullptr;
    if (firstPerFrame &&
        ds.findAndGetSequenceItem(DCM_PerFrameFunctionalGroupsSequence, perFrame, i - 1).good() &&
        perFrame) {
      applyFunctionalGroup(*perFrame, frame);
    } else if (!firstPerFrame && spacingBetweenSlices > 0) {
      // Legacy multi-frame stacks give one position and the distance between frames.
      frame.position = base.position + ((i - 1) * spacingBetweenSlices) * base.sliceNormal();
    }
    header.frames.push_back(std::move(frame));
  }
  return header;
}

}  // namespace annotrace
