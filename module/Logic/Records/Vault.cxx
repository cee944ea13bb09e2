#include "Records/Vault.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "Core/DurableIO.h"
#include "Records/CanonicalJson.h"
#include "Records/PendingRecords.h"
#include "Records/ProjectKeyRing.h"
#include "Records/VaultFiles.h"

namespace annotrace::records {

namespace fs = std::filesystem;
using crypto::Bytes;
using nlohmann::json;
using namespace vaultfiles;

namespace {

// --- Member files ---------------------------------------------------------------------------

json memberFileJson(const std::string& id, const crypto::Ed25519Seed& seed,
                    const crypto::X25519PrivateKey& x25519, std::string_view passphrase,
                    const crypto::ScryptParameters& parameters) {
  return {{"version", kVersion},
          {"id", id},
          {"ed25519", crypto::base64Encode(crypto::ed25519PublicKey(seed))},
          {"x25519", crypto::base64Encode(crypto::x25519PublicKey(x25519))},
          {"ed25519_sealed", crypto::sealWithPassphrase(seed, passphrase, parameters).toJson()},
          {"x25519_sealed", crypto::sealWithPassphrase(x25519, passphrase, parameters).toJson()}};
}

struct NewKeys {
  crypto::Ed25519Seed seed{};
  crypto::X25519PrivateKey x25519{};
  NewKeys() {
    crypto::randomBytes(seed);
    crypto::randomBytes(x25519);
  }
  NewKeys(const NewKeys&) = delete;
  NewKeys& operator=(const NewKeys&) = delete;
  ~NewKeys() {
    wipe(seed);
    wipe(x25519);
  }
};

std::string nowUtc(const AuditClock& clock) {
  return AuditLog::formatUtc(clock ? clock() : std::chrono::system_clock::now());
}
}  // namespace

// --- Names ----------------------------------------------------------------------------------

namespace {

// One whole line, one write(), fsynced: a crash leaves the line or nothing.
void noteUnlockFailure(const fs::path& folder, const std::string& member, const std::string& utc) {
  const fs::path file = folder / Vault::kUnlockFailures;
  const std::string line = canonicalJson(json{{"member", member}, {"utc", utc}}) + "\n";
  const UniqueFd fd(::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (!fd || !writeFully(fd.get(), line) || ::fsync(fd.get()) != 0) {
    fail(VaultErrorCode::Io, "wrong passphrase for member " + member +
                                 ", and the failure could not be noted in " + file.string() + ": " +
                                 errnoText());
  }
}

}  // namespace

// --- Vault ----------------------------------------------------------------------------------

Vault::Vault(fs::path folder, VaultOptions options, AuditLog log, Membership membership)
    : folder_(std::move(folder)),
      options_(std::move(options)),
      log_(std::move(log)),
      membership_(std::move(membership)) {}

Membership Vault::readMembership(const fs::path& folder) {
  return Membership::read(folder);
}

Vault Vault::init(const fs::path& folder, const std::string& adminId, std::string_view passphrase,
                  VaultOptions options) {
  checkId(adminId);
  checkPassphrase(passphrase);
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) fail(VaultErrorCode::Io, "cannot create " + folder.string() + ": " + ec.message());
  if (!fs::is_empty(folder, ec) || ec) {
    fail(VaultErrorCode::NotEmpty,
         folder.string() + " is not empty: a vault is created only in an empty folder");
  }
  const VaultLock lock(folder);
  for (const char* sub : {"members", "keys", "records"}) {
    fs::create_directory(folder / sub, ec);
    if (ec)
      fail(VaultErrorCode::Io, "cannot create " + (folder / sub).string() + ": " + ec.message());
  }
  syncVaultFolder(folder);

  const NewKeys keys;
  ProjectKeyRing ring;
  ring.addRandom();

  VaultMember admin;
  admin.id = adminId;
  admin.role = Role::Admin;
  admin.ed25519 = crypto::ed25519PublicKey(keys.seed);
  admin.x25519 = crypto::x25519PublicKey(keys.x25519);

