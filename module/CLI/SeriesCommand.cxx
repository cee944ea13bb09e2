#include "SeriesCommand.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "CommandLine.h"
#include "ExitCodes.h"
#include "IO/DicomFolderScanner.h"
#include "ProgressPrinter.h"

namespace annotrace::cli {

namespace {

// Median step between neighbouring frames along the slice normal (frames arrive sorted);
// 0 when there is a single frame or no positions.
double medianSliceStep(const DicomSeries& series) {
  const auto& frames = series.frames;
  if (frames.size() < 2 || !frames.front().hasPosition) return 0;
  const Vec3 normal = frames.front().sliceNormal();
  std::vector<double> steps;
  for (std::size_t k = 1; k < frames.size(); ++k) {
    steps.push_back(std::abs(dot(frames[k].position - frames[k - 1].position, normal)));
  }
  std::nth_element(steps.begin(), steps.begin() + steps.size() / 2, steps.end());
  return steps[steps.size() / 2];
}

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", v);
  return buffer;
}

std::string dimensions(const DicomSeries& s) {
  if (s.frames.empty()) return "-";
  return std::to_string(s.frames.front().columns) + "x" + std::to_string(s.frames.front().rows) +
         "x" + std::to_string(s.frames.size());
}

std::string spacing(const DicomSeries& s) {
  if (s.frames.empty() || !s.frames.front().hasPixelSpacing) return "-";
  const auto& f = s.frames.front();
  const double step = medianSliceStep(s);
  return number(f.columnSpacing) + "x" + number(f.rowSpacing) + "x" +
         (step > 0 ? number(step) : "-");
}

std::string fit(std::string text, std::size_t width) {
  if (text.size() > width) text = text.substr(0, width - 1) + "~";
  return text;
}

nlohmann::ordered_json seriesJson(const DicomSeries& s) {
  nlohmann::ordered_json warnings = nlohmann::ordered_json::array();
  for (const auto& w : s.warnings) {
    warnings.push_back({{"code", std::string(warningCodeName(w.code))}, {"message", w.message}});
  }
  nlohmann::ordered_json j = {
      {"id", s.id},
      {"kind", std::string(seriesKindName(s.kind))},
      {"modality", s.identity.modality},
      {"seriesDescription", s.identity.seriesDescription},
      {"seriesNumber", s.identity.seriesNumber},
      {"seriesInstanceUid", s.identity.seriesInstanceUid},
      {"studyInstanceUid", s.identity.studyInstanceUid},
      {"frameOfReferenceUid", s.identity.frameOfReferenceUid},
      {"patientId", s.identity.patientId},
      {"sopClassUid", s.sopClassUid},
      {"splitReason", s.splitReason},
      {"sliceCount", s.sliceCount()},
      {"fileCount", s.files.size()},
      {"warnings", warnings},
  };
  if (!s.frames.empty()) {
    const auto& f = s.frames.front();
    j["columns"] = f.columns;
    j["rows"] = f.rows;
    if (f.hasPixelSpacing) j["pixelSpacing"] = {f.rowSpacing, f.columnSpacing};
    if (const double step = medianSliceStep(s); step > 0) j["sliceSpacing"] = step;
    j["imageOrientationPatient"] = {f.rowDirection[0],    f.rowDirection[1],
                                    f.rowDirection[2],    f.columnDirection[0],
                                    f.columnDirection[1], f.columnDirection[2]};
  }
  return j;
}

// The scanner's reasons may start with the path itself; the table already shows it.
std::string reasonWithoutPath(const std::filesystem::path& path, const std::string& reason) {
  const std::string prefix = path.string() + ": ";
  return reason.rfind(prefix, 0) == 0 ? reason.substr(prefix.size()) : reason;
}

void printTable(const DicomScanResult& result) {
  int idWidth = 2;
  for (const DicomSeries& s : result.series) idWidth = std::max(idWidth, int(s.id.size()));
  std::printf("%-3s %-*s %-11s %-4s %-26s %-13s %-20s %s\n", "#", idWidth, "ID", "KIND", "MOD",
              "DESCRIPTION", "SIZE", "SPACING (mm)", "WARNINGS");
  int row = 0;
  for (const DicomSeries& s : result.series) {
    std::string codes;
    for (const auto& w : s.warnings) {
      const std::string code(warningCodeName(w.code));
      if (codes.find(code) == std::string::npos) codes += (codes.empty() ? "" : ",") + code;
    }
    std::printf("%-3d %-*s %-11s %-4s %-26s %-13s %-20s %s\n", ++row, idWidth, s.id.c_str(),
                std::string(seriesKindName(s.kind)).c_str(), fit(s.identity.modality, 4).c_str(),
                fit(s.identity.seriesDescription, 26).c_str(), dimensions(s).c_str(),
                spacing(s).c_str(), codes.empty() ? "-" : codes.c_str());
  }
  std::printf("\n%zu series in %zu files", result.series.size(), result.filesExamined);
  std::printf(result.unreadableFiles.empty() ? ".\n" : "; %zu file(s) unreadable.\n",
              result.unreadableFiles.size());

  bool header = false;
  row = 0;
  for (const DicomSeries& s : result.series) {
    ++row;
    for (const auto& w : s.warnings) {
      if (!header) std::printf("\nWarnings:\n");
      header = true;
      std::printf("  #%d %s: %s\n", row, std::string(warningCodeName(w.code)).c_str(),
                  w.message.c_str());
    }
  }
  if (!result.unreadableFiles.empty()) {
    std::printf("\nUnreadable files:\n");
    const std::size_t shown = std::min<std::size_t>(result.unreadableFiles.size(), 10);
    for (std::size_t n = 0; n < shown; ++n) {
      std::printf(
          "  %s: %s\n", result.unreadableFiles[n].first.string().c_str(),
          reasonWithoutPath(result.unreadableFiles[n].first, result.unreadableFiles[n].second)
              .c_str());
    }
    if (shown < result.unreadableFiles.size()) {
      std::printf("  ... and %zu more (see --json)\n", result.unreadableFiles.size() - shown);
    }
  }
}

}  // namespace

int SeriesCommand::run(const std::vector<std::string>& arguments) {
  const CommandLine line(arguments, {"--json"}, {});
  if (line.positional().empty()) throw UsageError("series needs a DICOM folder or files");
  std::vector<std::filesystem::path> paths(line.positional().begin(), line.positional().end());
  DicomScanResult result;
  {
    ProgressPrinter printer;
    result = DicomFolderScanner::scan(paths, &printer.progress());
    printer.progress().throwIfCancelled();
  }
  if (line.has("--json")) {
    nlohmann::ordered_json series = nlohmann::ordered_json::array();
    for (const DicomSeries& s : result.series) series.push_back(seriesJson(s));
    nlohmann::ordered_json unreadable = nlohmann::ordered_json::array();
    for (const auto& [path, reason] : result.unreadableFiles) {
      unreadable.push_back({{"file", path.string()}, {"reason", reasonWithoutPath(path, reason)}});
    }
    const nlohmann::ordered_json out = {{"filesExamined", result.filesExamined},
                                        {"series", series},
                                        {"unreadableFileCount", result.unreadableFiles.size()},
                                        {"unreadableFiles", unreadable}};
    std::cout << out.dump(2) << "\n";
  } else {
    printTable(result);
  }
  return kExitOk;
}

}  // namespace annotrace::cli
