#include "Segmentation/LabelmapFileIO.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "IO/StagingFolder.h"
#include "IO/VolumeFileIO.h"
#include "Segmentation/LabelLayer.h"
#include "Segmentation/SegmentColors.h"
#include "Segmentation/SegmentJson.h"
#include "Volume/GeometryDifference.h"
#include "Volume/Volume.h"

namespace annotrace {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kFormat = "annotrace-segmentation";
constexpr int kVersion = 1;
constexpr int kMaxLabelValue = 32767;  // int16 voxels

std::runtime_error fileError(const fs::path& path, const std::string& problem) {
  return std::runtime_error(path.string() + ": " + problem);
}

// --- File names ------------------------------------------------------------------------------

struct NameParts {
  std::string base;       // "liver"
  std::string extension;  // ".nii.gz", as spelled in the name
};

NameParts splitName(const fs::path& path) {
  const std::string name = path.filename().string();
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const std::string_view ext : {".nii.gz", ".nii", ".nrrd", ".nhdr"}) {
    if (lower.size() > ext.size() && lower.ends_with(ext)) {
      return {name.substr(0, name.size() - ext.size()), name.substr(name.size() - ext.size())};
    }
  }
  return {path.stem().string(), path.extension().string()};
}

fs::path folderOf(const fs::path& path) {
  return path.parent_path().empty() ? fs::path(".") : path.parent_path();
}

// Names in the sidecar are bare file names in the label map's folder; anything else (a path,
// "..") is refused so a sidecar can never make the reader touch other folders.
fs::path siblingFile(const fs::path& sidecar, const json& name, const std::string& what) {
  if (!name.is_string()) throw fileError(sidecar, what + " must be a file name");
  const std::string text = name.get<std::string>();
  const fs::path file(text);
  if (text.empty() || file.filename() != file || text == "." || text == "..") {
    throw fileError(sidecar, what + " \"" + text + "\" is not a plain file name");
  }
  return folderOf(sidecar) / file;
}

// --- Durable writing -------------------------------------------------------------------------

void writeTextFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw fileError(path, "cannot write the file");
}

// --- JSON helpers ----------------------------------------------------------------------------

std::string hexDigest(std::uint64_t digest) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(digest));
  return text;
}

std::string utcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

ImageGeometry geometryFromSidecar(const json& object, const fs::path& sidecar) {
  try {
    return geometryFromJson(object);
  } catch (const std::invalid_argument& e) {
    throw fileError(sidecar, e.what());
  }
}

// --- Label volumes ---------------------------------------------------------------------------

const VoxelVector<std::int16_t>& labelVoxels(const Volume& volume, const fs::path& path) {
  if (!volume.isInt16()) {
    throw fileError(path,
                    "not a label map: it holds non-integer values or values beyond int16 "
                    "(label values must be integers 0.." +
                        std::to_string(kMaxLabelValue) + ")");
  }
  return std::get<VoxelVector<std::int16_t>>(volume.voxels());
}

// Calls fn(value, i, j, k) for every nonzero voxel, in linear order.
template <typename Fn>
void forEachLabelledVoxel(const VoxelVector<std::int16_t>& voxels,
                          const std::array<std::size_t, 3>& size, Fn&& fn) {
  const std::int16_t* data = voxels.data();
  std::size_t linear = 0;
  for (std::size_t k = 0; k < size[2]; ++k) {
    for (std::size_t j = 0; j < size[1]; ++j, linear += size[0]) {
      const std::int16_t* row = data + linear;
      // Whole empty rows are the common case: skip them with one vectorisable scan.
      if (std::all_of(row, row + size[0], [](std::int16_t v) { return v == 0; })) continue;
      for (std::size_t i = 0; i < size[0]; ++i) {
        if (row[i] != 0) fn(row[i], i, j, k);
      }
    }
  }
}

// Segments' voxel volumes, one layer at a time: a segment joins the first layer where it
// overlaps nothing already there (one dense layer in memory at a time).

void addVolumeWarnings(const Volume& volume, const fs::path& path,
                       std::vector<std::string>& warnings) {
  for (const LoadWarning& w : volume.warnings) {
    warnings.push_back(path.filename().string() + ": " + w.message);
  }
}

// The grid the segmentation takes: the expected one (the image's exact grid) when given,
// after checking the label map against it.
ImageGeometry checkedGrid(const ImageGeometry& fileGrid, const ImageGeometry* expected,
                          const fs::path& path) {
  if (!expected) return fileGrid;
  if (const std::string diff = geometryDifference(fileGrid, *expected); !diff.empty()) {
    throw fileError(path, "the label map's grid does not match the image: " + diff);
  }
  return *expected;
}

