#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "Core/LoadWarning.h"
#include "Core/Vec3.h"
#include "Volume/SeriesIdentity.h"

namespace annotrace {

/// Header facts of one image frame: a single-frame instance, or one frame of an enhanced
/// multi-frame instance (values taken from its per-frame or shared functional groups).
struct DicomFrame {
  std::filesystem::path file;
  std::string sopClassUid;
  std::string sopInstanceUid;
  int frameNumber = 0;  ///< 1-based inside a multi-frame instance, 0 for single-frame
  int instanceNumber = 0;
  int acquisitionNumber = 0;
  int echoNumber = 0;
  double echoTime = 0;
  double triggerTime = 0;
  int temporalPosition = 0;
  std::string stackId;  ///< enhanced objects: FrameContentSequence StackID
  std::string imageType;
  bool hasPosition = false;       ///< ImagePositionPatient present
  bool hasOrientation = false;    ///< ImageOrientationPatient present
  Vec3 position{0, 0, 0};         ///< ImagePositionPatient (LPS mm)
  Vec3 rowDirection{1, 0, 0};     ///< IOP[0..2]: direction of increasing column index
  Vec3 columnDirection{0, 1, 0};  ///< IOP[3..5]: direction of increasing row index
  double rowSpacing = 1;          ///< PixelSpacing[0]: distance between rows (mm)
  double columnSpacing = 1;       ///< PixelSpacing[1]: distance between columns (mm)
  bool hasPixelSpacing = false;
  double sliceThickness = 0;
  double gantryTilt = 0;
  unsigned rows = 0;
  unsigned columns = 0;
  /// Siemens mosaic: this frame is tile `mosaicTile` (row-major) of a stored image
  /// `mosaicColumns` x `mosaicRows` pixels that tiles rows x columns slices; -1 otherwise.
  int mosaicTile = -1;
  unsigned mosaicColumns = 0;
  unsigned mosaicRows = 0;
  /// Byte offset of the pixel data in the file when it is uncompressed (for direct reads);
  /// 0 when unknown, deflated or compressed.
  std::uint64_t pixelDataOffset = 0;
  bool pixelDataBigEndian = false;  ///< uncompressed pixel data in Explicit VR Big Endian
  double rescaleSlope = 1;
  double rescaleIntercept = 0;
  std::vector<double> windowCenters;
  std::vector<double> windowWidths;
  std::string transferSyntaxUid;
  unsigned bitsAllocated = 0;
  unsigned bitsStored = 0;
  bool pixelsSigned = false;  ///< PixelRepresentation 1
  unsigned samplesPerPixel = 1;

  Vec3 sliceNormal() const;
};

/// What a stack is: an image stack that loads as a volume, or a non-image object to list.
enum class DicomSeriesKind {
  Image,
  Localizer,
  Segmentation,
  RtStructureSet,
  StructuredReport,
  OtherNonImage
};
std::string_view seriesKindName(DicomSeriesKind kind);

/// One loadable stack of frames (or one non-image series), as found by DicomFolderScanner.
///
/// A Series Instance UID splits into several stacks when its frames differ in orientation,
/// matrix size, pixel spacing, echo, or (to resolve duplicate positions) acquisition.
struct DicomSeries {
  std::string id;  ///< Series Instance UID, with ".2", ".3"... suffixes for split stacks
  DicomSeriesKind kind = DicomSeriesKind::Image;
  SeriesIdentity identity;
  std::string sopClassUid;
  std::string splitReason;         ///< why this stack was split from its series, empty if not split
  std::vector<DicomFrame> frames;  ///< image frames, sorted along the slice normal by the scanner
  std::vector<std::filesystem::path> files;  ///< every file of this stack (non-image series too)
  std::vector<LoadWarning> warnings;         ///< geometry warnings known from the headers alone

  std::size_t sliceCount() const { return frames.size(); }
};

/// Everything found under the scanned paths.
struct DicomScanResult {
  std::vector<DicomSeries> series;
  /// Files that are not DICOM or could not be parsed, with the reason.
  std::vector<std::pair<std::filesystem::path, std::string>> unreadableFiles;
  std::size_t filesExamined = 0;

  std::vector<const DicomSeries*> imageSeries() const;
};

}  // namespace annotrace
