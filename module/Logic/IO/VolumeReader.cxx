#include "IO/VolumeReader.h"

#include <stdexcept>

#include "IO/DicomFolderScanner.h"
#include "IO/VolumeFileIO.h"

namespace annotrace {

namespace {

std::string listOfStacks(const std::vector<const DicomSeries*>& stacks) {
  std::string text;
  for (const DicomSeries* s : stacks) {
    text += "\n  " + s->id + "  " + s->identity.modality + "  " + std::to_string(s->sliceCount()) +
            " slices  " + s->identity.seriesDescription;
  }
  return text;
}

}  // namespace

Volume VolumeReader::read(const std::filesystem::path& path, const Options& options,
                          const Progress* progress) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw std::runtime_error(path.string() + ": no such file or folder");
  }
  if (std::filesystem::is_regular_file(path, ec) && VolumeFileIO::isSupportedFile(path)) {
    return VolumeFileIO::read(path);
  }

  const DicomScanResult scan = DicomFolderScanner::scan(path, progress);
  std::vector<const DicomSeries*> candidates;
  for (const DicomSeries& s : scan.series) {
    const bool loadable = s.kind == DicomSeriesKind::Image || s.kind == DicomSeriesKind::Localizer;
    if (!loadable) continue;
    if (options.seriesId.empty() ? s.kind == DicomSeriesKind::Image : s.id == options.seriesId) {
      candidates.push_back(&s);
    }
  }
  if (!options.seriesId.empty() && candidates.empty()) {
    // Allow a unique prefix of the id.
    for (const DicomSeries& s : scan.series) {
      if (s.id.rfind(options.seriesId, 0) == 0 &&
          (s.kind == DicomSeriesKind::Image || s.kind == DicomSeriesKind::Localizer)) {
        candidates.push_back(&s);
      }
    }
  }
  if (candidates.empty()) {
    std::string why = options.seriesId.empty()
                          ? "no image series found"
                          : "no image series with id '" + options.seriesId + "'";
    if (scan.filesExamined == 0)
      why += " (the folder is empty)";
    else if (scan.series.empty()) {
      why +=
          " (" + std::to_string(scan.unreadableFiles.size()) + " file(s), none readable as DICOM";
      if (!scan.unreadableFiles.empty()) why += "; first: " + scan.unreadableFiles.front().second;
      why += ")";
    } else {
      why += " (" + std::to_string(scan.series.size()) + " series, none of them an image)";
    }
    throw std::runtime_error(path.string() + ": " + why);
  }
  if (candidates.size() > 1) {
    throw AmbiguousSeriesError(
        path.string() + " holds " + std::to_string(candidates.size()) +
        " image stacks; choose one with --series ID:" + listOfStacks(candidates));
  }
  Volume volume = DicomSeriesLoader::load(*candidates.front(), options.dicom, progress);
  if (!scan.unreadableFiles.empty()) {
    volume.warnings.push_back({LoadWarning::Code::UnreadableFiles,
                               std::to_string(scan.unreadableFiles.size()) +
                                   " file(s) in the input are not readable DICOM and were "
                                   "skipped; first: " +
                                   scan.unreadableFiles.front().second});
  }
  return volume;
}

}  // namespace annotrace