LabelmapBundle readWithoutSidecar(const fs::path& path, const ImageGeometry* expected) {
  const Volume volume = VolumeFileIO::read(path);
  const auto& voxels = labelVoxels(volume, path);
  LabelmapBundle bundle;
  addVolumeWarnings(volume, path, bundle.warnings);
  const std::array<std::size_t, 3> size = volume.geometry().size;
  const ImageGeometry grid = checkedGrid(volume.geometry(), expected, path);

  std::vector<std::optional<SparseMask>> masks(kMaxLabelValue + 1);
  forEachLabelledVoxel(
      voxels, size, [&](std::int16_t value, std::size_t i, std::size_t j, std::size_t k) {
        if (value < 0) {
          throw fileError(path,
                          "not a label map: it holds the negative value " + std::to_string(value));
        }
        auto& mask = masks[static_cast<std::size_t>(value)];
        if (!mask) mask.emplace(size);
        mask->assign(i, j, k, true);
      });
  bundle.segmentation = Segmentation(grid);
  int n = 0;
  for (int value = 1; value <= kMaxLabelValue; ++value) {
    if (!masks[value]) continue;
    Segment segment;
    segment.name = "Label " + std::to_string(value);
    segment.labelValue = static_cast<std::uint16_t>(value);
    segment.color = importColor(n++);
    bundle.segmentation.insertSegment(bundle.segmentation.segmentCount(), std::move(segment),
                                      std::move(*masks[value]));
  }
  return bundle;
}

json readSidecar(const fs::path& sidecar) {
  std::ifstream in(sidecar, std::ios::binary);
  if (!in) throw fileError(sidecar, "cannot open the sidecar");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::parse_error& e) {
    throw fileError(sidecar, std::string("the sidecar is not valid JSON: ") + e.what());
  }
  if (!doc.is_object() || doc.value("format", json()) != kFormat) {
    throw fileError(sidecar,
                    std::string("not an Annotrace segmentation sidecar (\"format\" is not \"") +
                        kFormat + "\")");
  }
  const json& version = doc.value("version", json());
  if (!version.is_number_integer()) throw fileError(sidecar, "the sidecar has no \"version\"");
  if (version.get<long long>() != kVersion) {
    throw fileError(sidecar, "sidecar format version " + version.dump() +
                                 " is not supported (this Annotrace reads version " +
                                 std::to_string(kVersion) + ")");
  }
  return doc;
}

void readHistory(const json& doc, const fs::path& sidecar, LabelmapBundle& bundle) {
  const json history = doc.value("history", json());
  if (history.is_null()) return;
  auto drop = [&](const std::string& why) {
    bundle.warnings.push_back(why + "; labels kept, history dropped");
  };
  if (!history.is_object() || !history.contains("file")) {
    drop("the sidecar's \"history\" entry is malformed");
    return;
  }
  fs::path file;
  try {
    file = siblingFile(sidecar, history["file"], "\"history\" file");
  } catch (const std::exception& e) {
    drop(e.what());
    return;
  }
  const std::string name = file.filename().string();
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    drop("undo history " + name + " is missing");
    return;
  }
  const std::uint64_t digest = bundle.segmentation.contentDigest();
  if (history.value("digest", json()) != hexDigest(digest)) {
    drop("undo history " + name + " belongs to other voxels");
    return;
  }
  try {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open the file");
    bundle.history = UndoHistory::read(in, digest);
  } catch (const std::exception& e) {
    bundle.history = UndoHistory();
    drop("undo history " + name + " cannot be used (" + e.what() + ")");
  }
}

struct SidecarSegment {
  Segment segment;
  std::size_t layer = 1;
  std::size_t voxelCount = 0;
  json provenance;  ///< per-slice provenance as saved (read once the grid is known)
};

