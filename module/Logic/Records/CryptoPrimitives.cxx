#include "Records/CryptoPrimitives.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <limits>
#include <tuple>

namespace annotrace::crypto {

namespace {

struct CipherContextDeleter {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct DigestContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextDeleter>;
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using DigestContext = std::unique_ptr<EVP_MD_CTX, DigestContextDeleter>;

// What was being done, in words, plus OpenSSL's own reason for whoever reads the log. Clears
// the error queue so a later, unrelated failure is not blamed on this one.
[[noreturn]] void fail(const std::string& what) {
  std::string detail;
  if (const unsigned long code = ERR_get_error(); code != 0) {
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    detail = std::string(" (OpenSSL: ") + text.data() + ")";
  }
  ERR_clear_error();
  throw CryptoError(what + detail);
}

// OpenSSL takes int lengths; records are chunked well below that, but never truncate silently.
int intLength(std::size_t size, const char* what) {
  if (size > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw CryptoError(std::string("cannot process ") + what + ": more than 2 GiB in one piece");
  }
  return static_cast<int>(size);
}

// A valid pointer even for empty spans: some OpenSSL paths reject nullptr with length 0.
const unsigned char* dataOrEmpty(std::span<const std::uint8_t> data) {
  static const unsigned char empty = 0;
  return data.empty() ? &empty : data.data();
}

CipherContext newCipherContext() {
  CipherContext context(EVP_CIPHER_CTX_new());
  if (!context) fail("cannot set up encryption: out of memory");
  return context;
}

DigestContext newDigestContext() {
  DigestContext context(EVP_MD_CTX_new());
  if (!context) fail("cannot set up hashing or signing: out of memory");
  return context;
}

Key privateKey(const Ed25519Seed& seed) {
  Key key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!key) fail("cannot load the Ed25519 signing key");
  return key;
}

}  // namespace

// --- SHA-256 ---------------------------------------------------------------------------------

void Sha256::Deleter::operator()(evp_md_ctx_st* context) const {
  EVP_MD_CTX_free(context);
}

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (!context_) fail("cannot set up SHA-256: out of memory");
  if (EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) != 1) {
    fail("cannot set up SHA-256");
  }
}

void Sha256::update(std::span<const std::uint8_t> data) {
  if (!context_) throw CryptoError("SHA-256 used after finish()");
  if (!data.empty() && EVP_DigestUpdate(context_.get(), data.data(), data.size()) != 1) {
    fail("cannot compute SHA-256");
  }
}

Digest Sha256::finish() {
  if (!context_) throw CryptoError("SHA-256 finished twice");
  Digest digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_.get(), digest.data(), &length) != 1 || length != digest.size()) {
    fail("cannot compute SHA-256");
  }
  context_.reset();
  return digest;
}

Digest sha256(std::span<const std::uint8_t> data) {
  Sha256 hash;
  hash.update(data);
  return hash.finish();
}

// --- Randomness ------------------------------------------------------------------------------

void randomBytes(std::span<std::uint8_t> out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), intLength(out.size(), "random bytes")) != 1) {
    fail("the system's random number generator is not available");
  }
}

// --- AES-256-GCM -----------------------------------------------------------------------------

Bytes aesGcmSeal(const SymmetricKey& key, const GcmNonce& nonce, std::span<const std::uint8_t> aad,
                 std::span<const std::uint8_t> plaintext) {
  const CipherContext context = newCipherContext();
  EVP_CIPHER_CTX* c = context.get();
  if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) !=
          1 ||
      EVP_EncryptInit_ex(c, nullptr, nullptr, key.data(), nonce.data()) != 1) {
    fail("cannot set up AES-256-GCM encryption");
  }
  int length = 0;
  if (!aad.empty() &&
      EVP_EncryptUpdate(c, nullptr, &length, aad.data(), intLength(aad.size(), "data")) != 1) {
    fail("cannot encrypt: AES-256-GCM rejected the associated data");
  }
  Bytes out(plaintext.size() + kGcmTagBytes);
  int written = 0;
  if (EVP_EncryptUpdate(c, out.data(), &written, dataOrEmpty(plaintext),
                        intLength(plaintext.size(), "data")) != 1) {
    fail("cannot encrypt with AES-256-GCM");
  }
  int finalWritten = 0;
  if (EVP_EncryptFinal_ex(c, out.data() + written, &finalWritten) != 1) {
    fail("cannot encrypt with AES-256-GCM");
  }
  if (static_cast<std::size_t>(written + finalWritten) != plaintext.size()) {
    throw CryptoError("cannot encrypt with AES-256-GCM: unexpected output length");
  }
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagBytes),
                          out.data() + plaintext.size()) != 1) {
    fail("cannot encrypt: AES-256-GCM did not produce its tag");
  }
  return out;
}

