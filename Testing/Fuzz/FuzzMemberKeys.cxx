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
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <system_error>

#include <nlohmann/json.hpp>

#include "Records/CryptoPrimitives.h"
#include "Records/MemberKeys.h"
#include "Records/Vault.h"

namespace {

using namespace annotrace;
using crypto::Bytes;
using nlohmann::json;
namespace fs = std::filesystem;

constexpr std::string_view kPassphrase = "correct horse battery staple";

bool envSet(const char* name, const char* value = nullptr) {
  const char* text = std::getenv(name);
  if (!text || !*text) return false;
  return value ? std::strcmp(text, value) == 0 : *text != '0';
}

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "\n==FuzzMemberKeys== FINDING: %s\n", what.c_str());
  std::abort();
}

void note(const std::string& key, const std::string& what) {
  static std::set<std::string> seen;
  if (seen.insert(key).second) std::fprintf(stderr, "==FuzzMemberKeys== note: %s\n", what.c_str());
}

template <class Call>
auto attempt(const char* name, Call&& call) -> std::optional<decltype(call())> {
  try {
    return call();
  } catch (const crypto::KeyError&) {
  } catch (const crypto::CryptoError&) {
  } catch (const records::VaultError&) {
  } catch (const std::exception& error) {
    const std::string what = std::string(name) +
                             " threw a std::exception that is not KeyError, CryptoError or "
                             "VaultError (" +
                             typeid(error).name() + "): " + error.what();
    if (envSet("ANNOTRACE_FUZZ_STRICT")) finding(what);
    note(name, what);
  }
  return std::nullopt;
}

const crypto::X25519PrivateKey& recipientKey() {
  static const crypto::X25519PrivateKey key = [] {
    const auto bytes =
        crypto::fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    crypto::X25519PrivateKey out{};
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return out;
  }();
  return key;
}

const fs::path& scratch() {
  static const fs::path folder = [] {
    fs::path base;
    if (const char* tmp = std::getenv("TMPDIR"); tmp && *tmp) {
      base = tmp;
    } else if (std::error_code ec; fs::is_directory("/dev/shm", ec)) {
      base = "/dev/shm";
    } else {
      base = fs::temp_directory_path();
    }
    const fs::path path = base / ("annotrace-fuzz-keys-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
    return path;
  }();
  static const bool cleanup = std::atexit([] {
                                std::error_code ec;
                                fs::remove_all(scratch(), ec);
                              }) == 0;
  (void)cleanup;
  return folder;
}

void sealedSecret(const json& value) {
  const auto sealed =
      attempt("SealedSecret::fromJson", [&] { return crypto::SealedSecret::fromJson(value); });
  if (!sealed) return;
  const auto again = attempt("SealedSecret round trip",
                             [&] { return crypto::SealedSecret::fromJson(sealed->toJson()); });
  if (!again || again->parameters.n != sealed->parameters.n ||
      again->parameters.r != sealed->parameters.r || again->parameters.p != sealed->parameters.p ||
      again->salt != sealed->salt || again->nonce != sealed->nonce ||
      again->ciphertext != sealed->ciphertext) {
    finding("a sealed secret does not survive toJson() / fromJson()");
  }
  const auto secret = attempt("openWithPassphrase",
                              [&] { return crypto::openWithPassphrase(*sealed, kPassphrase); });
  if (secret && secret->size() + crypto::kGcmTagBytes != sealed->ciphertext.size()) {
    finding("openWithPassphrase returned a secret of the wrong length");
  }
}

void keyStanza(const json& value) {
  const auto stanza = attempt("RecipientStanza::fromJson",
                              [&] { return crypto::RecipientStanza::fromJson(value); });
  if (!stanza) return;
  const auto again = attempt("RecipientStanza round trip",
                             [&] { return crypto::RecipientStanza::fromJson(stanza->toJson()); });
  if (!again || again->recipient != stanza->recipient || again->ephemeral != stanza->ephemeral ||
      again->nonce != stanza->nonce || again->wrapped != stanza->wrapped) {
    finding("a key stanza does not survive toJson() / fromJson()");
  }
  attempt("unwrapAsRecipient", [&] { return crypto::unwrapAsRecipient(*stanza, recipientKey()); });
}

void membership(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream out(scratch() / records::Vault::kMembership, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  attempt("Vault::readMembership", [&] { return records::Vault::readMembership(scratch()); });
}

}  // namespace

// --- The scrypt stand-in (see the top of the file) --------------------------------------------

extern "C" int EVP_KDF_derive(EVP_KDF_CTX* ctx, unsigned char* key, size_t keylen,
                              const OSSL_PARAM params[]) {
  using Derive = int (*)(EVP_KDF_CTX*, unsigned char*, size_t, const OSSL_PARAM[]);
  static const auto real = reinterpret_cast<Derive>(dlsym(RTLD_NEXT, "EVP_KDF_derive"));
  if (!real) finding("cannot find OpenSSL's EVP_KDF_derive");
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
    if (envSet("ANNOTRACE_FUZZ_SCRYPT_CEILING", "abort")) finding(what);
    note("scrypt-ceiling", what +
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
