// The annotrace command: list DICOM series, print volume geometry, convert to NIfTI/NRRD.

#include <cstdio>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "ConvertCommand.h"
#include "Core/Progress.h"
#include "EditCommand.h"
#include "ExitCodes.h"
#include "IO/VolumeReader.h"
#include "InfoCommand.h"
#include "SeriesCommand.h"

namespace {

constexpr const char* kHelp = R"(annotrace - DICOM, NIfTI and NRRD volumes and their segmentations

Usage:
  annotrace series DIR|FILES... [--json]
      List what a folder (searched recursively) or a set of files holds: every stack with its
      id, kind, modality, description, dimensions, spacing and warnings, and the files that are
      not readable DICOM.
  annotrace info PATH [--series ID] [--json]
      Load a volume (a DICOM folder or file, or a .nii/.nii.gz/.nrrd/.nhdr file) and print its
      exact geometry in LPS patient coordinates, value range, identity and warnings.
  annotrace convert INPUT OUTPUT.nii.gz|.nii|.nrrd|.nhdr [--series ID]
      Load a volume and write it as NIfTI or NRRD (int16 or float32, as loaded).
  annotrace edit --volume V --ops OPS.json --out SEG.nii.gz|.nrrd [--seg START] [--series ID]
               [--quiet]
      Replay edit operations (JSON: polygon, freehand, brush, eraser, scissors, fill, segment
      table changes, undo, redo; points in world millimetres, LPS) on volume V, starting from
      an empty segmentation or from the label map START, and save the result as a label map
      with its sidecar (SEG.seg.json: segments, terminology, edit log) and undo history
      (SEG.undo). Docs/EditOperations.md describes the format. A failing operation names its
      number and writes nothing.
  annotrace interpolate --volume V --seg START --out SEG [--plane axial|coronal|sagittal]
                      [--segment NAME[,NAME...]] [--keys K1,K2,...] [--shape-only]
                      [--series ID] [--quiet]
      Fill the slices between the key slices of segments (every unlocked one unless --segment
      names them): the slices drawn on, or --keys, or every slice that holds the segment.
      Near each interpolated contour the image decides (--shape-only: the shapes alone).
      Drawn slices and other segments' voxels are never changed. One undo step.
  annotrace propagate --volume V --seg START --out SEG --segment NAME --slice N
                      [--plane P] [--max-slices M] [--direction both|forward|backward]
      Carry a segment from slice N to its neighbours, adapting it to the image, until the
      structure ends (or M slices each way). One undo step.
  annotrace help | --help | -h
  annotrace --version

--series ID chooses one stack when the input holds several: the id shown by `annotrace series`
or a unique prefix of it.

Exit codes: 0 success, 1 unreadable input or failed load/write (the message names the file and
the problem), 2 wrong command line, 130 interrupted with Ctrl-C.
)";

int usageError(const std::string& message) {
  std::cerr << "annotrace: " << message << "\nRun 'annotrace help' for usage.\n";
  return annotrace::cli::kExitUsageError;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace annotrace::cli;
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usageError("no command given");
  const std::string& command = args.front();
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (command == "help" || command == "--help" || command == "-h") {
      std::cout << kHelp;
      return kExitOk;
    }
    if (command == "--version" || command == "version") {
      std::cout << "annotrace " << ANNOTRACE_VERSION << "\n";
      return kExitOk;
    }
    if (command == "series") return SeriesCommand::run(rest);
    if (command == "info") return InfoCommand::run(rest);
    if (command == "convert") return ConvertCommand::run(rest);
    if (command == "edit") return EditCommand::run(rest);
    if (command == "interpolate") return EditCommand::runInterpolate(rest);
    if (command == "propagate") return EditCommand::runPropagate(rest);
    return usageError("unknown command '" + command + "'");
  } catch (const UsageError& e) {
    return usageError(e.what());
  } catch (const annotrace::AmbiguousSeriesError& e) {
    std::cerr << "annotrace: " << e.what() << "\n";
    return kExitUsageError;  // the user must name a series: a usage matter, not bad data
  } catch (const annotrace::OperationCancelled&) {
    std::cerr << "annotrace: cancelled; nothing was written.\n";
    return kExitCancelled;
  } catch (const std::bad_alloc&) {
    std::cerr << "annotrace: out of memory while loading the input\n";
    return kExitInputError;
  } catch (const std::exception& e) {
    std::cerr << "annotrace: " << e.what() << "\n";
    return kExitInputError;
  }
}
