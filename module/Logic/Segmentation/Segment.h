#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace annotrace {

/// A coded concept as DICOM writes it: (CodeValue, CodingSchemeDesignator, CodeMeaning).
struct CodedConcept {
  std::string value;    ///< e.g. "10200004"
  std::string scheme;   ///< e.g. "SCT" (SNOMED CT)
  std::string meaning;  ///< e.g. "Liver"
  bool empty() const { return value.empty(); }
  bool operator==(const CodedConcept&) const = default;
};

/// What a segment represents, in the terms DICOM SEG uses (PS3.3 C.8.20.2): Segmented Property
/// Category (CID 7150), Type (CID 7151 and others) with an optional modifier (e.g. left/right),
/// and the anatomic region the structure lies in.
struct SegmentTerminology {
  CodedConcept category;
  CodedConcept type;
  CodedConcept typeModifier;
  CodedConcept anatomicRegion;
  CodedConcept anatomicRegionModifier;
  bool operator==(const SegmentTerminology&) const = default;
};

/// Where a segment's labelling stands, as an annotator reports it.
enum class SegmentStatus { NotStarted, InProgress, Completed, Flagged };

std::string_view segmentStatusName(SegmentStatus status);
/// Accepts the names segmentStatusName() gives; nullopt otherwise.
std::optional<SegmentStatus> segmentStatusFromName(std::string_view name);

/// Stable identity of a segment inside one segmentation: never reused after deletion, so undo
/// steps and edit logs can name segments safely while names change.
using SegmentId = std::uint32_t;

/// The description of one segment (its voxels live in Segmentation).
struct Segment {
  SegmentId id = 0;
  std::string name;
  std::array<std::uint8_t, 3> color{128, 174, 128};  ///< sRGB
  /// The value this segment is written with in label map files (1..32767, unique); 0 when
  /// not chosen yet: Segmentation::addSegment then gives the smallest free value.
  std::uint16_t labelValue = 0;
  SegmentTerminology terminology;
  SegmentStatus status = SegmentStatus::NotStarted;
  bool locked = false;  ///< a locked segment is never changed by edits of another segment
  bool visible = true;
  bool operator==(const Segment&) const = default;
};

}  // namespace annotrace
