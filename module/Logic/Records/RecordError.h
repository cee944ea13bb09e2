#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace annotrace::records {

/// Why a record was refused. Listed in the order the reader checks.
enum class RecordErrorCode {
  Io,                        ///< the file cannot be read or written
  BadMagic,                  ///< not a record file
  UnsupportedVersion,        ///< a format version this build cannot read
  BadLength,                 ///< a length field points past the end of the file
  BadJson,                   ///< header or signature block is not JSON
  MalformedHeader,           ///< JSON, but not canonical or a field is missing or out of range
  WrongSigner,               ///< signed by another key than the one expected
  BadSignature,              ///< the signature does not verify: the header was changed
  IdMismatch,                ///< the header's digest is not the id the file was asked for as
  KeyUnwrapFailed,           ///< wrong project key or damaged key wrap
  ChunkAuthFailed,           ///< a chunk is damaged, reordered or from another record
  Truncated,                 ///< the file ends before the last chunk does
  TrailingBytes,             ///< bytes after the last chunk
  CiphertextDigestMismatch,  ///< the chunks are not the ones the header signs
  DecompressFailed,          ///< the decrypted payload is not the zlib stream it should be
  PlaintextDigestMismatch,   ///< size or SHA-256 of the plaintext differ from the header's
  AlreadyExists,             ///< a different file already has this record's name
};

std::string_view toString(RecordErrorCode code);

/// A record refused, with the reason as a code (for programs and tests) and as a message that
/// names the file and the problem (for people).
class RecordError : public std::runtime_error {
 public:
  RecordError(RecordErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  RecordErrorCode code() const { return code_; }

 private:
  RecordErrorCode code_;
};

}  // namespace annotrace::records
