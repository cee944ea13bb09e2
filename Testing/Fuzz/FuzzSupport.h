#pragma once

// What the label-record fuzzers (FuzzRecordFile, FuzzAuditLog, FuzzMemberKeys) and their seed
// generator (MakeRecordsFuzzSeeds) share:
//   - how a fuzzer reports (Harness): finding() aborts with "==Target== FINDING: ...", note()
//     prints "==Target== note: ..." once per key, and attempt() runs one call of the API under
//     test, where a documented error is a result, any other std::exception is noted (a finding
//     when ANNOTRACE_FUZZ_STRICT=1) and anything else propagates (a crash for libFuzzer);
//   - the scratch folder of a fuzzer that needs files;
//   - the fixed keys (Testing/Records/vector, RFC 8032 TEST 1 and 2, RFC 7748 §6.1 Alice), the
//     passphrase and clock, and the sample record whose header prefixes FuzzRecordFile's mode 1
//     and whose bytes are the record seeds (Docs/Fuzzing.md).

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "Records/CryptoPrimitives.h"
#include "Records/MemberKeys.h"
#include "Records/RecordFile.h"

namespace annotrace::fuzz {

// --- Reporting ------------------------------------------------------------------------------

/// Whether the environment variable is set: to `value`, or (without one) to anything but "0".
inline bool envSet(const char* name, const char* value = nullptr) {
  const char* text = std::getenv(name);
  if (!text || !*text) return false;
  return value ? std::strcmp(text, value) == 0 : *text != '0';
}

/// ANNOTRACE_FUZZ_STRICT=1: a std::exception the API does not document is a finding.
inline bool strictMode() {
  static const bool value = envSet("ANNOTRACE_FUZZ_STRICT");
  return value;
}

[[noreturn]] inline void finding(const char* target, const std::string& what) {
  std::fprintf(stderr, "\n==%s== FINDING: %s\n", target, what.c_str());
  std::abort();
}

/// Prints `what` the first time `key` is noted.
inline void note(const char* target, const std::string& key, const std::string& what) {
  static std::set<std::string> seen;
  if (seen.insert(key).second) std::fprintf(stderr, "==%s== note: %s\n", target, what.c_str());
}

/// A fuzz target whose API documents the errors Expected...: `name` prefixes what it prints
/// ("==FuzzRecordFile== ..."), `unexpected` names any other std::exception in a note or finding
/// ("CALL threw <unexpected> (type): what").
template <class... Expected>
struct Harness {
  static_assert(sizeof...(Expected) > 0 && (std::is_base_of_v<std::exception, Expected> && ...));

  const char* name;
  const char* unexpected;

  [[noreturn]] void finding(const std::string& what) const { fuzz::finding(name, what); }
  void note(const std::string& key, const std::string& what) const { fuzz::note(name, key, what); }

  /// The result of `fn`, or nullopt when it throws an Expected error, or another std::exception
  /// (noted once per call; a finding when strictMode()). Anything else propagates (a crash).
  template <class Call>
  auto attempt(const char* call, Call&& fn) const -> std::optional<decltype(fn())> {
    try {
      return fn();
    } catch (const std::exception& error) {
      if (!(dynamic_cast<const Expected*>(&error) || ...)) otherException(call, error);
      return std::nullopt;
    }
  }

