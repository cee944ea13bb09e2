#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace annotrace::records {

/// Why a vault operation was refused (Vault, RecordStore).
enum class VaultErrorCode {
  Io,                      ///< a file or folder cannot be read or written
  NotEmpty,                ///< init(): the folder already has files
  NotAVault,               ///< open(): no membership.json
  MalformedFile,           ///< a vault file is not what it should be (JSON, fields, key lengths)
  BadMembershipSignature,  ///< membership.json was edited or forged: the signature fails
  SignerNotAdmin,          ///< membership.json is signed by someone who is not a current admin
  InvalidId,               ///< a member id that cannot be a file name
  InvalidRole,             ///< not "annotator", "reviewer" or "admin"
  EmptyPassphrase,         ///< a new passphrase must not be empty
  UnknownMember,           ///< no such member
  MemberExists,            ///< addMember(): the id is (or was) taken
  MemberRemoved,           ///< the member was removed from the vault
  WrongPassphrase,         ///< unlock(): the passphrase does not open the member's keys
  NoKeyStanza,             ///< unlock(): no project key wrapped for this member
  KeyMismatch,             ///< a member's keys do not match the public keys in the membership
  NotAdmin,                ///< only an admin may change the membership
  LastAdmin,        ///< the change would leave the vault without an admin (or remove oneself)
  UnknownRecord,    ///< no committed record has that id or prefix
  AmbiguousRecord,  ///< the prefix matches several records
  NotAuthor,        ///< only the record's author may do this (submit)
  NotReviewer,      ///< review decisions need the reviewer or admin role
  SelfReview,       ///< the author cannot review their own record (separation of duties)
  WrongState,       ///< e.g. submitting a record twice, reviewing a draft or a decided record
  MissingReason,    ///< a review decision needs a reason
  BadRecord,        ///< the record fails verification (the message says why)
};

std::string_view toString(VaultErrorCode code);

class VaultError : public std::runtime_error {
 public:
  VaultError(VaultErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  VaultErrorCode code() const { return code_; }

 private:
  VaultErrorCode code_;
};

}  // namespace annotrace::records
