#pragma once

// "audit verify": everything a holder of the public keys can check about a vault, without
// decrypting anything (Docs/Vault.md, "Verification"):
//
//   1. the membership list's signature (Vault::open) and the audit log: chain, hashes and
//      every signature against the key its actor had at that entry;
//   2. roles, replayed from the log: each entry's claimed role is the actor's role at that
//      entry; membership changes are by admins; review decisions are by reviewers or admins
//      other than the author; the replay ends where membership.json says it does;
//   3. every record file: header, signature by its author's key valid at its entry, id,
//      ciphertext digest; the entry it names exists, is about it and is by its author (or a
//      "record-recovered"); the head it names is still in the log;
//   4. every record the log says was created still exists; nothing is left in pending/.

#include <cstddef>
#include <string>
#include <vector>

#include "Records/AuditLog.h"
#include "Records/Vault.h"

namespace annotrace::records {

struct VaultProblem {
  std::string code;     ///< e.g. "BadSignature", "RecordMissing", "RoleMismatch"
  std::string where;    ///< "audit.log line 12" or "records/<id>.atrec"
  std::string message;  ///< for people: where, what is wrong and what it suggests
};

struct VaultReport {
  std::size_t entries = 0;  ///< audit entries that verified
  std::size_t records = 0;  ///< record files that verified
  AuditHead head;
  std::vector<VaultProblem> problems;  ///< in the order found: log first, then records
  bool ok() const { return problems.empty(); }
};

class VaultVerifier {
 public:
  static VaultReport verify(const Vault& vault);
};

}  // namespace annotrace::records
