#include "EditCommand.h"

#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>

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

}  // namespace

int EditCommand::run(const std::vector<std::string>& arguments) {
  const CommandLine line(arguments, {"--quiet"},
                         {"--volume", "--ops", "--out", "--seg", "--series"});
  if (!line.positional().empty()) {
    throw UsageError("edit takes no positional arguments (got '" + line.positional()[0] + "')");
  }
  const auto volumePath = line.value("--volume");
  const auto opsPath = line.value("--ops");
  const auto outPath = line.value("--out");
  if (!volumePath || !opsPath || !outPath) {
    throw UsageError("edit needs --volume V, --ops OPS.json and --out SEG.nii.gz");
  }
  if (!LabelmapFileIO::isSupportedFile(*outPath)) {
    throw UsageError("cannot tell the label map format from '" + *outPath +
                     "'; name it .nii.gz, .nii, .nrrd or .nhdr");
  }
  // Read the operations first: a typo should not cost a volume load.
  const std::vector<EditOperation> operations = readOperations(*opsPath);

  ProgressPrinter printer;
  VolumeReader::Options options;
  options.seriesId = line.value("--series").value_or("");
  const Volume volume = VolumeReader::read(*volumePath, options, &printer.progress());
  printer.finish();

  LabelmapBundle start;
  if (const auto seg = line.value("--seg")) {
    start = LabelmapFileIO::read(*seg, &volume.geometry());
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

  const bool quiet = line.has("--quiet");
  for (std::size_t n = 0; n < operations.size(); ++n) {
    const EditOperation& op = operations[n];
    EditResult result;
    try {
      result = editor.apply(op, &printer.progress());
    } catch (const OperationCancelled&) {
      throw;
    } catch (const std::exception& e) {
      throw std::runtime_error(*opsPath + ": operation " + std::to_string(n + 1) + " (" +
                               std::string(editToolName(op.tool)) + ") failed: " + e.what() +
                               "; nothing was written");
    }
    if (!quiet) {
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
  LabelmapFileIO::write(editor.segmentation(), *outPath, &editor.history(), editor.operationLog());

  const Segmentation& seg = editor.segmentation();
  const auto& spacing = seg.geometry().spacing;
  const double voxelMl = spacing[0] * spacing[1] * spacing[2] / 1000.0;
  std::cout << "Wrote " << *outPath << " (" << seg.segmentCount() << " segments, "
            << editor.history().undoSteps().size() << " undo steps)\n";
  for (std::size_t p = 0; p < seg.segmentCount(); ++p) {
    const Segment& s = seg.segmentAt(p);
    std::cout << "  " << s.labelValue << "  " << s.name << ": " << seg.maskAt(p).count()
              << " voxels, " << std::fixed << std::setprecision(2)
              << static_cast<double>(seg.maskAt(p).count()) * voxelMl << " mL\n";
    std::cout.unsetf(std::ios::fixed);
  }
  return kExitOk;
}

}  // namespace annotrace::cli
