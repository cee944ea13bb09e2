#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <utility>

#include "Core/UniqueFd.h"

namespace annotrace {

// The few POSIX steps every crash-safe writer repeats (records, the audit log, the vault).
// Each returns false with errno set, so the caller reports it with its own error type.

/// write() until every byte is out, through short writes and EINTR.
inline bool writeFully(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

inline bool writeFully(int fd, std::string_view text) {
  return writeFully(fd, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

/// fsync of a folder, so that a rename or a new file in it reaches the disk. False only when
/// the folder cannot be opened: some file systems refuse fsync on a folder, and the files
/// themselves are synced already.
inline bool syncFolder(const std::filesystem::path& folder) {
  const UniqueFd fd(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return false;
  (void)::fsync(fd.get());
  return true;
}

/// A temporary file's name, unlinked on scope exit unless keep() was called (it was moved
/// into place, or was never created by us).
class TemporaryPath {
 public:
  explicit TemporaryPath(std::filesystem::path path) : path_(std::move(path)) {}
  TemporaryPath(const TemporaryPath&) = delete;
  TemporaryPath& operator=(const TemporaryPath&) = delete;
  ~TemporaryPath() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const std::filesystem::path& path() const { return path_; }
  void keep() { path_.clear(); }

 private:
  std::filesystem::path path_;
};

}  // namespace annotrace
