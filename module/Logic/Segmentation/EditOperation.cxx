#include "Segmentation/EditOperation.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace annotrace {

namespace {

using nlohmann::json;

struct ToolName {
  EditTool tool;
  const char* name;
};
constexpr ToolName kTools[] = {
    {EditTool::Polygon, "polygon"},
    {EditTool::Freehand, "freehand"},
    {EditTool::Brush, "brush"},
    {EditTool::Eraser, "eraser"},
    {EditTool::Scissors, "scissors"},
    {EditTool::Fill, "fill"},
    {EditTool::Interpolate, "interpolate"},
    {EditTool::Propagate, "propagate"},
    {EditTool::AddSegment, "add_segment"},
    {EditTool::RemoveSegment, "remove_segment"},
    {EditTool::UpdateSegment, "update_segment"},
    {EditTool::Undo, "undo"},
    {EditTool::Redo, "redo"},
};

constexpr std::pair<ScissorsAction, const char*> kScissors[] = {
    {ScissorsAction::FillInside, "fill_inside"},
    {ScissorsAction::EraseInside, "erase_inside"},
    {ScissorsAction::FillOutside, "fill_outside"},
    {ScissorsAction::EraseOutside, "erase_outside"},
};

[[noreturn]] void bad(const std::string& message) {
  throw std::invalid_argument(message);
}

std::string text(const json& op, const char* name) {
  const json& v = op.at(name);
  if (!v.is_string()) bad(std::string("\"") + name + "\" must be a string");
  return v.get<std::string>();
}

double number(const json& v, const char* name) {
  if (!v.is_number()) bad(std::string("\"") + name + "\" must be a number");
  const double x = v.get<double>();
  if (!std::isfinite(x)) bad(std::string("\"") + name + "\" must be finite");
  return x;
}

std::size_t index(const json& v, const char* name) {
  if (!v.is_number_integer() || v.get<long long>() < 0) {
    bad(std::string("\"") + name + "\" must be a non-negative integer");
  }
  return v.get<std::size_t>();
}

bool needsSegment(EditTool tool) {
  return tool != EditTool::AddSegment && tool != EditTool::Undo && tool != EditTool::Redo &&
         tool != EditTool::Interpolate;
}

SliceOrientation planeOf(const json& op) {
  if (!op.contains("plane")) return SliceOrientation::Axial;
  const std::string plane = text(op, "plane");
  if (plane == "axial") return SliceOrientation::Axial;
  if (plane == "coronal") return SliceOrientation::Coronal;
  if (plane == "sagittal") return SliceOrientation::Sagittal;
  bad("unknown plane \"" + plane + "\" (axial, coronal, sagittal)");
}

bool drawsOnSlice(EditTool tool) {
  return tool == EditTool::Polygon || tool == EditTool::Freehand || tool == EditTool::Brush ||
         tool == EditTool::Eraser || tool == EditTool::Scissors || tool == EditTool::Fill;
}

}  // namespace

std::string_view editToolName(EditTool tool) {
  for (const ToolName& t : kTools) {
    if (t.tool == tool) return t.name;
  }
  return "unknown";
}

