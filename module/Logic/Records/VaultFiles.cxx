#include "Records/VaultFiles.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "Core/DurableIO.h"
#include "Records/CanonicalJson.h"

namespace annotrace::records::vaultfiles {

namespace fs = std::filesystem;
using nlohmann::json;

std::string errnoText() {
  return std::strerror(errno);
}

void checkId(const std::string& id) {
  const bool ok =
      !id.empty() && id.size() <= 64 && id.front() != '.' && id.front() != '-' &&
      std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      });
  if (!ok) {
    fail(VaultErrorCode::InvalidId,
         "member id \"" + id +
             "\" is not allowed: use 1 to 64 lowercase letters, digits, '.', '_' or '-', not "
             "starting with '.' or '-'");
  }
}

void checkPassphrase(std::string_view passphrase) {
  if (passphrase.empty()) fail(VaultErrorCode::EmptyPassphrase, "the passphrase must not be empty");
}

// --- Files ----------------------------------------------------------------------------------

void syncVaultFolder(const fs::path& folder) {
  if (!syncFolder(folder)) {
    fail(VaultErrorCode::Io, "cannot open folder " + folder.string() + ": " + errnoText());
  }
}

void writeAtomically(const fs::path& target, std::string_view text) {
  static std::atomic<unsigned> counter{0};
  const fs::path folder = target.parent_path();
  const fs::path temp = folder / ("." + target.filename().string() + ".tmp-" +
                                  std::to_string(::getpid()) + "-" + std::to_string(counter++));
  const UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) fail(VaultErrorCode::Io, "cannot create " + temp.string() + ": " + errnoText());
  TemporaryPath remove(temp);
  if (!writeFully(fd.get(), text)) {
    fail(VaultErrorCode::Io, "cannot write " + target.string() + ": " + errnoText());
  }
  if (::fsync(fd.get()) != 0) {
    fail(VaultErrorCode::Io, "cannot sync " + target.string() + " to disk: " + errnoText());
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    fail(VaultErrorCode::Io, "cannot move " + target.string() + " into place: " + errnoText());
  }
  remove.keep();
  syncVaultFolder(folder);
}

void writeJson(const fs::path& target, const json& value) {
  writeAtomically(target, canonicalJson(value) + "\n");
}

json readJson(const fs::path& file, VaultErrorCode missingCode) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(missingCode, "cannot read " + file.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    json value = json::parse(buffer.str());
    if (!value.is_object())
      fail(VaultErrorCode::MalformedFile, file.string() + " is not a JSON object");
    return value;
  } catch (const json::exception&) {
    fail(VaultErrorCode::MalformedFile, file.string() + " is not valid JSON");
  }
}

VaultLock::VaultLock(const fs::path& folder)
    : fd_(::open((folder / "vault.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
  if (fd_.get() < 0) fail(VaultErrorCode::Io, "cannot open the vault lock: " + errnoText());
  while (::flock(fd_.get(), LOCK_EX) != 0) {
    if (errno != EINTR) fail(VaultErrorCode::Io, "cannot lock the vault: " + errnoText());
  }
}  // the descriptor closes with the object, which releases the lock

fs::path memberFile(const fs::path& folder, const std::string& id) {
  return folder / "members" / (id + ".json");
}
fs::path keyFile(const fs::path& folder, const std::string& id) {
  return folder / "keys" / (id + ".json");
}

// --- Membership JSON ------------------------------------------------------------------------

}  // namespace annotrace::records::vaultfiles