std::vector<SidecarSegment> sidecarSegments(const json& doc, const fs::path& sidecar,
                                            std::size_t layerCount) {
  const json& list = doc.value("segments", json());
  if (!list.is_array()) throw fileError(sidecar, "\"segments\" must be an array");
  std::vector<SidecarSegment> out;
  for (const json& entry : list) {
    SidecarSegment s;
    try {
      updateSegmentFromJson(entry, s.segment);
    } catch (const std::exception& e) {
      throw fileError(sidecar, "segment " + std::to_string(out.size() + 1) + ": " + e.what());
    }
    const std::string who = "segment \"" + s.segment.name + "\"";
    if (!entry.contains("id") || s.segment.id == 0) {
      throw fileError(sidecar, who + " has no id");
    }
    if (s.segment.labelValue < 1 || s.segment.labelValue > kMaxLabelValue) {
      throw fileError(sidecar, who + " has label value " + std::to_string(s.segment.labelValue) +
                                   " (must be 1.." + std::to_string(kMaxLabelValue) + ")");
    }
    const json& layer = entry.value("layer", json(1));
    if (!layer.is_number_unsigned() || layer.get<std::size_t>() < 1 ||
        layer.get<std::size_t>() > layerCount) {
      throw fileError(sidecar, who + " names layer " + layer.dump() + " but there are " +
                                   std::to_string(layerCount) + " layers");
    }
    s.layer = layer.get<std::size_t>();
    const json& count = entry.value("voxel_count", json());
    if (!count.is_number_unsigned()) {
      throw fileError(sidecar, who + " has no \"voxel_count\"");
    }
    s.voxelCount = count.get<std::size_t>();
    s.provenance = entry.value("provenance", json::object());
    out.push_back(std::move(s));
  }
  return out;
}

LabelmapBundle readWithSidecar(const fs::path& path, const fs::path& sidecar,
                               const ImageGeometry* expected) {
  const json doc = readSidecar(sidecar);
  const json& layerNames = doc.value("layers", json::array({path.filename().string()}));
  if (!layerNames.is_array() || layerNames.empty()) {
    throw fileError(sidecar, "\"layers\" must list at least the label map");
  }
  // Layer 1 is the file being read (the set of files may have been renamed together); the
  // others are found by the names the sidecar gives them.
  std::vector<fs::path> layerFiles{path};
  for (std::size_t n = 1; n < layerNames.size(); ++n) {
    layerFiles.push_back(siblingFile(sidecar, layerNames[n], "layer"));
  }
  // liver.nii.gz and liver.nrrd would share liver.seg.json: never pair one with the other's.
  const json& recorded = doc.value("labelmap", json());
  if (recorded.is_string() && recorded != path.filename().string()) {
    const fs::path other = siblingFile(sidecar, recorded, "\"labelmap\"");
    std::error_code ec;
    if (fs::exists(other, ec)) {
      throw fileError(path, "its sidecar " + sidecar.filename().string() + " describes " +
                                other.filename().string() + ", not this file");
    }
  }
  std::vector<SidecarSegment> segments = sidecarSegments(doc, sidecar, layerFiles.size());
  const ImageGeometry saved = geometryFromSidecar(doc.value("geometry", json()), sidecar);
  const ImageGeometry grid = checkedGrid(saved, expected, path);

  LabelmapBundle bundle;
  std::vector<SparseMask> masks;
  for (std::size_t n = 0; n < segments.size(); ++n) masks.emplace_back(saved.size);
  for (std::size_t layer = 1; layer <= layerFiles.size(); ++layer) {
    const fs::path& file = layerFiles[layer - 1];
    std::error_code ec;
    if (layer > 1 && !fs::exists(file, ec)) {
      throw fileError(file, "layer " + std::to_string(layer) + " listed in " +
                                sidecar.filename().string() + " is missing");
    }
    const Volume volume = VolumeFileIO::read(file);
    addVolumeWarnings(volume, file, bundle.warnings);
    if (const std::string diff = geometryDifference(volume.geometry(), saved); !diff.empty()) {
      throw std::runtime_error(file.string() + " does not match its sidecar " +
                               sidecar.filename().string() + ": " + diff);
    }
    std::vector<int> positionOfValue(kMaxLabelValue + 1, -1);
    for (std::size_t p = 0; p < segments.size(); ++p) {
      if (segments[p].layer == layer) {
        positionOfValue[segments[p].segment.labelValue] = static_cast<int>(p);
      }
    }
    forEachLabelledVoxel(labelVoxels(volume, file), saved.size,
                         [&](std::int16_t value, std::size_t i, std::size_t j, std::size_t k) {
                           const int p = value > 0 ? positionOfValue[value] : -1;
                           if (p < 0) {
                             throw fileError(file, "label value " + std::to_string(value) +
                                                       " belongs to no segment of " +
                                                       sidecar.filename().string());
                           }
                           masks[p].assign(i, j, k, true);
                         });
  }
  for (std::size_t p = 0; p < segments.size(); ++p) {
    if (masks[p].count() != segments[p].voxelCount) {
      throw std::runtime_error(layerFiles[segments[p].layer - 1].string() +
                               " does not match its sidecar: segment " + segments[p].segment.name +
                               " has " + std::to_string(masks[p].count()) +
                               " voxels, sidecar says " + std::to_string(segments[p].voxelCount));
    }
  }

  bundle.segmentation = Segmentation(grid);
  try {
    for (std::size_t p = 0; p < segments.size(); ++p) {
      SliceProvenance provenance;
      try {
        provenance = provenanceFromJson(segments[p].provenance, grid.size);
      } catch (const std::exception& e) {
        throw fileError(sidecar, "segment \"" + segments[p].segment.name + "\": " + e.what());
      }
      bundle.segmentation.insertSegment(p, std::move(segments[p].segment), std::move(masks[p]),
                                        std::move(provenance));
    }
    const json& next = doc.value("next_segment_id", json());
    if (!next.is_null()) {
      if (!next.is_number_unsigned())
        throw std::invalid_argument("\"next_segment_id\" is not a number");
      bundle.segmentation.setNextSegmentId(next.get<SegmentId>());
    }
  } catch (const std::invalid_argument& e) {
    throw fileError(sidecar, e.what());
  }
  bundle.operationLog = doc.value("operations", json::array());
  if (!bundle.operationLog.is_array()) throw fileError(sidecar, "\"operations\" must be an array");
  readHistory(doc, sidecar, bundle);
  return bundle;
}

