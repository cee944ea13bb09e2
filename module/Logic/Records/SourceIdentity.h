#pragma once

// Which image series a record's labels belong to, as the record header's "source" object:
// strings only, so the canonical form never depends on number formatting.
//
//   {"study_uid", "series_uid", "frame_of_reference_uid", "modality", "series_description",
//    "sop_instances": n, "sop_instances_sha256": hex SHA-256 of the SOP Instance UIDs in slice
//    order, each followed by '\n' (empty for a volume not read from DICOM),
//    "geometry_sha256": hex SHA-256 of the canonical geometry JSON, "size": "i x j x k"}
//
// The geometry digest ties the labels to the very grid they were drawn on: the same series
// loaded with other resampling or another stack gives another digest.

#include <nlohmann/json.hpp>

#include "Volume/ImageGeometry.h"
#include "Volume/Volume.h"

namespace annotrace::records {

nlohmann::json sourceIdentity(const Volume& volume);
/// The identity of a grid alone (a label map opened without its image).
nlohmann::json sourceIdentity(const ImageGeometry& geometry);

/// Empty when `recorded` (a record's "source") fits `volume`; otherwise what differs, for
/// people ("the series UID differs", "the grid differs").
std::string sourceMismatch(const nlohmann::json& recorded, const Volume& volume);

}  // namespace annotrace::records
