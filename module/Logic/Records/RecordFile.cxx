#include "Records/RecordFile.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <limits>
#include <utility>

#include "Core/DurableIO.h"
#include "Records/CanonicalJson.h"
#include "Records/RecordStorage.h"
#include "Records/ZlibStream.h"

namespace annotrace::records {

namespace fs = std::filesystem;
using crypto::Bytes;
using nlohmann::json;

namespace {

constexpr std::array<std::uint8_t, 8> kMagic = {'A', 'T', 'R', 'E', 'C', 0x00, 0x01, '\n'};
constexpr std::size_t kVersionByte = 6;
constexpr std::size_t kPrefixBytes = kMagic.size();
constexpr const char* kFormat = "annotrace-record";
constexpr int kVersion = 1;
constexpr std::string_view kKeyWrapLabel = "annotrace-record-key-v1";
constexpr std::size_t kNoncePrefixBytes = 7;
constexpr std::size_t kMaxChunkSize = std::size_t{64} << 20;
constexpr std::uint64_t kMaxChunks = std::uint64_t{1} << 32;  // the nonce's u32 counter

[[noreturn]] void refuse(RecordErrorCode code, std::string_view name, const std::string& problem) {
  throw RecordError(code, std::string(name) + ": " + problem);
}

std::string canonical(const json& value) {
  return canonicalJson(value);
}

void appendU32Le(Bytes& out, std::size_t value) {
  for (int shift = 0; shift < 32; shift += 8)
    out.push_back(static_cast<std::uint8_t>(value >> shift));
}

std::uint32_t readU32Le(std::span<const std::uint8_t> bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (int k = 3; k >= 0; --k) value = (value << 8) | bytes[at + static_cast<std::size_t>(k)];
  return value;
}

// STREAM (Hoang, Reyhanitabar, Rogaway, Vizár 2015): prefix || u32 BE counter || last flag.
crypto::GcmNonce chunkNonce(std::span<const std::uint8_t> prefix, std::uint32_t index, bool last) {
  crypto::GcmNonce nonce{};
  std::copy(prefix.begin(), prefix.end(), nonce.begin());
  for (int k = 0; k < 4; ++k) {
    nonce[kNoncePrefixBytes + static_cast<std::size_t>(k)] =
        static_cast<std::uint8_t>(index >> (24 - 8 * k));
  }
  nonce[11] = last ? 1 : 0;
  return nonce;
}

// Binds the wrapped key to everything else in meta: a key wrap copied into another header does
// not unwrap there.
Bytes keyWrapAad(const json& metaWithoutKey) {
  const std::string text = canonical(metaWithoutKey);
  const crypto::Digest digest = crypto::sha256(crypto::asBytes(text));
  Bytes aad(kKeyWrapLabel.size() + digest.size());
  std::copy(kKeyWrapLabel.begin(), kKeyWrapLabel.end(), aad.begin());
  std::copy(digest.begin(), digest.end(), aad.begin() + std::ssize(kKeyWrapLabel));
  return aad;
}

json metaOf(const json& header) {
  json meta = header;
  meta.erase("payload");
  return meta;
}

std::string utcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text.data();
}

// --- Header fields, checked once the signature has verified -----------------------------------

struct Layout {
  std::size_t chunkSize = 0;
  Bytes noncePrefix;
  crypto::GcmNonce wrapNonce{};
  Bytes wrappedKey;
  std::uint64_t chunks = 0;
  std::uint64_t ciphertextBytes = 0;
  std::uint64_t plaintextBytes = 0;
  std::string ciphertextSha256;
  std::string plaintextSha256;

