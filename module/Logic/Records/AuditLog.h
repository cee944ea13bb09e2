#pragma once

// The vault's tamper-evident audit trail (Docs/Vault.md, "Audit log (built)"): an append-only
// file "audit.log", one canonical JSON object per line, each entry holding the hash of the one
// before it (a hash chain) and signed with Ed25519 by its actor.
//
//   {"action","actor","hash","prev","reason","role","seq","sig","targets","utc"}
//   hash = hex SHA-256(canonical JSON of the entry without "hash" and "sig")
//   prev = the previous entry's "hash" (64 zeros for seq 1)
//   sig  = base64 Ed25519(actor's seed, the 32 raw bytes of hash)
//
// Appends take an exclusive flock on "audit.lock" beside the log and re-read the log's tail
// under it, so several processes can append to one log without losing or forking entries.
// Each line goes out in one write() and is fsynced before append() returns.
//
// What the log alone cannot show: a dropped tail (the remaining prefix is a valid chain).
// Records store the head they saw; verifyHead() checks that such a head is still in the log.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "Core/UniqueFd.h"
#include "Records/CryptoPrimitives.h"

namespace annotrace::records {

/// Why an audit operation failed, or what verification found first. In the order verify()
/// checks a line.
enum class AuditErrorCode {
  Io,              ///< the log or its lock cannot be read or written
  AlreadyExists,   ///< create(): the folder already has a log
  InvalidEvent,    ///< append(): the caller's event is incomplete or not UTF-8
  TornLine,        ///< the last line is incomplete (crash mid-append); open() recovers it
  BadJson,         ///< a line is not a JSON object
  NotCanonical,    ///< JSON, but not byte-identical to its canonical form
  MalformedEntry,  ///< canonical JSON, but a field is missing, extra or out of range
  SeqGap,          ///< seq is not the previous seq + 1 (a line deleted, inserted or moved)
  BrokenChain,     ///< prev is not the previous entry's hash
  HashMismatch,    ///< hash does not recompute: the entry was edited
  UnknownActor,    ///< no public key for the actor at that entry
  BadSignature,    ///< the actor's key did not sign this hash
  HeadMissing,     ///< verifyHead(): the log ends before the remembered seq (tail dropped)
  HeadMismatch,    ///< verifyHead(): the entry at that seq has another hash (rewritten)
};

std::string_view toString(AuditErrorCode code);

/// An audit operation refused, with a code (for programs and tests) and a message that names
/// the file, the line and the problem (for people).
class AuditError : public std::runtime_error {
 public:
  AuditError(AuditErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  AuditErrorCode code() const { return code_; }

 private:
  AuditErrorCode code_;
};

/// What the caller says happened; the log adds seq, utc and the chain fields.
struct AuditEvent {
  std::string actor;                 ///< member id
  std::string role;                  ///< "annotator", "reviewer" or "admin"
  std::string action;                ///< e.g. "record-created", "unlock-failed"
  std::vector<std::string> targets;  ///< ids the action concerns (records, members, cases)
  std::string reason;                ///< free text, may be empty
};

/// One line of the log.
struct AuditEntry {
  std::uint64_t seq = 0;  ///< 1-based, consecutive
  std::string utc;        ///< "YYYY-MM-DDTHH:MM:SS.mmmZ", the writer's clock
  std::string actor;
  std::string role;
  std::string action;
  std::vector<std::string> targets;
  std::string reason;
  std::string prev;  ///< 64 lowercase hex digits
  std::string hash;  ///< 64 lowercase hex digits
  std::string sig;   ///< base64 of 64 bytes
};

/// The last entry of a log: what a record remembers. An empty log has seq 0 and kGenesisHash.
struct AuditHead {
  std::uint64_t seq = 0;
  std::string hash;
  bool operator==(const AuditHead&) const = default;
};

/// A partial last line found by open() or append() and moved out of the log.
struct TornLine {
  std::filesystem::path savedTo;  ///< "audit.log.torn-<utc>" beside the log, the exact bytes
  std::size_t bytes = 0;
  AuditHead after;  ///< the last complete entry before it
};

/// The first problem verify() or verifyHead() found, if any.
struct AuditProblem {
  AuditErrorCode code = AuditErrorCode::Io;
  std::size_t line = 0;              ///< 1-based line of the log (0: not about one line)
  std::optional<std::uint64_t> seq;  ///< the seq the line claims, when it could be read
  std::string message;               ///< for people: line, seq and what is wrong
};

struct AuditVerifyResult {
  std::size_t entries = 0;  ///< lines checked and found good before the problem (or all)
  AuditHead head;           ///< the last good entry
  std::optional<AuditProblem> problem;
  bool ok() const { return !problem; }
};

/// The actor's Ed25519 public key as of entry `seq`, or nullopt for an unknown actor.
using PublicKeyLookup = std::function<std::optional<crypto::Ed25519PublicKey>(
    const std::string& actor, std::uint64_t seq)>;
using AuditClock = std::function<std::chrono::system_clock::time_point()>;

/// For audit show. Every given criterion must hold; times compare as text, so any prefix of
/// "YYYY-MM-DDTHH:MM:SS.mmmZ" works ("2024-05" is the start of May 2024).
struct AuditFilter {
  std::optional<std::string> actor;
  std::optional<std::string> action;
  std::optional<std::string> target;     ///< one of the entry's targets
  std::optional<std::string> fromUtc;    ///< inclusive
  std::optional<std::string> beforeUtc;  ///< exclusive
};

class AuditLog {
 public:
  class Writer;