EditOperation EditOperation::fromJson(const json& op) {
  if (!op.is_object()) bad("an operation must be a JSON object");
  if (!op.contains("tool")) bad("missing \"tool\"");
  EditOperation out;
  const std::string toolName = text(op, "tool");
  bool known = false;
  for (const ToolName& t : kTools) {
    if (toolName == t.name) {
      out.tool = t.tool;
      known = true;
    }
  }
  if (!known) {
    bad("unknown tool \"" + toolName +
        "\" (polygon, freehand, brush, eraser, scissors, fill, interpolate, propagate, "
        "add_segment, remove_segment, update_segment, undo, redo)");
  }
  if (needsSegment(out.tool)) {
    if (!op.contains("segment")) bad("\"" + toolName + "\" needs \"segment\" (a segment name)");
    out.segment = text(op, "segment");
  }
  if (out.tool == EditTool::AddSegment || out.tool == EditTool::UpdateSegment) {
    const char* key = out.tool == EditTool::AddSegment ? "segment" : "changes";
    if (out.tool == EditTool::AddSegment && op.contains("segment") &&
        op.at("segment").is_string()) {
      out.segmentFields = json{{"name", op.at("segment")}};
    } else if (op.contains(key)) {
      if (!op.at(key).is_object()) bad(std::string("\"") + key + "\" must be an object");
      out.segmentFields = op.at(key);
    } else if (out.tool == EditTool::UpdateSegment) {
      bad("\"update_segment\" needs \"changes\" (the segment members to change)");
    } else {
      out.segmentFields = json::object();
    }
  }
  if (out.tool == EditTool::Interpolate) {
    out.plane = planeOf(op);
    if (op.contains("segments")) {
      const json& list = op.at("segments");
      if (!list.is_array()) bad("\"segments\" must be a list of segment names");
      for (const json& name : list) {
        if (!name.is_string()) bad("\"segments\" must be a list of segment names");
        out.segments.push_back(name.get<std::string>());
      }
    }
    if (op.contains("key_slices")) {
      const json& list = op.at("key_slices");
      if (!list.is_array()) bad("\"key_slices\" must be a list of slice indices");
      for (const json& k : list) out.keySlices.push_back(index(k, "key_slices"));
    }
    if (op.contains("follow_image")) {
      if (!op.at("follow_image").is_boolean()) bad("\"follow_image\" must be true or false");
      out.followImage = op.at("follow_image").get<bool>();
    }
    return out;
  }
  if (out.tool == EditTool::Propagate) {
    out.plane = planeOf(op);
    if (!op.contains("slice")) bad("\"propagate\" needs \"slice\" (the slice to start from)");
    out.slice = index(op.at("slice"), "slice");
    if (op.contains("max_slices")) out.maxSlices = index(op.at("max_slices"), "max_slices");
    if (op.contains("direction")) {
      const std::string direction = text(op, "direction");
      if (direction != "both" && direction != "forward" && direction != "backward") {
        bad("\"direction\" must be \"both\", \"forward\" or \"backward\"");
      }
      out.forward = direction != "backward";
      out.backward = direction != "forward";
    }
    return out;
  }
  if (!drawsOnSlice(out.tool)) return out;

  out.plane = planeOf(op);
  if (op.contains("slice")) out.slice = index(op.at("slice"), "slice");
  if (!op.contains("points")) bad("\"" + toolName + "\" needs \"points\" ([[x, y, z], ...] in mm)");
  const json& points = op.at("points");
  if (!points.is_array()) bad("\"points\" must be an array of [x, y, z] in mm");
  for (const json& p : points) {
    if (!p.is_array() || p.size() != 3) bad("each point must be [x, y, z] in mm");
    out.points.push_back({number(p[0], "points"), number(p[1], "points"), number(p[2], "points")});
  }
  const std::size_t minimum = (out.tool == EditTool::Polygon || out.tool == EditTool::Freehand ||
                               out.tool == EditTool::Scissors)
                                  ? 3
                                  : 1;
  if (out.points.size() < minimum &&
      !(out.tool == EditTool::Fill && op.value("mode", "") == "holes")) {
    bad("\"" + toolName + "\" needs at least " + std::to_string(minimum) + " point" +
        (minimum > 1 ? "s" : ""));
  }

  if (out.tool == EditTool::Brush || out.tool == EditTool::Eraser) {
    if (!op.contains("radius_mm")) bad("\"" + toolName + "\" needs \"radius_mm\"");
    out.radiusMm = number(op.at("radius_mm"), "radius_mm");
    if (out.radiusMm <= 0) bad("\"radius_mm\" must be positive");
    if (op.contains("shape")) {
      const std::string shape = text(op, "shape");
      if (shape == "circle")
        out.shape = BrushShape::Circle;
      else if (shape == "sphere")
        out.shape = BrushShape::Sphere;
      else
        bad("unknown brush shape \"" + shape + "\" (circle, sphere)");
    }
    out.erase = out.tool == EditTool::Eraser;
  }
  if (out.tool == EditTool::Polygon || out.tool == EditTool::Freehand) {
    if (op.contains("mode")) {
      const std::string mode = text(op, "mode");
      if (mode != "paint" && mode != "erase") bad("\"mode\" must be \"paint\" or \"erase\"");
      out.erase = mode == "erase";
    }
  }
  if (out.tool == EditTool::Fill && op.contains("mode")) {
    const std::string mode = text(op, "mode");
    if (mode == "seed")
      out.fill = FillMode::Seed;
    else if (mode == "holes")
      out.fill = FillMode::Holes;
    else if (mode == "erase_island") {
      out.fill = FillMode::Seed;
      out.erase = true;
    } else
      bad("unknown fill mode \"" + mode + "\" (seed, holes, erase_island)");
  }
  if (out.tool == EditTool::Scissors) {
    if (op.contains("action")) {
      const std::string action = text(op, "action");
      bool found = false;
      for (const auto& [value, name] : kScissors) {
        if (action == name) {
          out.scissors = value;
          found = true;
        }
      }
      if (!found) {
        bad("unknown scissors action \"" + action +
            "\" (fill_inside, erase_inside, fill_outside, erase_outside)");
      }
    }
    if (op.contains("slab")) {
      const json& slab = op.at("slab");
      if (slab.is_string() && slab.get<std::string>() == "all") {
        out.wholeVolume = true;
      } else if (slab.is_array() && slab.size() == 2) {
        out.slab = std::pair{index(slab[0], "slab"), index(slab[1], "slab")};
        if (out.slab->first > out.slab->second)
          bad("\"slab\" must be [first, last] with first <= last");
      } else {
        bad("\"slab\" must be [first, last] or \"all\"");
      }
    }
  }

  if (op.contains("intensity_range")) {
    const json& range = op.at("intensity_range");
    if (!range.is_array() || range.size() != 2) bad("\"intensity_range\" must be [min, max]");
    out.constraints.intensityRange =
        IntensityRange{number(range[0], "intensity_range"), number(range[1], "intensity_range")};
    if (out.constraints.intensityRange->min > out.constraints.intensityRange->max) {
      bad("\"intensity_range\" must be [min, max] with min <= max");
    }
  }
  if (op.contains("editable_area")) {
    const json& area = op.at("editable_area");
    if (area.is_string() && area.get<std::string>() == "everywhere") {
      out.constraints.editableArea.kind = EditableArea::Kind::Everywhere;
    } else if (area.is_string() && area.get<std::string>() == "outside_all_segments") {
      out.constraints.editableArea.kind = EditableArea::Kind::OutsideAllSegments;
    } else if (area.is_object() && area.contains("inside_segment") &&
               area.at("inside_segment").is_string()) {
      out.constraints.editableArea.kind = EditableArea::Kind::InsideSegment;
      out.constraints.editableArea.segment = area.at("inside_segment").get<std::string>();
    } else {
      bad("\"editable_area\" must be \"everywhere\", \"outside_all_segments\" or "
          "{\"inside_segment\": NAME}");
    }
  }
  if (op.contains("overlap")) {
    const std::string overlap = text(op, "overlap");
    if (overlap == "overwrite")
      out.constraints.overlap = OverlapPolicy::Overwrite;
    else if (overlap == "allow")
      out.constraints.overlap = OverlapPolicy::Allow;
    else
      bad("\"overlap\" must be \"overwrite\" or \"allow\"");
  }
  return out;
}