 private:
  void otherException(const char* call, const std::exception& error) const {
    const std::string what = std::string(call) + " threw " + unexpected + " (" +
                             typeid(error).name() + "): " + error.what();
    if (strictMode()) finding(what);
    note(call, what);
  }
};

// --- Files ----------------------------------------------------------------------------------

/// This process's scratch folder, made on the first call as "annotrace-fuzz-<what>-<pid>" in
/// $TMPDIR, else /dev/shm (files a fuzzer fsyncs stay cheap on a RAM disk), else the system's
/// temporary folder, and removed at exit. Later calls return the same folder, whatever `what`.
inline const std::filesystem::path& scratchFolder(std::string_view what) {
  namespace fs = std::filesystem;
  static const fs::path folder = [what] {
    fs::path base;
    if (const char* tmp = std::getenv("TMPDIR"); tmp && *tmp) {
      base = tmp;
    } else if (std::error_code ec; fs::is_directory("/dev/shm", ec)) {
      base = "/dev/shm";
    } else {
      base = fs::temp_directory_path();
    }
    const fs::path path =
        base / ("annotrace-fuzz-" + std::string(what) + "-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
    return path;
  }();
  // Registered after `folder` is built, so that it runs before `folder` is destroyed.
  static const bool cleanup = std::atexit([] {
                                std::error_code ec;
                                fs::remove_all(folder, ec);
                              }) == 0;
  (void)cleanup;
  return folder;
}

inline std::string readAll(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// --- Bytes ----------------------------------------------------------------------------------

/// first, first + 1, ... (the counting keys and nonces of the test vectors).
template <std::size_t N>
constexpr std::array<std::uint8_t, N> counting(std::uint8_t first) {
  std::array<std::uint8_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = static_cast<std::uint8_t>(first + i);
  return out;
}

/// N bytes from 2N lowercase hex digits (a constant: checked when it is compiled).
template <std::size_t N>
constexpr std::array<std::uint8_t, N> hexBytes(std::string_view hex) {
  const auto nibble = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw std::invalid_argument("not a lowercase hex digit");
  };
  if (hex.size() != 2 * N) throw std::invalid_argument("hex constant of the wrong length");
  std::array<std::uint8_t, N> out{};
  for (std::size_t i = 0; i < N; ++i)
    out[i] = static_cast<std::uint8_t>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
  return out;
}

inline void putU32(crypto::Bytes& out, std::size_t value) {
  for (int shift = 0; shift < 32; shift += 8)
    out.push_back(static_cast<std::uint8_t>(value >> shift));
}

inline std::uint32_t getU32(std::span<const std::uint8_t> in) {
  return std::uint32_t{in[0]} | std::uint32_t{in[1]} << 8 | std::uint32_t{in[2]} << 16 |
         std::uint32_t{in[3]} << 24;
}

// --- Fixed keys (Testing/Records/vector) ------------------------------------------------------

inline constexpr records::ProjectKey kProjectKey = counting<32>(0x80);
/// member:alice, the signer of the records: RFC 8032 TEST 1.
inline constexpr crypto::Ed25519Seed kAliceSeed =
    hexBytes<32>("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
/// member:bob: RFC 8032 TEST 2.
inline constexpr crypto::Ed25519Seed kBobSeed =
    hexBytes<32>("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
/// The recipient of the key stanzas: RFC 7748 §6.1 Alice.
inline constexpr crypto::X25519PrivateKey kX25519Alice =
    hexBytes<32>("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
/// What the sealed secrets are sealed with.
inline constexpr std::string_view kPassphrase = "correct horse battery staple";

/// 2025-01-01T00:00:00Z.
inline std::chrono::system_clock::time_point fixedClock() {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(1735689600000));
}

// --- The sample record ------------------------------------------------------------------------

/// A fixed creation time and software, and a counting random source (record key 0x00..0x1f,
/// nonce prefix 0x20..0x26, wrap nonce 0x27..0x32, as in RecordFileTest).
inline records::WriteOptions sampleOptions(std::size_t chunkSize) {
  records::WriteOptions options;
  options.chunkSize = chunkSize;
  options.createdUtc = "2025-01-01T00:00:00Z";
  options.software = "annotrace fuzz seed";
  options.compressionLevel = 6;  // as the committed seeds were made (the writer now uses 1)
  auto next = std::make_shared<std::uint8_t>(0);
  options.random = [next](std::span<std::uint8_t> out) {
    for (auto& byte : out) byte = (*next)++;
  };
  return options;
}

inline records::RecordInfo sampleInfo() {
  records::RecordInfo info;
  info.author = "member:alice";
  info.role = "annotator";
  info.parents = {std::string(64, '0')};
  info.state = "submitted";
  info.source = {{"SeriesInstanceUID", "1.2.826.0.1.3680043.8.498.11"}};
  info.auditEntry = "audit:000001";
  info.auditHead = std::string(64, 'e');
  return info;
}

inline std::string samplePlaintext() {
  std::string text = "{\"segments\":[";
  for (int i = 0; i < 12; ++i) text += "{\"label\":" + std::to_string(i + 1) + ",\"voxels\":77},";
  text.back() = ']';
  return text + "}";
}

/// The sample plaintext as a record signed by alice, in chunks of `chunkSize` bytes.
inline records::EncodedRecord sampleRecord(std::size_t chunkSize) {
  return records::RecordFile::encode(sampleInfo(), crypto::asBytes(samplePlaintext()), kProjectKey,
                                     kAliceSeed, sampleOptions(chunkSize));
}

}  // namespace annotrace::fuzz