  static constexpr std::string_view kLogName = "audit.log";
  static constexpr std::string_view kLockName = "audit.lock";
  static constexpr std::string_view kTornPrefix = "audit.log.torn-";
  static constexpr std::string_view kTornAction = "torn-line-recovered";
  static inline const std::string kGenesisHash = std::string(64, '0');

  /// Starts an empty log in an existing folder (vault init). AlreadyExists if there is one.
  static AuditLog create(const std::filesystem::path& folder, AuditClock clock = {});

  /// Opens the log, recovering a torn last line (see recovered()). A damaged line that is not
  /// the last is left alone: that is for verify() to report. Io if there is no log.
  static AuditLog open(const std::filesystem::path& folder, AuditClock clock = {});

  /// Partial last lines this object moved aside, in open() or in an append() that found one
  /// (another process crashed). The caller should log each with tornLineEvent().
  const std::vector<TornLine>& recovered() const { return recovered_; }
  /// recovered(), emptied: for the caller who logs each recovery once.
  std::vector<TornLine> takeRecovered() { return std::exchange(recovered_, {}); }

  /// The event to append for a recovered torn line.
  static AuditEvent tornLineEvent(const TornLine& torn, std::string actor, std::string role);

  /// Appends one entry signed with `signingSeed` (the actor's), under the lock, fsynced.
  /// Throws InvalidEvent for a bad event, Io when the line cannot be written (the log is cut
  /// back to where it was), and the read codes when the last entry cannot be chained to.
  AuditEntry append(const AuditEvent& event, const crypto::Ed25519Seed& signingSeed);

  /// Takes the exclusive append lock and reads the head under it (moving a torn last line
  /// aside, see recovered()). While the Writer lives nobody else can append, so a caller can
  /// learn the head, write something that names it (a record) and append the entry about it.
  /// Do not call other methods of this log from the same thread meanwhile: they take the lock
  /// through another descriptor and would wait for ever.
  Writer beginAppend();

  /// The current last entry (re-read: other processes may have appended).
  AuditHead head() const;

  /// Checks every line: JSON, canonical form, fields, seq, chain, hash, signature. Stops at the
  /// first bad line. Read under a shared lock, so a concurrent append is never half seen.
  /// `goodEntries`, when given, receives every entry found good (all of them when ok()).
  AuditVerifyResult verify(const PublicKeyLookup& publicKeyOf,
                           std::vector<AuditEntry>* goodEntries = nullptr) const;

  /// Whether the remembered head is still in the log: an entry with that seq and that hash.
  /// Reads only the log's own fields; run verify() to trust them.
  AuditVerifyResult verifyHead(std::uint64_t expectedSeq, const std::string& expectedHash) const;

  /// Entries matching the filter, in log order. Throws AuditError naming the first line that
  /// cannot be read as an entry (run verify() for the full check).
  std::vector<AuditEntry> filter(const AuditFilter& criteria = {}) const;

  const std::filesystem::path& folder() const { return folder_; }
  std::filesystem::path logPath() const { return folder_ / kLogName; }

  /// Canonical JSON of an entry without "hash" and "sig": the bytes its hash covers.
  static std::string hashInput(const AuditEntry& entry);
  /// The whole line, with the trailing newline.
  static std::string line(const AuditEntry& entry);
  static std::string formatUtc(std::chrono::system_clock::time_point time);

 private:
  AuditLog(std::filesystem::path folder, AuditClock clock);

  std::filesystem::path folder_;
  AuditClock clock_;
  std::vector<TornLine> recovered_;
};

/// The log held open for appending under its exclusive lock (AuditLog::beginAppend()).
class AuditLog::Writer {
 public:
  Writer(Writer&&) noexcept = default;
  Writer& operator=(Writer&&) = delete;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer() = default;

  /// The last entry; follows this writer's own appends.
  const AuditHead& head() const { return head_; }
  /// Appends one entry, as AuditLog::append() does.
  AuditEntry append(const AuditEvent& event, const crypto::Ed25519Seed& signingSeed);
  /// AuditLog::filter() through the held lock.
  std::vector<AuditEntry> filter(const AuditFilter& criteria = {}) const;

 private:
  friend class AuditLog;
  Writer(AuditLog& log, UniqueFd lock, UniqueFd fd, AuditHead head, std::int64_t size);

  AuditLog* log_;
  UniqueFd lock_;
  UniqueFd fd_;
  AuditHead head_;
  std::int64_t size_ = 0;  ///< bytes of the log, all whole lines
};

}  // namespace annotrace::records
