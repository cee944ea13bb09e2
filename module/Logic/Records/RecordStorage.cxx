#include "Records/RecordStorage.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "Core/DurableIO.h"
#include "Records/RecordError.h"

namespace annotrace::records {

namespace fs = std::filesystem;
using crypto::Bytes;

namespace {

[[noreturn]] void refuse(RecordErrorCode code, std::string_view name, const std::string& problem) {
  throw RecordError(code, std::string(name) + ": " + problem);
}

}  // namespace

Bytes readFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    refuse(RecordErrorCode::Io, file.string(),
           std::string("cannot open the record: ") + std::strerror(errno));
  }
  Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) refuse(RecordErrorCode::Io, file.string(), "cannot read the record");
  return bytes;
}

namespace {

void writeAll(int fd, std::span<const std::uint8_t> bytes, const fs::path& path) {
  if (!writeFully(fd, bytes)) {
    refuse(RecordErrorCode::Io, path.string(),
           std::string("cannot write the record: ") + std::strerror(errno));
  }
}

// Content addressing: the same name must hold the same bytes.
void checkExisting(const fs::path& target, std::span<const std::uint8_t> bytes) {
  const Bytes existing = readFile(target);
  if (!std::equal(existing.begin(), existing.end(), bytes.begin(), bytes.end())) {
    refuse(RecordErrorCode::AlreadyExists, target.string(),
           "a different file already exists under this record's name; it was not replaced");
  }
}

}  // namespace

void storeNoClobber(const fs::path& target, std::span<const std::uint8_t> bytes) {
  std::error_code ec;
  if (fs::exists(target, ec)) return checkExisting(target, bytes);

  static std::atomic<unsigned> counter{0};
  const fs::path folder = target.parent_path();
  TemporaryPath temp(folder / ("." + target.filename().string() + ".tmp-" +
                               std::to_string(::getpid()) + "-" + std::to_string(counter++)));
  const int fd = ::open(temp.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    temp.keep();  // not ours: nothing to remove
    refuse(
        RecordErrorCode::Io, folder.string(),
        std::string("cannot create a temporary file to write the record: ") + std::strerror(errno));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  writeAll(fd, bytes, temp.path());
  if (::fsync(fd) != 0) refuse(RecordErrorCode::Io, temp.path().string(), "cannot sync to disk");

  // RENAME_NOREPLACE moves atomically and never replaces; where the file system lacks it, a
  // hard link gives the same guarantee (link() fails on an existing name).
  if (::renameat2(AT_FDCWD, temp.path().c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0) {
    temp.keep();
  } else if (errno == EEXIST) {
    return checkExisting(target, bytes);  // another writer won the race
  } else if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP) {
    if (::link(temp.path().c_str(), target.c_str()) != 0) {
      if (errno == EEXIST) return checkExisting(target, bytes);
      refuse(RecordErrorCode::Io, target.string(),
             std::string("cannot move the record into place: ") + std::strerror(errno));
    }
  } else {
    refuse(RecordErrorCode::Io, target.string(),
           std::string("cannot move the record into place: ") + std::strerror(errno));
  }
  if (!syncFolder(folder)) {
    refuse(RecordErrorCode::Io, folder.string(),
           std::string("cannot open the folder to sync it: ") + std::strerror(errno));
  }
}

}  // namespace annotrace::records
