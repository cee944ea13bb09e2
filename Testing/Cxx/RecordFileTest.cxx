// The label-record container (module/Logic/Records): crypto primitives against published
// answers, round trips, the committed test vector byte for byte, the independent Python
// verifier, and every kind of tampering refused with its own reason.

#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "Records/CryptoPrimitives.h"
#include "Records/RecordFile.h"
#include "TestData.h"

namespace annotrace::records {

// Codes by name in test failures.
void PrintTo(RecordErrorCode code, std::ostream* out) {
  *out << toString(code);
}

namespace {

namespace fs = std::filesystem;
using crypto::Bytes;
using test::TempDir;

template <std::size_t N>
std::array<std::uint8_t, N> fromHexArray(std::string_view hex) {
  const auto bytes = crypto::fromHex(hex);
  if (!bytes || bytes->size() != N) throw std::runtime_error("bad hex in test");
  std::array<std::uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

// The test vector's keys (Testing/Records/vector/README.md). The signing key is RFC 8032's
// TEST 1 key, so its public key is a published value.
constexpr std::string_view kProjectKeyHex =
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
constexpr std::string_view kSeedHex =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kPublicHex =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

const ProjectKey kProjectKey = fromHexArray<32>(kProjectKeyHex);
const SigningSeed kSeed = fromHexArray<32>(kSeedHex);
const PublicKey kPublic = fromHexArray<32>(kPublicHex);

fs::path vectorDir() {
  return fs::path(ANNOTRACE_TEST_PYTHON_DIR) / ".." / "Records" / "vector";
}

Bytes readBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeBytes(const fs::path& path, std::span<const std::uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

Bytes randomPayload(std::size_t size, unsigned seed) {
  std::mt19937 generator(seed);
  Bytes bytes(size);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(generator());
  return bytes;
}

// The deterministic source of the vector: 0x00, 0x01, 0x02, ... in the order drawn.
RandomSource countingSource() {
  auto next = std::make_shared<std::uint8_t>(0);
  return [next](std::span<std::uint8_t> out) {
    for (auto& b : out) b = (*next)++;
  };
}

RecordInfo vectorInfo() {
  RecordInfo info;
  info.kind = "segmentation";
  info.author = "member:alice";
  info.role = "annotator";
  info.parents = {"0000000000000000000000000000000000000000000000000000000000000000"};
  info.state = "submitted";
  info.source = {
      {"StudyInstanceUID", "1.2.826.0.1.3680043.8.498.10"},
      {"SeriesInstanceUID", "1.2.826.0.1.3680043.8.498.11"},
      {"FrameOfReferenceUID", "1.2.826.0.1.3680043.8.498.12"},
      {"sop_instances_sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
      {"geometry_sha256", "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"}};
  info.auditEntry = "audit:000001";
  info.auditHead = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  return info;
}

WriteOptions vectorOptions() {
  WriteOptions options;
  options.chunkSize = 64;  // several chunks from a small file
  options.createdUtc = "2025-01-01T00:00:00Z";
  options.software = "annotrace test vector";
  options.random = countingSource();
  options.compressionLevel = 6;  // zlib's default, as the committed vector was made
  return options;
}

struct Outcome {
  std::optional<RecordErrorCode> code;
  std::string message;
};

Outcome tryDecode(std::span<const std::uint8_t> bytes, const ProjectKey& projectKey = kProjectKey,
                  const PublicKey& signer = kPublic,
                  const std::optional<std::string>& expectedId = std::nullopt) {
  try {
    RecordFile::decode(bytes, projectKey, signer, expectedId, "test.atrec");
    return {};
  } catch (const RecordError& error) {
    return {error.code(), error.what()};
  }
}

Outcome tryVerify(std::span<const std::uint8_t> bytes) {
  try {
    RecordFile::verifyBytes(bytes, kPublic, std::nullopt, "test.atrec");
    return {};
  } catch (const RecordError& error) {
    return {error.code(), error.what()};
  }
}

// Runs verify_record.py; returns its exit status and what it printed on stderr.
struct PythonResult {
  int status = -1;
  std::string output;
};
PythonResult runVerifier(const fs::path& record, const fs::path& out, const TempDir& temp) {
  const fs::path log = temp.path() / "verifier.log";
  const std::string command =
      test::shellQuote(ANNOTRACE_TEST_PYTHON) + " " +
      test::shellQuote(std::string(ANNOTRACE_TEST_PYTHON_DIR) + "/verify_record.py") + " " +
      test::shellQuote(record.string()) + " --public-key " + std::string(kPublicHex) +
      " --project-key " + std::string(kProjectKeyHex) + " --out " + test::shellQuote(out.string()) +
      " >" + test::shellQuote(log.string()) + " 2>&1";
  const int raw = std::system(command.c_str());
  PythonResult result;
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  const Bytes text = readBytes(log);
  result.output.assign(text.begin(), text.end());
  return result;
}

// A record of `chunkCount` full chunks of incompressible data (plus a short last one).
struct Sample {
  EncodedRecord record;
  std::size_t chunksOffset = 0;
  std::size_t chunkBytes = 0;  // ciphertext bytes of a full chunk
  std::size_t chunks = 0;
  Bytes plaintext;
};
Sample makeSample(unsigned seed, std::size_t plaintextBytes = 2000, std::size_t chunkSize = 256) {
  Sample sample;
  sample.plaintext = randomPayload(plaintextBytes, seed);
  WriteOptions options;
  options.chunkSize = chunkSize;
  sample.record = RecordFile::encode(vectorInfo(), sample.plaintext, kProjectKey, kSeed, options);
  sample.chunksOffset = RecordFile::parseHeader(sample.record.bytes, "sample").chunksOffset;
  sample.chunkBytes = chunkSize + crypto::kGcmTagBytes;
  sample.chunks = sample.record.header["payload"]["chunks"].get<std::size_t>();
  return sample;
}

std::size_t chunkAt(const Sample& sample, std::size_t index) {
  return sample.chunksOffset + index * sample.chunkBytes;
}

// --- Primitives against published answers ------------------------------------------------------

TEST(CryptoPrimitives, KnownAnswers) {
  // FIPS 180-2 "abc".
  EXPECT_EQ(crypto::toHex(crypto::sha256(crypto::asBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // GCM spec (McGrew & Viega) test case 14: AES-256, zero key, zero IV, one zero block.
  const crypto::SymmetricKey zeroKey{};
  const crypto::GcmNonce zeroNonce{};
  const Bytes zeroBlock(16, 0);
  const Bytes sealed = crypto::aesGcmSeal(zeroKey, zeroNonce, {}, zeroBlock);
  EXPECT_EQ(crypto::toHex(sealed),
            "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
  const auto opened = crypto::aesGcmOpen(zeroKey, zeroNonce, {}, sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, zeroBlock);
  Bytes damaged = sealed;
  damaged[3] ^= 1;
  EXPECT_FALSE(crypto::aesGcmOpen(zeroKey, zeroNonce, {}, damaged));
  EXPECT_FALSE(crypto::aesGcmOpen(zeroKey, zeroNonce, crypto::asBytes("aad"), sealed));
  // RFC 8032 §7.1 TEST 1: public key and signature of the empty message.
  EXPECT_EQ(crypto::toHex(crypto::ed25519PublicKey(kSeed)), kPublicHex);
  const auto signature = crypto::ed25519Sign(kSeed, {});
  EXPECT_EQ(crypto::toHex(signature),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
            "701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(crypto::ed25519Verify(kPublic, {}, signature));
  EXPECT_FALSE(crypto::ed25519Verify(kPublic, crypto::asBytes("x"), signature));
}

TEST(CryptoPrimitives, Base64IsStrict) {
  EXPECT_EQ(crypto::base64Encode(crypto::asBytes("foob")), "Zm9vYg==");
  EXPECT_EQ(crypto::base64Encode(crypto::asBytes("fooba")), "Zm9vYmE=");
  EXPECT_EQ(crypto::base64Encode(crypto::asBytes("")), "");
  const auto decoded = crypto::base64Decode("Zm9vYmFy");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(std::string(decoded->begin(), decoded->end()), "foobar");
  EXPECT_FALSE(crypto::base64Decode("Zm9vYg="));    // missing padding
  EXPECT_FALSE(crypto::base64Decode("Zm9vYh=="));   // non-zero bits under the padding
  EXPECT_FALSE(crypto::base64Decode("Zm=vYmFy"));   // padding in the middle
  EXPECT_FALSE(crypto::base64Decode("Zm9v Yg=="));  // outside the alphabet
}

// --- Round trips ---------------------------------------------------------------------------------

TEST(RecordFile, RoundTripsEverySizeThatMatters) {
  const Bytes probe = randomPayload(1000, 1);
  WriteOptions large;
  const auto compressedOf = [&](const Bytes& plaintext) {
    const auto record = RecordFile::encode(vectorInfo(), plaintext, kProjectKey, kSeed, large);
    return record.header["payload"]["ciphertext_bytes"].get<std::size_t>() - 16;
  };
  const std::size_t exact = compressedOf(probe);  // a chunk size that the payload fills exactly

  struct Case {
    Bytes plaintext;
    std::size_t chunkSize;
    std::size_t chunks;
  };
  const std::vector<Case> cases = {
      {{}, 64, 1},                                           // empty: one empty last chunk
      {{0x42}, 64, 1},                                       // one byte
      {probe, exact, 1},                                     // exactly one chunk
      {probe, exact - 1, 2},                                 // one byte over: a 1-byte last chunk
      {randomPayload(3 << 20, 2), 4096, 0},                  // several MB, many chunks
      {randomPayload(3 << 20, 3), std::size_t{1} << 20, 4},  // default chunk size
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("plaintext " + std::to_string(c.plaintext.size()) + " bytes, chunk size " +
                 std::to_string(c.chunkSize));
    WriteOptions options;
    options.chunkSize = c.chunkSize;
    const auto record = RecordFile::encode(vectorInfo(), c.plaintext, kProjectKey, kSeed, options);
    const auto& payload = record.header["payload"];
    if (c.chunks != 0) {
      EXPECT_EQ(payload["chunks"].get<std::size_t>(), c.chunks);
    } else {
      EXPECT_GT(payload["chunks"].get<std::size_t>(), 700u);
    }
    EXPECT_EQ(payload["plaintext_bytes"].get<std::size_t>(), c.plaintext.size());
    const auto opened = RecordFile::decode(record.bytes, kProjectKey, kPublic, record.id, "t");
    EXPECT_EQ(opened.plaintext, c.plaintext);
    EXPECT_EQ(opened.header.id, record.id);
    EXPECT_EQ(opened.header.keyId, RecordFile::keyId(kPublic));
    EXPECT_EQ(opened.header.header, record.header);
    EXPECT_NO_THROW(RecordFile::verifyBytes(record.bytes, kPublic, record.id, "t"));
  }
}

TEST(RecordFile, FreshKeysMakeEveryRecordDifferent) {
  const Bytes plaintext = randomPayload(100, 4);
  const auto a = RecordFile::encode(vectorInfo(), plaintext, kProjectKey, kSeed);
  const auto b = RecordFile::encode(vectorInfo(), plaintext, kProjectKey, kSeed);
  EXPECT_NE(a.id, b.id);
  EXPECT_NE(a.header["record_key"], b.header["record_key"]);
  EXPECT_NE(a.header["nonce_prefix"], b.header["nonce_prefix"]);
}

TEST(RecordFile, HeaderCarriesTheCallersFields) {
  const auto record =
      RecordFile::encode(vectorInfo(), crypto::asBytes("x"), kProjectKey, kSeed, vectorOptions());
  const auto& h = record.header;
  EXPECT_EQ(h["format"], "annotrace-record");
  EXPECT_EQ(h["version"], 1);
  EXPECT_EQ(h["author"], "member:alice");
  EXPECT_EQ(h["role"], "annotator");
  EXPECT_EQ(h["state"], "submitted");
  EXPECT_EQ(h["created_utc"], "2025-01-01T00:00:00Z");
  EXPECT_EQ(h["audit"]["entry"], "audit:000001");
  EXPECT_EQ(h["source"]["SeriesInstanceUID"], "1.2.826.0.1.3680043.8.498.11");
  EXPECT_EQ(h["chunk_size"], 64);
  EXPECT_EQ(h["compression"], "zlib");
  // Counting source: record key 00..1f, nonce prefix 20..26, wrap nonce 27..32.
  EXPECT_EQ(h["nonce_prefix"],
            crypto::base64Encode(Bytes{0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26}));
  EXPECT_EQ(h["record_key"]["alg"], "A256GCM");
  const auto header = RecordFile::parseHeader(record.bytes, "t");
  EXPECT_EQ(header.signature["alg"], "Ed25519");
  const crypto::Digest publicDigest = crypto::sha256(kPublic);
  EXPECT_EQ(header.keyId, crypto::toHex(std::span(publicDigest).first(16)));
  EXPECT_EQ(header.id.size(), 64u);

  RecordInfo bad = vectorInfo();
  bad.state = "final";
  EXPECT_THROW(RecordFile::encode(bad, {}, kProjectKey, kSeed), RecordError);
}

// --- The committed test vector ------------------------------------------------------------------

TEST(RecordFile, ReproducesTheCommittedVectorByteForByte) {
  const Bytes plaintext = readBytes(vectorDir() / "plaintext.json");
  const auto record =
      RecordFile::encode(vectorInfo(), plaintext, kProjectKey, kSeed, vectorOptions());
  if (const char* out = std::getenv("ANNOTRACE_WRITE_RECORD_VECTOR")) {
    writeBytes(fs::path(out) / (record.id + ".atrec"), record.bytes);  // to refresh the vector
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(vectorDir())) {
    if (entry.path().extension() == ".atrec") files.push_back(entry.path());
  }
  ASSERT_EQ(files.size(), 1u) << "Testing/Records/vector must hold exactly one .atrec";
  EXPECT_EQ(files[0].filename().string(), record.id + ".atrec");
  EXPECT_EQ(readBytes(files[0]), record.bytes) << "the writer no longer makes the vector's bytes";
  EXPECT_GT(record.header["payload"]["chunks"].get<int>(), 2);

  const auto opened =
      RecordFile::open(files[0], kProjectKey, kPublic, RecordFile::idFromFileName(files[0]));
  EXPECT_EQ(opened.plaintext, plaintext);
  EXPECT_EQ(opened.header.id, record.id);
  const Bytes publicHex = readBytes(vectorDir() / "public-key.hex");
  EXPECT_EQ(std::string(publicHex.begin(), publicHex.end()), std::string(kPublicHex) + "\n");
}

// --- The independent verifier -------------------------------------------------------------------

TEST(RecordFile, PythonVerifierAcceptsTheVectorAndFreshRecordsAndRejectsTampering) {
  TempDir temp;
  std::vector<fs::path> vectors;
  for (const auto& entry : fs::directory_iterator(vectorDir())) {
    if (entry.path().extension() == ".atrec") vectors.push_back(entry.path());
  }
  ASSERT_EQ(vectors.size(), 1u);
  const PythonResult onVector = runVerifier(vectors[0], temp.path() / "vector.out", temp);
  EXPECT_EQ(onVector.status, 0) << onVector.output;
  EXPECT_EQ(readBytes(temp.path() / "vector.out"), readBytes(vectorDir() / "plaintext.json"));

  const Sample sample = makeSample(5, 5000, 512);
  ASSERT_GT(sample.chunks, 5u);
  fs::path written;
  WriteOptions options;
  options.chunkSize = 512;
  const auto record = RecordFile::write(temp.path(), vectorInfo(), sample.plaintext, kProjectKey,
                                        kSeed, options, &written);
  const PythonResult onFresh = runVerifier(written, temp.path() / "fresh.out", temp);
  EXPECT_EQ(onFresh.status, 0) << onFresh.output;
  EXPECT_NE(onFresh.output.find("OK " + record.id), std::string::npos) << onFresh.output;
  EXPECT_EQ(readBytes(temp.path() / "fresh.out"), sample.plaintext);

  Bytes tampered = record.bytes;
  tampered[tampered.size() - 100] ^= 0x01;
  writeBytes(temp.path() / "tampered.atrec", tampered);
  const PythonResult onTampered =
      runVerifier(temp.path() / "tampered.atrec", temp.path() / "tampered.out", temp);
  EXPECT_EQ(onTampered.status, 1) << onTampered.output;
  EXPECT_NE(onTampered.output.find("FAIL"), std::string::npos) << onTampered.output;
  EXPECT_FALSE(fs::exists(temp.path() / "tampered.out"));
}

// --- Tampering, each with its own reason ---------------------------------------------------------

class RecordTamper : public ::testing::Test {
 protected:
  void SetUp() override {
    sample = makeSample(6);
    ASSERT_EQ(sample.chunks, 8u);  // 2000 random bytes + zlib framing in 256-byte chunks
    ASSERT_FALSE(tryDecode(sample.record.bytes).code);
  }
  Sample sample;
};

TEST_F(RecordTamper, FlippedChunkByte) {
  Bytes bytes = sample.record.bytes;
  bytes[chunkAt(sample, 3) + 17] ^= 0x80;
  const Outcome outcome = tryDecode(bytes);
  EXPECT_EQ(outcome.code, RecordErrorCode::ChunkAuthFailed) << outcome.message;
  EXPECT_NE(outcome.message.find("chunk 4 of 8 failed authentication: damaged, reordered or from "
                                 "another record"),
            std::string::npos)
      << outcome.message;
  EXPECT_NE(outcome.message.find("test.atrec"), std::string::npos);
  // Without the project key the signed ciphertext digest catches it.
  EXPECT_EQ(tryVerify(bytes).code, RecordErrorCode::CiphertextDigestMismatch);
}

TEST_F(RecordTamper, ChangedHeaderFailsTheSignature) {
  Bytes bytes = sample.record.bytes;
  const std::string needle = "member:alice";
  const auto at = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
  ASSERT_NE(at, bytes.end());
  *(at + static_cast<std::ptrdiff_t>(needle.size()) - 1) = 'f';  // "member:alicf"
  const Outcome outcome = tryDecode(bytes);
  EXPECT_EQ(outcome.code, RecordErrorCode::BadSignature) << outcome.message;
  EXPECT_EQ(tryVerify(bytes).code, RecordErrorCode::BadSignature);
}

TEST_F(RecordTamper, LastChunkCutAway) {
  Bytes bytes = sample.record.bytes;
  bytes.resize(chunkAt(sample, sample.chunks - 1));
  const Outcome outcome = tryDecode(bytes);
  EXPECT_EQ(outcome.code, RecordErrorCode::Truncated) << outcome.message;
  EXPECT_NE(outcome.message.find("truncated: the last chunk is missing"), std::string::npos)
      << outcome.message;
  EXPECT_EQ(tryVerify(bytes).code, RecordErrorCode::Truncated);
}

TEST_F(RecordTamper, MiddleChunkDropped) {
  Bytes bytes = sample.record.bytes;
  bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(chunkAt(sample, 2)),
              bytes.begin() + static_cast<std::ptrdiff_t>(chunkAt(sample, 3)));
  const Outcome outcome = tryDecode(bytes);
  EXPECT_EQ(outcome.code, RecordErrorCode::ChunkAuthFailed) << outcome.message;
  EXPECT_NE(outcome.message.find("chunk 3 of 8"), std::string::npos) << outcome.message;
}

TEST_F(RecordTamper, TwoChunksSwapped) {
  Bytes bytes = sample.record.bytes;
  std::swap_ranges(bytes.begin() + static_cast<std::ptrdiff_t>(chunkAt(sample, 1)),
                   bytes.begin() + static_cast<std::ptrdiff_t>(chunkAt(sample, 2)),
                   bytes.begin() + static_cast<std::ptrdiff_t>(chunkAt(sample, 4)));
  const Outcome outcome = tryDecode(bytes);
  EXPECT_EQ(outcome.code, RecordErrorCode::ChunkAuthFailed) << outcome.message;
  EXPECT_NE(outcome.message.find("chunk 2 of 8"), std::string::npos) << outcome.message;
}

TEST_F(RecordTamper, BytesAppended) {
  Bytes bytes = sample.record.bytes;
  bytes.insert(bytes.end(), {0, 1, 2});
  const Outcome outcome = tryDecode(bytes);
  EXPECT_EQ(outcome.code, RecordErrorCode::TrailingBytes) << outcome.message;
  EXPECT_NE(outcome.message.find("3 unexpected bytes after the last chunk"), std::string::npos);
  EXPECT_EQ(tryVerify(bytes).code, RecordErrorCode::TrailingBytes);
}

TEST_F(RecordTamper, ChunkSplicedFromAnotherRecordWithTheSameKeys) {
  const Sample other = makeSample(7);
  ASSERT_EQ(other.chunks, sample.chunks);
  Bytes bytes = sample.record.bytes;
  std::copy_n(other.record.bytes.begin() + static_cast<std::ptrdiff_t>(chunkAt(other, 5)),
              sample.chunkBytes, bytes.begin() + static_cast<std::ptrdiff_t>(chunkAt(sample, 5)));
  const Outcome outcome = tryDecode(bytes);
  EXPECT_EQ(outcome.code, RecordErrorCode::ChunkAuthFailed) << outcome.message;
  EXPECT_NE(outcome.message.find("chunk 6 of 8"), std::string::npos) << outcome.message;
}

TEST_F(RecordTamper, HeadersSwappedBetweenRecords) {
  const Sample other = makeSample(8);
  ASSERT_EQ(other.chunksOffset, sample.chunksOffset);
  // Header and signature of `other` in front of this record's chunks: a valid signature, but
  // the file is not what its name says, and the chunks belong to another key and AAD.
  Bytes bytes(other.record.bytes.begin(),
              other.record.bytes.begin() + static_cast<std::ptrdiff_t>(other.chunksOffset));
  bytes.insert(bytes.end(),
               sample.record.bytes.begin() + static_cast<std::ptrdiff_t>(sample.chunksOffset),
               sample.record.bytes.end());
  EXPECT_EQ(tryDecode(bytes, kProjectKey, kPublic, sample.record.id).code,
            RecordErrorCode::IdMismatch);
  const Outcome outcome = tryDecode(bytes);
  EXPECT_EQ(outcome.code, RecordErrorCode::ChunkAuthFailed) << outcome.message;
  EXPECT_NE(outcome.message.find("chunk 1 of 8"), std::string::npos) << outcome.message;
  EXPECT_EQ(tryVerify(bytes).code, RecordErrorCode::CiphertextDigestMismatch);

  // The header alone swapped, signatures left in place: neither signature matches.
  const auto headerLength = [](const Bytes& b) {
    return static_cast<std::size_t>(b[8] | b[9] << 8 | b[10] << 16 | b[11] << 24);
  };
  ASSERT_EQ(headerLength(sample.record.bytes), headerLength(other.record.bytes));
  Bytes headerOnly = sample.record.bytes;
  std::copy_n(other.record.bytes.begin() + 12, headerLength(other.record.bytes),
              headerOnly.begin() + 12);
  EXPECT_EQ(tryDecode(headerOnly).code, RecordErrorCode::BadSignature);
}

TEST_F(RecordTamper, WrongProjectKey) {
  ProjectKey wrong = kProjectKey;
  wrong[0] ^= 1;
  const Outcome outcome = tryDecode(sample.record.bytes, wrong);
  EXPECT_EQ(outcome.code, RecordErrorCode::KeyUnwrapFailed) << outcome.message;
  EXPECT_NE(outcome.message.find("wrong project key or damaged key wrap"), std::string::npos);
}

TEST_F(RecordTamper, WrongPublicKey) {
  SigningSeed otherSeed = kSeed;
  otherSeed[0] ^= 1;
  const PublicKey otherPublic = crypto::ed25519PublicKey(otherSeed);
  const Outcome outcome = tryDecode(sample.record.bytes, kProjectKey, otherPublic);
  EXPECT_EQ(outcome.code, RecordErrorCode::WrongSigner) << outcome.message;
  EXPECT_NE(outcome.message.find(RecordFile::keyId(kPublic)), std::string::npos);
  // A record signed by another member with the same project key: opened with that member's
  // key it is fine, with ours it is refused.
  const auto foreign = RecordFile::encode(vectorInfo(), sample.plaintext, kProjectKey, otherSeed);
  EXPECT_FALSE(tryDecode(foreign.bytes, kProjectKey, otherPublic).code);
  EXPECT_EQ(tryDecode(foreign.bytes).code, RecordErrorCode::WrongSigner);
}

TEST_F(RecordTamper, BadMagicAndVersion) {
  Bytes bytes = sample.record.bytes;
  bytes[0] = 'X';
  EXPECT_EQ(tryDecode(bytes).code, RecordErrorCode::BadMagic);
  EXPECT_EQ(tryDecode(Bytes{'A', 'T'}).code, RecordErrorCode::BadMagic);
  bytes = sample.record.bytes;
  bytes[6] = 0x02;
  const Outcome outcome = tryDecode(bytes);
  EXPECT_EQ(outcome.code, RecordErrorCode::UnsupportedVersion) << outcome.message;
}

TEST_F(RecordTamper, DamagedLengthFields) {
  Bytes bytes = sample.record.bytes;
  bytes[11] = 0x7f;  // header length ~2 GB
  const Outcome outcome = tryDecode(bytes);
  EXPECT_EQ(outcome.code, RecordErrorCode::BadLength) << outcome.message;
  EXPECT_NE(outcome.message.find("runs past the end of the file"), std::string::npos);
  bytes = sample.record.bytes;
  bytes[8] -= 1;  // one byte short: the signature length is read from the wrong place
  EXPECT_EQ(tryDecode(bytes).code, RecordErrorCode::BadLength);
  bytes = sample.record.bytes;
  bytes[12] = 'x';  // lengths fine, the header is no longer JSON
  EXPECT_EQ(tryDecode(bytes).code, RecordErrorCode::BadJson);
  bytes = sample.record.bytes;
  bytes.resize(10);  // inside the first length field
  EXPECT_EQ(tryDecode(bytes).code, RecordErrorCode::BadLength);
}

// --- Files on disk ------------------------------------------------------------------------------

TEST(RecordFile, AtomicWriteLeavesOneFileAndNeverReplacesAnother) {
  TempDir temp;
  const Bytes plaintext = randomPayload(3000, 9);
  fs::path written;
  const auto record = RecordFile::write(temp.path(), vectorInfo(), plaintext, kProjectKey, kSeed,
                                        vectorOptions(), &written);
  const auto listing = [&] {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(temp.path())) names.push_back(e.path().filename());
    return names;
  };
  EXPECT_EQ(listing(), std::vector<std::string>{record.id + ".atrec"});
  EXPECT_EQ(written, temp.path() / (record.id + ".atrec"));
  EXPECT_EQ(RecordFile::idFromFileName(written), record.id);
  EXPECT_EQ(readBytes(written), record.bytes);
  EXPECT_EQ(RecordFile::open(written, kProjectKey, kPublic, record.id).plaintext, plaintext);
  EXPECT_EQ(RecordFile::readHeader(written).id, record.id);
  EXPECT_EQ(RecordFile::verify(written, kPublic, record.id).id, record.id);

  // The same record again (deterministic source): same bytes, nothing to do.
  EXPECT_NO_THROW(
      RecordFile::write(temp.path(), vectorInfo(), plaintext, kProjectKey, kSeed, vectorOptions()));
  EXPECT_EQ(listing().size(), 1u);

  // A different file under the name this record would take: refused, left as it was.
  const Bytes other = randomPayload(10, 10);
  const auto next = RecordFile::encode(vectorInfo(), other, kProjectKey, kSeed, vectorOptions());
  const fs::path squatted = temp.path() / (next.id + ".atrec");
  writeBytes(squatted, crypto::asBytes("not this record"));
  try {
    RecordFile::write(temp.path(), vectorInfo(), other, kProjectKey, kSeed, vectorOptions());
    ADD_FAILURE() << "overwrote an existing file";
  } catch (const RecordError& error) {
    EXPECT_EQ(error.code(), RecordErrorCode::AlreadyExists) << error.what();
  }
  EXPECT_EQ(readBytes(squatted), Bytes(crypto::asBytes("not this record").begin(),
                                       crypto::asBytes("not this record").end()));
  EXPECT_EQ(listing().size(), 2u);  // no temporary file left behind

  // A record renamed to another record's id is refused by its name.
  const fs::path renamed = temp.path() / (std::string(64, 'a') + ".atrec");
  fs::copy_file(written, renamed);
  try {
    RecordFile::open(renamed, kProjectKey, kPublic, RecordFile::idFromFileName(renamed));
    ADD_FAILURE() << "opened a renamed record";
  } catch (const RecordError& error) {
    EXPECT_EQ(error.code(), RecordErrorCode::IdMismatch) << error.what();
    EXPECT_NE(std::string(error.what()).find(renamed.string()), std::string::npos);
  }
}

}  // namespace
}  // namespace annotrace::records
