#pragma once

// Label records in a vault (Docs/Vault.md, "Records in the vault"): saving links each record
// and its "record-created" audit entry both ways; opening, submitting and reviewing are checked
// against the member's role and audited.
//
//   save:   under the audit append lock: head H (seq n) -> record naming entry n + 1 and head
//           H, written to records/pending/ -> entry n + 1 "record-created" naming the record
//           -> rename into records/ (PendingRecords says how a crash in between is finished)
//   open:   verify (author's key valid at the record's entry) and decrypt; "record-decrypted"
//   submit: the author only; "record-submitted"
//   review: a reviewer or admin who is not the author, on a submitted record, with a reason;
//           "review-approved" / "review-rejected" (refusals: "review-refused", signed by them)

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "Records/RecordFile.h"
#include "Records/Vault.h"

namespace annotrace::records {

struct SavedRecord {
  std::string id;
  std::filesystem::path file;
  AuditEntry entry;  ///< its "record-created" entry
};

enum class ReviewDecision { Approve, Reject };

/// A record's header and what the audit log says about it (for listings; no keys needed).
struct RecordSummary {
  std::string id;
  std::string author;
  std::string role;
  std::string createdUtc;
  std::string kind;
  std::string headerState;  ///< "draft" or "submitted", as saved
  std::vector<std::string> parents;
  nlohmann::json source;
  std::uint64_t entrySeq = 0;
  /// draft, submitted, approved or rejected: the header's state, then the log's events.
  std::string status;
  std::string lastReviewer;  ///< who approved or rejected, if anyone
  std::string lastReason;
};

class RecordStore {
 public:
  static constexpr std::string_view kCreated = "record-created";
  static constexpr std::string_view kDecrypted = "record-decrypted";
  static constexpr std::string_view kSubmitted = "record-submitted";
  static constexpr std::string_view kApproved = "review-approved";
  static constexpr std::string_view kRejected = "review-rejected";
  static constexpr std::string_view kRefused = "review-refused";

  explicit RecordStore(Vault& vault) : vault_(&vault) {}

  /// Saves `payload` as a record by `author` (author, role and audit link are filled in from
  /// the member and the log; `info.parents` must name records of this vault). Throws
  /// VaultError or RecordError; on failure nothing is committed.
  SavedRecord save(const UnlockedMember& author, RecordInfo info,
                   std::span<const std::uint8_t> payload, WriteOptions options = {});

  /// Verifies and decrypts a record (full id or a unique prefix of at least 8 hex digits)
  /// and appends "record-decrypted".
  OpenedRecord open(const UnlockedMember& reader, const std::string& idOrPrefix);

  /// The author marks their draft ready for review.
  AuditEntry submit(const UnlockedMember& author, const std::string& idOrPrefix);

  /// A signed decision with its reason.
  AuditEntry review(const UnlockedMember& reviewer, const std::string& idOrPrefix,
                    ReviewDecision decision, const std::string& reason);

  /// Every committed record, oldest entry first (headers are read, not verified: run the
  /// vault verification for that).
  std::vector<RecordSummary> list() const;

  /// The full id of a committed record from an id or unique prefix (UnknownRecord,
  /// AmbiguousRecord otherwise).
  std::string resolve(const std::string& idOrPrefix) const;

  std::filesystem::path fileOf(const std::string& id) const;

 private:
  /// Reads a committed record's header and verifies it against its author's key at its entry.
  RecordHeader verified(const std::string& id) const;

  Vault* vault_;
};

}  // namespace annotrace::records
