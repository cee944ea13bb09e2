#include "Records/VaultError.h"

namespace annotrace::records {

std::string_view toString(VaultErrorCode code) {
  switch (code) {
    case VaultErrorCode::Io:
      return "Io";
    case VaultErrorCode::NotEmpty:
      return "NotEmpty";
    case VaultErrorCode::NotAVault:
      return "NotAVault";
    case VaultErrorCode::MalformedFile:
      return "MalformedFile";
    case VaultErrorCode::BadMembershipSignature:
      return "BadMembershipSignature";
    case VaultErrorCode::SignerNotAdmin:
      return "SignerNotAdmin";
    case VaultErrorCode::InvalidId:
      return "InvalidId";
    case VaultErrorCode::InvalidRole:
      return "InvalidRole";
    case VaultErrorCode::EmptyPassphrase:
      return "EmptyPassphrase";
    case VaultErrorCode::UnknownMember:
      return "UnknownMember";
    case VaultErrorCode::MemberExists:
      return "MemberExists";
    case VaultErrorCode::MemberRemoved:
      return "MemberRemoved";
    case VaultErrorCode::WrongPassphrase:
      return "WrongPassphrase";
    case VaultErrorCode::NoKeyStanza:
      return "NoKeyStanza";
    case VaultErrorCode::KeyMismatch:
      return "KeyMismatch";
    case VaultErrorCode::NotAdmin:
      return "NotAdmin";
    case VaultErrorCode::LastAdmin:
      return "LastAdmin";
    case VaultErrorCode::UnknownRecord:
      return "UnknownRecord";
    case VaultErrorCode::AmbiguousRecord:
      return "AmbiguousRecord";
    case VaultErrorCode::NotAuthor:
      return "NotAuthor";
    case VaultErrorCode::NotReviewer:
      return "NotReviewer";
    case VaultErrorCode::SelfReview:
      return "SelfReview";
    case VaultErrorCode::WrongState:
      return "WrongState";
    case VaultErrorCode::MissingReason:
      return "MissingReason";
    case VaultErrorCode::BadRecord:
      return "BadRecord";
  }
  return "Unknown";
}

}  // namespace annotrace::records
