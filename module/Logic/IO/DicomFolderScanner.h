#pragma once

#include <filesystem>
#include <span>

#include "Core/Progress.h"
#include "IO/DicomSeries.h"

namespace annotrace {

/// Reads the headers (never the pixels) of every file under the given folders or files,
/// recursively, and groups the frames into stacks: by Series Instance UID first, then split
/// where a series mixes orientations, matrix sizes, echoes or acquisitions. Frames of each
/// stack are sorted by position along the slice normal, never by file name or Instance Number.
///
/// Throws std::runtime_error when a path does not exist; unreadable files are reported in the
/// result, not thrown.
class DicomFolderScanner {
 public:
  static DicomScanResult scan(std::span<const std::filesystem::path> paths,
                              const Progress* progress = nullptr);
  static DicomScanResult scan(const std::filesystem::path& path,
                              const Progress* progress = nullptr);
};

}  // namespace annotrace
