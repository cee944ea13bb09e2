#pragma once

// What the crash and concurrency tests of record saves share (RecordCrashTest.cxx,
// RecordCrashHarness.cxx): the test vault and its members, the payloads the writers save, child
// processes that report through a pipe, and a look at what a kill left in a vault folder.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "Records/AuditLog.h"
#include "Records/Vault.h"
#include "Records/VaultVerifier.h"
#include "Segmentation/Segmentation.h"

namespace annotrace::records::crashtest {

namespace fs = std::filesystem;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// --- The vault and its members ----------------------------------------------------------------

inline const std::string kAdmin = "admin";
inline const std::string kAnnotator = "annotator";
inline const std::string kReviewer = "reviewer";
std::string passphraseOf(const std::string& member);

/// scrypt at its accepted minimum: the tests unlock often.
VaultOptions fastOptions();

/// A vault with an admin, an annotator and a reviewer, all at the minimum scrypt cost.
void makeVault(const fs::path& folder);

/// A whole number from the environment, or `fallback` (a test failure when it is not one).
long envNumber(const char* name, long fallback);

double secondsSince(SteadyClock::time_point start);

std::string readText(const fs::path& file);

std::string sha256Hex(std::span<const std::uint8_t> bytes);

// --- Payloads ---------------------------------------------------------------------------------

/// A small segmentation whose voxels depend on (stream, counter): two overlapping segments on a
/// 24 x 20 x 6 grid, a few runs each. The parent rebuilds it to check what a record holds.
/// Runs may reach either end of a row, so runs meeting across a row end occur too (see
/// PayloadRunsMeetingAcrossARowEndDecode).
Segmentation makeSegmentation(std::uint64_t stream, std::uint64_t counter);

/// The payload of makeSegmentation(stream, counter) with one "paint" operation.
std::vector<std::uint8_t> makePayload(std::uint64_t stream, std::uint64_t counter);

/// The record source of a stream (study uid ...498.<stream + 1>).
json sourceOf(std::uint64_t stream);

/// The stream a record belongs to, from its header's source (study uid ...498.<stream + 1>).
std::optional<std::uint64_t> streamOf(const json& header);

// --- Child processes --------------------------------------------------------------------------

/// One line in one write(): lines are far below PIPE_BUF, so a kill never leaves half of one.
void sendLine(int fd, const std::string& line);

/// A child process that reports through a pipe: its pid and the read end.
struct Child {
  pid_t pid = -1;
  int fd = -1;
};

/// Runs `body` in a child process that reports through a pipe; returns the pid and the read end
/// (pid -1 when the fork or the pipe failed).
Child spawn(const std::function<void(int)>& body);

/// Reads whole lines from a child's pipe into `lines`; waits at most `timeoutMs` (-1: until the
/// pipe ends). Returns false when the pipe has ended.
bool readLines(int fd, std::string& buffer, std::vector<std::string>& lines, int timeoutMs);

/// The whitespace-separated words of a line.
std::vector<std::string> words(const std::string& line);

// --- What a kill left -------------------------------------------------------------------------

struct LogTail {
  std::uint64_t seq = 0;
  std::string hash = AuditLog::kGenesisHash;
  bool torn = false;      ///< bytes after the last complete entry
  std::string tornBytes;  ///< those bytes
};

LogTail readLogTail(const fs::path& log);

enum class Phase {
  Elsewhere,             ///< nothing of a save in flight: encode, submit, review, unlock, between
  InRecordWrite,         ///< a temporary file in records/pending/: killed while writing the record
  PendingNotLogged,      ///< records/pending/<id>.atrec, its entry not appended: must be recovered
  LoggedNotRenamed,      ///< its entry appended, still only in records/pending/: rename finished
  LinkedNotRemoved,      ///< in records/ and still in records/pending/: the unlink is finished
  CommittedNotReported,  ///< in records/ only, but save() had not returned or not reported
  Unexpected,            ///< a pending record whose audit link is neither (a bug)
};

const char* nameOf(Phase phase);

struct PendingFile {
  std::string id;
  std::uint64_t entry = 0;
  std::string head;
};

struct VaultState {
  LogTail tail;
  std::vector<PendingFile> pending;
  std::set<std::string> temporaries;  ///< names of leftover temporary files in pending/
};

/// The audit log's tail and what is in records/pending/, as found (nothing recovered).
VaultState lookAt(const fs::path& folder);

/// The ids of the record files in `records`.
std::set<std::string> recordFiles(const fs::path& records);

/// The torn-line files kept aside in a vault folder.
std::vector<fs::path> tornFiles(const fs::path& folder);

/// A verification report's problems, one a line, for a failure message.
std::string describe(const VaultReport& report);

std::size_t countAction(const std::vector<AuditEntry>& entries, std::string_view action);

/// A prefix of the line the audit log would get next (cut inside it, no newline): what a crash
/// in the middle of an append's write() leaves.
std::string tornPrefix(const LogTail& tail, const std::string& actor, const std::string& role,
                       const std::string& action, std::vector<std::string> targets,
                       const std::string& reason, std::mt19937& random);

void appendBytes(const fs::path& file, const std::string& bytes);

}  // namespace annotrace::records::crashtest