json EditOperation::toJson() const {
  json op{{"tool", std::string(editToolName(tool))}};
  if (tool == EditTool::Undo || tool == EditTool::Redo) return op;
  if (tool == EditTool::AddSegment) {
    op["segment"] = segmentFields;
    return op;
  }
  if (tool == EditTool::Interpolate) {
    op["plane"] = std::string(orientationName(plane));
    if (!segments.empty()) op["segments"] = segments;
    if (!keySlices.empty()) op["key_slices"] = keySlices;
    op["follow_image"] = followImage;
    return op;
  }
  op["segment"] = segment;
  if (tool == EditTool::Propagate) {
    op["plane"] = std::string(orientationName(plane));
    op["slice"] = slice.value_or(0);
    op["max_slices"] = maxSlices;
    op["direction"] = forward && backward ? "both" : forward ? "forward" : "backward";
    return op;
  }
  if (tool == EditTool::RemoveSegment) return op;
  if (tool == EditTool::UpdateSegment) {
    op["changes"] = segmentFields;
    return op;
  }
  op["plane"] = std::string(orientationName(plane));
  if (slice) op["slice"] = *slice;
  json points = json::array();
  for (const Vec3& p : this->points) points.push_back({p[0], p[1], p[2]});
  op["points"] = std::move(points);
  switch (tool) {
    case EditTool::Brush:
    case EditTool::Eraser:
      op["radius_mm"] = radiusMm;
      op["shape"] = shape == BrushShape::Sphere ? "sphere" : "circle";
      break;
    case EditTool::Polygon:
    case EditTool::Freehand:
      op["mode"] = erase ? "erase" : "paint";
      break;
    case EditTool::Fill:
      op["mode"] = fill == FillMode::Holes ? "holes" : erase ? "erase_island" : "seed";
      break;
    case EditTool::Scissors:
      for (const auto& [value, name] : kScissors) {
        if (value == scissors) op["action"] = name;
      }
      if (wholeVolume)
        op["slab"] = "all";
      else if (slab)
        op["slab"] = {slab->first, slab->second};
      break;
    default:
      break;
  }
  if (constraints.intensityRange) {
    op["intensity_range"] = {constraints.intensityRange->min, constraints.intensityRange->max};
  }
  switch (constraints.editableArea.kind) {
    case EditableArea::Kind::Everywhere:
      op["editable_area"] = "everywhere";
      break;
    case EditableArea::Kind::OutsideAllSegments:
      op["editable_area"] = "outside_all_segments";
      break;
    case EditableArea::Kind::InsideSegment:
      op["editable_area"] = {{"inside_segment", constraints.editableArea.segment}};
      break;
  }
  op["overlap"] = constraints.overlap == OverlapPolicy::Allow ? "allow" : "overwrite";
  return op;
}

}  // namespace annotrace
