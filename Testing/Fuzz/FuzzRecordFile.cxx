// A label record (Records/RecordFile.h, Docs/RecordFormat.md) from untrusted bytes:
// RecordFile::parseHeader, verifyBytes and decode with a fixed project key and signer. Every
// call must end in a result or a RecordError; any other outcome is a finding: a crash or a
// sanitizer report, an exception that is no std::exception, or (when ANNOTRACE_FUZZ_STRICT=1)
// a std::exception other than RecordError, against RecordFile.h's "throws RecordError". Results
// must also agree with each other (see checkAgreement()).
//
// A signature covers the header and the header's digests cover the chunks, so mutated raw bytes
// stop at BadSignature long before the chunk reader. The first input byte therefore picks how
// the rest becomes a record file (input[0] % 4):
//
//   0 raw       the rest is the file.
//   1 chunks    the rest is the chunk section behind a fixed valid magic, header and signature
//               (those of sealedSample() below): the chunk walk, Truncated / TrailingBytes /
//               ChunkAuthFailed, with the real key unwrap.
//   2 header    the rest is u16 LE n, n bytes of header text, then the chunk section; the
//               harness signs the header with the fixed seed. Reaches the header field checks
//               (layoutOf: sizes, counts, base64 lengths, overflowing payload numbers) and, as
//               long as the mutations leave meta alone, the key unwrap and the chunk walk.
//   3 payload   the rest is 1 byte chunk size, 1 byte flags, u32 LE claimed plaintext size
//               (the low 16 bits unless flag bits 1-3 are set; see sealedByHarness()),
//               then a "zlib stream"; the harness encrypts and signs it as a writer would, so
//               decode reaches the decompressor with any bytes. When the flags say "honest" the
//               header states what the harness's own inflate made of the stream, and decode
//               must then return exactly that (and must fail when inflate fails).
//
// Keys (Testing/Records/vector): project key 0x80..0x9f, signing seed RFC 8032 TEST 1; record
// key 0x00..0x1f, nonce prefix 0x20..0x26, wrap nonce 0x27..0x32 (the counting random source of
// RecordFileTest). Seeds: Testing/Fuzz/corpus/FuzzRecordFile, made by MakeRecordsFuzzSeeds.

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "Records/CanonicalJson.h"
#include "Records/CryptoPrimitives.h"
#include "Records/RecordFile.h"

#include "FuzzSupport.h"

namespace {

using namespace annotrace;
using records::RecordError;
using records::RecordFile;
using Bytes = crypto::Bytes;
using nlohmann::json;

constexpr fuzz::Harness<RecordError> kHarness{"FuzzRecordFile", "a non-RecordError std::exception"};

// --- Fixed keys and the sample record (FuzzSupport.h) ---------------------------------------

using fuzz::getU32;
using fuzz::kProjectKey;
using fuzz::putU32;
const records::SigningSeed& kSeed = fuzz::kAliceSeed;
const crypto::SymmetricKey kRecordKey = fuzz::counting<32>(0x00);
const std::array<std::uint8_t, 7> kNoncePrefix = fuzz::counting<7>(0x20);
const crypto::GcmNonce kWrapNonce = fuzz::counting<12>(0x27);
constexpr std::array<std::uint8_t, 8> kMagic = {'A', 'T', 'R', 'E', 'C', 0x00, 0x01, '\n'};

const records::PublicKey& signer() {
  static const records::PublicKey key = crypto::ed25519PublicKey(kSeed);
  return key;
}

// The record whose magic, header and signature prefix mode 1 (MakeRecordsFuzzSeeds.cxx writes
// the same one, with the same 64-byte chunks, as its record seeds).
const records::EncodedRecord& sealedSample() {
  static const records::EncodedRecord record = fuzz::sampleRecord(64);
  return record;
}

// --- Building the file from the input -------------------------------------------------------

// magic | header | signature block by the fixed seed | chunks
Bytes signedFile(std::span<const std::uint8_t> header, std::span<const std::uint8_t> chunks) {
  const crypto::Digest digest = crypto::sha256(header);
  const json block = {{"alg", "Ed25519"},
                      {"key_id", RecordFile::keyId(signer())},
                      {"signature", crypto::base64Encode(crypto::ed25519Sign(kSeed, digest))}};
  const std::string blockText = records::canonicalJson(block);
  Bytes file(kMagic.begin(), kMagic.end());
  putU32(file, header.size());
  file.insert(file.end(), header.begin(), header.end());
  putU32(file, blockText.size());
  file.insert(file.end(), blockText.begin(), blockText.end());
  file.insert(file.end(), chunks.begin(), chunks.end());
  return file;
}

Bytes withSampleHeader(std::span<const std::uint8_t> chunks) {
  const auto& sample = sealedSample();
  static const std::size_t offset = RecordFile::parseHeader(sample.bytes, "sample").chunksOffset;
  Bytes file(sample.bytes.begin(), sample.bytes.begin() + static_cast<std::ptrdiff_t>(offset));
  file.insert(file.end(), chunks.begin(), chunks.end());
  return file;
}

Bytes withFuzzedHeader(std::span<const std::uint8_t> rest) {
  if (rest.size() < 2) return {};
  const std::size_t n = std::min<std::size_t>(rest[0] | rest[1] << 8, rest.size() - 2);
  return signedFile(rest.subspan(2, n), rest.subspan(2 + n));
}

// What inflate makes of a stream, the strict way the format wants it: one complete zlib stream
// and nothing after it. Gives up (capped) past 1 MiB (inputs are a few KB).
std::optional<Bytes> referenceInflate(std::span<const std::uint8_t> data, bool& capped) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return std::nullopt;
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  Bytes out;
  std::array<std::uint8_t, 4096> buffer{};
  int result = Z_OK;
  while (result == Z_OK && out.size() <= (std::size_t{1} << 20)) {
    z.next_out = buffer.data();
    z.avail_out = static_cast<uInt>(buffer.size());
    result = inflate(&z, Z_NO_FLUSH);
    if (result == Z_OK || result == Z_STREAM_END) {
      out.insert(out.end(), buffer.begin(), buffer.end() - z.avail_out);
    }
  }
  const bool whole = result == Z_STREAM_END && z.avail_in == 0;
  capped = result == Z_OK;
  inflateEnd(&z);
  if (!whole) return std::nullopt;
  return out;
}

