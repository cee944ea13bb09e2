#include "Records/MemberKeys.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <algorithm>
#include <memory>

namespace annotrace::crypto {

namespace {

constexpr std::string_view kStanzaInfo = "annotrace-vault-v1";
constexpr std::string_view kSealAad = "annotrace-sealed-secret-v1";

struct KdfDeleter {
  void operator()(EVP_KDF* kdf) const { EVP_KDF_free(kdf); }
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};

Bytes deriveKdf(const char* name, OSSL_PARAM* parameters, std::size_t length) {
  const std::unique_ptr<EVP_KDF, KdfDeleter> kdf(EVP_KDF_fetch(nullptr, name, nullptr));
  if (!kdf) throw CryptoError(std::string("OpenSSL has no ") + name + " key derivation");
  const std::unique_ptr<EVP_KDF_CTX, KdfDeleter> ctx(EVP_KDF_CTX_new(kdf.get()));
  Bytes out(length);
  if (!ctx || EVP_KDF_derive(ctx.get(), out.data(), out.size(), parameters) != 1) {
    throw CryptoError(std::string(name) + " key derivation failed (out of memory?)");
  }
  return out;
}

std::unique_ptr<EVP_PKEY, PkeyDeleter> x25519Key(std::span<const std::uint8_t> raw,
                                                 bool isPrivate) {
  EVP_PKEY* key =
      isPrivate ? EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, raw.data(), raw.size())
                : EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, raw.data(), raw.size());
  if (!key) throw CryptoError("could not make an X25519 key");
  return std::unique_ptr<EVP_PKEY, PkeyDeleter>(key);
}

template <std::size_t N>
std::array<std::uint8_t, N> fixedFromBase64(const nlohmann::json& json, const char* member) {
  const auto bytes = json.contains(member) && json.at(member).is_string()
                         ? base64Decode(json.at(member).get<std::string>())
                         : std::nullopt;
  if (!bytes || bytes->size() != N) {
    throw KeyError(KeyError::Code::Malformed, std::string("key material: \"") + member +
                                                  "\" must be " + std::to_string(N) +
                                                  " bytes in base64");
  }
  std::array<std::uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

Bytes bytesFromBase64(const nlohmann::json& json, const char* member) {
  const auto bytes = json.contains(member) && json.at(member).is_string()
                         ? base64Decode(json.at(member).get<std::string>())
                         : std::nullopt;
  if (!bytes) {
    throw KeyError(KeyError::Code::Malformed,
                   std::string("key material: \"") + member + "\" must be base64");
  }
  return *bytes;
}

// A member that is text, or "" (json::value() would throw type_error on a number).
std::string textOf(const nlohmann::json& json, const char* member) {
  const auto it = json.find(member);
  return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
}

SymmetricKey toKey(const Bytes& bytes) {
  SymmetricKey key{};
  std::copy_n(bytes.begin(), key.size(), key.begin());
  return key;
}

/// The stanza's wrapping key: HKDF over the shared secret, salted with both public keys.
SymmetricKey stanzaKey(const std::array<std::uint8_t, 32>& shared, const X25519PublicKey& ephemeral,
                       const X25519PublicKey& recipient) {
  Bytes salt(ephemeral.begin(), ephemeral.end());
  salt.insert(salt.end(), recipient.begin(), recipient.end());
  return toKey(hkdfSha256(shared, salt, asBytes(kStanzaInfo), 32));
}

}  // namespace

Bytes scrypt(std::string_view passphrase, std::span<const std::uint8_t> salt,
             const ScryptParameters& parameters, std::size_t length) {
  std::uint64_t n = parameters.n;
  std::uint32_t r = parameters.r, p = parameters.p;
  // scrypt needs 128 * r * N bytes (plus p lanes); OpenSSL's default ceiling is lower.
  std::uint64_t maxMemory = 256 * std::uint64_t(r) * n + (std::uint64_t(64) << 20);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
                                        const_cast<char*>(passphrase.data()), passphrase.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxMemory),
      OSSL_PARAM_construct_end()};
  return deriveKdf("SCRYPT", params, length);
}

