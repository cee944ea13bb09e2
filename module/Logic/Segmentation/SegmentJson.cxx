#include "Segmentation/SegmentJson.h"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

namespace annotrace {

namespace {

using nlohmann::json;

const json& member(const json& object, const char* name, json::value_t type, const char* what) {
  const json& value = object.at(name);
  const bool numberOk =
      type == json::value_t::number_unsigned &&
      (value.is_number_unsigned() || (value.is_number_integer() && value.get<long long>() >= 0));
  if (value.type() != type && !numberOk) {
    throw std::invalid_argument(std::string("\"") + name + "\" must be " + what);
  }
  return value;
}

void requireObject(const json& value, const char* what) {
  if (!value.is_object()) throw std::invalid_argument(std::string(what) + " must be an object");
}

std::array<double, 3> numbers3(const json& value, const char* what) {
  if (!value.is_array() || value.size() != 3 ||
      !std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_number(); })) {
    throw std::invalid_argument(std::string("\"geometry\" member \"") + what +
                                "\" must be three numbers");
  }
  return {value[0].get<double>(), value[1].get<double>(), value[2].get<double>()};
}

}  // namespace

json geometryToJson(const ImageGeometry& g) {
  json direction = json::array();
  for (const auto& row : g.direction) direction.push_back({row[0], row[1], row[2]});
  return {{"size", {g.size[0], g.size[1], g.size[2]}},
          {"origin", {g.origin[0], g.origin[1], g.origin[2]}},
          {"spacing", {g.spacing[0], g.spacing[1], g.spacing[2]}},
          {"direction", direction}};
}

ImageGeometry geometryFromJson(const json& object) {
  if (!object.is_object() || !object.contains("size") || !object.contains("origin") ||
      !object.contains("spacing") || !object.contains("direction")) {
    throw std::invalid_argument("\"geometry\" must hold size, origin, spacing and direction");
  }
  ImageGeometry g;
  const json& size = object["size"];
  if (!size.is_array() || size.size() != 3 ||
      !std::all_of(size.begin(), size.end(),
                   [](const json& v) { return v.is_number_unsigned(); })) {
    throw std::invalid_argument("\"geometry\" member \"size\" must be three non-negative integers");
  }
  for (int a = 0; a < 3; ++a) g.size[a] = size[a].get<std::size_t>();
  g.origin = numbers3(object["origin"], "origin");
  g.spacing = numbers3(object["spacing"], "spacing");
  const json& direction = object["direction"];
  if (!direction.is_array() || direction.size() != 3) {
    throw std::invalid_argument(
        "\"geometry\" member \"direction\" must be three rows of three numbers");
  }
  for (int r = 0; r < 3; ++r) g.direction[r] = numbers3(direction[r], "direction");
  return g;
}

std::string_view segmentStatusName(SegmentStatus status) {
  switch (status) {
    case SegmentStatus::NotStarted:
      return "not_started";
    case SegmentStatus::InProgress:
      return "in_progress";
    case SegmentStatus::Completed:
      return "completed";
    case SegmentStatus::Flagged:
      return "flagged";
  }
  return "not_started";
}

std::optional<SegmentStatus> segmentStatusFromName(std::string_view name) {
  for (SegmentStatus status : {SegmentStatus::NotStarted, SegmentStatus::InProgress,
                               SegmentStatus::Completed, SegmentStatus::Flagged}) {
    if (segmentStatusName(status) == name) return status;
  }
  return std::nullopt;
}

json conceptToJson(const CodedConcept& coded) {
  return {{"value", coded.value}, {"scheme", coded.scheme}, {"meaning", coded.meaning}};
}

CodedConcept conceptFromJson(const json& object) {
  requireObject(object, "a coded concept");
  CodedConcept coded;
  if (object.contains("value")) {
    coded.value = member(object, "value", json::value_t::string, "a string").get<std::string>();
  }
  if (object.contains("scheme")) {
    coded.scheme = member(object, "scheme", json::value_t::string, "a string").get<std::string>();
  }
  if (object.contains("meaning")) {
    coded.meaning = member(object, "meaning", json::value_t::string, "a string").get<std::string>();
  }
  if (!coded.value.empty() && coded.scheme.empty()) {
    throw std::invalid_argument("coded concept " + coded.value + " has no \"scheme\"");
  }
  return coded;
}

json terminologyToJson(const SegmentTerminology& t) {
  json out = json::object();
  auto put = [&](const char* name, const CodedConcept& c) {
    if (!c.empty()) out[name] = conceptToJson(c);
  };
  put("category", t.category);
  put("type", t.type);
  put("type_modifier", t.typeModifier);
  put("anatomic_region", t.anatomicRegion);
  put("anatomic_region_modifier", t.anatomicRegionModifier);
  return out;
}

