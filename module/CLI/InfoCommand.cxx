#include "InfoCommand.h"

#include <iostream>

#include "CommandLine.h"
#include "ExitCodes.h"
#include "IO/VolumeReader.h"
#include "ProgressPrinter.h"
#include "VolumeReport.h"

namespace annotrace::cli {

int InfoCommand::run(const std::vector<std::string>& arguments) {
  const CommandLine line(arguments, {"--json"}, {"--series"});
  if (line.positional().size() != 1) {
    throw UsageError("info takes exactly one PATH (a DICOM folder or file, or a NIfTI/NRRD file)");
  }
  VolumeReader::Options options;
  options.seriesId = line.value("--series").value_or("");
  Volume volume;
  {
    ProgressPrinter printer;
    volume = VolumeReader::read(line.positional().front(), options, &printer.progress());
    printer.progress().throwIfCancelled();
  }
  if (line.has("--json")) {
    std::cout << VolumeReport::toJson(volume).dump(2) << "\n";
  } else {
    std::cout << VolumeReport::toText(volume);
  }
  return kExitOk;
}

}  // namespace annotrace::cli
