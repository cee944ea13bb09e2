// Vault key material (Records/MemberKeys.h, Docs/Vault.md "Keys") from untrusted bytes: the
// input is parsed as JSON and read the ways the vault reads its stored files:
//
//   - as a sealed secret (SealedSecret::fromJson), and so are the "ed25519_sealed" and
//     "x25519_sealed" members of a member file (members/<id>.json); each is opened with
//     openWithPassphrase and a fixed passphrase;
//   - as a key stanza (RecipientStanza::fromJson), and so is the "stanza" member of a key file
//     (keys/<id>.json); each is unwrapped with a fixed X25519 private key (RFC 7748 §6.1 Alice);
//   - as membership.json (Vault::readMembership) when it has "members".
//
// Outcomes: a result, a KeyError or CryptoError (MemberKeys.h), a VaultError (membership); any
// other outcome is a finding: a crash or a sanitizer report, an exception that is no
// std::exception, or (when ANNOTRACE_FUZZ_STRICT=1) any other std::exception. What parses must
// also survive toJson() / fromJson() unchanged.
//
// scrypt. The stored parameters (n, r, p) are the file's, i.e. the attacker's. MemberKeys
// refuses costs below ScryptParameters::minimum() but sets no ceiling, so a member file can ask
// for hours of CPU (p = 2^16) or gigabytes (n = 2^22) when it is opened (reported as a finding,
// see regression-scrypt-* in the corpus). The harness therefore stands in for OpenSSL's
// EVP_KDF_derive (the executable's definition wins over libcrypto's; the real one is found with
// dlsym(RTLD_NEXT)): an scrypt dearer than the minimum (N = 2^15, r = 8, p = 1) is refused as
// OpenSSL refuses what it cannot do (derive fails, MemberKeys throws CryptoError), and is noted
// once; with ANNOTRACE_FUZZ_SCRYPT_CEILING=abort it is a crash instead, to reproduce the finding.
// Accepted derivations are memoised on (passphrase, salt, n, r, p, length), so inputs that only
// mutate the ciphertext or nonce of a seed cost no scrypt at all; a new salt costs one (~0.1 s).
//
// Seeds: Testing/Fuzz/corpus/FuzzMemberKeys, made by MakeRecordsFuzzSeeds.

#include <dlfcn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "Records/CryptoPrimitives.h"
#include "Records/MemberKeys.h"
#include "Records/Vault.h"

#include "FuzzSupport.h"

