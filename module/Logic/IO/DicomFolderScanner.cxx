#include "IO/DicomFolderScanner.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "IO/DicomFrameReader.h"
#include "IO/ParallelFor.h"
#include "IO/SliceStackGeometry.h"

namespace annotrace {

namespace fs = std::filesystem;

namespace {

constexpr double kOrientationTolerance = 1e-3;  // per direction cosine
constexpr double kDuplicateTolerance = 1e-3;    // mm along the normal

std::vector<fs::path> collectFiles(std::span<const fs::path> paths) {
  std::vector<fs::path> files;
  for (const fs::path& path : paths) {
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) {
      files.push_back(path);
    } else if (fs::is_directory(path, ec)) {
      for (auto it = fs::recursive_directory_iterator(
               path, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec)) files.push_back(it->path());
      }
      if (ec) throw std::runtime_error(path.string() + ": cannot list the folder: " + ec.message());
    } else {
      throw std::runtime_error(path.string() + ": no such file or folder");
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

// The complex component an MR image shows (magnitude, phase, real, imaginary), from its image or
// frame type; other ImageType differences (e.g. GE's "ADD" on some slices) do not split stacks.
std::string imageComponent(const std::string& imageType) {
  static const std::map<std::string, std::string> components = {
      {"M", "magnitude"}, {"MAGNITUDE", "magnitude"},
      {"P", "phase"},     {"PHASE", "phase"},
      {"R", "real"},      {"REAL", "real"},
      {"I", "imaginary"}, {"IMAGINARY", "imaginary"}};
  std::size_t start = 0;
  while (start <= imageType.size()) {
    const std::size_t end = std::min(imageType.find('\\', start), imageType.size());
    if (const auto it = components.find(imageType.substr(start, end - start));
        it != components.end()) {
      return it->second;
    }
    start = end + 1;
  }
  return {};
}

bool sameOrientation(const DicomFrame& a, const DicomFrame& b) {
  for (int i = 0; i < 3; ++i) {
    if (std::abs(a.rowDirection[i] - b.rowDirection[i]) > kOrientationTolerance ||
        std::abs(a.columnDirection[i] - b.columnDirection[i]) > kOrientationTolerance) {
      return false;
    }
  }
  return true;
}

// Frames that can share one volume grid: same orientation, matrix, pixel size, echo, stack.
bool sameStack(const DicomFrame& a, const DicomFrame& b) {
  return sameOrientation(a, b) && a.rows == b.rows && a.columns == b.columns &&
         std::abs(a.rowSpacing - b.rowSpacing) < 1e-4 &&
         std::abs(a.columnSpacing - b.columnSpacing) < 1e-4 && a.echoNumber == b.echoNumber &&
         std::abs(a.echoTime - b.echoTime) < 1e-3 && a.stackId == b.stackId &&
         imageComponent(a.imageType) == imageComponent(b.imageType) &&
         a.samplesPerPixel == b.samplesPerPixel;
}

std::string describeDifference(const DicomFrame& a, const DicomFrame& b) {
  if (!sameOrientation(a, b)) return "orientation";
  if (a.rows != b.rows || a.columns != b.columns) return "matrix size";
  if (std::abs(a.rowSpacing - b.rowSpacing) >= 1e-4 ||
      std::abs(a.columnSpacing - b.columnSpacing) >= 1e-4) {
    return "pixel spacing";
  }
  if (a.echoNumber != b.echoNumber || std::abs(a.echoTime - b.echoTime) >= 1e-3) return "echo";
  if (a.stackId != b.stackId) return "stack";
  if (imageComponent(a.imageType) != imageComponent(b.imageType)) return "image component";
  return "samples per pixel";
}

double positionAlongNormal(const DicomFrame& f, const Vec3& normal) {
  return dot(f.position, normal);
}

void sortAlongNormal(std::vector<DicomFrame>& frames) {
  if (frames.empty()) return;
  const Vec3 normal = frames.front().sliceNormal();
  std::stable_sort(frames.begin(), frames.end(), [&](const DicomFrame& a, const DicomFrame& b) {
    return positionAlongNormal(a, normal) < positionAlongNormal(b, normal);
  });
}

bool hasDuplicatePositions(const std::vector<DicomFrame>& sorted) {
  if (sorted.empty()) return false;
  const Vec3 normal = sorted.front().sliceNormal();
  for (std::size_t k = 1; k < sorted.size(); ++k) {
    if (positionAlongNormal(sorted[k], normal) - positionAlongNormal(sorted[k - 1], normal) <
        kDuplicateTolerance) {
      return true;
    }
  }
  return false;
}

// Splits a stack whose frames repeat positions by the first attribute that separates them
// into duplicate-free stacks (acquisitions, time points); nullopt if none does.
std::optional<std::pair<std::string, std::map<double, std::vector<DicomFrame>>>> splitRepeats(
    const std::vector<DicomFrame>& frames) {
  using Key = double (*)(const DicomFrame&);
  const std::pair<const char*, Key> candidates[] = {
      {"acquisition", [](const DicomFrame& f) { return double(f.acquisitionNumber); }},
      {"temporal position", [](const DicomFrame& f) { return double(f.temporalPosition); }},
      {"trigger time", [](const DicomFrame& f) { return f.triggerTime; }},
  };
  for (const auto& [name, key] : candidates) {
    std::map<double, std::vector<DicomFrame>> groups;
    for (const DicomFrame& f : frames) groups[key(f)].push_back(f);
    if (groups.size() < 2) continue;
    bool clean = true;
    for (auto& [value, group] : groups) {
      sortAlongNormal(group);
      clean = clean && !hasDuplicatePositions(group);
    }
    if (clean) return std::make_pair(std::string(name), std::move(groups));
  }
  return std::nullopt;
}

// Keeps the first frame (lowest Instance Number) at each position.
std::size_t dropDuplicates(std::vector<DicomFrame>& sorted) {
  const Vec3 normal = sorted.front().sliceNormal();
  std::vector<DicomFrame> kept;
  std::size_t dropped = 0;
  for (DicomFrame& f : sorted) {
    if (!kept.empty() && positionAlongNormal(f, normal) - positionAlongNormal(kept.back(), normal) <
                             kDuplicateTolerance) {
      ++dropped;
      if (f.instanceNumber < kept.back().instanceNumber) std::swap(kept.back(), f);
      continue;
    }
    kept.push_back(std::move(f));
  }
  sorted = std::move(kept);
  return dropped;
}

// Splits a sorted stack where one gap is far larger than the usual spacing (e.g. two separate
// slabs in one series), since one regular grid across the gap would be mostly interpolation.
std::vector<std::vector<DicomFrame>> splitAtLargeGaps(std::vector<DicomFrame> sorted) {
  constexpr double kLargeGapFactor = 10.0;
  if (sorted.size() < 3) return {std::move(sorted)};
  const Vec3 normal = sorted.front().sliceNormal();
  std::vector<double> steps;
  for (std::size_t k = 1; k < sorted.size(); ++k) {
    steps.push_back(positionAlongNormal(sorted[k], normal) -
                    positionAlongNormal(sorted[k - 1], normal));
  }
  std::vector<double> ordered = steps;
  std::nth_element(ordered.begin(), ordered.begin() + ordered.size() / 2, ordered.end());
  const double median = ordered[ordered.size() / 2];
  std::vector<std::vector<DicomFrame>> parts(1);
  for (std::size_t k = 0; k < sorted.size(); ++k) {
    if (k > 0 && steps[k - 1] > kLargeGapFactor * median) parts.emplace_back();
    parts.back().push_back(std::move(sorted[k]));
  }
  return parts;
}

struct SeriesGroup {
  SeriesIdentity identity;
  std::string sopClassUid;
  DicomSeriesKind kind = DicomSeriesKind::Image;
  std::vector<fs::path> files;
  std::vector<DicomFrame> frames;
};

DicomSeries makeSeries(const SeriesGroup& group, std::string id, DicomSeriesKind kind,
                       std::vector<DicomFrame> frames) {
  DicomSeries series;
  series.id = std::move(id);
  series.kind = kind;
  series.identity = group.identity;
  series.sopClassUid = group.sopClassUid;
  series.frames = std::move(frames);
  for (const DicomFrame& f : series.frames) series.files.push_back(f.file);
  std::sort(series.files.begin(), series.files.end());
  series.files.erase(std::unique(series.files.begin(), series.files.end()), series.files.end());
  return series;
}

// Splits one series' frames into stacks that each form a volume.
std::vector<DicomSeries> splitIntoStacks(const SeriesGroup& group) {
  std::vector<std::vector<DicomFrame>> stacks;
  std::vector<std::string> reasons;
  for (const DicomFrame& f : group.frames) {
    auto it = std::find_if(stacks.begin(), stacks.end(),
                           [&](const auto& stack) { return sameStack(stack.front(), f); });
    if (it == stacks.end()) {
      if (!stacks.empty()) reasons.push_back(describeDifference(stacks.front().front(), f));
      stacks.push_back({f});
    } else {
      it->push_back(f);
    }
  }
  // The largest stack keeps the plain Series Instance UID.
  std::stable_sort(stacks.begin(), stacks.end(),
                   [](const auto& a, const auto& b) { return a.size() > b.size(); });

  std::vector<DicomSeries> result;
  const std::string baseId = group.identity.seriesInstanceUid;
  auto nextId = [&] {
    return result.empty() ? baseId : baseId + "." + std::to_string(result.size() + 1);
  };
  std::size_t orientations = 0;
  for (std::size_t a = 0; a < stacks.size(); ++a) {
    const bool seen = std::any_of(stacks.begin(), stacks.begin() + a, [&](const auto& other) {
      return sameOrientation(other.front(), stacks[a].front());
    });
    if (!seen) ++orientations;
  }
  std::string splitReason;
  if (stacks.size() > 1) {
    std::sort(reasons.begin(), reasons.end());
    reasons.erase(std::unique(reasons.begin(), reasons.end()), reasons.end());
    for (const auto& r : reasons) splitReason += (splitReason.empty() ? "" : ", ") + r;
  }
  for (auto& stack : stacks) {
    sortAlongNormal(stack);
    const DicomSeriesKind kind = stack.front().imageType.find("LOCALIZER") != std::string::npos
                                     ? DicomSeriesKind::Localizer
                                     : group.kind;
    std::vector<LoadWarning> duplicateWarnings;
    if (hasDuplicatePositions(stack)) {
      if (auto split = splitRepeats(stack)) {
        for (auto& [value, frames] : split->second) {
          DicomSeries s = makeSeries(group, nextId(), kind, std::move(frames));
          s.splitReason = "repeated positions separated by " + split->first;
          s.warnings.push_back(
              {LoadWarning::Code::SplitSeries,
               "the series repeats slice positions; this stack is one " + split->first + " of it"});
          result.push_back(std::move(s));
        }
        continue;
      }
      const std::size_t dropped = dropDuplicates(stack);
      duplicateWarnings.push_back(
          {LoadWarning::Code::DuplicatePositions,
           std::to_string(dropped) +
               " frame(s) repeat the position of another and were left out (the lowest "
               "Instance Number at each position is kept)"});
    }
    auto slabs = splitAtLargeGaps(std::move(stack));
    for (auto& slab : slabs) {
      DicomSeries s = makeSeries(group, nextId(), kind, std::move(slab));
      s.warnings = duplicateWarnings;
      if (stacks.size() > 1) {
        s.splitReason = splitReason;
        s.warnings.push_back(
            {LoadWarning::Code::SplitSeries, "the series mixes stacks of different " + splitReason +
                                                 "; each is listed on its own"});
        if (std::find(reasons.begin(), reasons.end(), "orientation") != reasons.end()) {
          s.warnings.push_back(
              {LoadWarning::Code::InconsistentOrientation,
               "the series holds frames in " + std::to_string(orientations) +
                   " orientations (e.g. scouts or reformats); this stack has one"});
        }
      }
      if (slabs.size() > 1) {
        s.splitReason = "a gap of more than ten slice spacings";
        s.warnings.push_back({LoadWarning::Code::SplitSeries,
                              "the series has " + std::to_string(slabs.size()) +
                                  " slabs separated by large gaps; each is listed on its own"});
      }
      if (kind == DicomSeriesKind::Localizer) {
        s.warnings.push_back({LoadWarning::Code::Localizer, "localizer (scout) image"});
      }
      result.push_back(std::move(s));
    }
  }
  return result;
}

std::string groupKey(const DicomFileHeader& h) {
  if (!h.identity.seriesInstanceUid.empty()) return h.identity.seriesInstanceUid;
  // No Series Instance UID: keep files of one folder and series number together.
  return "(no Series Instance UID) " + h.file.parent_path().string() + " #" +
         h.identity.seriesNumber + " " + h.identity.modality;
}

}  // namespace

DicomScanResult DicomFolderScanner::scan(const fs::path& path, const Progress* progress) {
  return scan(std::span<const fs::path>(&path, 1), progress);
}

DicomScanResult DicomFolderScanner::scan(std::span<const fs::path> paths,
                                         const Progress* progress) {
  const std::vector<fs::path> files = collectFiles(paths);

  std::vector<std::optional<DicomFileHeader>> headers(files.size());
  std::vector<std::string> errors(files.size());
  std::atomic<std::size_t> done{0};
  parallelFor(files.size(), 0, progress, [&](std::size_t i) {
    try {
      headers[i] = DicomFrameReader::readHeader(files[i]);
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
    const std::size_t n = ++done;
    if (progress && (n % 16 == 0 || n == files.size())) {
      progress->report("Reading headers", double(n) / double(files.size()));
    }
  });

  DicomScanResult result;
  result.filesExamined = files.size();
  std::map<std::string, SeriesGroup> groups;
  std::vector<std::string> order;  // first-seen order of series keys
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (!headers[i]) {
      result.unreadableFiles.emplace_back(files[i], errors[i]);
      continue;
    }
    DicomFileHeader& h = *headers[i];
    const std::string key = groupKey(h);
    auto [it, inserted] = groups.try_emplace(key);
    SeriesGroup& g = it->second;
    if (inserted) {
      order.push_back(key);
      g.identity = h.identity;
      if (g.identity.seriesInstanceUid.empty()) g.identity.seriesInstanceUid = key;
      g.sopClassUid = h.sopClassUid;
      g.kind = h.kind == DicomSeriesKind::Localizer ? DicomSeriesKind::Image : h.kind;
    }
    g.files.push_back(h.file);
    for (DicomFrame& f : h.frames) g.frames.push_back(std::move(f));
  }

  for (const std::string& key : order) {
    SeriesGroup& g = groups[key];
    if (g.frames.empty()) {
      DicomSeries s;
      s.id = g.identity.seriesInstanceUid;
      s.kind = g.kind == DicomSeriesKind::Image ? DicomSeriesKind::OtherNonImage : g.kind;
      s.identity = g.identity;
      s.sopClassUid = g.sopClassUid;
      s.files = g.files;
      s.warnings.push_back({LoadWarning::Code::NonImage,
                            std::string(seriesKindName(s.kind)) + " object: listed, not loaded"});
      result.series.push_back(std::move(s));
      continue;
    }
    for (DicomSeries& s : splitIntoStacks(g)) {
      if (key.rfind("(no Series", 0) == 0) {
        s.warnings.push_back({LoadWarning::Code::MissingAttribute,
                              "the files have no Series Instance UID: grouped by folder and "
                              "series number"});
      }
      try {
        const SliceStackGeometry geometry = SliceStackGeometry::analyze(s.frames);
        s.warnings.insert(s.warnings.end(), geometry.warnings.begin(), geometry.warnings.end());
      } catch (const std::exception& e) {
        s.warnings.push_back({LoadWarning::Code::Other, std::string("cannot load: ") + e.what()});
      }
      result.series.push_back(std::move(s));
    }
  }
  return result;
}

}  // namespace annotrace
