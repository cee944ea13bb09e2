#pragma once

// The label-record container: an immutable, content-addressed, encrypted and signed file
// (Docs/RecordFormat.md describes it byte by byte, with the threats it answers).
//
//   "ATREC\0" 0x01 '\n' | u32 LE + canonical JSON header | u32 LE + canonical JSON signature
//   | chunks: AES-256-GCM under a fresh record key, STREAM nonces, AAD = SHA-256(meta)
//
// The record id is the lowercase hex SHA-256 of the header bytes; the file is "<id>.atrec".
// Keys come from the caller (the vault unwraps the project key and holds members' keys): a
// 32-byte project key and a member's raw 32-byte Ed25519 seed to write; the project key and
// the expected signer's public key to open.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "Records/CryptoPrimitives.h"
#include "Records/RecordError.h"

namespace annotrace::records {

using ProjectKey = crypto::SymmetricKey;
using SigningSeed = crypto::Ed25519Seed;
using PublicKey = crypto::Ed25519PublicKey;

/// What the caller says about a record; the container adds the crypto fields.
struct RecordInfo {
  std::string kind = "segmentation";
  std::string author;                ///< member id
  std::string role;                  ///< e.g. "annotator", "reviewer"
  std::vector<std::string> parents;  ///< ids of the records this one derives from
  std::string state = "draft";       ///< "draft" or "submitted"
  /// Identity of the image series the labels belong to (Study/Series/FrameOfReference UIDs,
  /// digests of SOP instance UIDs and geometry): an opaque object. Use strings and integers:
  /// floats are allowed but make the canonical form depend on number formatting.
  nlohmann::json source = nlohmann::json::object();
  /// Link into the audit log, when the caller has one: {"entry": ..., "head": ...}.
  std::optional<std::string> auditEntry;
  std::optional<std::string> auditHead;
};

/// Fills a buffer with random bytes. The writer draws, in this order: the record key (32), the
/// nonce prefix (7), the key-wrap nonce (12).
using RandomSource = std::function<void(std::span<std::uint8_t>)>;

struct WriteOptions {
  std::size_t chunkSize = std::size_t{1} << 20;  ///< plaintext bytes per chunk (1 to 64 MiB)
  std::string createdUtc;                        ///< "YYYY-MM-DDTHH:MM:SSZ"; empty: now
  std::string software;                          ///< empty: "annotrace <version>"
  RandomSource random;                           ///< empty: OpenSSL's RAND_bytes
  /// zlib level 1 to 9. 1 by default: a save's CPU time is mostly compression, and level 6
  /// costs 3.6 x the time for 7 % fewer bytes on a 10-organ map (benchmark P5).
  int compressionLevel = 1;
};

/// A record in memory, as written or as read.
struct EncodedRecord {
  std::string id;                   ///< lowercase hex SHA-256 of the header bytes
  nlohmann::json header;            ///< meta + "payload"
  std::vector<std::uint8_t> bytes;  ///< the whole file
};

/// What can be known about a record without its keys.
struct RecordHeader {
  std::string id;
  nlohmann::json header;
  nlohmann::json signature;      ///< {"alg", "key_id", "signature"}
  std::string keyId;             ///< signature.key_id: which member's public key to look up
  std::size_t chunksOffset = 0;  ///< where the chunks start in the file
};

struct OpenedRecord {
  RecordHeader header;
  std::vector<std::uint8_t> plaintext;
};

class RecordFile {
 public:
  static constexpr std::string_view kExtension = ".atrec";

  /// Builds the record bytes (nothing touches the disk).
  static EncodedRecord encode(const RecordInfo& info, std::span<const std::uint8_t> plaintext,
                              const ProjectKey& projectKey, const SigningSeed& signingSeed,
                              const WriteOptions& options = {});

  /// Encodes and stores "<id>.atrec" in `folder` atomically (temporary file in the same
  /// folder, fsync, no-clobber link into place, fsync of the folder). Writing a record that is
  /// already there byte for byte is a no-op; a different file under that name is refused with
  /// AlreadyExists. Returns the record with `bytes` and the final path.
  static EncodedRecord write(const std::filesystem::path& folder, const RecordInfo& info,
                             std::span<const std::uint8_t> plaintext, const ProjectKey& projectKey,
                             const SigningSeed& signingSeed, const WriteOptions& options = {},
                             std::filesystem::path* writtenPath = nullptr);

  /// Magic, version, lengths, JSON and canonical form only: no signature check. Use it to
  /// learn keyId, then call verify() or open() with that member's public key.
  static RecordHeader readHeader(const std::filesystem::path& file);
  static RecordHeader parseHeader(std::span<const std::uint8_t> bytes, std::string_view name);

  /// Everything that can be checked without the project key: the header above, the signature
  /// against `signer`, the id (when `expectedId` is given), the chunk section's length and its
  /// SHA-256. For holders of public keys only (backup, audit).
  static RecordHeader verify(const std::filesystem::path& file, const PublicKey& signer,
                             const std::optional<std::string>& expectedId = std::nullopt);
  static RecordHeader verifyBytes(std::span<const std::uint8_t> bytes, const PublicKey& signer,
                                  const std::optional<std::string>& expectedId,
                                  std::string_view name);

  /// Verifies and decrypts. Throws RecordError with the first problem found.
  static OpenedRecord open(const std::filesystem::path& file, const ProjectKey& projectKey,
                           const PublicKey& signer,
                           const std::optional<std::string>& expectedId = std::nullopt);
  static OpenedRecord decode(std::span<const std::uint8_t> bytes, const ProjectKey& projectKey,
                             const PublicKey& signer, const std::optional<std::string>& expectedId,
                             std::string_view name);

  /// "key_id" of a public key: lowercase hex of the first 16 bytes of SHA-256(raw key).
  static std::string keyId(const PublicKey& publicKey);
  /// The id a file name carries ("<64 hex>.atrec"), when it carries one.
  static std::optional<std::string> idFromFileName(const std::filesystem::path& file);
};

}  // namespace annotrace::records
