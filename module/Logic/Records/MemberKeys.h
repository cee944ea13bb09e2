#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "Records/CryptoPrimitives.h"

namespace annotrace::crypto {

// Key material of vault members (Docs/Vault.md, "Keys"): secrets sealed under a passphrase with
// scrypt, X25519 key agreement and HKDF, and the project key wrapped for one recipient the way
// age's X25519 stanzas do it.

using X25519PrivateKey = std::array<std::uint8_t, 32>;
using X25519PublicKey = std::array<std::uint8_t, 32>;

/// What went wrong with key material, for messages and tests.
class KeyError : public std::runtime_error {
 public:
  enum class Code { WrongPassphrase, WrongRecipient, Malformed, WeakParameters };
  KeyError(Code code, const std::string& message) : std::runtime_error(message), code_(code) {}
  Code code() const { return code_; }

 private:
  Code code_;
};

/// scrypt cost. The default (N = 2^17, r = 8, p = 1: 128 MiB, 0.41 s measured here) is OWASP's
/// current minimum for scrypt; reading accepts nothing weaker than `minimum()`.
struct ScryptParameters {
  std::uint64_t n = std::uint64_t(1) << 17;
  std::uint32_t r = 8;
  std::uint32_t p = 1;
  static ScryptParameters minimum() { return {std::uint64_t(1) << 15, 8, 1}; }
  /// What reading accepts at most (1 GiB of memory at N = 2^20, r = 8).
  static ScryptParameters maximum() { return {std::uint64_t(1) << 20, 16, 4}; }
};

/// scrypt (RFC 7914) through OpenSSL's KDF.
Bytes scrypt(std::string_view passphrase, std::span<const std::uint8_t> salt,
             const ScryptParameters& parameters, std::size_t length);
/// HKDF-SHA-256 (RFC 5869), extract and expand.
Bytes hkdfSha256(std::span<const std::uint8_t> inputKey, std::span<const std::uint8_t> salt,
                 std::span<const std::uint8_t> info, std::size_t length);
X25519PublicKey x25519PublicKey(const X25519PrivateKey& privateKey);
/// The X25519 shared secret (RFC 7748); refuses an all-zero result (a low-order public key).
std::array<std::uint8_t, 32> x25519(const X25519PrivateKey& privateKey,
                                    const X25519PublicKey& peerPublicKey);

/// A secret (a private key) encrypted under a passphrase: scrypt derives an AES-256-GCM key
/// from the passphrase and a random salt; the parameters travel with it.
struct SealedSecret {
  ScryptParameters parameters;
  Bytes salt;        ///< 16 bytes
  GcmNonce nonce{};  ///< 12 bytes
  Bytes ciphertext;  ///< with the 16-byte tag
  nlohmann::json toJson() const;
  /// Throws KeyError::Malformed naming the member that is wrong.
  static SealedSecret fromJson(const nlohmann::json& json);
};

SealedSecret sealWithPassphrase(std::span<const std::uint8_t> secret, std::string_view passphrase,
                                const ScryptParameters& parameters = {});
/// Throws KeyError::WrongPassphrase when the passphrase (or the sealed bytes) are wrong,
/// KeyError::WeakParameters when the stored cost is below ScryptParameters::minimum().
Bytes openWithPassphrase(const SealedSecret& sealed, std::string_view passphrase);

/// A 32-byte key wrapped for one X25519 recipient: an ephemeral key pair, the shared secret
/// through HKDF (salt = ephemeral || recipient public key, info "annotrace-vault-v1") into an
/// AES-256-GCM key that seals the wrapped key.
struct RecipientStanza {
  X25519PublicKey recipient{};  ///< whom it is for
  X25519PublicKey ephemeral{};
  GcmNonce nonce{};
  Bytes wrapped;  ///< 32 + 16 bytes
  nlohmann::json toJson() const;
  static RecipientStanza fromJson(const nlohmann::json& json);
};

RecipientStanza wrapForRecipient(const SymmetricKey& key, const X25519PublicKey& recipient);
/// Throws KeyError::WrongRecipient when the stanza is not for this key or was altered.
SymmetricKey unwrapAsRecipient(const RecipientStanza& stanza, const X25519PrivateKey& privateKey);

}  // namespace annotrace::crypto
