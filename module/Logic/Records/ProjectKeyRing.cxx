#include "Records/ProjectKeyRing.h"

#include <utility>

#include "Records/VaultFiles.h"

namespace annotrace::records {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace vaultfiles;

ProjectKeyRing::ProjectKeyRing(ProjectKeyRing&& other) noexcept
    : keys_(std::exchange(other.keys_, {})) {}

ProjectKeyRing& ProjectKeyRing::operator=(ProjectKeyRing&& other) noexcept {
  if (this != &other) {
    wipeAll();
    keys_ = std::exchange(other.keys_, {});
  }
  return *this;
}

ProjectKeyRing::~ProjectKeyRing() {
  wipeAll();
}

void ProjectKeyRing::wipeAll() {
  for (auto& key : keys_) wipe(key);
  keys_.clear();
}

const crypto::SymmetricKey& ProjectKeyRing::key(std::uint32_t epoch) const {
  if (epoch < 1 || epoch > keys_.size()) {
    fail(VaultErrorCode::NoKeyStanza, "no project key of epoch " + std::to_string(epoch) +
                                          " is wrapped for this member: ask an admin");
  }
  return keys_[epoch - 1];
}

void ProjectKeyRing::addRandom() {
  crypto::SymmetricKey key{};
  crypto::randomBytes(key);
  keys_.push_back(key);
  wipe(key);
}

void ProjectKeyRing::write(const fs::path& vaultFolder, const std::string& member,
                           const crypto::X25519PublicKey& recipient) const {
  json stanzas = json::array();
  for (std::uint32_t epoch = 1; epoch <= epochs(); ++epoch) {
    stanzas.push_back({{"epoch", epoch},
                       {"stanza", crypto::wrapForRecipient(keys_[epoch - 1], recipient).toJson()}});
  }
  writeJson(keyFile(vaultFolder, member),
            {{"version", kVersion}, {"member", member}, {"stanzas", stanzas}});
}

ProjectKeyRing ProjectKeyRing::read(const fs::path& vaultFolder, const std::string& member,
                                    const crypto::X25519PrivateKey& privateKey) {
  const fs::path file = keyFile(vaultFolder, member);
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    fail(VaultErrorCode::NoKeyStanza, "no project key is wrapped for member " + member);
  }
  const json value = readJson(file, VaultErrorCode::Io);
  const json& stanzas = value.value("stanzas", json());
  if (!stanzas.is_array() || stanzas.empty()) {
    fail(VaultErrorCode::MalformedFile, file.string() + " lists no key stanzas");
  }
  ProjectKeyRing ring;
  for (const json& entry : stanzas) {
    if (!entry.is_object() || entry.value("epoch", json()) != ring.epochs() + 1) {
      fail(VaultErrorCode::MalformedFile,
           file.string() + ": the stanzas must be epochs 1, 2, ... in order");
    }
    try {
      ring.add(crypto::unwrapAsRecipient(
          crypto::RecipientStanza::fromJson(entry.value("stanza", json())), privateKey));
    } catch (const crypto::KeyError& error) {
      fail(VaultErrorCode::NoKeyStanza,
           "the project key of epoch " + std::to_string(ring.epochs() + 1) +
               " wrapped for member " + member + " cannot be opened: " + error.what());
    }
  }
  return ring;
}

}  // namespace annotrace::records