Bytes hkdfSha256(std::span<const std::uint8_t> inputKey, std::span<const std::uint8_t> salt,
                 std::span<const std::uint8_t> info, std::size_t length) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(inputKey.data()), inputKey.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<std::uint8_t*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end()};
  return deriveKdf("HKDF", params, length);
}

X25519PublicKey x25519PublicKey(const X25519PrivateKey& privateKey) {
  const auto key = x25519Key(privateKey, true);
  X25519PublicKey out{};
  std::size_t length = out.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), out.data(), &length) != 1 || length != out.size()) {
    throw CryptoError("could not compute an X25519 public key");
  }
  return out;
}

std::array<std::uint8_t, 32> x25519(const X25519PrivateKey& privateKey,
                                    const X25519PublicKey& peerPublicKey) {
  const auto own = x25519Key(privateKey, true);
  const auto peer = x25519Key(peerPublicKey, false);
  const std::unique_ptr<EVP_PKEY_CTX, PkeyDeleter> ctx(EVP_PKEY_CTX_new(own.get(), nullptr));
  std::array<std::uint8_t, 32> shared{};
  std::size_t length = shared.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), shared.data(), &length) != 1 || length != shared.size()) {
    throw KeyError(KeyError::Code::Malformed,
                   "X25519 key agreement failed: the public key is not usable");
  }
  if (std::all_of(shared.begin(), shared.end(), [](std::uint8_t b) { return b == 0; })) {
    throw KeyError(KeyError::Code::Malformed,
                   "X25519 key agreement gave zero: a low-order public key");
  }
  return shared;
}

nlohmann::json SealedSecret::toJson() const {
  return {{"kdf", "scrypt"},
          {"n", parameters.n},
          {"r", parameters.r},
          {"p", parameters.p},
          {"salt", base64Encode(salt)},
          {"alg", "A256GCM"},
          {"nonce", base64Encode(nonce)},
          {"ciphertext", base64Encode(ciphertext)}};
}

SealedSecret SealedSecret::fromJson(const nlohmann::json& json) {
  if (!json.is_object() || textOf(json, "kdf") != "scrypt" || textOf(json, "alg") != "A256GCM") {
    throw KeyError(KeyError::Code::Malformed,
                   "sealed secret: expected kdf \"scrypt\" and alg \"A256GCM\"");
  }
  SealedSecret s;
  for (const char* member : {"n", "r", "p"}) {
    if (!json.contains(member) || !json.at(member).is_number_unsigned()) {
      throw KeyError(KeyError::Code::Malformed,
                     std::string("sealed secret: \"") + member + "\" must be a positive integer");
    }
  }
  s.parameters = {json.at("n").get<std::uint64_t>(), json.at("r").get<std::uint32_t>(),
                  json.at("p").get<std::uint32_t>()};
  s.salt = bytesFromBase64(json, "salt");
  s.nonce = fixedFromBase64<12>(json, "nonce");
  s.ciphertext = bytesFromBase64(json, "ciphertext");
  return s;
}

SealedSecret sealWithPassphrase(std::span<const std::uint8_t> secret, std::string_view passphrase,
                                const ScryptParameters& parameters) {
  SealedSecret s;
  s.parameters = parameters;
  s.salt.resize(16);
  randomBytes(s.salt);
  randomBytes(s.nonce);
  const SymmetricKey key = toKey(scrypt(passphrase, s.salt, parameters, 32));
  s.ciphertext = aesGcmSeal(key, s.nonce, asBytes(kSealAad), secret);
  return s;
}