  writeJson(memberFile(folder, adminId),
            memberFileJson(adminId, keys.seed, keys.x25519, passphrase, options.scrypt));
  ring.write(folder, adminId, admin.x25519);

  AuditLog log = AuditLog::create(folder, options.clock);
  const AuditEntry created =
      log.append({adminId, "admin", "vault-created", {adminId}, "vault initialised"}, keys.seed);
  admin.addedAtSeq = created.seq;

  Membership membership;
  membership.members.push_back(admin);
  membership.seq = created.seq;
  membership.signer = adminId;
  writeJson(folder / kMembership, membership.signedJson(keys.seed));
  return Vault(folder, std::move(options), std::move(log), std::move(membership));
}

Vault Vault::open(const fs::path& folder, VaultOptions options) {
  Membership membership = readMembership(folder);
  AuditLog log = AuditLog::open(folder, options.clock);
  return Vault(folder, std::move(options), std::move(log), std::move(membership));
}

void Vault::recoverInterrupted(AuditLog::Writer& writer, const std::string& actor,
                               const std::string& role, const crypto::Ed25519Seed& seed) {
  // Pending records first: a save cut off inside its "record-created" line left the record
  // naming entry head + 1, which its "record-recovered" must take before anything else does.
  PendingRecords::recover(writer, recordsFolder(), actor, role, seed);
  // A torn line found on open() or by beginAppend() is recorded by whoever appends next.
  for (const auto& torn : log_.takeRecovered()) {
    writer.append(AuditLog::tornLineEvent(torn, actor, role), seed);
  }
  logOrphanTornFiles(writer, actor, role, seed);
}

// A process that moved a torn line aside (on open) and stopped before appending leaves a
// torn file no entry names: whoever appends next names it.
void Vault::logOrphanTornFiles(AuditLog::Writer& writer, const std::string& actor,
                               const std::string& role, const crypto::Ed25519Seed& seed) {
  std::vector<fs::path> torn;
  std::error_code ec;
  for (fs::directory_iterator it(folder_, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().starts_with(AuditLog::kTornPrefix)) {
      torn.push_back(it->path());
    }
  }
  if (torn.empty()) return;
  AuditFilter filter;
  filter.action = std::string(AuditLog::kTornAction);
  std::set<std::string> named;
  for (const AuditEntry& entry : writer.filter(filter)) {
    named.insert(entry.targets.begin(), entry.targets.end());
  }
  std::sort(torn.begin(), torn.end());
  for (const fs::path& file : torn) {
    const std::string name = file.filename().string();
    if (named.count(name)) continue;
    writer.append({actor,
                   role,
                   std::string(AuditLog::kTornAction),
                   {name},
                   "an incomplete last line of " + std::to_string(fs::file_size(file, ec)) +
                       " bytes (an append cut short by a crash) was moved out of the log into " +
                       name + " by a process that stopped before recording it"},
                  seed);
  }
}

AuditEntry Vault::append(const AuditEvent& event, const crypto::Ed25519Seed& seed) {
  AuditLog::Writer writer = log_.beginAppend();
  recoverInterrupted(writer, event.actor, event.role, seed);
  return writer.append(event, seed);
}

AuditEntry VaultAppender::append(std::string action, std::vector<std::string> targets,
                                 std::string reason) {
  return writer_.append({actor_, std::string(toString(role_)), std::move(action),
                         std::move(targets), std::move(reason)},
                        *seed_);
}

VaultAppender Vault::beginAppend(const UnlockedMember& member) {
  membership_ = readMembership(folder_);  // roles and removals made by other processes count
  const VaultMember* listed = membership_.find(member.id());
  if (!listed || crypto::ed25519PublicKey(member.signingSeed()) != listed->ed25519) {
    fail(VaultErrorCode::UnknownMember,
         "\"" + member.id() + "\" is not a member of this vault with these keys");
  }
  if (!listed->active()) {
    fail(VaultErrorCode::MemberRemoved, "member \"" + member.id() +
                                            "\" was removed from this vault (audit entry " +
                                            std::to_string(*listed->removedAtSeq) + ")");
  }
  AuditLog::Writer writer = log_.beginAppend();
  recoverInterrupted(writer, member.id(), std::string(toString(listed->role)),
                     member.signingSeed());
  appendPendingFailures(writer, member);
  return VaultAppender(std::move(writer), member.id(), listed->role, member.signingSeed());
}

namespace {

std::vector<UnlockFailure> parseFailures(const std::string& text) {
  std::vector<UnlockFailure> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    try {
      const json value = json::parse(line);
      out.push_back({value.at("member").get<std::string>(), value.at("utc").get<std::string>()});
    } catch (const json::exception&) {
      out.push_back({"(unreadable note)", line.substr(0, 80)});
    }
  }
  return out;
}

std::string readFileText(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

std::vector<UnlockFailure> Vault::pendingUnlockFailures() const {
  return parseFailures(readFileText(folder_ / kUnlockFailures));
}

// Under the audit lock. The notes are moved aside first, so a failure noted meanwhile goes to
// a fresh file and is logged next time; a crash after logging logs them twice rather than not at
// all.
void Vault::appendPendingFailures(AuditLog::Writer& writer, const UnlockedMember& member) {
  const fs::path notes = folder_ / kUnlockFailures;
  const fs::path taking = folder_ / (std::string(kUnlockFailures) + ".taking");
  std::error_code ec;
  if (!fs::exists(taking, ec)) {
    if (!fs::exists(notes, ec)) return;
    if (::rename(notes.c_str(), taking.c_str()) != 0) {
      fail(VaultErrorCode::Io,
           "cannot read the failed-unlock notes " + notes.string() + ": " + errnoText());
    }
  }
  for (const auto& failure : parseFailures(readFileText(taking))) {
    writer.append({member.id(),
                   std::string(toString(member.role())),
                   "unlock-failed",
                   {failure.member},
                   "wrong passphrase for member " + failure.member + " at " + failure.utc +
                       " (recorded by the next member to unlock)"},
                  member.signingSeed());
  }
  if (::unlink(taking.c_str()) != 0 && errno != ENOENT) {
    fail(VaultErrorCode::Io, "cannot remove " + taking.string() + ": " + errnoText());
  }
  syncVaultFolder(folder_);
}

UnlockedMember Vault::unlock(const std::string& memberId, std::string_view passphrase) {
  membership_ = readMembership(folder_);  // another process may have changed it
  const VaultMember* listed = membership_.find(memberId);
  if (!listed)
    fail(VaultErrorCode::UnknownMember, "there is no member \"" + memberId + "\" in this vault");
  if (!listed->active()) {
    fail(VaultErrorCode::MemberRemoved, "member \"" + memberId +
                                            "\" was removed from this vault (audit entry " +
                                            std::to_string(*listed->removedAtSeq) + ")");
  }
  const json file = readJson(memberFile(folder_, memberId), VaultErrorCode::Io);
  if (!file.contains("ed25519_sealed") || !file.contains("x25519_sealed")) {
    fail(VaultErrorCode::MalformedFile,
         memberFile(folder_, memberId).string() + " has no sealed keys");
  }
  Bytes seedBytes;
  Bytes x25519Bytes;
  const WipeOnExit wipeSeed{seedBytes};
  const WipeOnExit wipeX{x25519Bytes};
  try {
    seedBytes = crypto::openWithPassphrase(crypto::SealedSecret::fromJson(file["ed25519_sealed"]),
                                           passphrase);
    x25519Bytes = crypto::openWithPassphrase(crypto::SealedSecret::fromJson(file["x25519_sealed"]),
                                             passphrase);
  } catch (const crypto::KeyError& error) {
    if (error.code() == crypto::KeyError::Code::WrongPassphrase) {
      noteUnlockFailure(folder_, memberId, nowUtc(options_.clock));
      fail(VaultErrorCode::WrongPassphrase,
           "wrong passphrase for member " + memberId +
               " (noted; the next member to unlock records it in the audit log)");
    }
    fail(VaultErrorCode::MalformedFile,
         "the keys of member " + memberId + " cannot be opened: " + error.what());
  }
  crypto::Ed25519Seed seed = fixed<32>(seedBytes, "the Ed25519 key of " + memberId);
  crypto::X25519PrivateKey x25519 = fixed<32>(x25519Bytes, "the X25519 key of " + memberId);
  struct WipeKeys {
    crypto::Ed25519Seed& a;
    crypto::X25519PrivateKey& b;
    ~WipeKeys() {
      wipe(a);
      wipe(b);
    }
  } wipeKeys{seed, x25519};
  if (crypto::ed25519PublicKey(seed) != listed->ed25519 ||
      crypto::x25519PublicKey(x25519) != listed->x25519) {
    fail(VaultErrorCode::KeyMismatch,
         "the keys in members/" + memberId + ".json are not the ones the membership list names");
  }
  const ProjectKeyRing ring = ProjectKeyRing::read(folder_, memberId, x25519);
  UnlockedMember member(memberId, listed->role, seed, x25519, ring.key(membership_.keyEpoch));
  beginAppend(member).append("unlock-ok", {memberId}, "");
  return member;
}

const VaultMember& Vault::requireAdmin(const UnlockedMember& actor, Change change,
                                       const std::string& target) {
  membership_ = readMembership(folder_);
  const VaultMember* listed = membership_.find(actor.id());
  if (!listed || !listed->active() ||
      crypto::ed25519PublicKey(actor.signingSeed()) != listed->ed25519) {
    fail(VaultErrorCode::UnknownMember,
         "\"" + actor.id() + "\" is not a current member of this vault");
  }
  if (listed->role != Role::Admin) {
    const char* what = change == Change::Add      ? "add a member"
                       : change == Change::Remove ? "remove a member"
                                                  : "change a role";
    append({actor.id(),
            std::string(toString(listed->role)),
            "member-change-refused",
            {target},
            std::string("not an admin: tried to ") + what},
           actor.signingSeed());
    fail(VaultErrorCode::NotAdmin, "only an admin can " + std::string(what) + "; " + actor.id() +
                                       " is " + std::string(toString(listed->role)));
  }
  return *listed;
}

void Vault::addMember(const UnlockedMember& admin, const std::string& newId, Role role,
                      std::string_view newPassphrase) {
  checkId(newId);
  checkPassphrase(newPassphrase);
  const VaultLock lock(folder_);
  requireAdmin(admin, Change::Add, newId);
  if (membership_.find(newId)) {
    fail(VaultErrorCode::MemberExists,
         "member id \"" + newId + "\" is already used in this vault (ids are never reused)");
  }
  const NewKeys keys;
  VaultMember member;
  member.id = newId;
  member.role = role;
  member.ed25519 = crypto::ed25519PublicKey(keys.seed);
  member.x25519 = crypto::x25519PublicKey(keys.x25519);
  writeJson(memberFile(folder_, newId),
            memberFileJson(newId, keys.seed, keys.x25519, newPassphrase, options_.scrypt));
  projectKeys(admin).write(folder_, newId, member.x25519);
  const AuditEntry entry =
      append({admin.id(), "admin", "member-added", {newId}, "role " + std::string(toString(role))},
             admin.signingSeed());
  member.addedAtSeq = entry.seq;
  Membership next = membership_;
  next.members.push_back(member);
  next.seq = entry.seq;
  next.signer = admin.id();
  writeJson(folder_ / kMembership, next.signedJson(admin.signingSeed()));
  membership_ = std::move(next);
}

void Vault::removeMember(const UnlockedMember& admin, const std::string& id) {
  const VaultLock lock(folder_);
  requireAdmin(admin, Change::Remove, id);
  const VaultMember* target = membership_.find(id);
  if (!target)
    fail(VaultErrorCode::UnknownMember, "there is no member \"" + id + "\" in this vault");
  if (!target->active())
    fail(VaultErrorCode::MemberRemoved, "member \"" + id + "\" was already removed");
  if (id == admin.id()) {
    fail(VaultErrorCode::LastAdmin, "an admin cannot remove themselves; ask another admin");
  }
  // Rotate: a new epoch, wrapped for everyone who stays, before the list makes it current (a
  // crash in between leaves an unused epoch in the key files, nothing worse).
  ProjectKeyRing ring = projectKeys(admin);
  ring.addRandom();
  std::size_t rewrapped = 0;
  for (const VaultMember& member : membership_.members) {
    if (member.active() && member.id != id) {
      ring.write(folder_, member.id, member.x25519);
      ++rewrapped;
    }
  }
  VaultAppender appender = beginAppend(admin);
  const AuditEntry entry = appender.append("member-removed", {id}, "");
  const AuditEntry rotated = appender.append(
      "project-key-rotated", {"epoch:" + std::to_string(ring.epochs())},
      "after removing " + id + "; re-wrapped for " + std::to_string(rewrapped) + " members");
  Membership next = membership_;
  for (auto& member : next.members) {
    if (member.id == id) member.removedAtSeq = entry.seq;
  }
  next.keyEpoch = ring.epochs();
  next.seq = rotated.seq;
  next.signer = admin.id();
  writeJson(folder_ / kMembership, next.signedJson(admin.signingSeed()));
  membership_ = std::move(next);
  const fs::path stanza = keyFile(folder_, id);
  if (::unlink(stanza.c_str()) != 0 && errno != ENOENT) {
    fail(VaultErrorCode::Io, "member " + id + " was removed, but their key file " +
                                 stanza.string() + " could not be deleted: " + errnoText());
  }
  syncVaultFolder(stanza.parent_path());
}

void Vault::setRole(const UnlockedMember& admin, const std::string& id, Role role) {
  const VaultLock lock(folder_);
  requireAdmin(admin, Change::SetRole, id);
  const VaultMember* target = membership_.find(id);
  if (!target)
    fail(VaultErrorCode::UnknownMember, "there is no member \"" + id + "\" in this vault");
  if (!target->active()) fail(VaultErrorCode::MemberRemoved, "member \"" + id + "\" was removed");
  if (target->role == role) return;
  // The list must be signed by a current admin, which a self-demoted admin no longer is.
  if (id == admin.id()) {
    fail(VaultErrorCode::LastAdmin, "an admin cannot change their own role; ask another admin");
  }
  if (target->role == Role::Admin) {
    const auto admins =
        std::count_if(membership_.members.begin(), membership_.members.end(),
                      [](const VaultMember& m) { return m.active() && m.role == Role::Admin; });
    if (admins <= 1) fail(VaultErrorCode::LastAdmin, "the vault must keep at least one admin");
  }
  const AuditEntry entry =
      append({admin.id(),
              "admin",
              "role-changed",
              {id},
              std::string(toString(target->role)) + " -> " + std::string(toString(role))},
             admin.signingSeed());
  Membership next = membership_;
  for (auto& member : next.members) {
    if (member.id == id) member.role = role;
  }
  next.seq = entry.seq;
  next.signer = admin.id();
  writeJson(folder_ / kMembership, next.signedJson(admin.signingSeed()));
  membership_ = std::move(next);
}

namespace {
std::optional<crypto::Ed25519PublicKey> keyAt(const Membership& membership,
                                              const std::string& actor, std::uint64_t seq) {
  const VaultMember* member = membership.find(actor);
  if (!member || seq < member->addedAtSeq) return std::nullopt;
  if (member->removedAtSeq && seq >= *member->removedAtSeq) return std::nullopt;
  return member->ed25519;
}
}  // namespace

std::optional<crypto::Ed25519PublicKey> Vault::publicKeyOf(const std::string& actor,
                                                           std::uint64_t seq) const {
  return keyAt(membership_, actor, seq);
}

ProjectKeyRing Vault::projectKeys(const UnlockedMember& member) const {
  return ProjectKeyRing::read(folder_, member.id(), member.x25519PrivateKey());
}

PublicKeyLookup Vault::publicKeyLookup() const {
  return [membership = membership_](const std::string& actor, std::uint64_t seq) {
    return keyAt(membership, actor, seq);
  };
}

}  // namespace annotrace::records
