#pragma once

// What the audit-log tests share: fixed member keys, a stepping clock, line editing as an
// attacker without keys would, and the AuditLogTest fixture.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "Records/AuditLog.h"
#include "Records/CryptoPrimitives.h"
#include "TestData.h"

namespace annotrace::records {

// Codes by name in test failures.
inline void PrintTo(AuditErrorCode code, std::ostream* out) {
  *out << toString(code);
}

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::TempDir;
using Clock = std::chrono::system_clock;

inline crypto::Ed25519Seed seedOf(std::uint8_t k) {
  crypto::Ed25519Seed seed{};
  seed.fill(k);
  return seed;
}

const std::map<std::string, crypto::Ed25519Seed> kSeeds = {
    {"alice", seedOf(1)}, {"bob", seedOf(2)}, {"carol", seedOf(3)}};
const std::map<std::string, std::string> kRoleOf = {
    {"alice", "admin"}, {"bob", "reviewer"}, {"carol", "annotator"}};

inline std::optional<crypto::Ed25519PublicKey> members(const std::string& actor, std::uint64_t) {
  // Derived once: the crash harness verifies tens of thousands of entries.
  static const std::map<std::string, crypto::Ed25519PublicKey> keys = [] {
    std::map<std::string, crypto::Ed25519PublicKey> out;
    for (const auto& [name, seed] : kSeeds) out[name] = crypto::ed25519PublicKey(seed);
    return out;
  }();
  const auto it = keys.find(actor);
  if (it == keys.end()) return std::nullopt;
  return it->second;
}

// 2024-05-01T10:00:00.000Z plus one second per call: reproducible utc fields.
inline AuditClock steppingClock() {
  auto calls = std::make_shared<int>(0);
  return [calls] { return Clock::time_point(std::chrono::seconds(1714557600 + (*calls)++)); };
}

AuditEvent event(const std::string& actor, std::string action,
                 std::vector<std::string> targets = {}, std::string reason = "") {
  return AuditEvent{actor, kRoleOf.at(actor), std::move(action), std::move(targets),
                    std::move(reason)};
}

inline std::string readText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

inline void writeText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline std::vector<std::string> readLines(const fs::path& path) {
  std::vector<std::string> lines;
  std::istringstream in(readText(path));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline void writeLines(const fs::path& path, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  writeText(path, text);
}

inline std::string sha256Hex(std::string_view text) {
  return crypto::toHex(crypto::sha256(crypto::asBytes(text)));
}

// SHA-256 by Python's hashlib: a second implementation for the documented hash input.
inline std::string pythonSha256(const fs::path& file) {
  const std::string command = std::string(ANNOTRACE_TEST_PYTHON) +
                              " -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"
                              "\"rb\").read()).hexdigest())' '" +
                              file.string() + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return "popen failed";
  std::array<char, 128> buffer{};
  std::string out;
  while (std::fgets(buffer.data(), buffer.size(), pipe)) out += buffer.data();
  ::pclose(pipe);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Rewrites a line as an attacker with the file but no keys would: new content, hash
// recomputed (so the chain to the next entry breaks or the signature fails).
inline std::string rehashed(const std::string& line, const std::function<void(json&)>& edit) {
  json value = json::parse(line);
  edit(value);
  json hashed = value;
  hashed.erase("hash");
  hashed.erase("sig");
  value["hash"] = sha256Hex(hashed.dump());
  return value.dump();
}

class AuditLogTest : public ::testing::Test {
 protected:
  TempDir dir;

  AuditLog makeLog(int entries) {
    AuditLog log = AuditLog::create(dir.path(), steppingClock());
    const std::vector<std::string> actors = {"alice", "bob", "carol"};
    for (int i = 0; i < entries; ++i) {
      const std::string& actor = actors[static_cast<std::size_t>(i) % actors.size()];
      log.append(event(actor, "record-created", {"rec-" + std::to_string(i + 1)}, "work"),
                 kSeeds.at(actor));
    }
    return log;
  }

  fs::path logPath() const { return dir.path() / AuditLog::kLogName; }

  void expectFirstBad(const AuditLog& log, AuditErrorCode code, std::size_t line,
                      std::optional<std::uint64_t> seq) {
    const AuditVerifyResult result = log.verify(members);
    ASSERT_FALSE(result.ok()) << "tampering not detected";
    EXPECT_EQ(result.problem->code, code) << result.problem->message;
    EXPECT_EQ(result.problem->line, line) << result.problem->message;
    EXPECT_EQ(result.problem->seq, seq) << result.problem->message;
    EXPECT_EQ(result.entries, line - 1);
    EXPECT_FALSE(result.problem->message.empty());
  }

  std::vector<fs::path> tornFiles() const {
    std::vector<fs::path> files;
    for (const auto& item : fs::directory_iterator(dir.path())) {
      if (item.path().filename().string().starts_with(AuditLog::kTornPrefix)) {
        files.push_back(item.path());
      }
    }
    std::sort(files.begin(), files.end());
    return files;
  }
};

}  // namespace
}  // namespace annotrace::records
