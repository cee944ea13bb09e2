#pragma once

// The vault's membership list (membership.json): members with their public keys and roles, the
// project key epoch, signed by an admin. Docs/Vault.md, "Vault (built)".

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "Records/CryptoPrimitives.h"
#include "Records/MemberKeys.h"
#include "Records/VaultError.h"

namespace annotrace::records {

enum class Role { Annotator, Reviewer, Admin };
std::string_view toString(Role role);
/// Throws VaultError(InvalidRole).
Role roleFromString(std::string_view text);

/// One row of the membership list. Removed members stay, with removedAtSeq, so that their
/// earlier audit entries still verify.
struct VaultMember {
  std::string id;
  Role role = Role::Annotator;
  crypto::Ed25519PublicKey ed25519{};
  crypto::X25519PublicKey x25519{};
  std::uint64_t addedAtSeq = 0;               ///< the audit entry that added the member
  std::optional<std::uint64_t> removedAtSeq;  ///< the audit entry that removed the member
  bool active() const { return !removedAtSeq; }
};

/// The signed list (membership.json), as read and verified.
struct Membership {
  static constexpr std::string_view kFile = "membership.json";

  std::vector<VaultMember> members;
  std::uint64_t seq = 0;  ///< the audit entry that produced this version
  std::string signer;     ///< the admin who signed it
  /// The project key in use: 1 at init, + 1 at each rotation (a member's removal).
  std::uint32_t keyEpoch = 1;

  const VaultMember* find(std::string_view id) const;
  /// Canonical JSON without "sig": the bytes whose SHA-256 the signature covers.
  std::string signedText() const;
  /// The file's JSON, signed by `signer` with `seed`.
  nlohmann::json signedJson(const crypto::Ed25519Seed& seed) const;

  /// Reads <vault>/membership.json and verifies it: well formed (MalformedFile), signed by a
  /// current admin of that very list (SignerNotAdmin) whose signature holds
  /// (BadMembershipSignature); NotAVault when there is none.
  static Membership read(const std::filesystem::path& vaultFolder);
};

}  // namespace annotrace::records
