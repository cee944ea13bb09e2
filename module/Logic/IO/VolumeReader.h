#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include "Core/Progress.h"
#include "IO/DicomSeriesLoader.h"
#include "Volume/Volume.h"

namespace annotrace {

/// The input holds several image stacks and none was chosen; the message lists them.
class AmbiguousSeriesError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One front door for every input a user may name: a DICOM folder or file, or a NIfTI/NRRD file.
class VolumeReader {
 public:
  struct Options {
    /// Which stack to load when a DICOM input holds several image stacks (DicomSeries::id, or a
    /// unique prefix of it). Empty: the input must hold exactly one image stack.
    std::string seriesId;
    DicomLoadOptions dicom;
  };
  static Volume read(const std::filesystem::path& path, const Options& options,
                     const Progress* progress = nullptr);
  static Volume read(const std::filesystem::path& path) { return read(path, Options{}); }
};

}  // namespace annotrace
