#pragma once

// The vault folder (Docs/Vault.md, "Vault (built)"): members with their sealed key pairs, the
// project key wrapped for each member, a membership list signed by an admin, and the audit log.
//
//   <vault>/members/<id>.json   public keys (base64) + both private keys sealed (scrypt)
//           keys/<id>.json      the project key wrapped for that member (X25519 stanza)
//           membership.json     {version, members, seq, signer, sig}: signed by an admin
//           records/            record files (RecordFile)
//           audit.log           AuditLog (+ audit.lock)
//           vault.lock          flock held around membership changes
//
// Every file is written atomically (temporary file in the same folder, fsync, rename, fsync of
// the folder). Membership changes take an exclusive flock on vault.lock; audit appends take the
// audit log's own lock.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "Records/AuditLog.h"
#include "Records/CryptoPrimitives.h"
#include "Records/MemberKeys.h"
#include "Records/Membership.h"
#include "Records/ProjectKeyRing.h"
#include "Records/UnlockedMember.h"
#include "Records/VaultError.h"

namespace annotrace::records {

struct VaultOptions {
  /// scrypt cost for new members' sealed keys; tests use ScryptParameters::minimum().
  crypto::ScryptParameters scrypt{};
  AuditClock clock{};  ///< empty: the system clock
};

/// The audit log held for appending by one member (Vault::beginAppend()): nobody else appends
/// while it lives, so what is written meanwhile can name the head and the next entry.
class VaultAppender {
 public:
  const AuditHead& head() const { return writer_.head(); }
  /// Appends an entry by the member, with their role as of beginAppend().
  AuditEntry append(std::string action, std::vector<std::string> targets, std::string reason);
  const std::string& actor() const { return actor_; }
  Role role() const { return role_; }
  /// The log's entries through the held lock (AuditLog::filter()).
  std::vector<AuditEntry> entries(const AuditFilter& criteria = {}) const {
    return writer_.filter(criteria);
  }

 private:
  friend class Vault;
  VaultAppender(AuditLog::Writer writer, std::string actor, Role role,
                const crypto::Ed25519Seed& seed)
      : writer_(std::move(writer)), actor_(std::move(actor)), role_(role), seed_(&seed) {}

  AuditLog::Writer writer_;
  std::string actor_;
  Role role_;
  const crypto::Ed25519Seed* seed_;
};

/// A failed unlock waiting to be written to the audit log (see unlock()).
struct UnlockFailure {
  std::string member;
  std::string utc;
};

class Vault {
 public:
  static constexpr std::string_view kMembership = Membership::kFile;
  static constexpr std::string_view kLock = "vault.lock";
  static constexpr std::string_view kUnlockFailures = "unlock-failures.log";

  /// Creates a vault in `folder` (created if missing; refused with NotEmpty if it has files).
  static Vault init(const std::filesystem::path& folder, const std::string& adminId,
                    std::string_view passphrase, VaultOptions options = {});

  /// Opens a vault and verifies membership.json (BadMembershipSignature, SignerNotAdmin, ...).
  static Vault open(const std::filesystem::path& folder, VaultOptions options = {});

  /// Opens the member's keys and unwraps the project key; appends "unlock-ok" signed by them.
  /// A wrong passphrase throws WrongPassphrase. The failed member cannot sign, so the failure
  /// is noted as one whole fsynced line in unlock-failures.log (nothing else changes) and
  /// appended as "unlock-failed" (actor: the next member who appends, in any process; target:
  /// the failed member) before that member's own entry. The note is unsigned until then:
  /// someone with write access can delete it before it is logged (Docs/Vault.md).
  UnlockedMember unlock(const std::string& memberId, std::string_view passphrase);

  /// Admin only. Writes the member's files, wraps the project key for them, appends
  /// "member-added" and re-signs the membership. A non-admin is refused (NotAdmin) and the
  /// refusal is audited as "member-change-refused", signed by them.
  void addMember(const UnlockedMember& admin, const std::string& newId, Role role,
                 std::string_view newPassphrase);
  /// Admin only. Marks the member removed (kept for verification), rotates the project key
  /// (a new epoch wrapped for every remaining member; records saved from now on use it),
  /// deletes their key file, appends "member-removed" and "project-key-rotated".
  void removeMember(const UnlockedMember& admin, const std::string& id);
  /// Admin only. Appends "role-changed" and re-signs the membership.
  void setRole(const UnlockedMember& admin, const std::string& id, Role role);

  /// Takes the audit log's append lock for `member`, who must be a current member with the
  /// keys the membership names (UnknownMember, MemberRemoved otherwise). Before returning it
  /// logs what crashed writers left (torn lines, records in records/pending/) and pending
  /// unlock failures, signed by `member`. Keep it short-lived: other writers wait for it.
  VaultAppender beginAppend(const UnlockedMember& member);

  /// The member's Ed25519 public key for audit entry `seq`: known from the entry that added
  /// them up to (not including) the entry that removed them. For AuditLog::verify.
  std::optional<crypto::Ed25519PublicKey> publicKeyOf(const std::string& actor,
                                                      std::uint64_t seq) const;
  /// Every epoch of the project key, unwrapped with the member's key (re-read from their key
  /// file: a rotation by another process counts). The current one is
  /// membership().keyEpoch.
  ProjectKeyRing projectKeys(const UnlockedMember& member) const;

  /// publicKeyOf over a snapshot of the current membership, as a PublicKeyLookup.
  PublicKeyLookup publicKeyLookup() const;

  const Membership& membership() const { return membership_; }
  /// Failed unlocks not yet in the audit log (read from unlock-failures.log).
  std::vector<UnlockFailure> pendingUnlockFailures() const;
  AuditLog& auditLog() { return log_; }
  const AuditLog& auditLog() const { return log_; }
  const std::filesystem::path& folder() const { return folder_; }
  std::filesystem::path recordsFolder() const { return folder_ / "records"; }

  /// Reads and verifies a membership.json (exposed for tests and tools).
  static Membership readMembership(const std::filesystem::path& folder);

 private:
  Vault(std::filesystem::path folder, VaultOptions options, AuditLog log, Membership membership);

  enum class Change { Add, Remove, SetRole };
  const VaultMember& requireAdmin(const UnlockedMember& actor, Change change,
                                  const std::string& target);
  void appendPendingFailures(AuditLog::Writer& writer, const UnlockedMember& member);
  void recoverInterrupted(AuditLog::Writer& writer, const std::string& actor,
                          const std::string& role, const crypto::Ed25519Seed& seed);
  void logOrphanTornFiles(AuditLog::Writer& writer, const std::string& actor,
                          const std::string& role, const crypto::Ed25519Seed& seed);
  AuditEntry append(const AuditEvent& event, const crypto::Ed25519Seed& seed);

  std::filesystem::path folder_;
  VaultOptions options_;
  AuditLog log_;
  Membership membership_;
};

}  // namespace annotrace::records
