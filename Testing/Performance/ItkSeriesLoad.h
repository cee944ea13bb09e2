#pragma once

#include <cstddef>
#include <filesystem>

namespace annotrace::bench {

/// What ITK loaded, enough to check that it read the same volume as the other readers.
struct ItkLoadResult {
  std::size_t size[3] = {0, 0, 0};
  double spacing[3] = {0, 0, 0};
  double origin[3] = {0, 0, 0};
  double voxelSum = 0;
  double seconds = 0;  ///< file listing, sorting and reading; not the checks above
};

/// Loads the single series in a folder the way an ITK application does:
/// GDCMSeriesFileNames to sort the files, ImageSeriesReader with GDCMImageIO to read them.
ItkLoadResult loadWithItk(const std::filesystem::path& folder);

}  // namespace annotrace::bench