struct Sealed {
  Bytes file;
  bool honest = false;                     ///< the header states what referenceInflate() made
  std::optional<Bytes> expectedPlaintext;  ///< honest: the payload; nullopt: decode must refuse
};

// Mode 3: the harness is the writer, with a stream of the fuzzer's choosing as "zlib(P)".
Sealed sealedByHarness(std::span<const std::uint8_t> rest) {
  if (rest.size() < 6) return {};
  const std::size_t chunkSize = 1 + rest[0] % 96;
  const bool honest = (rest[1] & 1) != 0;
  // The reader reserves min(claim, 256 MiB) before inflating, which costs ASan a few ms: claims
  // past 64 KiB only when flag bits 1-3 are all set, so that most runs stay fast.
  const std::uint64_t claimedSize =
      (rest[1] & 0x0e) == 0x0e ? getU32(rest.subspan(2)) : getU32(rest.subspan(2)) & 0xffff;
  const auto stream = rest.subspan(6);

  json meta = {{"format", "annotrace-record"},
               {"version", 1},
               {"kind", "segmentation"},
               {"created_utc", "2025-01-01T00:00:00Z"},
               {"author", "member:alice"},
               {"role", "annotator"},
               {"software", "annotrace fuzz harness"},
               {"parents", json::array()},
               {"state", "draft"},
               {"source", json::object()},
               {"chunk_size", chunkSize},
               {"compression", "zlib"},
               {"nonce_prefix", crypto::base64Encode(kNoncePrefix)}};
  const crypto::Digest metaDigest = crypto::sha256(crypto::asBytes(records::canonicalJson(meta)));
  Bytes wrapAad(crypto::asBytes("annotrace-record-key-v1").begin(),
                crypto::asBytes("annotrace-record-key-v1").end());
  wrapAad.insert(wrapAad.end(), metaDigest.begin(), metaDigest.end());
  meta["record_key"] = {{"alg", "A256GCM"},
                        {"nonce", crypto::base64Encode(kWrapNonce)},
                        {"wrapped", crypto::base64Encode(crypto::aesGcmSeal(kProjectKey, kWrapNonce,
                                                                            wrapAad, kRecordKey))}};
  const crypto::Digest chunkAad = crypto::sha256(crypto::asBytes(records::canonicalJson(meta)));

  const std::size_t chunks = std::max<std::size_t>(1, (stream.size() + chunkSize - 1) / chunkSize);
  Bytes ciphertext;
  for (std::size_t i = 0; i < chunks; ++i) {
    crypto::GcmNonce nonce{};
    std::copy(kNoncePrefix.begin(), kNoncePrefix.end(), nonce.begin());
    for (int k = 0; k < 4; ++k) nonce[7 + k] = static_cast<std::uint8_t>(i >> (24 - 8 * k));
    nonce[11] = i + 1 == chunks ? 1 : 0;
    const std::size_t begin = i * chunkSize;
    const auto piece = stream.subspan(begin, std::min(chunkSize, stream.size() - begin));
    const Bytes sealed = crypto::aesGcmSeal(kRecordKey, nonce, chunkAad, piece);
    ciphertext.insert(ciphertext.end(), sealed.begin(), sealed.end());
  }

  Sealed out;
  out.honest = honest;
  std::uint64_t plaintextBytes = claimedSize;
  std::string plaintextSha = crypto::toHex(crypto::sha256(stream));
  if (honest) {
    bool capped = false;
    out.expectedPlaintext = referenceInflate(stream, capped);
    out.honest = !capped;
    if (out.expectedPlaintext) {
      plaintextBytes = out.expectedPlaintext->size();
      plaintextSha = crypto::toHex(crypto::sha256(*out.expectedPlaintext));
    }
  }
  json header = meta;
  header["payload"] = {{"chunks", chunks},
                       {"ciphertext_bytes", ciphertext.size()},
                       {"ciphertext_sha256", crypto::toHex(crypto::sha256(ciphertext))},
                       {"plaintext_bytes", plaintextBytes},
                       {"plaintext_sha256", plaintextSha}};
  out.file = signedFile(crypto::asBytes(records::canonicalJson(header)), ciphertext);
  return out;
}

