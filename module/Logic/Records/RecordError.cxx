#include "Records/RecordError.h"

namespace annotrace::records {

std::string_view toString(RecordErrorCode code) {
  switch (code) {
    case RecordErrorCode::Io:
      return "Io";
    case RecordErrorCode::BadMagic:
      return "BadMagic";
    case RecordErrorCode::UnsupportedVersion:
      return "UnsupportedVersion";
    case RecordErrorCode::BadLength:
      return "BadLength";
    case RecordErrorCode::BadJson:
      return "BadJson";
    case RecordErrorCode::MalformedHeader:
      return "MalformedHeader";
    case RecordErrorCode::WrongSigner:
      return "WrongSigner";
    case RecordErrorCode::BadSignature:
      return "BadSignature";
    case RecordErrorCode::IdMismatch:
      return "IdMismatch";
    case RecordErrorCode::KeyUnwrapFailed:
      return "KeyUnwrapFailed";
    case RecordErrorCode::ChunkAuthFailed:
      return "ChunkAuthFailed";
    case RecordErrorCode::Truncated:
      return "Truncated";
    case RecordErrorCode::TrailingBytes:
      return "TrailingBytes";
    case RecordErrorCode::CiphertextDigestMismatch:
      return "CiphertextDigestMismatch";
    case RecordErrorCode::DecompressFailed:
      return "DecompressFailed";
    case RecordErrorCode::PlaintextDigestMismatch:
      return "PlaintextDigestMismatch";
    case RecordErrorCode::AlreadyExists:
      return "AlreadyExists";
  }
  return "Unknown";
}

}  // namespace annotrace::records
