// Writes the seed corpora of the label-record fuzzers, deterministically (fixed keys, counting
// random sources, a fixed clock, hand-built sealed secrets and stanzas), so that the committed
// files under Testing/Fuzz/corpus can be made again after a format change:
//
//   build-fuzz-records/Testing/Fuzz/MakeRecordsFuzzSeeds Testing/Fuzz/corpus
//
// It writes corpus/FuzzRecordFile, corpus/FuzzAuditLog and corpus/FuzzMemberKeys (existing files
// of the same names are replaced, others are left alone) and checks that each valid seed reads
// back. The input layouts are described at the top of each fuzzer; the keys are those of
// Testing/Records/vector (project key 0x80..0x9f, Ed25519 seed RFC 8032 TEST 1), RFC 8032 TEST 2
// for a second member and RFC 7748 §6.1 Alice for X25519.

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "Records/AuditLog.h"
#include "Records/CanonicalJson.h"
#include "Records/CryptoPrimitives.h"
#include "Records/MemberKeys.h"
#include "Records/RecordFile.h"
#include "Records/Vault.h"

#include "FuzzSupport.h"

namespace {

using namespace annotrace;
using crypto::Bytes;
using nlohmann::json;
namespace fs = std::filesystem;

void require(bool condition, const std::string& what) {
  if (!condition) throw std::runtime_error("seed check failed: " + what);
}

using fuzz::counting;
using fuzz::kPassphrase;
using fuzz::kProjectKey;
using fuzz::readAll;
using fuzz::sampleRecord;

constexpr const crypto::Ed25519Seed& kAlice = fuzz::kAliceSeed;
constexpr const crypto::Ed25519Seed& kBob = fuzz::kBobSeed;
constexpr crypto::Ed25519Seed kCarol = counting<32>(0x40);  // unknown to FuzzAuditLog's lookup
constexpr const crypto::X25519PrivateKey& kX25519 = fuzz::kX25519Alice;

void write(const fs::path& file, std::span<const std::uint8_t> bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + file.string());
  std::cout << file.string() << " (" << bytes.size() << " bytes)\n";
}

void write(const fs::path& file, std::string_view text) {
  write(file, crypto::asBytes(text));
}