namespace {

using namespace annotrace;
using crypto::Bytes;
using nlohmann::json;
namespace fs = std::filesystem;

using fuzz::envSet;
using fuzz::kPassphrase;

constexpr fuzz::Harness<crypto::KeyError, crypto::CryptoError, records::VaultError> kHarness{
    "FuzzMemberKeys", "a std::exception that is not KeyError, CryptoError or VaultError"};

const fs::path& scratch() {
  return fuzz::scratchFolder("keys");
}

void sealedSecret(const json& value) {
  const auto sealed = kHarness.attempt("SealedSecret::fromJson",
                                       [&] { return crypto::SealedSecret::fromJson(value); });
  if (!sealed) return;
  const auto again = kHarness.attempt(
      "SealedSecret round trip", [&] { return crypto::SealedSecret::fromJson(sealed->toJson()); });
  if (!again || again->parameters.n != sealed->parameters.n ||
      again->parameters.r != sealed->parameters.r || again->parameters.p != sealed->parameters.p ||
      again->salt != sealed->salt || again->nonce != sealed->nonce ||
      again->ciphertext != sealed->ciphertext) {
    kHarness.finding("a sealed secret does not survive toJson() / fromJson()");
  }
  const auto secret = kHarness.attempt(
      "openWithPassphrase", [&] { return crypto::openWithPassphrase(*sealed, kPassphrase); });
  if (secret && secret->size() + crypto::kGcmTagBytes != sealed->ciphertext.size()) {
    kHarness.finding("openWithPassphrase returned a secret of the wrong length");
  }
}

void keyStanza(const json& value) {
  const auto stanza = kHarness.attempt("RecipientStanza::fromJson",
                                       [&] { return crypto::RecipientStanza::fromJson(value); });
  if (!stanza) return;
  const auto again = kHarness.attempt("RecipientStanza round trip", [&] {
    return crypto::RecipientStanza::fromJson(stanza->toJson());
  });
  if (!again || again->recipient != stanza->recipient || again->ephemeral != stanza->ephemeral ||
      again->nonce != stanza->nonce || again->wrapped != stanza->wrapped) {
    kHarness.finding("a key stanza does not survive toJson() / fromJson()");
  }
  kHarness.attempt("unwrapAsRecipient",
                   [&] { return crypto::unwrapAsRecipient(*stanza, fuzz::kX25519Alice); });
}

void membership(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream out(scratch() / records::Vault::kMembership, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  kHarness.attempt("Vault::readMembership",
                   [&] { return records::Vault::readMembership(scratch()); });
}

}  // namespace

// --- The scrypt stand-in (see the top of the file) --------------------------------------------

extern "C" int EVP_KDF_derive(EVP_KDF_CTX* ctx, unsigned char* key, size_t keylen,
                              const OSSL_PARAM params[]) {
  using Derive = int (*)(EVP_KDF_CTX*, unsigned char*, size_t, const OSSL_PARAM[]);
  static const auto real = reinterpret_cast<Derive>(dlsym(RTLD_NEXT, "EVP_KDF_derive"));
  if (!real) kHarness.finding("cannot find OpenSSL's EVP_KDF_derive");
  if (!ctx || !EVP_KDF_is_a(EVP_KDF_CTX_kdf(ctx), "SCRYPT") || !params) {
    return real(ctx, key, keylen, params);
  }
  std::uint64_t n = 0;
  std::uint32_t r = 0, p = 0;
  const void* password = nullptr;
  const void* salt = nullptr;
  std::size_t passwordBytes = 0, saltBytes = 0;
  const OSSL_PARAM* found = nullptr;
  const bool complete = (found = OSSL_PARAM_locate_const(params, OSSL_KDF_PARAM_SCRYPT_N)) &&
                        OSSL_PARAM_get_uint64(found, &n) &&
                        (found = OSSL_PARAM_locate_const(params, OSSL_KDF_PARAM_SCRYPT_R)) &&
                        OSSL_PARAM_get_uint32(found, &r) &&
                        (found = OSSL_PARAM_locate_const(params, OSSL_KDF_PARAM_SCRYPT_P)) &&
                        OSSL_PARAM_get_uint32(found, &p) &&
                        (found = OSSL_PARAM_locate_const(params, OSSL_KDF_PARAM_PASSWORD)) &&
                        OSSL_PARAM_get_octet_string_ptr(found, &password, &passwordBytes) &&
                        (found = OSSL_PARAM_locate_const(params, OSSL_KDF_PARAM_SALT)) &&
                        OSSL_PARAM_get_octet_string_ptr(found, &salt, &saltBytes);
  if (!complete) return real(ctx, key, keylen, params);

  const crypto::ScryptParameters floor = crypto::ScryptParameters::minimum();
  if (n > floor.n || r > floor.r || p > floor.p) {
    const std::string what =
        "openWithPassphrase ran scrypt with the stored N = " + std::to_string(n) +
        ", r = " + std::to_string(r) + ", p = " + std::to_string(p) + " (about " +
        std::to_string(
            static_cast<std::uint64_t>(128.0 * r * (static_cast<double>(n) + p) / (1 << 20))) +
        " MiB and " +
        std::to_string(
            static_cast<std::uint64_t>(static_cast<double>(n) / floor.n * r / floor.r * p)) +
        " times the time of the minimum): MemberKeys sets no ceiling on attacker-supplied "
        "scrypt parameters";
    if (envSet("ANNOTRACE_FUZZ_SCRYPT_CEILING", "abort")) kHarness.finding(what);
    kHarness.note("scrypt-ceiling",
                  what +
                      " (refused by the harness; ANNOTRACE_FUZZ_SCRYPT_CEILING=abort "
                      "makes this a crash)");
    return 0;
  }
  static std::map<std::string, Bytes> memo;
  std::string memoKey(static_cast<const char*>(password), passwordBytes);
  memoKey += '\0';
  memoKey.append(static_cast<const char*>(salt), saltBytes);
  memoKey += '\0' + std::to_string(n) + ',' + std::to_string(r) + ',' + std::to_string(p) + ',' +
             std::to_string(keylen);
  if (const auto it = memo.find(memoKey); it != memo.end()) {
    std::copy(it->second.begin(), it->second.end(), key);
    return 1;
  }
  const int result = real(ctx, key, keylen, params);
  if (result == 1 && memo.size() < 100000) memo.emplace(memoKey, Bytes(key, key + keylen));
  return result;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const json value = json::parse(data, data + size, nullptr, false);
  if (value.is_discarded()) return 0;

  sealedSecret(value);
  keyStanza(value);
  if (!value.is_object()) return 0;
  // A member file, read the way Vault::unlock does.
  for (const char* member : {"ed25519_sealed", "x25519_sealed"}) {
    if (value.contains(member)) sealedSecret(value[member]);
  }
  // A key file, read the way Vault::unlock does.
  if (value.contains("stanza")) keyStanza(value["stanza"]);
  if (value.contains("members")) membership(data, size);
  return 0;
}