std::optional<Bytes> aesGcmOpen(const SymmetricKey& key, const GcmNonce& nonce,
                                std::span<const std::uint8_t> aad,
                                std::span<const std::uint8_t> ciphertextAndTag) {
  if (ciphertextAndTag.size() < kGcmTagBytes) return std::nullopt;
  const auto ciphertext = ciphertextAndTag.first(ciphertextAndTag.size() - kGcmTagBytes);
  std::array<std::uint8_t, kGcmTagBytes> tag{};
  std::copy(ciphertextAndTag.end() - kGcmTagBytes, ciphertextAndTag.end(), tag.begin());

  const CipherContext context = newCipherContext();
  EVP_CIPHER_CTX* c = context.get();
  if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) !=
          1 ||
      EVP_DecryptInit_ex(c, nullptr, nullptr, key.data(), nonce.data()) != 1) {
    fail("cannot set up AES-256-GCM decryption");
  }
  int length = 0;
  if (!aad.empty() &&
      EVP_DecryptUpdate(c, nullptr, &length, aad.data(), intLength(aad.size(), "data")) != 1) {
    fail("cannot decrypt: AES-256-GCM rejected the associated data");
  }
  Bytes out(ciphertext.size());
  int written = 0;
  if (EVP_DecryptUpdate(c, out.data(), &written, dataOrEmpty(ciphertext),
                        intLength(ciphertext.size(), "data")) != 1) {
    fail("cannot decrypt with AES-256-GCM");
  }
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()), tag.data()) != 1) {
    fail("cannot decrypt: AES-256-GCM refused the tag");
  }
  int finalWritten = 0;
  // The only expected failure here is a tag mismatch: the caller names what it means.
  if (EVP_DecryptFinal_ex(c, out.data() + written, &finalWritten) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(written + finalWritten));
  return out;
}

// --- Ed25519 ---------------------------------------------------------------------------------

Ed25519PublicKey ed25519PublicKey(const Ed25519Seed& seed) {
  const Key key = privateKey(seed);
  Ed25519PublicKey publicKey{};
  std::size_t length = publicKey.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), publicKey.data(), &length) != 1 ||
      length != publicKey.size()) {
    fail("cannot derive the Ed25519 public key");
  }
  return publicKey;
}

Ed25519Signature ed25519Sign(const Ed25519Seed& seed, std::span<const std::uint8_t> message) {
  const Key key = privateKey(seed);
  const DigestContext context = newDigestContext();
  // Ed25519 hashes internally (PureEdDSA): no digest is named.
  if (EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    fail("cannot set up Ed25519 signing");
  }
  Ed25519Signature signature{};
  std::size_t length = signature.size();
  if (EVP_DigestSign(context.get(), signature.data(), &length, dataOrEmpty(message),
                     message.size()) != 1 ||
      length != signature.size()) {
    fail("cannot sign with Ed25519");
  }
  return signature;
}

bool ed25519Verify(const Ed25519PublicKey& publicKey, std::span<const std::uint8_t> message,
                   std::span<const std::uint8_t> signature) {
  if (signature.size() != std::tuple_size_v<Ed25519Signature>) return false;
  const Key key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, publicKey.data(), publicKey.size()));
  if (!key) fail("cannot load the Ed25519 public key");
  const DigestContext context = newDigestContext();
  if (EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    fail("cannot set up Ed25519 verification");
  }
  const int result = EVP_DigestVerify(context.get(), signature.data(), signature.size(),
                                      dataOrEmpty(message), message.size());
  ERR_clear_error();  // a bad signature leaves an entry; it is an answer, not an error
  return result == 1;
}

// --- Text encodings --------------------------------------------------------------------------

namespace {
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string base64Encode(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < data.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, data.size() - i);
    std::uint32_t group = std::uint32_t{data[i]} << 16;
    if (n > 1) group |= std::uint32_t{data[i + 1]} << 8;
    if (n > 2) group |= data[i + 2];
    out += kBase64Alphabet[(group >> 18) & 63];
    out += kBase64Alphabet[(group >> 12) & 63];
    out += n > 1 ? kBase64Alphabet[(group >> 6) & 63] : '=';
    out += n > 2 ? kBase64Alphabet[group & 63] : '=';
  }
  return out;
}

std::optional<Bytes> base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool lastGroup = i + 4 == text.size();
    std::uint32_t group = 0;
    int padding = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=') {
        // Padding only at the end of the last group, at most two characters.
        if (!lastGroup || k < 2) return std::nullopt;
        ++padding;
        group <<= 6;
        continue;
      }
      if (padding > 0) return std::nullopt;  // data after padding
      const auto position = kBase64Alphabet.find(c);
      if (position == std::string_view::npos) return std::nullopt;
      group = (group << 6) | static_cast<std::uint32_t>(position);
    }
    // Non-zero bits under the padding would let two texts decode to the same bytes.
    if ((padding == 1 && (group & 0xFF) != 0) || (padding == 2 && (group & 0xFFFF) != 0)) {
      return std::nullopt;
    }
    out.push_back(static_cast<std::uint8_t>(group >> 16));
    if (padding < 2) out.push_back(static_cast<std::uint8_t>(group >> 8));
    if (padding < 1) out.push_back(static_cast<std::uint8_t>(group));
  }
  return out;
}

std::string toHex(std::span<const std::uint8_t> data) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (std::uint8_t byte : data) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 15];
  }
  return out;
}

std::optional<Bytes> fromHex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Bytes out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int high = nibble(text[i]);
    const int low = nibble(text[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(high << 4 | low));
  }
  return out;
}

}  // namespace annotrace::crypto
