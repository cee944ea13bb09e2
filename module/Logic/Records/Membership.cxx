#include "Records/Membership.h"

#include <algorithm>

#include "Records/CanonicalJson.h"
#include "Records/VaultFiles.h"

namespace annotrace::records {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace vaultfiles;

namespace {

json toJson(const VaultMember& member) {
  json out = {{"id", member.id},
              {"role", std::string(toString(member.role))},
              {"ed25519", crypto::base64Encode(member.ed25519)},
              {"x25519", crypto::base64Encode(member.x25519)},
              {"added_at_seq", member.addedAtSeq}};
  if (member.removedAtSeq) out["removed_at_seq"] = *member.removedAtSeq;
  return out;
}

json unsignedJson(const Membership& membership) {
  json members = json::array();
  for (const auto& member : membership.members) members.push_back(toJson(member));
  return {{"version", kVersion},
          {"members", members},
          {"seq", membership.seq},
          {"signer", membership.signer},
          {"key_epoch", membership.keyEpoch}};
}

std::uint64_t seqField(const json& value, const std::string& what) {
  if (!value.is_number_unsigned()) fail(VaultErrorCode::MalformedFile, what + " is not a number");
  return value.get<std::uint64_t>();
}

Membership parseMembership(const json& value, const std::string& file) {
  const auto malformed = [&](const std::string& what) {
    fail(VaultErrorCode::MalformedFile, file + ": " + what);
  };
  if (!value.contains("version") || value["version"] != kVersion) malformed("unknown version");
  if (!value.contains("members") || !value["members"].is_array()) malformed("no member list");
  if (!value.contains("signer") || !value["signer"].is_string()) malformed("no signer");
  if (!value.contains("seq")) malformed("no seq");
  Membership out;
  out.seq = seqField(value["seq"], file + ": seq");
  out.signer = value["signer"].get<std::string>();
  const json& epoch = value.value("key_epoch", json());
  if (!epoch.is_number_unsigned() || epoch.get<std::uint64_t>() < 1 ||
      epoch.get<std::uint64_t>() > 1000000) {
    malformed("no valid key_epoch");
  }
  out.keyEpoch = epoch.get<std::uint32_t>();
  for (const auto& row : value["members"]) {
    if (!row.is_object() || !row.contains("id") || !row["id"].is_string() ||
        !row.contains("role") || !row["role"].is_string()) {
      malformed("a member without id or role");
    }
    VaultMember member;
    member.id = row["id"].get<std::string>();
    const std::string what = file + ": member " + member.id;
    try {
      member.role = roleFromString(row["role"].get<std::string>());
    } catch (const VaultError&) {
      malformed("member " + member.id + " has an unknown role");
    }
    member.ed25519 = fromBase64<32>(row.value("ed25519", json()), what + " ed25519 key");
    member.x25519 = fromBase64<32>(row.value("x25519", json()), what + " x25519 key");
    member.addedAtSeq = seqField(row.value("added_at_seq", json()), what + " added_at_seq");
    if (row.contains("removed_at_seq")) {
      member.removedAtSeq = seqField(row["removed_at_seq"], what + " removed_at_seq");
    }
    if (out.find(member.id)) malformed("member " + member.id + " is listed twice");
    out.members.push_back(std::move(member));
  }
  return out;
}

}  // namespace

std::string_view toString(Role role) {
  switch (role) {
    case Role::Annotator:
      return "annotator";
    case Role::Reviewer:
      return "reviewer";
    case Role::Admin:
      return "admin";
  }
  return "annotator";
}

Role roleFromString(std::string_view text) {
  if (text == "annotator") return Role::Annotator;
  if (text == "reviewer") return Role::Reviewer;
  if (text == "admin") return Role::Admin;
  fail(VaultErrorCode::InvalidRole,
       "unknown role \"" + std::string(text) + "\": use annotator, reviewer or admin");
}

const VaultMember* Membership::find(std::string_view id) const {
  const auto it = std::find_if(members.begin(), members.end(),
                               [&](const VaultMember& member) { return member.id == id; });
  return it == members.end() ? nullptr : &*it;
}

std::string Membership::signedText() const {
  return canonicalJson(unsignedJson(*this));
}

json Membership::signedJson(const crypto::Ed25519Seed& seed) const {
  const crypto::Digest digest = crypto::sha256(crypto::asBytes(signedText()));
  json out = unsignedJson(*this);
  out["sig"] = crypto::base64Encode(crypto::ed25519Sign(seed, digest));
  return out;
}

Membership Membership::read(const fs::path& folder) {
  const fs::path file = folder / kFile;
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    fail(VaultErrorCode::NotAVault, folder.string() + " is not a vault: it has no membership.json");
  }
  const json value = readJson(file, VaultErrorCode::Io);
  Membership membership = parseMembership(value, file.string());
  if (!value.contains("sig") || !value["sig"].is_string()) {
    fail(VaultErrorCode::BadMembershipSignature, file.string() + " is not signed");
  }
  const VaultMember* signer = membership.find(membership.signer);
  if (!signer || !signer->active() || signer->role != Role::Admin) {
    fail(VaultErrorCode::SignerNotAdmin,
         file.string() + " is signed by \"" + membership.signer +
             "\", who is not an admin of this vault: the membership list is refused");
  }
  const auto sig = crypto::base64Decode(value["sig"].get<std::string>());
  const crypto::Digest digest = crypto::sha256(crypto::asBytes(membership.signedText()));
  if (!sig || !crypto::ed25519Verify(signer->ed25519, digest, *sig)) {
    fail(VaultErrorCode::BadMembershipSignature,
         file.string() + " does not carry a valid signature by admin \"" + membership.signer +
             "\": it was edited or forged, and is refused");
  }
  return membership;
}

}  // namespace annotrace::records
