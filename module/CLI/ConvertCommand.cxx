#include "ConvertCommand.h"

#include <iostream>

#include "CommandLine.h"
#include "ExitCodes.h"
#include "IO/VolumeFileIO.h"
#include "IO/VolumeReader.h"
#include "ProgressPrinter.h"

namespace annotrace::cli {

int ConvertCommand::run(const std::vector<std::string>& arguments) {
  const CommandLine line(arguments, {}, {"--series"});
  if (line.positional().size() != 2)
    throw UsageError("convert takes an input PATH and an OUTPUT file");
  const std::filesystem::path input = line.positional()[0];
  const std::filesystem::path output = line.positional()[1];
  if (!VolumeFileIO::isSupportedFile(output)) {
    throw UsageError("cannot tell the output format from '" + output.string() +
                     "'; name it .nii.gz, .nii, .nrrd or .nhdr");
  }
  VolumeReader::Options options;
  options.seriesId = line.value("--series").value_or("");

  ProgressPrinter printer;
  const Volume volume = VolumeReader::read(input, options, &printer.progress());
  printer.finish();
  // A Ctrl-C before this point stops here, leaving any existing output untouched. The write
  // itself is atomic (written aside, then renamed), so it is allowed to complete.
  printer.progress().throwIfCancelled();
  VolumeFileIO::write(volume, output);

  for (const auto& w : volume.warnings) std::cerr << "warning: " << w.message << "\n";
  const auto& g = volume.geometry();
  std::cout << "Wrote " << output.string() << ": " << g.size[0] << " x " << g.size[1] << " x "
            << g.size[2] << " " << (volume.isInt16() ? "int16" : "float32") << ", "
            << g.orientationCode() << "\n";
  if (printer.cancelled()) {
    std::cerr << "Interrupted after the output was completely written.\n";
    return kExitCancelled;
  }
  return kExitOk;
}

}  // namespace annotrace::cli
