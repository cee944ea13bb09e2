#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace annotrace {

/// A private folder next to the files being saved, removed with whatever it still holds.
///
/// Each file is written there under its final name (so a detached NRRD header keeps naming its
/// data file), then commit() syncs it and renames it into place, and syncs the folder so the
/// renames reach the disk before anything written after them. A failed or interrupted save
/// never leaves a half-written file where the user's file was. Errors are
/// std::runtime_error naming the path and the problem.
class StagingFolder {
 public:
  explicit StagingFolder(const std::filesystem::path& parent);
  StagingFolder(const StagingFolder&) = delete;
  StagingFolder& operator=(const StagingFolder&) = delete;
  ~StagingFolder();

  const std::filesystem::path& path() const { return path_; }

  /// Moves the staged files whose names `pick` accepts into the parent folder; the files named
  /// in `last` go after the others (a .nhdr header after its data file).
  void commit(const std::function<bool(const std::string& name)>& pick,
              const std::vector<std::string>& last = {});

  /// fsync of a file, or of a folder (refusals of folder syncs by some file systems ignored).
  static void sync(const std::filesystem::path& path, bool directory);

 private:
  std::filesystem::path parent_;
  std::filesystem::path path_;
};

}  // namespace annotrace
