#pragma once

#include <nlohmann/json.hpp>

#include "Volume/ImageGeometry.h"

#include "Segmentation/Segment.h"
#include "Segmentation/SliceProvenance.h"

namespace annotrace {

/// JSON forms of segment descriptions, shared by the edit operations, the label map sidecar
/// and the terminology file:
///   coded:  {"value": "10200004", "scheme": "SCT", "meaning": "Liver"}
///   segment:  {"id": 1, "name": "Liver", "color": [221, 130, 101], "label_value": 1,
///              "terminology": {"category": coded, "type": coded, "type_modifier": coded,
///                              "anatomic_region": coded, "anatomic_region_modifier": coded},
///              "status": "in_progress", "locked": false, "visible": true}
/// Missing members keep their defaults; members of the wrong type throw
/// std::invalid_argument naming the member.
nlohmann::json conceptToJson(const CodedConcept& coded);
CodedConcept conceptFromJson(const nlohmann::json& json);
nlohmann::json terminologyToJson(const SegmentTerminology& terminology);
SegmentTerminology terminologyFromJson(const nlohmann::json& json);
nlohmann::json segmentToJson(const Segment& segment);
/// Fills `segment` from the members present in `json` (others stay as they are).
void updateSegmentFromJson(const nlohmann::json& json, Segment& segment);

/// {"size": [i, j, k], "origin": [x, y, z], "spacing": [si, sj, sk], "direction": [[row 0], ...]}
/// (LPS; columns are the index axes). Numbers are written so that they read back exactly.
nlohmann::json geometryToJson(const ImageGeometry& geometry);
/// Throws std::invalid_argument naming the member that is missing or wrong.
ImageGeometry geometryFromJson(const nlohmann::json& json);

/// Per-slice provenance: {"axial": {"drawn": [12, 18], "interpolated": [13, 14, ...]},
/// "coronal": {...}, "sagittal": {...}}; families and sources without slices are left out.
nlohmann::json provenanceToJson(const SliceProvenance& provenance);
/// Throws std::invalid_argument naming what is wrong (unknown family or source, slice outside
/// the grid's `size`).
SliceProvenance provenanceFromJson(const nlohmann::json& json,
                                   const std::array<std::size_t, 3>& size);

}  // namespace annotrace
