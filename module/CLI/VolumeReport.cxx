#include "VolumeReport.h"

#include <cstdio>
#include <sstream>

namespace annotrace::cli {

namespace {

nlohmann::ordered_json vec(const Vec3& v) {
  return {v[0], v[1], v[2]};
}

std::string fixed(double v, int decimals = 4) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
  std::string s = buffer;
  // Trim trailing zeros but keep one decimal, so 2.5 prints as 2.5 and 3 as 3.0.
  while (s.size() > 2 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s == "-0.0" ? "0.0" : s;
}

std::string triple(const Vec3& v, int decimals = 4) {
  return "(" + fixed(v[0], decimals) + ", " + fixed(v[1], decimals) + ", " + fixed(v[2], decimals) +
         ")";
}

}  // namespace

nlohmann::ordered_json VolumeReport::toJson(const Volume& volume) {
  const ImageGeometry& g = volume.geometry();
  nlohmann::ordered_json direction = nlohmann::ordered_json::array();
  for (const auto& row : g.direction) direction.push_back(vec(row));
  const auto bounds = g.worldBounds();
  const auto [lo, hi] = volume.valueRange();
  const WindowLevel window = volume.defaultWindow();
  const SeriesIdentity& id = volume.identity;

  nlohmann::ordered_json warnings = nlohmann::ordered_json::array();
  for (const auto& w : volume.warnings) {
    warnings.push_back({{"code", std::string(warningCodeName(w.code))}, {"message", w.message}});
  }
  nlohmann::ordered_json windows = nlohmann::ordered_json::array();
  for (const auto& w : volume.windowsFromFile) {
    windows.push_back({{"name", w.name}, {"width", w.width}, {"center", w.center}});
  }
  nlohmann::ordered_json frames = nlohmann::ordered_json::array();
  for (const auto& f : volume.sourceFrames) {
    frames.push_back({{"sopInstanceUid", f.sopInstanceUid},
                      {"sopClassUid", f.sopClassUid},
                      {"frameNumber", f.frameNumber},
                      {"file", f.filePath}});
  }
  return {
      {"source", volume.sourceDescription},
      {"coordinateSystem", "LPS"},
      {"size", {g.size[0], g.size[1], g.size[2]}},
      {"spacing", vec(g.spacing)},
      {"origin", vec(g.origin)},
      {"direction", direction},
      {"orientation", g.orientationCode()},
      {"indexToWorld", g.indexToWorldMatrix()},
      {"worldBounds", {{"min", vec(bounds[0])}, {"max", vec(bounds[1])}}},
      {"voxelType", volume.isInt16() ? "int16" : "float32"},
      {"valueRange", {lo, hi}},
      {"units", volume.units},
      {"defaultWindow",
       {{"name", window.name}, {"width", window.width}, {"center", window.center}}},
      {"windowsFromFile", windows},
      {"identity",
       {{"patientName", id.patientName},
        {"patientId", id.patientId},
        {"patientBirthDate", id.patientBirthDate},
        {"patientSex", id.patientSex},
        {"studyInstanceUid", id.studyInstanceUid},
        {"studyId", id.studyId},
        {"studyDate", id.studyDate},
        {"studyTime", id.studyTime},
        {"studyDescription", id.studyDescription},
        {"accessionNumber", id.accessionNumber},
        {"seriesInstanceUid", id.seriesInstanceUid},
        {"seriesNumber", id.seriesNumber},
        {"seriesDescription", id.seriesDescription},
        {"frameOfReferenceUid", id.frameOfReferenceUid},
        {"modality", id.modality},
        {"manufacturer", id.manufacturer},
        {"manufacturerModelName", id.manufacturerModelName},
        {"bodyPartExamined", id.bodyPartExamined}}},
      {"sourceFrameCount", volume.sourceFrames.size()},
      {"sourceFrames", frames},
      {"warnings", warnings},
  };
}

std::string VolumeReport::toText(const Volume& volume) {
  const ImageGeometry& g = volume.geometry();
  const SeriesIdentity& id = volume.identity;
  const auto bounds = g.worldBounds();
  const auto [lo, hi] = volume.valueRange();
  const WindowLevel window = volume.defaultWindow();
  std::ostringstream out;
  auto line = [&](const char* label, const std::string& value) {
    if (value.empty()) return;
    char padded[32];
    std::snprintf(padded, sizeof padded, "%-22s", label);
    out << padded << value << "\n";
  };
  line("Source", volume.sourceDescription);
  line("Patient", id.patientName.empty() && id.patientId.empty()
                      ? ""
                      : id.patientName + " (ID " + id.patientId + ")");
  line("Study",
       id.studyDescription.empty() ? id.studyDate : id.studyDescription + ", " + id.studyDate);
  line("Series",
       (id.seriesNumber.empty() ? "" : "#" + id.seriesNumber + " ") + id.seriesDescription);
  line("Modality", id.modality);
  line("Manufacturer",
       id.manufacturer.empty() ? "" : id.manufacturer + " " + id.manufacturerModelName);
  line("Size (voxels)", std::to_string(g.size[0]) + " x " + std::to_string(g.size[1]) + " x " +
                            std::to_string(g.size[2]));
  line("Spacing (mm)", triple(g.spacing, 6));
  line("Origin (LPS mm)", triple(g.origin, 4));
  line("Direction", triple(column(g.direction, 0), 6) + " i");
  line("", triple(column(g.direction, 1), 6) + " j");
  line("", triple(column(g.direction, 2), 6) + " k");
  line("Orientation", g.orientationCode() + " (index axes i, j, k point towards these)");
  line("World bounds (LPS mm)", triple(bounds[0], 2) + " to " + triple(bounds[1], 2));
  line("Voxel type", volume.isInt16() ? "int16" : "float32");
  line("Value range",
       fixed(lo, 4) + " to " + fixed(hi, 4) + (volume.units.empty() ? "" : " " + volume.units));
  line("Default window",
       window.name + ": width " + fixed(window.width, 2) + ", centre " + fixed(window.center, 2));
  line("Source frames",
       volume.sourceFrames.empty() ? "" : std::to_string(volume.sourceFrames.size()));
  line("Study UID", id.studyInstanceUid);
  line("Series UID", id.seriesInstanceUid);
  line("Frame of reference", id.frameOfReferenceUid);
  if (volume.warnings.empty()) {
    out << "No warnings.\n";
  } else {
    out << "Warnings:\n";
    for (const auto& w : volume.warnings) {
      out << "  [" << warningCodeName(w.code) << "] " << w.message << "\n";
    }
  }
  return out.str();
}

}  // namespace annotrace::cli
