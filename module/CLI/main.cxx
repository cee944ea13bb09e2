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
#include "VaultCommands.h"

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

Label records (a vault folder; Docs/UserGuide.md, "Label records"). Passphrases come from
--passphrase-file F (--new-passphrase-file for a new member), from ANNOTRACE_PASSPHRASE
(ANNOTRACE_NEW_PASSPHRASE), or from a prompt on the terminal; never from the command line.
  annotrace vault init VAULT --admin ID            create a vault with its first admin
  annotrace vault status VAULT                     members, records by status, audit head
  annotrace user add VAULT --as ADMIN --id ID --role annotator|reviewer|admin
  annotrace user remove VAULT --as ADMIN --id ID
  annotrace user role VAULT --as ADMIN --id ID --role ROLE
  annotrace user list VAULT
  annotrace record save VAULT --as ID --labels SEG [--volume V [--series S]] [--parents A,B]
                        [--submit] [--json]
      Encrypt, sign and store a label map (with its sidecar's segments, terminology,
      provenance and edit log) as an immutable record; --volume records the image's identity.
  annotrace record list VAULT [--json]             records with status (draft, submitted,
                                                   approved, rejected)
  annotrace record show VAULT ID                   the signed header (no key needed)
  annotrace record open VAULT ID --as ID --out SEG [--volume V]   decrypt into a label map
  annotrace record submit VAULT ID --as AUTHOR
  annotrace record review VAULT ID --as REVIEWER --approve|--reject --reason TEXT
  annotrace audit verify VAULT [--as ID] [--json]  check the chain, signatures, roles and every
                                                   record; exit 3 naming each problem
  annotrace audit show VAULT [--case STUDY_UID] [--record ID] [--user ID] [--action A]
                       [--from UTC] [--until UTC] [--json]
  annotrace audit head VAULT                       the last entry's seq and hash (write it
                                                   down elsewhere to detect a dropped tail)
  annotrace help | --help | -h
  annotrace --version

--series ID chooses one stack when the input holds several: the id shown by `annotrace series`
or a unique prefix of it.

Exit codes: 0 success, 1 unreadable input, failed load/write or a refused vault action (the
message names the file and the problem), 2 wrong command line, 3 audit verify found problems,
130 interrupted with Ctrl-C.
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
    if (command == "vault") return VaultCommands::runVault(rest);
    if (command == "user") return VaultCommands::runUser(rest);
    if (command == "record") return VaultCommands::runRecord(rest);
    if (command == "audit") return VaultCommands::runAudit(rest);
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
