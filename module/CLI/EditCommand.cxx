#include "EditCommand.h"

#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include "CommandLine.h"
#include "ExitCodes.h"
#include "IO/VolumeReader.h"
#include "ProgressPrinter.h"
#include "Segmentation/LabelmapFileIO.h"
#include "Segmentation/SegmentEditorLogic.h"
#include "Segmentation/TerminologyCatalog.h"

namespace annotrace::cli {

namespace {

/// The operations of an edit file: a JSON array, or {"format": "annotrace-edits",
/// "version": 1, "operations": [...]}. Errors name the file and the operation.
std::vector<EditOperation> readOperations(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot open the operations file");
  nlohmann::json file;
  try {
    file = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::runtime_error(path.string() + ": not valid JSON (" + e.what() + ")");
  }
  const nlohmann::json* list = &file;
  if (file.is_object()) {
    if (file.value("format", "") != "annotrace-edits") {
      throw std::runtime_error(path.string() +
                               ": expected a JSON array of operations or an object with "
                               "\"format\": \"annotrace-edits\"");
    }
    if (file.value("version", 0) != 1) {
      throw std::runtime_error(path.string() + ": edit file version " +
                               file.value("version", nlohmann::json()).dump() +
                               " is not supported (this build reads version 1)");
    }
    if (!file.contains("operations")) {
      throw std::runtime_error(path.string() + ": no \"operations\"");
    }
    list = &file.at("operations");
  }
  if (!list->is_array()) throw std::runtime_error(path.string() + ": operations must be an array");
  std::vector<EditOperation> operations;
  for (std::size_t n = 0; n < list->size(); ++n) {
    try {
      operations.push_back(EditOperation::fromJson((*list)[n]));
    } catch (const std::exception& e) {
      throw std::runtime_error(path.string() + ": operation " + std::to_string(n + 1) + ": " +
                               e.what());
    }
  }
  return operations;
}

/// What every editing command shares: load the volume and the starting label map, apply the
/// operations in order, write the label map with its sidecar and history.
struct EditJob {
  std::string volumePath;
  std::optional<std::string> segPath;
  std::string outPath;
  std::string seriesId;
  std::string source;  ///< names the operations in errors ("edits.json", "interpolate")
  bool quiet = false;
};

int replay(const EditJob& job, const std::vector<EditOperation>& operations) {
  if (!LabelmapFileIO::isSupportedFile(job.outPath)) {
    throw UsageError("cannot tell the label map format from '" + job.outPath +
                     "'; name it .nii.gz, .nii, .nrrd or .nhdr");
  }
  ProgressPrinter printer;
  VolumeReader::Options options;
  options.seriesId = job.seriesId;
  const Volume volume = VolumeReader::read(job.volumePath, options, &printer.progress());
  printer.finish();

  LabelmapBundle start;
  if (job.segPath) {
    start = LabelmapFileIO::read(*job.segPath, &volume.geometry());
    for (const std::string& w : start.warnings) std::cerr << "warning: " << w << "\n";
  } else {
    start.segmentation = Segmentation(volume.geometry());
  }
  SegmentEditorLogic editor(volume, std::move(start.segmentation), std::move(start.history),
                            std::move(start.operationLog));
  std::optional<TerminologyCatalog> catalog;  // loaded only when an operation names a term
  editor.setTerminologyLookup([&](std::string_view name, Segment& segment) {
    if (!catalog) catalog = TerminologyCatalog::loadDefault();
    const TerminologyEntry* entry = catalog->find(name);
    if (!entry) return false;
    TerminologyCatalog::applyTo(*entry, segment);
    return true;
  });

  for (std::size_t n = 0; n < operations.size(); ++n) {
    const EditOperation& op = operations[n];
    EditResult result;
    try {
      result = editor.apply(op, &printer.progress());
    } catch (const OperationCancelled&) {
      throw;
    } catch (const std::exception& e) {
      throw std::runtime_error(job.source + ": operation " + std::to_string(n + 1) + " (" +
                               std::string(editToolName(op.tool)) + ") failed: " + e.what() +
                               "; nothing was written");
    }
    printer.finish();
    if (!job.quiet) {
      std::string what = result.stepName;
      if (op.tool == EditTool::Undo) what.insert(0, "Undo: ");
      if (op.tool == EditTool::Redo) what.insert(0, "Redo: ");
      if (!result.changed) what = std::string(editToolName(op.tool)) + ": no change";
      std::cout << "[" << n + 1 << "/" << operations.size() << "] " << what;
      if (result.changed && result.changedVoxels > 0) {
        std::cout << ": " << result.changedVoxels << " voxels";
      }
      std::cout << "\n";
    }
  }
  printer.progress().throwIfCancelled();
  LabelmapFileIO::write(editor.segmentation(), job.outPath, &editor.history(),
                        editor.operationLog());

  const Segmentation& seg = editor.segmentation();
  const auto& spacing = seg.geometry().spacing;
  const double voxelMl = spacing[0] * spacing[1] * spacing[2] / 1000.0;
  std::cout << "Wrote " << job.outPath << " (" << seg.segmentCount() << " segments, "
            << editor.history().undoSteps().size() << " undo steps)\n";
  for (std::size_t p = 0; p < seg.segmentCount(); ++p) {
    const Segment& s = seg.segmentAt(p);
    const SliceProvenance& provenance = seg.provenance(s.id);
    std::cout << "  " << s.labelValue << "  " << s.name << ": " << seg.maskAt(p).count()
              << " voxels, " << std::fixed << std::setprecision(2)
              << static_cast<double>(seg.maskAt(p).count()) * voxelMl << " mL";
    std::cout.unsetf(std::ios::fixed);
    for (SliceOrientation o :
         {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal}) {
      const std::size_t drawn = provenance.slicesWith(o, SliceSource::Drawn).size();
      const std::size_t interpolated = provenance.slicesWith(o, SliceSource::Interpolated).size();
      const std::size_t propagated = provenance.slicesWith(o, SliceSource::Propagated).size();
      if (drawn + interpolated + propagated == 0) continue;
      std::cout << "; " << orientationName(o) << " slices: " << drawn << " drawn, " << interpolated
                << " interpolated, " << propagated << " propagated";
    }
    std::cout << "\n";
  }
  return kExitOk;
}

EditJob jobFrom(const CommandLine& line, const std::string& command) {
  if (!line.positional().empty()) {
    throw UsageError(command + " takes no positional arguments (got '" + line.positional()[0] +
                     "')");
  }
  const auto volumePath = line.value("--volume");
  const auto outPath = line.value("--out");
  if (!volumePath || !outPath) {
    throw UsageError(command + " needs --volume V and --out SEG.nii.gz");
  }
  EditJob job;
  job.volumePath = *volumePath;
  job.outPath = *outPath;
  job.segPath = line.value("--seg");
  job.seriesId = line.value("--series").value_or("");
  job.quiet = line.has("--quiet");
  job.source = command;
  return job;
}

SliceOrientation planeOption(const CommandLine& line) {
  const std::string plane = line.value("--plane").value_or("axial");
  if (plane == "axial") return SliceOrientation::Axial;
  if (plane == "coronal") return SliceOrientation::Coronal;
  if (plane == "sagittal") return SliceOrientation::Sagittal;
  throw UsageError("--plane must be axial, coronal or sagittal (got '" + plane + "')");
}

std::size_t countOption(const CommandLine& line, const std::string& option, std::size_t fallback) {
  const auto text = line.value(option);
  if (!text) return fallback;
  try {
    std::size_t used = 0;
    const long long value = std::stoll(*text, &used);
    if (used == text->size() && value >= 0) return static_cast<std::size_t>(value);
  } catch (const std::exception&) {
  }
  throw UsageError(option + " needs a non-negative whole number (got '" + *text + "')");
}

}  // namespace

int EditCommand::run(const std::vector<std::string>& arguments) {
  const CommandLine line(arguments, {"--quiet"},
                         {"--volume", "--ops", "--out", "--seg", "--series"});
  const auto opsPath = line.value("--ops");
  if (!opsPath || !line.value("--volume") || !line.value("--out")) {
    throw UsageError("edit needs --volume V, --ops OPS.json and --out SEG.nii.gz");
  }
  EditJob job = jobFrom(line, "edit");
  job.source = *opsPath;
  if (!LabelmapFileIO::isSupportedFile(job.outPath)) {
    throw UsageError("cannot tell the label map format from '" + job.outPath +
                     "'; name it .nii.gz, .nii, .nrrd or .nhdr");
  }
  // Read the operations first: a typo should not cost a volume load.
  return replay(job, readOperations(*opsPath));
}

int EditCommand::runInterpolate(const std::vector<std::string>& arguments) {
  const CommandLine line(
      arguments, {"--quiet", "--shape-only"},
      {"--volume", "--seg", "--out", "--series", "--plane", "--segment", "--keys"});
  EditJob job = jobFrom(line, "interpolate");
  if (!job.segPath) throw UsageError("interpolate needs --seg START (a label map to fill in)");
  EditOperation op;
  op.tool = EditTool::Interpolate;
  op.followImage = !line.has("--shape-only");
  op.plane = planeOption(line);
  if (const auto names = line.value("--segment")) {
    std::stringstream list(*names);
    for (std::string name; std::getline(list, name, ',');) {
      if (!name.empty()) op.segments.push_back(name);
    }
  }
  if (const auto keys = line.value("--keys")) {
    std::stringstream list(*keys);
    for (std::string key; std::getline(list, key, ',');) {
      try {
        std::size_t used = 0;
        const long long value = std::stoll(key, &used);
        if (used != key.size() || value < 0) throw std::invalid_argument(key);
        op.keySlices.push_back(static_cast<std::size_t>(value));
      } catch (const std::exception&) {
        throw UsageError("--keys needs slice numbers separated by commas (got '" + key + "')");
      }
    }
  }
  return replay(job, {op});
}

int EditCommand::runPropagate(const std::vector<std::string>& arguments) {
  const CommandLine line(arguments, {"--quiet"},
                         {"--volume", "--seg", "--out", "--series", "--plane", "--segment",
                          "--slice", "--max-slices", "--direction"});
  EditJob job = jobFrom(line, "propagate");
  if (!job.segPath) throw UsageError("propagate needs --seg START (a label map to carry on)");
  const auto segment = line.value("--segment");
  if (!segment || !line.value("--slice")) {
    throw UsageError("propagate needs --segment NAME and --slice N (the slice to start from)");
  }
  EditOperation op;
  op.tool = EditTool::Propagate;
  op.segment = *segment;
  op.plane = planeOption(line);
  op.slice = countOption(line, "--slice", 0);
  op.maxSlices = countOption(line, "--max-slices", 0);
  const std::string direction = line.value("--direction").value_or("both");
  if (direction != "both" && direction != "forward" && direction != "backward") {
    throw UsageError("--direction must be both, forward or backward");
  }
  op.forward = direction != "backward";
  op.backward = direction != "forward";
  return replay(job, {op});
}

}  // namespace annotrace::cli
