#pragma once

// What the vault and record tests share: fast key sealing, whole-file text, VaultError codes.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "Records/AuditLog.h"
#include "Records/RecordFile.h"
#include "Records/Vault.h"

namespace annotrace::records {

inline void PrintTo(VaultErrorCode code, std::ostream* out) {
  *out << toString(code);
}

namespace test {

/// scrypt at its accepted minimum: tests unlock often; production uses the default cost.
inline VaultOptions fastOptions() {
  VaultOptions options;
  options.scrypt = crypto::ScryptParameters::minimum();
  return options;
}

inline std::string readText(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void writeText(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

/// The VaultError code `action` throws (a test failure when it throws none).
template <typename F>
VaultErrorCode codeOf(F&& action, std::string* message = nullptr) {
  try {
    action();
  } catch (const VaultError& error) {
    if (message) *message = error.what();
    return error.code();
  }
  ADD_FAILURE() << "expected a VaultError";
  return VaultErrorCode::Io;
}

/// A record's info as RecordStore::save would fill it when the log's head is `head`: for
/// records written by hand (forgeries, saves cut off before their entry).
inline RecordInfo linkedInfo(const std::string& author, const std::string& role,
                             const AuditHead& head) {
  RecordInfo info;
  info.author = author;
  info.role = role;
  info.auditEntry = std::to_string(head.seq + 1);
  info.auditHead = head.hash;
  return info;
}

}  // namespace test
}  // namespace annotrace::records
