// Key material of vault members: known answers for scrypt (RFC 7914), HKDF-SHA-256 (RFC 5869)
// and X25519 (RFC 7748); secrets sealed under a passphrase; the project key wrapped for a
// recipient; and the failures named (wrong passphrase, another member's key, altered bytes,
// weak parameters).
#include <gtest/gtest.h>

#include "Records/MemberKeys.h"

using namespace annotrace::crypto;

namespace {

Bytes hex(std::string_view text) {
  return *fromHex(text);
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed(std::string_view text) {
  const Bytes b = hex(text);
  std::array<std::uint8_t, N> out{};
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

}  // namespace

TEST(MemberKeys, ScryptHkdfAndX25519GiveTheRfcAnswers) {
  // RFC 7914, section 12, second vector.
  EXPECT_EQ(toHex(scrypt("password", asBytes("NaCl"), {1024, 8, 16}, 64)),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff1"
            "09279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
  // RFC 5869, test case 1.
  EXPECT_EQ(toHex(hkdfSha256(hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
                             hex("000102030405060708090a0b0c"), hex("f0f1f2f3f4f5f6f7f8f9"), 42)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  // RFC 7748, section 6.1.
  const auto alice = fixed<32>("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const auto bob = fixed<32>("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  EXPECT_EQ(toHex(x25519PublicKey(alice)),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(toHex(x25519PublicKey(bob)),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const std::string shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  EXPECT_EQ(toHex(x25519(alice, x25519PublicKey(bob))), shared);
  EXPECT_EQ(toHex(x25519(bob, x25519PublicKey(alice))), shared);
  // A low-order point (all zero) is refused rather than giving a predictable secret.
  EXPECT_THROW(x25519(alice, X25519PublicKey{}), KeyError);
}

TEST(MemberKeys, SealedSecretsOpenOnlyWithTheirPassphrase) {
  const auto secret = fixed<32>("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  const ScryptParameters fast = ScryptParameters::minimum();  // the tests' cost; default is 2^17
  const SealedSecret sealed = sealWithPassphrase(secret, "correct horse battery staple", fast);
  EXPECT_EQ(sealed.salt.size(), 16u);
  EXPECT_EQ(sealed.ciphertext.size(), 32u + 16u);
  // Through JSON and back (the member file), then open.
  const SealedSecret again = SealedSecret::fromJson(nlohmann::json::parse(sealed.toJson().dump()));
  const Bytes opened = openWithPassphrase(again, "correct horse battery staple");
  EXPECT_EQ(Bytes(secret.begin(), secret.end()), opened);
  try {
    openWithPassphrase(again, "Correct horse battery staple");
    ADD_FAILURE() << "a wrong passphrase opened the secret";
  } catch (const KeyError& e) {
    EXPECT_EQ(e.code(), KeyError::Code::WrongPassphrase);
    EXPECT_NE(std::string(e.what()).find("wrong passphrase"), std::string::npos);
  }
  SealedSecret damaged = again;
  damaged.ciphertext[5] ^= 1;
  EXPECT_THROW(openWithPassphrase(damaged, "correct horse battery staple"), KeyError);
  SealedSecret weak = again;
  weak.parameters.n = 1024;
  try {
    openWithPassphrase(weak, "correct horse battery staple");
    ADD_FAILURE() << "weak scrypt parameters were accepted";
  } catch (const KeyError& e) {
    EXPECT_EQ(e.code(), KeyError::Code::WeakParameters);
  }
  // Parameters from an edited file that would run for hours or exhaust memory (found by
  // FuzzMemberKeys): refused before scrypt runs.
  for (const ScryptParameters huge : {ScryptParameters{std::uint64_t(1) << 22, 8, 1},
                                      ScryptParameters{std::uint64_t(1) << 15, 8, 65536},
                                      ScryptParameters{std::uint64_t(1) << 15, 1024, 1}}) {
    SealedSecret costly = again;
    costly.parameters = huge;
    try {
      openWithPassphrase(costly, "correct horse battery staple");
      ADD_FAILURE() << "huge scrypt parameters were accepted";
    } catch (const KeyError& e) {
      EXPECT_EQ(e.code(), KeyError::Code::Malformed);
      EXPECT_NE(std::string(e.what()).find("are refused"), std::string::npos);
    }
  }
  nlohmann::json broken = sealed.toJson();
  broken["nonce"] = "not base64!";
  EXPECT_THROW(SealedSecret::fromJson(broken), KeyError);
  // A member of the wrong JSON type is a KeyError too, not nlohmann's type_error.
  broken = sealed.toJson();
  broken["kdf"] = 7;
  EXPECT_THROW(SealedSecret::fromJson(broken), KeyError);
  nlohmann::json stanza = {{"type", 1}, {"alg", "A256GCM"}};
  EXPECT_THROW(RecipientStanza::fromJson(stanza), KeyError);
  // Two seals of the same secret differ (fresh salt and nonce).
  EXPECT_NE(sealWithPassphrase(secret, "x", fast).ciphertext, sealed.ciphertext);
}

TEST(MemberKeys, TheProjectKeyUnwrapsOnlyForItsRecipient) {
  SymmetricKey projectKey{};
  randomBytes(projectKey);
  X25519PrivateKey alice{}, bob{};
  randomBytes(alice);
  randomBytes(bob);
  const RecipientStanza forAlice = wrapForRecipient(projectKey, x25519PublicKey(alice));
  const RecipientStanza parsed =
      RecipientStanza::fromJson(nlohmann::json::parse(forAlice.toJson().dump()));
  EXPECT_EQ(unwrapAsRecipient(parsed, alice), projectKey);
  try {
    unwrapAsRecipient(parsed, bob);
    ADD_FAILURE() << "another member's key unwrapped the stanza";
  } catch (const KeyError& e) {
    EXPECT_EQ(e.code(), KeyError::Code::WrongRecipient);
  }
  // Claiming the stanza is for Bob does not help him: the key agreement still needs Alice's key.
  RecipientStanza relabelled = parsed;
  relabelled.recipient = x25519PublicKey(bob);
  EXPECT_THROW(unwrapAsRecipient(relabelled, bob), KeyError);
  RecipientStanza altered = parsed;
  altered.wrapped[0] ^= 0x80;
  EXPECT_THROW(unwrapAsRecipient(altered, alice), KeyError);
  // Every wrap is fresh: a new ephemeral key each time.
  EXPECT_NE(wrapForRecipient(projectKey, x25519PublicKey(alice)).ephemeral, forAlice.ephemeral);
}
