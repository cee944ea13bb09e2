#pragma once

// Helpers shared by the vault's classes (Vault, Membership, ProjectKeyRing): atomic JSON files,
// the vault lock, wiping secrets, base64 key fields. Internal to module/Logic/Records.

#include <openssl/crypto.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "Core/UniqueFd.h"
#include "Records/CryptoPrimitives.h"
#include "Records/VaultError.h"

namespace annotrace::records::vaultfiles {

constexpr int kVersion = 1;

[[noreturn]] inline void fail(VaultErrorCode code, const std::string& message) {
  throw VaultError(code, message);
}
std::string errnoText();

template <std::size_t N>
void wipe(std::array<std::uint8_t, N>& bytes) {
  OPENSSL_cleanse(bytes.data(), bytes.size());
}
inline void wipe(crypto::Bytes& bytes) {
  if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
}

/// Wipes a byte vector when leaving scope.
struct WipeOnExit {
  crypto::Bytes& bytes;
  ~WipeOnExit() { wipe(bytes); }
};

template <std::size_t N>
std::array<std::uint8_t, N> fixed(const crypto::Bytes& bytes, const std::string& what) {
  if (bytes.size() != N) {
    fail(VaultErrorCode::MalformedFile,
         what + " has " + std::to_string(bytes.size()) + " bytes instead of " + std::to_string(N));
  }
  std::array<std::uint8_t, N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> fromBase64(const nlohmann::json& value, const std::string& what) {
  if (!value.is_string()) fail(VaultErrorCode::MalformedFile, what + " is missing or not text");
  auto bytes = crypto::base64Decode(value.get<std::string>());
  if (!bytes) fail(VaultErrorCode::MalformedFile, what + " is not valid base64");
  return fixed<N>(*bytes, what);
}

/// Member ids name files: 1 to 64 of [a-z0-9._-], not starting with '.' or '-' (InvalidId).
void checkId(const std::string& id);
void checkPassphrase(std::string_view passphrase);  ///< EmptyPassphrase
void syncVaultFolder(const std::filesystem::path& folder);
/// Temporary file in the target's folder, fsync, rename over the target, fsync the folder.
void writeAtomically(const std::filesystem::path& target, std::string_view text);
void writeJson(const std::filesystem::path& target, const nlohmann::json& value);
/// A JSON object, or VaultError(missingCode) when unreadable, MalformedFile when not JSON.
nlohmann::json readJson(const std::filesystem::path& file, VaultErrorCode missingCode);

/// Exclusive flock on vault.lock, held for membership and key changes.
class VaultLock {
 public:
  explicit VaultLock(const std::filesystem::path& folder);

 private:
  UniqueFd fd_;
};

std::filesystem::path memberFile(const std::filesystem::path& folder, const std::string& id);
std::filesystem::path keyFile(const std::filesystem::path& folder, const std::string& id);

}  // namespace annotrace::records::vaultfiles
