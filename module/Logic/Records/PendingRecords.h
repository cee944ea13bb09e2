#pragma once

// The commit protocol of a record save (Docs/Vault.md, "Saving a record"): under the audit
// log's append lock the record is written to records/pending/, its "record-created" entry is
// appended, then the file is renamed into records/. A crash leaves the file in pending/:
//
//   - its entry was appended (the log's head reached the entry the record names): the rename
//     is finished, nothing else to say;
//   - its entry was not appended, and the log still ends where the record says it did: the
//     record is whole and signed by its author, so it is committed with a "record-recovered"
//     entry signed by whoever appends next;
//   - anything else (the log moved on without it): it stays in pending/ and the vault
//     verification reports it as uncommitted.
//
// Every append through the vault runs recover() first, under the same lock.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "Records/AuditLog.h"

namespace annotrace::records {

class PendingRecords {
 public:
  static constexpr std::string_view kFolder = "pending";
  static constexpr std::string_view kRecoveredAction = "record-recovered";

  static std::filesystem::path folder(const std::filesystem::path& recordsFolder) {
    return recordsFolder / kFolder;
  }

  /// Renames pending/<id>.atrec into records/ (no-clobber) and syncs both folders.
  static void commit(const std::filesystem::path& recordsFolder, const std::string& id);

  /// Finishes or recovers what crashed saves left in pending/ (see above) and removes the
  /// temporary files of writes killed mid-record. Call it holding the log's append lock (every
  /// pending write happens under it). `actor`, `role` and `seed` sign the "record-recovered"
  /// entries. Returns the ids committed.
  static std::vector<std::string> recover(AuditLog::Writer& writer,
                                          const std::filesystem::path& recordsFolder,
                                          const std::string& actor, const std::string& role,
                                          const crypto::Ed25519Seed& seed);

  /// Files in pending/ (for verification).
  static std::vector<std::filesystem::path> list(const std::filesystem::path& recordsFolder);
};

}  // namespace annotrace::records