Bytes openWithPassphrase(const SealedSecret& sealed, std::string_view passphrase) {
  const ScryptParameters floor = ScryptParameters::minimum();
  if (sealed.parameters.n < floor.n || sealed.parameters.r < floor.r || sealed.parameters.p < 1 ||
      (sealed.parameters.n & (sealed.parameters.n - 1)) != 0 || sealed.salt.size() < 16) {
    throw KeyError(KeyError::Code::WeakParameters,
                   "sealed secret: scrypt parameters below N = 2^15, r = 8 or salt under 16 bytes "
                   "are not accepted");
  }
  // The parameters come from a file anyone with write access can edit: a huge N, r or p would
  // make the unlock run for hours or exhaust memory before the passphrase is even checked.
  const ScryptParameters ceiling = ScryptParameters::maximum();
  if (sealed.parameters.n > ceiling.n || sealed.parameters.r > ceiling.r ||
      sealed.parameters.p > ceiling.p) {
    throw KeyError(KeyError::Code::Malformed,
                   "sealed secret: scrypt parameters above N = 2^20, r = 16, p = 4 are refused "
                   "(they would take minutes and gigabytes: the key file was damaged or edited)");
  }
  const SymmetricKey key = toKey(scrypt(passphrase, sealed.salt, sealed.parameters, 32));
  auto plain = aesGcmOpen(key, sealed.nonce, asBytes(kSealAad), sealed.ciphertext);
  if (!plain)
    throw KeyError(KeyError::Code::WrongPassphrase,
                   "wrong passphrase (or the sealed key file is damaged)");
  return std::move(*plain);
}

nlohmann::json RecipientStanza::toJson() const {
  return {{"type", "X25519"},
          {"recipient", base64Encode(recipient)},
          {"ephemeral", base64Encode(ephemeral)},
          {"alg", "A256GCM"},
          {"nonce", base64Encode(nonce)},
          {"wrapped", base64Encode(wrapped)}};
}

RecipientStanza RecipientStanza::fromJson(const nlohmann::json& json) {
  if (!json.is_object() || textOf(json, "type") != "X25519" || textOf(json, "alg") != "A256GCM") {
    throw KeyError(KeyError::Code::Malformed,
                   "key stanza: expected type \"X25519\" and alg \"A256GCM\"");
  }
  RecipientStanza s;
  s.recipient = fixedFromBase64<32>(json, "recipient");
  s.ephemeral = fixedFromBase64<32>(json, "ephemeral");
  s.nonce = fixedFromBase64<12>(json, "nonce");
  s.wrapped = bytesFromBase64(json, "wrapped");
  return s;
}

RecipientStanza wrapForRecipient(const SymmetricKey& key, const X25519PublicKey& recipient) {
  X25519PrivateKey ephemeralPrivate{};
  randomBytes(ephemeralPrivate);
  RecipientStanza s;
  s.recipient = recipient;
  s.ephemeral = x25519PublicKey(ephemeralPrivate);
  randomBytes(s.nonce);
  const SymmetricKey wrapping =
      stanzaKey(x25519(ephemeralPrivate, recipient), s.ephemeral, recipient);
  s.wrapped = aesGcmSeal(wrapping, s.nonce, asBytes(kStanzaInfo), key);
  std::fill(ephemeralPrivate.begin(), ephemeralPrivate.end(), 0);
  return s;
}

SymmetricKey unwrapAsRecipient(const RecipientStanza& stanza, const X25519PrivateKey& privateKey) {
  const X25519PublicKey own = x25519PublicKey(privateKey);
  if (own != stanza.recipient) {
    throw KeyError(KeyError::Code::WrongRecipient, "this key stanza is for another member's key");
  }
  const SymmetricKey wrapping =
      stanzaKey(x25519(privateKey, stanza.ephemeral), stanza.ephemeral, own);
  const auto plain = aesGcmOpen(wrapping, stanza.nonce, asBytes(kStanzaInfo), stanza.wrapped);
  if (!plain || plain->size() != 32) {
    throw KeyError(KeyError::Code::WrongRecipient,
                   "the key stanza does not open with this key (altered or not ours)");
  }
  return toKey(*plain);
}

}  // namespace annotrace::crypto
