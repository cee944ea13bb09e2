#pragma once

#include <string>

#include "Records/CryptoPrimitives.h"
#include "Records/Membership.h"

namespace annotrace::records {

/// A member's secrets after unlock(). Wiped (OPENSSL_cleanse) when destroyed.
class UnlockedMember {
 public:
  UnlockedMember(std::string id, Role role, const crypto::Ed25519Seed& seed,
                 const crypto::X25519PrivateKey& x25519, const crypto::SymmetricKey& projectKey);
  UnlockedMember(const UnlockedMember&) = delete;
  UnlockedMember& operator=(const UnlockedMember&) = delete;
  UnlockedMember(UnlockedMember&& other) noexcept;
  UnlockedMember& operator=(UnlockedMember&&) = delete;
  ~UnlockedMember();

  const std::string& id() const { return id_; }
  Role role() const { return role_; }  ///< as of unlock(); changes are re-checked on use
  const crypto::Ed25519Seed& signingSeed() const { return seed_; }
  const crypto::X25519PrivateKey& x25519PrivateKey() const { return x25519_; }
  const crypto::SymmetricKey& projectKey() const { return projectKey_; }

 private:
  std::string id_;
  Role role_;
  crypto::Ed25519Seed seed_{};
  crypto::X25519PrivateKey x25519_{};
  crypto::SymmetricKey projectKey_{};
};

}  // namespace annotrace::records
