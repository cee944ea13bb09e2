#include "Records/UnlockedMember.h"

#include "Records/VaultFiles.h"

namespace annotrace::records {

using vaultfiles::wipe;

UnlockedMember::UnlockedMember(std::string id, Role role, const crypto::Ed25519Seed& seed,
                               const crypto::X25519PrivateKey& x25519,
                               const crypto::SymmetricKey& projectKey)
    : id_(std::move(id)), role_(role), seed_(seed), x25519_(x25519), projectKey_(projectKey) {}

UnlockedMember::UnlockedMember(UnlockedMember&& other) noexcept
    : id_(std::move(other.id_)),
      role_(other.role_),
      seed_(other.seed_),
      x25519_(other.x25519_),
      projectKey_(other.projectKey_) {
  wipe(other.seed_);
  wipe(other.x25519_);
  wipe(other.projectKey_);
}

UnlockedMember::~UnlockedMember() {
  wipe(seed_);
  wipe(x25519_);
  wipe(projectKey_);
}

}  // namespace annotrace::records