// Files an earlier save listed that this one does not write (fewer layers, no history): they
// would only mislead people looking at the folder. Best effort; the new sidecar rules anyway.
std::vector<fs::path> filesOfEarlierSave(const fs::path& sidecar) {
  std::vector<fs::path> files;
  try {
    const json doc = readSidecar(sidecar);
    const json& layers = doc.value("layers", json::array());
    for (std::size_t n = 1; layers.is_array() && n < layers.size(); ++n) {
      files.push_back(siblingFile(sidecar, layers[n], "layer"));
    }
    const json& history = doc.value("history", json());
    if (history.is_object() && history.contains("file")) {
      files.push_back(siblingFile(sidecar, history["file"], "history"));
    }
  } catch (const std::exception&) {
    // No earlier save, or one we cannot read: nothing to tidy.
  }
  return files;
}

// The data file a detached NRRD header names in its own folder, if any.
std::optional<fs::path> detachedDataFile(const fs::path& header) {
  std::ifstream in(header);
  std::string line;
  while (std::getline(in, line) && !line.empty()) {
    if (line.rfind("data file:", 0) == 0) {
      std::string name = line.substr(10);
      name.erase(0, name.find_first_not_of(' '));
      const fs::path file(name);
      if (!name.empty() && file.filename() == file) return header.parent_path() / file;
    }
  }
  return std::nullopt;
}

bool isNhdr(const fs::path& path) {
  std::string ext = splitName(path).extension;
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".nhdr";
}

}  // namespace

bool LabelmapFileIO::isSupportedFile(const fs::path& path) {
  return VolumeFileIO::isSupportedFile(path);
}

fs::path LabelmapFileIO::sidecarPath(const fs::path& labelmap) {
  return labelmap.parent_path() / (splitName(labelmap).base + ".seg.json");
}

fs::path LabelmapFileIO::historyPath(const fs::path& labelmap) {
  return labelmap.parent_path() / (splitName(labelmap).base + ".undo");
}

fs::path LabelmapFileIO::layerPath(const fs::path& labelmap, int layer) {
  if (layer <= 1) return labelmap;
  const NameParts parts = splitName(labelmap);
  return labelmap.parent_path() / (parts.base + ".layer" + std::to_string(layer) + parts.extension);
}

