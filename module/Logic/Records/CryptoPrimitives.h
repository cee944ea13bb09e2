#pragma once

// Thin RAII wrappers over OpenSSL 3 (EVP API) for the record format: SHA-256, random bytes,
// AES-256-GCM with associated data, Ed25519 from a raw 32-byte seed, and base64/hex. Each
// OpenSSL failure becomes a CryptoError saying what could not be done; a GCM tag or Ed25519
// signature that does not verify is a normal result (false / nullopt), not an error, so that
// the caller can name what was damaged.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of the public includes

namespace annotrace::crypto {

using Bytes = std::vector<std::uint8_t>;
using Digest = std::array<std::uint8_t, 32>;        ///< SHA-256
using SymmetricKey = std::array<std::uint8_t, 32>;  ///< AES-256
using GcmNonce = std::array<std::uint8_t, 12>;
using Ed25519Seed = std::array<std::uint8_t, 32>;  ///< the raw private key (RFC 8032 "seed")
using Ed25519PublicKey = std::array<std::uint8_t, 32>;
using Ed25519Signature = std::array<std::uint8_t, 64>;

inline constexpr std::size_t kGcmTagBytes = 16;

/// An OpenSSL call failed (out of memory, unsupported algorithm, a broken installation).
class CryptoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Views of text as bytes (JSON, AAD labels).
inline std::span<const std::uint8_t> asBytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

Digest sha256(std::span<const std::uint8_t> data);

/// Incremental SHA-256, for data that arrives in pieces (the chunks of a record).
class Sha256 {
 public:
  Sha256();
  void update(std::span<const std::uint8_t> data);
  Digest finish();  ///< once; the object is spent afterwards

 private:
  struct Deleter {
    void operator()(evp_md_ctx_st* context) const;
  };
  std::unique_ptr<evp_md_ctx_st, Deleter> context_;
};

/// Cryptographically secure random bytes (RAND_bytes).
void randomBytes(std::span<std::uint8_t> out);

/// AES-256-GCM: ciphertext || 16-byte tag.
Bytes aesGcmSeal(const SymmetricKey& key, const GcmNonce& nonce, std::span<const std::uint8_t> aad,
                 std::span<const std::uint8_t> plaintext);
/// The plaintext, or nullopt when the tag does not verify (wrong key, nonce or AAD, damaged
/// bytes) or the input is shorter than a tag.
std::optional<Bytes> aesGcmOpen(const SymmetricKey& key, const GcmNonce& nonce,
                                std::span<const std::uint8_t> aad,
                                std::span<const std::uint8_t> ciphertextAndTag);

Ed25519PublicKey ed25519PublicKey(const Ed25519Seed& seed);
Ed25519Signature ed25519Sign(const Ed25519Seed& seed, std::span<const std::uint8_t> message);
bool ed25519Verify(const Ed25519PublicKey& publicKey, std::span<const std::uint8_t> message,
                   std::span<const std::uint8_t> signature);

/// Standard base64 (RFC 4648 §4) with padding.
std::string base64Encode(std::span<const std::uint8_t> data);
/// Strict: rejects characters outside the alphabet, missing padding and non-zero pad bits.
std::optional<Bytes> base64Decode(std::string_view text);

std::string toHex(std::span<const std::uint8_t> data);  ///< lowercase
std::optional<Bytes> fromHex(std::string_view text);    ///< either case; nullopt when invalid

}  // namespace annotrace::crypto