  std::uint64_t compressedBytes() const { return ciphertextBytes - chunks * crypto::kGcmTagBytes; }
  std::size_t chunkCiphertextBytes(std::uint64_t index) const {
    const std::uint64_t start = index * chunkSize;
    return static_cast<std::size_t>(std::min<std::uint64_t>(chunkSize, compressedBytes() - start)) +
           crypto::kGcmTagBytes;
  }
};

Layout layoutOf(const json& header, std::string_view name) {
  auto bad = [&](const std::string& what) -> Layout {
    refuse(RecordErrorCode::MalformedHeader, name, "the header is not valid: " + what);
  };
  auto text = [&](const json& object, const char* key) -> std::string {
    if (!object.is_object() || !object.contains(key) || !object[key].is_string()) {
      bad(std::string("\"") + key + "\" is missing or not text");
    }
    return object[key].get<std::string>();
  };
  auto count = [&](const json& object, const char* key) -> std::uint64_t {
    if (!object.is_object() || !object.contains(key) || !object[key].is_number_unsigned()) {
      bad(std::string("\"") + key + "\" is missing or not a count");
    }
    return object[key].get<std::uint64_t>();
  };
  auto base64 = [&](const json& object, const char* key, std::size_t size) -> Bytes {
    auto bytes = crypto::base64Decode(text(object, key));
    if (!bytes || (size != 0 && bytes->size() != size)) {
      bad(std::string("\"") + key + "\" is not base64 of " + std::to_string(size) + " bytes");
    }
    return *bytes;
  };
  if (!header.is_object()) return bad("not an object");
  if (text(header, "format") != kFormat) return bad("\"format\" is not \"annotrace-record\"");
  if (count(header, "version") != kVersion) return bad("unsupported \"version\"");
  if (text(header, "compression") != "zlib") return bad("unsupported \"compression\"");
  const std::string state = text(header, "state");
  if (state != "draft" && state != "submitted") return bad("\"state\" is not draft or submitted");

  Layout layout;
  const std::uint64_t chunkSize = count(header, "chunk_size");
  if (chunkSize == 0 || chunkSize > kMaxChunkSize) return bad("\"chunk_size\" is out of range");
  layout.chunkSize = static_cast<std::size_t>(chunkSize);
  layout.noncePrefix = base64(header, "nonce_prefix", kNoncePrefixBytes);
  if (!header.contains("record_key")) return bad("\"record_key\" is missing");
  const json& key = header["record_key"];
  if (text(key, "alg") != "A256GCM") return bad("unsupported \"record_key\" algorithm");
  const Bytes nonce = base64(key, "nonce", layout.wrapNonce.size());
  std::copy(nonce.begin(), nonce.end(), layout.wrapNonce.begin());
  layout.wrappedKey = base64(key, "wrapped", 32 + crypto::kGcmTagBytes);

  if (!header.contains("payload")) return bad("\"payload\" is missing");
  const json& payload = header["payload"];
  layout.chunks = count(payload, "chunks");
  layout.ciphertextBytes = count(payload, "ciphertext_bytes");
  layout.plaintextBytes = count(payload, "plaintext_bytes");
  layout.ciphertextSha256 = text(payload, "ciphertext_sha256");
  layout.plaintextSha256 = text(payload, "plaintext_sha256");
  // The chunk count must be the one the writer's rule gives for this many payload bytes, so
  // that every chunk's position and size follow from the header alone.
  if (layout.chunks == 0 || layout.chunks > kMaxChunks ||
      layout.ciphertextBytes < layout.chunks * crypto::kGcmTagBytes) {
    return bad("\"payload\" sizes do not fit together");
  }
  const std::uint64_t compressed = layout.compressedBytes();
  // Written without compressed + chunkSize - 1, which a signed but absurd size could overflow.
  const std::uint64_t expectedChunks =
      std::max<std::uint64_t>(1, compressed / chunkSize + (compressed % chunkSize != 0 ? 1 : 0));
  if (expectedChunks != layout.chunks) return bad("\"payload\" sizes do not fit together");
  return layout;
}

// --- Shared reading steps ---------------------------------------------------------------------

struct Parsed {
  RecordHeader header;
  std::span<const std::uint8_t> headerBytes;
};

Parsed parse(std::span<const std::uint8_t> bytes, std::string_view name) {
  if (bytes.size() < kPrefixBytes ||
      !std::equal(kMagic.begin(), kMagic.begin() + kVersionByte, bytes.begin()) ||
      bytes[kPrefixBytes - 1] != kMagic.back()) {
    refuse(RecordErrorCode::BadMagic, name,
           "not an Annotrace record (the file does not start "
           "with \"ATREC\")");
  }
  if (bytes[kVersionByte] != kMagic[kVersionByte]) {
    refuse(RecordErrorCode::UnsupportedVersion, name,
           "record format version " + std::to_string(bytes[kVersionByte]) +
               " is not supported by this version of Annotrace (it reads version 1)");
  }
  auto block = [&](std::size_t at, const char* what) -> std::span<const std::uint8_t> {
    if (bytes.size() - at < 4) {
      refuse(RecordErrorCode::BadLength, name,
             std::string("the file ends inside the length of the ") + what);
    }
    const std::uint32_t length = readU32Le(bytes, at);
    if (bytes.size() - at - 4 < length) {
      refuse(RecordErrorCode::BadLength, name,
             std::string("the ") + what + " length (" + std::to_string(length) +
                 " bytes) runs past the end of the file: damaged or cut short");
    }
    return bytes.subspan(at + 4, length);
  };
  auto parseJson = [&](std::span<const std::uint8_t> text, const char* what) -> json {
    json value;
    try {
      value = json::parse(text.begin(), text.end());
    } catch (const json::exception& error) {
      refuse(RecordErrorCode::BadJson, name,
             std::string("the ") + what + " is not valid JSON: " + error.what());
    }
    if (!value.is_object()) {
      refuse(RecordErrorCode::BadJson, name, std::string("the ") + what + " is not a JSON object");
    }
    // Only the canonical form has one digest: a re-encoded header would be another record.
    if (std::string_view(reinterpret_cast<const char*>(text.data()), text.size()) !=
        canonical(value)) {
      refuse(RecordErrorCode::MalformedHeader, name,
             std::string("the ") + what + " is not in canonical JSON form");
    }
    return value;
  };

  const auto headerBytes = block(kPrefixBytes, "header");
  const std::size_t signatureAt = kPrefixBytes + 4 + headerBytes.size();
  const auto signatureBytes = block(signatureAt, "signature block");
  Parsed parsed;
  parsed.headerBytes = headerBytes;
  parsed.header.header = parseJson(headerBytes, "header");
  parsed.header.signature = parseJson(signatureBytes, "signature block");
  parsed.header.chunksOffset = signatureAt + 4 + signatureBytes.size();
  parsed.header.id = crypto::toHex(crypto::sha256(headerBytes));
  const json& signature = parsed.header.signature;
  for (const char* key : {"alg", "key_id", "signature"}) {
    if (!signature.contains(key) || !signature[key].is_string()) {
      refuse(RecordErrorCode::MalformedHeader, name,
             std::string("the signature block has no \"") + key + "\"");
    }
  }
  parsed.header.keyId = signature["key_id"].get<std::string>();
  return parsed;
}

void checkSignature(const Parsed& parsed, const PublicKey& signer, std::string_view name) {
  const json& block = parsed.header.signature;
  if (block["alg"] != "Ed25519") {
    refuse(RecordErrorCode::MalformedHeader, name,
           "unsupported signature algorithm \"" + block["alg"].get<std::string>() + "\"");
  }
  const auto signature = crypto::base64Decode(block["signature"].get<std::string>());
  const crypto::Digest digest = crypto::sha256(parsed.headerBytes);
  const bool valid = signature && crypto::ed25519Verify(signer, digest, *signature);
  const std::string expectedKey = RecordFile::keyId(signer);
  if (!valid && parsed.header.keyId != expectedKey) {
    refuse(RecordErrorCode::WrongSigner, name,
           "signed by key " + parsed.header.keyId + ", not by the expected key " + expectedKey);
  }
  if (!valid) {
    refuse(RecordErrorCode::BadSignature, name,
           "the signature does not match the header: the header was changed after signing or "
           "the file is damaged");
  }
  if (parsed.header.keyId != expectedKey) {
    refuse(RecordErrorCode::MalformedHeader, name,
           "the signature block's key_id does not name the key that signed it");
  }
}

void checkId(const Parsed& parsed, const std::optional<std::string>& expectedId,
             std::string_view name) {
  if (expectedId && *expectedId != parsed.header.id) {
    refuse(RecordErrorCode::IdMismatch, name,
           "this is record " + parsed.header.id + ", not the expected " + *expectedId +
               " (renamed or replaced file)");
  }
}

}  // namespace

