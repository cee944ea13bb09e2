#include "Records/SourceIdentity.h"

#include <string>

#include "Records/CanonicalJson.h"
#include "Records/CryptoPrimitives.h"
#include "Segmentation/SegmentJson.h"

namespace annotrace::records {

using nlohmann::json;

json sourceIdentity(const ImageGeometry& geometry) {
  const std::string geometryText = canonicalJson(geometryToJson(geometry));
  return {{"geometry_sha256", crypto::toHex(crypto::sha256(crypto::asBytes(geometryText)))},
          {"size", std::to_string(geometry.size[0]) + " x " + std::to_string(geometry.size[1]) +
                       " x " + std::to_string(geometry.size[2])}};
}

json sourceIdentity(const Volume& volume) {
  json source = sourceIdentity(volume.geometry());
  const SeriesIdentity& id = volume.identity;
  source["study_uid"] = id.studyInstanceUid;
  source["series_uid"] = id.seriesInstanceUid;
  source["frame_of_reference_uid"] = id.frameOfReferenceUid;
  source["modality"] = id.modality;
  source["series_description"] = id.seriesDescription;
  std::string uids;
  for (const SourceFrame& frame : volume.sourceFrames) {
    uids += frame.sopInstanceUid;
    if (frame.frameNumber > 0) uids += "#" + std::to_string(frame.frameNumber);
    uids += '\n';
  }
  source["sop_instances"] = std::to_string(volume.sourceFrames.size());
  source["sop_instances_sha256"] = volume.sourceFrames.empty()
                                       ? std::string()
                                       : crypto::toHex(crypto::sha256(crypto::asBytes(uids)));
  return source;
}

std::string sourceMismatch(const json& recorded, const Volume& volume) {
  const json actual = sourceIdentity(volume);
  for (const char* key : {"study_uid", "series_uid", "frame_of_reference_uid",
                          "sop_instances_sha256", "geometry_sha256"}) {
    const json& want = recorded.is_object() ? recorded.value(key, json()) : json();
    if (!want.is_string() || want.get<std::string>().empty()) continue;  // not recorded
    if (want != actual.value(key, json())) {
      return std::string(key) + " differs: the record was made on another series or grid";
    }
  }
  return {};
}

}  // namespace annotrace::records
