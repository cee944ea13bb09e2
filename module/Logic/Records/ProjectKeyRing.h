#pragma once

// The project data keys of a vault, one per epoch. Epoch 1 is made by `vault init`; removing a
// member rotates to a new epoch, so records saved afterwards are encrypted under a key the
// removed member never had. Older keys stay in the ring: earlier records keep their wrap.
//
//   keys/<member>.json: {"version": 1, "member": id,
//                        "stanzas": [{"epoch": 1, "stanza": {X25519 stanza}}, ...]}
// Each stanza wraps that epoch's key for the member (MemberKeys: X25519 + HKDF + AES-GCM).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "Records/CryptoPrimitives.h"
#include "Records/MemberKeys.h"

namespace annotrace::records {

class ProjectKeyRing {
 public:
  ProjectKeyRing() = default;
  ProjectKeyRing(const ProjectKeyRing&) = delete;
  ProjectKeyRing& operator=(const ProjectKeyRing&) = delete;
  ProjectKeyRing(ProjectKeyRing&& other) noexcept;
  ProjectKeyRing& operator=(ProjectKeyRing&& other) noexcept;
  ~ProjectKeyRing();  ///< wipes the keys

  std::uint32_t epochs() const { return static_cast<std::uint32_t>(keys_.size()); }
  /// Throws VaultError(NoKeyStanza) when the ring has no such epoch.
  const crypto::SymmetricKey& key(std::uint32_t epoch) const;
  void add(const crypto::SymmetricKey& key) { keys_.push_back(key); }
  /// A fresh random key as the next epoch.
  void addRandom();

  /// Writes keys/<member>.json atomically with every epoch wrapped for `recipient`.
  void write(const std::filesystem::path& vaultFolder, const std::string& member,
             const crypto::X25519PublicKey& recipient) const;
  /// Unwraps every epoch of keys/<member>.json. NoKeyStanza when the file is missing or a stanza
  /// does not open with the key; MalformedFile when it is not what it should be.
  static ProjectKeyRing read(const std::filesystem::path& vaultFolder, const std::string& member,
                             const crypto::X25519PrivateKey& privateKey);

 private:
  void wipeAll();
  std::vector<crypto::SymmetricKey> keys_;
};

}  // namespace annotrace::records