// --- Agreement between the three readers ----------------------------------------------------

void checkAgreement(const std::optional<records::RecordHeader>& parsed,
                    const std::optional<records::RecordHeader>& verified,
                    const std::optional<records::OpenedRecord>& opened) {
  if (verified && !parsed) kHarness.finding("verifyBytes accepted what parseHeader refused");
  if (opened && !verified) kHarness.finding("decode accepted what verifyBytes refused");
  if (verified && verified->id != parsed->id)
    kHarness.finding("verifyBytes and parseHeader differ on the id");
  if (opened) {
    const json& payload = opened->header.header["payload"];
    if (opened->plaintext.size() != payload["plaintext_bytes"].get<std::uint64_t>() ||
        crypto::toHex(crypto::sha256(opened->plaintext)) !=
            payload["plaintext_sha256"].get<std::string>()) {
      kHarness.finding("decode returned a plaintext that is not the one the header states");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  Bytes file;
  Sealed sealed;
  switch (data[0] % 4) {
    case 0:
      file.assign(rest.begin(), rest.end());
      break;
    case 1:
      file = withSampleHeader(rest);
      break;
    case 2:
      file = withFuzzedHeader(rest);
      break;
    default:
      sealed = sealedByHarness(rest);
      file = sealed.file;
      break;
  }

  const auto parsed =
      kHarness.attempt("parseHeader", [&] { return RecordFile::parseHeader(file, "fuzz"); });
  const auto verified = kHarness.attempt(
      "verifyBytes", [&] { return RecordFile::verifyBytes(file, signer(), std::nullopt, "fuzz"); });
  const auto opened = kHarness.attempt("decode", [&] {
    return RecordFile::decode(file, kProjectKey, signer(), std::nullopt, "fuzz");
  });
  checkAgreement(parsed, verified, opened);
  if (parsed) {
    // Asked for by its own id the record reads the same; asked for as another, it never opens.
    const auto byId = kHarness.attempt("verifyBytes(id)", [&] {
      return RecordFile::verifyBytes(file, signer(), parsed->id, "fuzz");
    });
    if (byId.has_value() != verified.has_value())
      kHarness.finding("verifyBytes(id) disagrees with verifyBytes");
    const auto other = kHarness.attempt("decode(other id)", [&] {
      return RecordFile::decode(file, kProjectKey, signer(), std::string(64, 'f'), "fuzz");
    });
    if (other && parsed->id != std::string(64, 'f'))
      kHarness.finding("decode ignored the expected id");
  }
  if (sealed.honest && sealed.expectedPlaintext &&
      (!opened || opened->plaintext != *sealed.expectedPlaintext)) {
    kHarness.finding(
        "decode did not return the payload of a valid record (harness-sealed, honest sizes)");
  }
  if (sealed.honest && !sealed.expectedPlaintext && opened) {
    kHarness.finding("decode accepted a payload that is not one whole zlib stream");
  }
  return 0;
}