void LabelmapFileIO::write(const Segmentation& segmentation, const fs::path& labelmap,
                           const UndoHistory* history, const json& operationLog) {
  if (!isSupportedFile(labelmap)) {
    throw fileError(labelmap, "a label map must be .nii.gz, .nii, .nrrd or .nhdr");
  }
  const ImageGeometry& g = segmentation.geometry();
  if (g.voxelCount() == 0) throw fileError(labelmap, "the segmentation has no grid");
  if (!operationLog.is_array()) throw fileError(labelmap, "the operation log must be a JSON array");
  for (std::size_t p = 0; p < segmentation.segmentCount(); ++p) {
    const Segment& s = segmentation.segmentAt(p);
    if (s.labelValue < 1 || s.labelValue > kMaxLabelValue) {
      throw fileError(labelmap, "segment \"" + s.name + "\" has label value " +
                                    std::to_string(s.labelValue) +
                                    "; label map files hold values 1.." +
                                    std::to_string(kMaxLabelValue) + " (int16 voxels)");
    }
  }
  const fs::path parent = folderOf(labelmap);
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) {
    throw fileError(labelmap, "the folder " + parent.string() + " does not exist");
  }
  const fs::path sidecar = sidecarPath(labelmap);
  const std::vector<fs::path> earlier = filesOfEarlierSave(sidecar);

  StagingFolder staging(parent);
  std::vector<std::size_t> remaining(segmentation.segmentCount());
  for (std::size_t p = 0; p < remaining.size(); ++p) remaining[p] = p;
  std::vector<std::size_t> layerOf(segmentation.segmentCount(), 1);
  std::vector<std::string> layerNames;
  do {
    LabelLayer layer = buildLabelLayer(segmentation, remaining);
    const int number = static_cast<int>(layerNames.size()) + 1;
    for (const std::size_t p : layer.positions) layerOf[p] = static_cast<std::size_t>(number);
    const std::string name = layerPath(labelmap, number).filename().string();
    layerNames.push_back(name);
    // VolumeFileIO keeps LPS <-> RAS and qform/sform conventions in one place.
    VolumeFileIO::write(Volume(g, std::move(layer.voxels)), staging.path() / name);
  } while (!remaining.empty());

  json historyEntry = nullptr;
  if (history) {
    const std::uint64_t digest = segmentation.contentDigest();
    const fs::path file = historyPath(labelmap);
    std::ofstream out(staging.path() / file.filename(), std::ios::binary | std::ios::trunc);
    history->write(out, digest);
    out.close();
    if (!out) throw fileError(file, "cannot write the undo history");
    historyEntry = {{"file", file.filename().string()}, {"digest", hexDigest(digest)}};
  }

  json segments = json::array();
  for (std::size_t p = 0; p < segmentation.segmentCount(); ++p) {
    json entry = segmentToJson(segmentation.segmentAt(p));
    entry["layer"] = layerOf[p];
    entry["voxel_count"] = segmentation.maskAt(p).count();
    entry["provenance"] = provenanceToJson(segmentation.provenance(segmentation.segmentAt(p).id));
    segments.push_back(std::move(entry));
  }
  const json doc = {{"format", kFormat},
                    {"version", kVersion},
                    {"labelmap", labelmap.filename().string()},
                    {"layers", layerNames},
                    {"geometry", geometryToJson(g)},
                    {"next_segment_id", segmentation.nextSegmentId()},
                    {"segments", std::move(segments)},
                    {"history", historyEntry},
                    {"operations", operationLog},
                    {"software", std::string("annotrace ") + ANNOTRACE_VERSION},
                    {"saved_utc", utcNow()}};
  writeTextFile(staging.path() / sidecar.filename(),
                doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n");

  // Voxels first (a .nhdr header after its data file), then the history, the sidecar last:
  // a crash in between leaves an old sidecar whose voxel counts expose the mismatch.
  const std::string sidecarName = sidecar.filename().string();
  const std::string historyName = historyPath(labelmap).filename().string();
  staging.commit(
      [&](const std::string& name) { return name != sidecarName && name != historyName; },
      layerNames);
  staging.commit([&](const std::string& name) { return name == historyName; });
  staging.commit([&](const std::string& name) { return name == sidecarName; });

  for (const fs::path& file : earlier) {
    const std::string name = file.filename().string();
    const bool stillUsed =
        std::find(layerNames.begin(), layerNames.end(), name) != layerNames.end() ||
        (history && name == historyName);
    if (stillUsed || name == labelmap.filename().string()) continue;
    if (isNhdr(file)) {
      if (const auto data = detachedDataFile(file)) fs::remove(*data, ec);
    }
    fs::remove(file, ec);
  }
}

LabelmapBundle LabelmapFileIO::read(const fs::path& labelmap,
                                    const ImageGeometry* expectedGeometry) {
  if (!isSupportedFile(labelmap)) {
    throw fileError(labelmap, "a label map must be .nii.gz, .nii, .nrrd or .nhdr");
  }
  std::error_code ec;
  if (!fs::is_regular_file(labelmap, ec)) {
    throw fileError(labelmap, fs::exists(labelmap, ec) ? "is not a regular file" : "no such file");
  }
  const fs::path sidecar = sidecarPath(labelmap);
  if (fs::exists(sidecar, ec)) return readWithSidecar(labelmap, sidecar, expectedGeometry);
  return readWithoutSidecar(labelmap, expectedGeometry);
}

}  // namespace annotrace