// --- Public ----------------------------------------------------------------------------------

std::string RecordFile::keyId(const PublicKey& publicKey) {
  const crypto::Digest digest = crypto::sha256(publicKey);
  return crypto::toHex(std::span(digest).first(16));
}

std::optional<std::string> RecordFile::idFromFileName(const fs::path& file) {
  if (file.extension() != kExtension) return std::nullopt;
  const std::string stem = file.stem().string();
  if (stem.size() != 64 || !std::all_of(stem.begin(), stem.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    return std::nullopt;
  }
  return stem;
}

EncodedRecord RecordFile::encode(const RecordInfo& info, std::span<const std::uint8_t> plaintext,
                                 const ProjectKey& projectKey, const SigningSeed& signingSeed,
                                 const WriteOptions& options) {
  auto invalid = [](const std::string& problem) {
    throw RecordError(RecordErrorCode::MalformedHeader, "cannot write the record: " + problem);
  };
  if (info.state != "draft" && info.state != "submitted") {
    invalid("state must be \"draft\" or \"submitted\", not \"" + info.state + "\"");
  }
  if (!info.source.is_object()) invalid("the source series identity must be a JSON object");
  if (options.chunkSize == 0 || options.chunkSize > kMaxChunkSize) {
    invalid("chunk size must be 1 byte to 64 MiB");
  }
  const RandomSource random = options.random ? options.random : RandomSource(crypto::randomBytes);

  crypto::SymmetricKey recordKey{};
  std::array<std::uint8_t, kNoncePrefixBytes> noncePrefix{};
  crypto::GcmNonce wrapNonce{};
  random(recordKey);
  random(noncePrefix);
  random(wrapNonce);

  json meta = {{"format", kFormat},
               {"version", kVersion},
               {"kind", info.kind},
               {"created_utc", options.createdUtc.empty() ? utcNow() : options.createdUtc},
               {"author", info.author},
               {"role", info.role},
               {"software", options.software.empty() ? std::string("annotrace ") + ANNOTRACE_VERSION
                                                     : options.software},
               {"parents", info.parents},
               {"state", info.state},
               {"source", info.source},
               {"chunk_size", options.chunkSize},
               {"compression", "zlib"},
               {"nonce_prefix", crypto::base64Encode(noncePrefix)}};
  if (info.auditEntry || info.auditHead) {
    meta["audit"] = {{"entry", info.auditEntry.value_or("")},
                     {"head", info.auditHead.value_or("")}};
  }

  Bytes wrapAad;
  std::string metaText;
  try {
    wrapAad = keyWrapAad(meta);
    const Bytes wrapped = crypto::aesGcmSeal(projectKey, wrapNonce, wrapAad, recordKey);
    meta["record_key"] = {{"alg", "A256GCM"},
                          {"nonce", crypto::base64Encode(wrapNonce)},
                          {"wrapped", crypto::base64Encode(wrapped)}};
    metaText = canonical(meta);
  } catch (const json::exception& error) {
    invalid(std::string("the header holds text that is not UTF-8 (") + error.what() + ")");
  }
  const crypto::Digest chunkAad = crypto::sha256(crypto::asBytes(metaText));

  const Bytes compressed = zlib::compress(plaintext, options.compressionLevel);
  const std::size_t chunkCount =
      std::max<std::size_t>(1, (compressed.size() + options.chunkSize - 1) / options.chunkSize);
  if (chunkCount > kMaxChunks) invalid("too many chunks; use a larger chunk size");
  Bytes ciphertext;
  ciphertext.reserve(compressed.size() + chunkCount * crypto::kGcmTagBytes);
  for (std::size_t i = 0; i < chunkCount; ++i) {
    const std::size_t begin = i * options.chunkSize;
    const std::size_t size = std::min(options.chunkSize, compressed.size() - begin);
    const Bytes sealed = crypto::aesGcmSeal(
        recordKey, chunkNonce(noncePrefix, static_cast<std::uint32_t>(i), i + 1 == chunkCount),
        chunkAad, std::span(compressed).subspan(begin, size));
    ciphertext.insert(ciphertext.end(), sealed.begin(), sealed.end());
  }

  json header = meta;
  header["payload"] = {{"chunks", chunkCount},
                       {"ciphertext_bytes", ciphertext.size()},
                       {"ciphertext_sha256", crypto::toHex(crypto::sha256(ciphertext))},
                       {"plaintext_bytes", plaintext.size()},
                       {"plaintext_sha256", crypto::toHex(crypto::sha256(plaintext))}};
  const std::string headerText = canonical(header);
  const crypto::Digest headerDigest = crypto::sha256(crypto::asBytes(headerText));
  const json signatureBlock = {
      {"alg", "Ed25519"},
      {"key_id", keyId(crypto::ed25519PublicKey(signingSeed))},
      {"signature", crypto::base64Encode(crypto::ed25519Sign(signingSeed, headerDigest))}};
  const std::string signatureText = canonical(signatureBlock);

  EncodedRecord record;
  record.id = crypto::toHex(headerDigest);
  record.header = std::move(header);
  Bytes& out = record.bytes;
  out.reserve(kPrefixBytes + 8 + headerText.size() + signatureText.size() + ciphertext.size());
  out.assign(kMagic.begin(), kMagic.end());
  appendU32Le(out, headerText.size());
  out.insert(out.end(), headerText.begin(), headerText.end());
  appendU32Le(out, signatureText.size());
  out.insert(out.end(), signatureText.begin(), signatureText.end());
  out.insert(out.end(), ciphertext.begin(), ciphertext.end());
  return record;
}

EncodedRecord RecordFile::write(const fs::path& folder, const RecordInfo& info,
                                std::span<const std::uint8_t> plaintext,
                                const ProjectKey& projectKey, const SigningSeed& signingSeed,
                                const WriteOptions& options, fs::path* writtenPath) {
  EncodedRecord record = encode(info, plaintext, projectKey, signingSeed, options);
  const fs::path target = folder / (record.id + std::string(kExtension));
  storeNoClobber(target, record.bytes);
  if (writtenPath) *writtenPath = target;
  return record;
}

RecordHeader RecordFile::parseHeader(std::span<const std::uint8_t> bytes, std::string_view name) {
  return parse(bytes, name).header;
}

RecordHeader RecordFile::readHeader(const fs::path& file) {
  return parseHeader(readFile(file), file.string());
}

RecordHeader RecordFile::verifyBytes(std::span<const std::uint8_t> bytes, const PublicKey& signer,
                                     const std::optional<std::string>& expectedId,
                                     std::string_view name) {
  const Parsed parsed = parse(bytes, name);
  checkSignature(parsed, signer, name);
  checkId(parsed, expectedId, name);
  const Layout layout = layoutOf(parsed.header.header, name);
  const auto chunks = bytes.subspan(parsed.header.chunksOffset);
  if (chunks.size() < layout.ciphertextBytes) {
    refuse(RecordErrorCode::Truncated, name,
           "truncated: the chunks end after " + std::to_string(chunks.size()) + " of " +
               std::to_string(layout.ciphertextBytes) + " bytes");
  }
  if (chunks.size() > layout.ciphertextBytes) {
    refuse(RecordErrorCode::TrailingBytes, name,
           std::to_string(chunks.size() - layout.ciphertextBytes) +
               " unexpected bytes after the last chunk");
  }
  if (crypto::toHex(crypto::sha256(chunks)) != layout.ciphertextSha256) {
    refuse(RecordErrorCode::CiphertextDigestMismatch, name,
           "the encrypted chunks are not the ones the header signs: damaged or replaced");
  }
  return parsed.header;
}

RecordHeader RecordFile::verify(const fs::path& file, const PublicKey& signer,
                                const std::optional<std::string>& expectedId) {
  return verifyBytes(readFile(file), signer, expectedId, file.string());
}

OpenedRecord RecordFile::decode(std::span<const std::uint8_t> bytes, const ProjectKey& projectKey,
                                const PublicKey& signer,
                                const std::optional<std::string>& expectedId,
                                std::string_view name) {
  const Parsed parsed = parse(bytes, name);
  checkSignature(parsed, signer, name);
  checkId(parsed, expectedId, name);
  const Layout layout = layoutOf(parsed.header.header, name);

  const json meta = metaOf(parsed.header.header);
  json metaWithoutKey = meta;
  metaWithoutKey.erase("record_key");
  const auto recordKeyBytes = crypto::aesGcmOpen(projectKey, layout.wrapNonce,
                                                 keyWrapAad(metaWithoutKey), layout.wrappedKey);
  if (!recordKeyBytes || recordKeyBytes->size() != 32) {
    refuse(RecordErrorCode::KeyUnwrapFailed, name, "wrong project key or damaged key wrap");
  }
  crypto::SymmetricKey recordKey{};
  std::copy(recordKeyBytes->begin(), recordKeyBytes->end(), recordKey.begin());
  const crypto::Digest chunkAad = crypto::sha256(crypto::asBytes(canonical(meta)));

  // Each chunk's place follows from the signed header. Walking them in order names the first
  // damage: an altered, moved or foreign chunk fails its tag (its counter, last flag, record
  // key or AAD differ); a missing tail ends the file early.
  const auto chunks = bytes.subspan(parsed.header.chunksOffset);
  const std::string of = " of " + std::to_string(layout.chunks);
  crypto::Sha256 ciphertextHash;
  Bytes compressed;
  compressed.reserve(
      static_cast<std::size_t>(std::min<std::uint64_t>(layout.compressedBytes(), chunks.size())));
  std::size_t offset = 0;
  for (std::uint64_t i = 0; i < layout.chunks; ++i) {
    const bool last = i + 1 == layout.chunks;
    const std::size_t size = layout.chunkCiphertextBytes(i);
    if (offset >= chunks.size()) {
      refuse(RecordErrorCode::Truncated, name,
             last
                 ? "truncated: the last chunk is missing (chunk " + std::to_string(i + 1) + of + ")"
                 : "truncated: chunks " + std::to_string(i + 1) + " to " +
                       std::to_string(layout.chunks) + of + " are missing");
    }
    if (chunks.size() - offset < size) {
      refuse(RecordErrorCode::Truncated, name,
             "truncated: chunk " + std::to_string(i + 1) + of + " is cut short (" +
                 std::to_string(chunks.size() - offset) + " of " + std::to_string(size) +
                 " bytes)");
    }
    const auto sealed = chunks.subspan(offset, size);
    const auto opened = crypto::aesGcmOpen(
        recordKey, chunkNonce(layout.noncePrefix, static_cast<std::uint32_t>(i), last), chunkAad,
        sealed);
    if (!opened) {
      refuse(RecordErrorCode::ChunkAuthFailed, name,
             "chunk " + std::to_string(i + 1) + of +
                 " failed authentication: damaged, reordered or from another record");
    }
    ciphertextHash.update(sealed);
    compressed.insert(compressed.end(), opened->begin(), opened->end());
    offset += size;
  }
  if (offset != chunks.size()) {
    refuse(RecordErrorCode::TrailingBytes, name,
           std::to_string(chunks.size() - offset) + " unexpected bytes after the last chunk");
  }
  // Implied by the tags once every chunk has verified; kept so the reader checks everything
  // the header signs.
  if (crypto::toHex(ciphertextHash.finish()) != layout.ciphertextSha256) {
    refuse(RecordErrorCode::CiphertextDigestMismatch, name,
           "the encrypted chunks are not the ones the header signs");
  }
  std::string problem;
  auto plaintext = zlib::decompress(compressed, layout.plaintextBytes, problem);
  if (!plaintext) {
    refuse(RecordErrorCode::DecompressFailed, name,
           "the decrypted payload does not decompress: " + problem);
  }
  if (plaintext->size() != layout.plaintextBytes) {
    refuse(RecordErrorCode::PlaintextDigestMismatch, name,
           "the payload has " + std::to_string(plaintext->size()) + " bytes, the header says " +
               std::to_string(layout.plaintextBytes));
  }
  if (crypto::toHex(crypto::sha256(*plaintext)) != layout.plaintextSha256) {
    refuse(RecordErrorCode::PlaintextDigestMismatch, name,
           "the payload's SHA-256 differs from the header's");
  }
  return {parsed.header, std::move(*plaintext)};
}

OpenedRecord RecordFile::open(const fs::path& file, const ProjectKey& projectKey,
                              const PublicKey& signer,
                              const std::optional<std::string>& expectedId) {
  return decode(readFile(file), projectKey, signer, expectedId, file.string());
}

}  // namespace annotrace::records