Bytes tagged(std::uint8_t mode, std::span<const std::uint8_t> rest) {
  Bytes out{mode};
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

// --- FuzzRecordFile ---------------------------------------------------------------------------

Bytes zlib(std::string_view text) {
  uLongf size = compressBound(static_cast<uLong>(text.size()));
  Bytes out(size);
  require(compress2(out.data(), &size, reinterpret_cast<const Bytef*>(text.data()),
                    static_cast<uLong>(text.size()), Z_DEFAULT_COMPRESSION) == Z_OK,
          "zlib");
  out.resize(size);
  return out;
}

Bytes payloadSeed(std::uint8_t chunkSelector, bool honest, std::uint32_t claim,
                  std::span<const std::uint8_t> stream) {
  Bytes rest{chunkSelector, static_cast<std::uint8_t>(honest ? 1 : 0)};
  fuzz::putU32(rest, claim);
  rest.insert(rest.end(), stream.begin(), stream.end());
  return tagged(3, rest);
}

void recordSeeds(const fs::path& folder) {
  const records::PublicKey signer = crypto::ed25519PublicKey(kAlice);
  const std::string plaintext = fuzz::samplePlaintext();
  // FuzzRecordFile's sealedSample(): 64-byte chunks.
  const auto sample = sampleRecord(64);
  const auto opened =
      records::RecordFile::decode(sample.bytes, kProjectKey, signer, sample.id, "sample");
  require(opened.plaintext == Bytes(plaintext.begin(), plaintext.end()), "sample record");
  const std::size_t offset = records::RecordFile::parseHeader(sample.bytes, "sample").chunksOffset;
  const auto chunks = std::span(sample.bytes).subspan(offset);
  const std::size_t headerBytes = fuzz::getU32(std::span(sample.bytes).subspan(8));  // after magic
  const auto header = std::span(sample.bytes).subspan(12, headerBytes);

  write(folder / "raw-record-64-byte-chunks", tagged(0, sample.bytes));
  const auto single = sampleRecord(1 << 20);
  write(folder / "raw-record-one-chunk", tagged(0, single.bytes));
  write(folder / "raw-record-cut-short",
        tagged(0, std::span(sample.bytes).first(sample.bytes.size() - 40)));

  write(folder / "chunks-of-sample", tagged(1, chunks));

  Bytes resigned{static_cast<std::uint8_t>(header.size()),
                 static_cast<std::uint8_t>(header.size() >> 8)};
  resigned.insert(resigned.end(), header.begin(), header.end());
  resigned.insert(resigned.end(), chunks.begin(), chunks.end());
  write(folder / "header-resigned", tagged(2, resigned));

  const Bytes stream = zlib(plaintext);
  write(folder / "payload-honest", payloadSeed(63, true, 0, stream));
  write(folder / "payload-claims-fewer-bytes", payloadSeed(15, false, 100, stream));
  write(folder / "payload-zeros-bomb", payloadSeed(95, true, 0, zlib(std::string(300000, '\0'))));
}

// --- FuzzAuditLog -----------------------------------------------------------------------------

void auditSeeds(const fs::path& folder) {
  const fs::path work =
      fs::temp_directory_path() / ("annotrace-seeds-" + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::create_directories(work);
  auto tick = std::make_shared<int>(0);
  const records::AuditClock clock = [tick] {
    return fuzz::fixedClock() + std::chrono::milliseconds(1001 * (*tick)++);
  };
  auto log = records::AuditLog::create(work, clock);
  log.append({"member:alice", "admin", "vault-created", {"member:alice"}, "vault initialised"},
             kAlice);
  log.append({"member:alice", "admin", "member-added", {"member:bob"}, "role reviewer"}, kAlice);
  log.append({"member:bob", "reviewer", "unlock-ok", {"member:bob"}, ""}, kBob);
  log.append({"member:bob",
              "reviewer",
              "record-created",
              {"c2e0fb533b6fe80eb6186fb2bff6412853a778a92ae73c9cbb4e8badd2a1069b"},
              "\"quoted\" é"},
             kBob);
  log.append({"member:alice",
              "admin",
              "role-changed",
              {"member:bob", "member:alice"},
              "reviewer -> admin"},
             kAlice);
  const auto good = log.verify([](const std::string& actor, std::uint64_t) {
    return std::optional(crypto::ed25519PublicKey(actor == "member:bob" ? kBob : kAlice));
  });
  require(good.ok() && good.entries == 5, "audit log");
  const std::string text = readAll(log.logPath());
  write(folder / "log-five-entries", text);

  log.append({"member:carol", "annotator", "unlock-ok", {"member:carol"}, ""}, kCarol);
  const std::string withCarol = readAll(log.logPath());
  write(folder / "log-unknown-actor", withCarol);
  const std::string sixth = withCarol.substr(text.size());
  write(folder / "log-torn-tail", text + sixth.substr(0, sixth.size() / 2));
  write(folder / "log-zeros-last-line", text + std::string(24, '\0') + "\n");
  std::string edited = text;
  edited[edited.find("role reviewer") + 5] = 'R';
  write(folder / "log-edited-entry", edited);
  fs::remove_all(work);
}

// --- FuzzMemberKeys ---------------------------------------------------------------------------

// sealWithPassphrase with a given salt and nonce instead of random ones.
crypto::SealedSecret seal(std::span<const std::uint8_t> secret, std::uint8_t saltStart,
                          const crypto::ScryptParameters& parameters) {
  crypto::SealedSecret sealed;
  sealed.parameters = parameters;
  const auto salt = counting<16>(saltStart);
  sealed.salt.assign(salt.begin(), salt.end());
  sealed.nonce = counting<12>(static_cast<std::uint8_t>(saltStart + 0x10));
  const Bytes key = crypto::scrypt(kPassphrase, sealed.salt, parameters, 32);
  crypto::SymmetricKey aesKey{};
  std::copy(key.begin(), key.end(), aesKey.begin());
  sealed.ciphertext = crypto::aesGcmSeal(aesKey, sealed.nonce,
                                         crypto::asBytes("annotrace-sealed-secret-v1"), secret);
  return sealed;
}

// wrapForRecipient with a given ephemeral key and nonce.
crypto::RecipientStanza wrap(const crypto::SymmetricKey& key,
                             const crypto::X25519PublicKey& recipient) {
  const auto ephemeralPrivate = counting<32>(0x60);
  crypto::RecipientStanza stanza;
  stanza.recipient = recipient;
  stanza.ephemeral = crypto::x25519PublicKey(ephemeralPrivate);
  stanza.nonce = counting<12>(0x90);
  Bytes salt(stanza.ephemeral.begin(), stanza.ephemeral.end());
  salt.insert(salt.end(), recipient.begin(), recipient.end());
  const Bytes wrapping = crypto::hkdfSha256(crypto::x25519(ephemeralPrivate, recipient), salt,
                                            crypto::asBytes("annotrace-vault-v1"), 32);
  crypto::SymmetricKey wrappingKey{};
  std::copy(wrapping.begin(), wrapping.end(), wrappingKey.begin());
  stanza.wrapped =
      crypto::aesGcmSeal(wrappingKey, stanza.nonce, crypto::asBytes("annotrace-vault-v1"), key);
  return stanza;
}

std::string text(const json& value) {
  return records::canonicalJson(value) + "\n";
}

void keySeeds(const fs::path& folder) {
  const auto minimum = crypto::ScryptParameters::minimum();
  const auto edSealed = seal(kAlice, 0xa0, minimum);
  const auto xSealed = seal(kX25519, 0xc0, minimum);
  require(crypto::openWithPassphrase(edSealed, kPassphrase) == Bytes(kAlice.begin(), kAlice.end()),
          "sealed secret");
  const crypto::X25519PublicKey xPublic = crypto::x25519PublicKey(kX25519);
  const auto stanza = wrap(kProjectKey, xPublic);
  require(crypto::unwrapAsRecipient(stanza, kX25519) == kProjectKey, "key stanza");

  write(folder / "sealed-secret", text(edSealed.toJson()));
  write(folder / "key-stanza", text(stanza.toJson()));
  // members/alice.json and keys/alice.json as Vault writes them.
  write(folder / "member-file",
        text({{"version", 1},
              {"id", "alice"},
              {"ed25519", crypto::base64Encode(crypto::ed25519PublicKey(kAlice))},
              {"x25519", crypto::base64Encode(xPublic)},
              {"ed25519_sealed", edSealed.toJson()},
              {"x25519_sealed", xSealed.toJson()}}));
  write(folder / "key-file",
        text({{"version", 1}, {"member", "alice"}, {"stanza", stanza.toJson()}}));

  records::Membership membership;
  records::VaultMember alice;
  alice.id = "alice";
  alice.role = records::Role::Admin;
  alice.ed25519 = crypto::ed25519PublicKey(kAlice);
  alice.x25519 = xPublic;
  alice.addedAtSeq = 1;
  records::VaultMember bob;
  bob.id = "bob";
  bob.role = records::Role::Reviewer;
  bob.ed25519 = crypto::ed25519PublicKey(kBob);
  bob.x25519 = crypto::x25519PublicKey(counting<32>(0x70));
  bob.addedAtSeq = 2;
  bob.removedAtSeq = 4;
  membership.members = {alice, bob};
  membership.seq = 4;
  membership.signer = "alice";
  json signedList = json::parse(membership.signedText());
  signedList["sig"] = crypto::base64Encode(
      crypto::ed25519Sign(kAlice, crypto::sha256(crypto::asBytes(membership.signedText()))));
  write(folder / "membership", text(signedList));
  {
    const fs::path vault =
        fs::temp_directory_path() / ("annotrace-seeds-" + std::to_string(::getpid()));
    fs::create_directories(vault);
    write(vault / records::Vault::kMembership, text(signedList));
    require(records::Vault::readMembership(vault).members.size() == 2, "membership");
    fs::remove_all(vault);
  }

  json weak = edSealed.toJson();
  weak["n"] = 1 << 14;
  write(folder / "sealed-secret-weak-n", text(weak));

  // Findings (see FuzzMemberKeys.cxx and Docs/Fuzzing.md). Stored costs above the minimum are
  // accepted without a ceiling: p = 2^16 is ~65536 times the minimum's CPU time with 96 MiB;
  // n = 2^22 allocates 4 GiB. Run with ANNOTRACE_FUZZ_SCRYPT_CEILING=abort to see them fail.
  json hugeP = edSealed.toJson();
  hugeP["p"] = 1 << 16;
  write(folder / "regression-scrypt-huge-p", text(hugeP));
  json hugeN = edSealed.toJson();
  hugeN["n"] = 1 << 22;
  write(folder / "regression-scrypt-huge-n", text(hugeN));
  // "kdf" / "type" that are not text: fromJson throws nlohmann::json::type_error, not KeyError,
  // so Vault::unlock (which catches KeyError) lets it escape. ANNOTRACE_FUZZ_STRICT=1 fails on
  // them.
  json kdfNumber = edSealed.toJson();
  kdfNumber["kdf"] = 7;
  write(folder / "regression-kdf-not-text", text({{"version", 1},
                                                  {"id", "alice"},
                                                  {"ed25519_sealed", kdfNumber},
                                                  {"x25519_sealed", xSealed.toJson()}}));
  json typeNumber = stanza.toJson();
  typeNumber["type"] = 25519;
  write(folder / "regression-stanza-type-not-text",
        text({{"version", 1}, {"member", "alice"}, {"stanza", typeNumber}}));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: MakeRecordsFuzzSeeds CORPUS_DIR   (e.g. Testing/Fuzz/corpus)\n";
    return 2;
  }
  try {
    const fs::path corpus = argv[1];
    for (const char* target : {"FuzzRecordFile", "FuzzAuditLog", "FuzzMemberKeys"}) {
      fs::create_directories(corpus / target);
    }
    recordSeeds(corpus / "FuzzRecordFile");
    auditSeeds(corpus / "FuzzAuditLog");
    keySeeds(corpus / "FuzzMemberKeys");
  } catch (const std::exception& error) {
    std::cerr << "MakeRecordsFuzzSeeds: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