SegmentTerminology terminologyFromJson(const json& object) {
  requireObject(object, "\"terminology\"");
  SegmentTerminology t;
  auto get = [&](const char* name, CodedConcept& c) {
    if (object.contains(name)) c = conceptFromJson(object.at(name));
  };
  get("category", t.category);
  get("type", t.type);
  get("type_modifier", t.typeModifier);
  get("anatomic_region", t.anatomicRegion);
  get("anatomic_region_modifier", t.anatomicRegionModifier);
  return t;
}

json segmentToJson(const Segment& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"color", {s.color[0], s.color[1], s.color[2]}},
          {"label_value", s.labelValue},
          {"terminology", terminologyToJson(s.terminology)},
          {"status", std::string(segmentStatusName(s.status))},
          {"locked", s.locked},
          {"visible", s.visible}};
}

void updateSegmentFromJson(const json& object, Segment& s) {
  requireObject(object, "a segment");
  if (object.contains("id")) {
    s.id = member(object, "id", json::value_t::number_unsigned, "a non-negative integer")
               .get<SegmentId>();
  }
  if (object.contains("name")) {
    s.name = member(object, "name", json::value_t::string, "a string").get<std::string>();
  }
  if (object.contains("color")) {
    const json& c = object.at("color");
    if (!c.is_array() || c.size() != 3) {
      throw std::invalid_argument("\"color\" must be three integers 0..255");
    }
    for (std::size_t n = 0; n < 3; ++n) {
      if (!c[n].is_number_integer() || c[n].get<long long>() < 0 || c[n].get<long long>() > 255) {
        throw std::invalid_argument("\"color\" must be three integers 0..255");
      }
      s.color[n] = static_cast<std::uint8_t>(c[n].get<int>());
    }
  }
  if (object.contains("label_value")) {
    const json& v = object.at("label_value");
    if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > 65535) {
      throw std::invalid_argument("\"label_value\" must be an integer 1..65535");
    }
    s.labelValue = static_cast<std::uint16_t>(v.get<int>());
  }
  if (object.contains("terminology")) s.terminology = terminologyFromJson(object.at("terminology"));
  if (object.contains("status")) {
    const std::string name =
        member(object, "status", json::value_t::string, "a string").get<std::string>();
    const auto status = segmentStatusFromName(name);
    if (!status) {
      throw std::invalid_argument("unknown segment status \"" + name +
                                  "\" (not_started, in_progress, completed, flagged)");
    }
    s.status = *status;
  }
  if (object.contains("locked")) {
    s.locked = member(object, "locked", json::value_t::boolean, "true or false").get<bool>();
  }
  if (object.contains("visible")) {
    s.visible = member(object, "visible", json::value_t::boolean, "true or false").get<bool>();
  }
}

namespace {

constexpr SliceOrientation kFamilies[] = {SliceOrientation::Axial, SliceOrientation::Coronal,
                                          SliceOrientation::Sagittal};
constexpr SliceSource kSources[] = {SliceSource::Drawn, SliceSource::Interpolated,
                                    SliceSource::Propagated};

}  // namespace

json provenanceToJson(const SliceProvenance& provenance) {
  json out = json::object();
  for (SliceOrientation o : kFamilies) {
    json family = json::object();
    for (SliceSource source : kSources) {
      const auto slices = provenance.slicesWith(o, source);
      if (!slices.empty()) family[std::string(sliceSourceName(source))] = slices;
    }
    if (!family.empty()) out[std::string(orientationName(o))] = std::move(family);
  }
  return out;
}

SliceProvenance provenanceFromJson(const json& object, const std::array<std::size_t, 3>& size) {
  requireObject(object, "\"provenance\"");
  SliceProvenance provenance(size);
  for (const auto& [familyName, family] : object.items()) {
    std::optional<SliceOrientation> orientation;
    for (SliceOrientation o : kFamilies) {
      if (orientationName(o) == familyName) orientation = o;
    }
    if (!orientation) {
      throw std::invalid_argument("unknown slice family \"" + familyName +
                                  "\" in \"provenance\" (axial, coronal, sagittal)");
    }
    requireObject(family, "a provenance family");
    for (const auto& [sourceName, slices] : family.items()) {
      const auto source = sliceSourceFromName(sourceName);
      if (!source || !slices.is_array()) {
        throw std::invalid_argument("\"provenance\" " + familyName + ": \"" + sourceName +
                                    "\" must be drawn, interpolated or propagated with a list");
      }
      for (const json& slice : slices) {
        if (!slice.is_number_unsigned() ||
            slice.get<std::size_t>() >= provenance.sliceCount(*orientation)) {
          throw std::invalid_argument("\"provenance\" " + familyName + " names slice " +
                                      slice.dump() + ", outside the grid");
        }
        provenance.set(*orientation, slice.get<std::size_t>(), *source);
      }
    }
  }
  return provenance;
}

}  // namespace annotrace
