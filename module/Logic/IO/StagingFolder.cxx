#include "IO/StagingFolder.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>

namespace annotrace {

namespace fs = std::filesystem;

namespace {

std::runtime_error fileError(const fs::path& path, const std::string& problem) {
  return std::runtime_error(path.string() + ": " + problem);
}

}  // namespace

StagingFolder::StagingFolder(const fs::path& parent) : parent_(parent) {
  static std::atomic<unsigned> counter{0};
  for (int attempt = 0; attempt < 100; ++attempt) {
    path_ = parent /
            (".annotrace-save-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::error_code ec;
    if (fs::create_directory(path_, ec)) return;
    if (ec) {
      throw fileError(parent, "cannot create a temporary folder to save into: " + ec.message());
    }
  }
  throw fileError(parent, "cannot create a temporary folder to save into");
}

StagingFolder::~StagingFolder() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void StagingFolder::sync(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (fd < 0) throw fileError(path, "cannot open to sync it to disk");
  const int result = ::fsync(fd);
  ::close(fd);
  // Some file systems refuse fsync on a directory; the data itself was synced already.
  if (result != 0 && !directory) throw fileError(path, "cannot sync the file to disk");
}

void StagingFolder::commit(const std::function<bool(const std::string& name)>& pick,
                           const std::vector<std::string>& last) {
  std::vector<fs::path> files, after;
  for (const auto& entry : fs::directory_iterator(path_)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || !pick(name)) continue;
    (std::find(last.begin(), last.end(), name) != last.end() ? after : files)
        .push_back(entry.path());
  }
  files.insert(files.end(), after.begin(), after.end());
  for (const fs::path& file : files) sync(file, false);
  for (const fs::path& file : files) {
    std::error_code ec;
    fs::rename(file, parent_ / file.filename(), ec);
    if (ec) {
      throw fileError(parent_ / file.filename(),
                      "cannot move the saved file into place: " + ec.message());
    }
  }
  sync(parent_, true);  // the renames themselves reach the disk before what follows
}

}  // namespace annotrace
