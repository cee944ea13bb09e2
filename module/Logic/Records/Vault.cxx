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
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "Core/DurableIO.h"
#include "Records/CanonicalJson.h"
#include "Records/PendingRecords.h"

namespace annotrace::records {

namespace fs = std::filesystem;
using crypto::Bytes;
using nlohmann::json;

namespace {

constexpr int kVersion = 1;

[[noreturn]] void fail(VaultErrorCode code, const std::string& message) {
  throw VaultError(code, message);
}

std::string errnoText() {
  return std::strerror(errno);
}

template <std::size_t N>
void wipe(std::array<std::uint8_t, N>& bytes) {
  OPENSSL_cleanse(bytes.data(), bytes.size());
}
void wipe(Bytes& bytes) {
  if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
}

// Wipes a byte vector when leaving scope.
struct WipeOnExit {
  Bytes& bytes;
  ~WipeOnExit() { wipe(bytes); }
};

template <std::size_t N>
std::array<std::uint8_t, N> fixed(const Bytes& bytes, const std::string& what) {
  if (bytes.size() != N) {
    fail(VaultErrorCode::MalformedFile,
         what + " has " + std::to_string(bytes.size()) + " bytes instead of " + std::to_string(N));
  }
  std::array<std::uint8_t, N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> fromBase64(const json& value, const std::string& what) {
  if (!value.is_string()) fail(VaultErrorCode::MalformedFile, what + " is missing or not text");
  auto bytes = crypto::base64Decode(value.get<std::string>());
  if (!bytes) fail(VaultErrorCode::MalformedFile, what + " is not valid base64");
  return fixed<N>(*bytes, what);
}

void checkId(const std::string& id) {
  const bool ok =
      !id.empty() && id.size() <= 64 && id.front() != '.' && id.front() != '-' &&
      std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      });
  if (!ok) {
    fail(VaultErrorCode::InvalidId,
         "member id \"" + id +
             "\" is not allowed: use 1 to 64 lowercase letters, digits, '.', '_' or '-', not "
             "starting with '.' or '-'");
  }
}

void checkPassphrase(std::string_view passphrase) {
  if (passphrase.empty()) fail(VaultErrorCode::EmptyPassphrase, "the passphrase must not be empty");
}

// --- Files ----------------------------------------------------------------------------------

void syncVaultFolder(const fs::path& folder) {
  if (!syncFolder(folder)) {
    fail(VaultErrorCode::Io, "cannot open folder " + folder.string() + ": " + errnoText());
  }
}

// Temporary file in the target's folder, fsync, rename over the target, fsync the folder.
void writeAtomically(const fs::path& target, std::string_view text) {
  static std::atomic<unsigned> counter{0};
  const fs::path folder = target.parent_path();
  const fs::path temp = folder / ("." + target.filename().string() + ".tmp-" +
                                  std::to_string(::getpid()) + "-" + std::to_string(counter++));
  const UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) fail(VaultErrorCode::Io, "cannot create " + temp.string() + ": " + errnoText());
  TemporaryPath remove(temp);
  if (!writeFully(fd.get(), text)) {
    fail(VaultErrorCode::Io, "cannot write " + target.string() + ": " + errnoText());
  }
  if (::fsync(fd.get()) != 0) {
    fail(VaultErrorCode::Io, "cannot sync " + target.string() + " to disk: " + errnoText());
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    fail(VaultErrorCode::Io, "cannot move " + target.string() + " into place: " + errnoText());
  }
  remove.keep();
  syncVaultFolder(folder);
}

void writeJson(const fs::path& target, const json& value) {
  writeAtomically(target, canonicalJson(value) + "\n");
}

json readJson(const fs::path& file, VaultErrorCode missingCode) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(missingCode, "cannot read " + file.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    json value = json::parse(buffer.str());
    if (!value.is_object())
      fail(VaultErrorCode::MalformedFile, file.string() + " is not a JSON object");
    return value;
  } catch (const json::exception&) {
    fail(VaultErrorCode::MalformedFile, file.string() + " is not valid JSON");
  }
}

// Exclusive flock on vault.lock for membership changes.
class VaultLock {
 public:
  explicit VaultLock(const fs::path& folder)
      : fd_(::open((folder / Vault::kLock).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_.get() < 0) fail(VaultErrorCode::Io, "cannot open the vault lock: " + errnoText());
    while (::flock(fd_.get(), LOCK_EX) != 0) {
      if (errno != EINTR) fail(VaultErrorCode::Io, "cannot lock the vault: " + errnoText());
    }
  }  // closing the descriptor releases the lock

 private:
  UniqueFd fd_;
};

fs::path memberFile(const fs::path& folder, const std::string& id) {
  return folder / "members" / (id + ".json");
}
fs::path keyFile(const fs::path& folder, const std::string& id) {
  return folder / "keys" / (id + ".json");
}

// --- Membership JSON ------------------------------------------------------------------------

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
          {"signer", membership.signer}};
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

json signMembership(const Membership& membership, const crypto::Ed25519Seed& seed) {
  const std::string text = membership.signedText();
  const crypto::Digest digest = crypto::sha256(crypto::asBytes(text));
  json out = unsignedJson(membership);
  out["sig"] = crypto::base64Encode(crypto::ed25519Sign(seed, digest));
  return out;
}

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

void writeStanza(const fs::path& folder, const std::string& id, const crypto::SymmetricKey& key,
                 const crypto::X25519PublicKey& recipient) {
  writeJson(keyFile(folder, id), {{"version", kVersion},
                                  {"member", id},
                                  {"stanza", crypto::wrapForRecipient(key, recipient).toJson()}});
}

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
                                 ", and the failure could not be noted in " + file.string() +
                                 ": " + errnoText());
  }
}

}  // namespace

std::string_view toString(VaultErrorCode code) {
  switch (code) {
    case VaultErrorCode::Io:
      return "Io";
    case VaultErrorCode::NotEmpty:
      return "NotEmpty";
    case VaultErrorCode::NotAVault:
      return "NotAVault";
    case VaultErrorCode::MalformedFile:
      return "MalformedFile";
    case VaultErrorCode::BadMembershipSignature:
      return "BadMembershipSignature";
    case VaultErrorCode::SignerNotAdmin:
      return "SignerNotAdmin";
    case VaultErrorCode::InvalidId:
      return "InvalidId";
    case VaultErrorCode::InvalidRole:
      return "InvalidRole";
    case VaultErrorCode::EmptyPassphrase:
      return "EmptyPassphrase";
    case VaultErrorCode::UnknownMember:
      return "UnknownMember";
    case VaultErrorCode::MemberExists:
      return "MemberExists";
    case VaultErrorCode::MemberRemoved:
      return "MemberRemoved";
    case VaultErrorCode::WrongPassphrase:
      return "WrongPassphrase";
    case VaultErrorCode::NoKeyStanza:
      return "NoKeyStanza";
    case VaultErrorCode::KeyMismatch:
      return "KeyMismatch";
    case VaultErrorCode::NotAdmin:
      return "NotAdmin";
    case VaultErrorCode::LastAdmin:
      return "LastAdmin";
    case VaultErrorCode::UnknownRecord:
      return "UnknownRecord";
    case VaultErrorCode::AmbiguousRecord:
      return "AmbiguousRecord";
    case VaultErrorCode::NotAuthor:
      return "NotAuthor";
    case VaultErrorCode::NotReviewer:
      return "NotReviewer";
    case VaultErrorCode::SelfReview:
      return "SelfReview";
    case VaultErrorCode::WrongState:
      return "WrongState";
    case VaultErrorCode::MissingReason:
      return "MissingReason";
    case VaultErrorCode::BadRecord:
      return "BadRecord";
  }
  return "Unknown";
}

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

// --- UnlockedMember -------------------------------------------------------------------------

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

// --- Vault ----------------------------------------------------------------------------------

Vault::Vault(fs::path folder, VaultOptions options, AuditLog log, Membership membership)
    : folder_(std::move(folder)),
      options_(std::move(options)),
      log_(std::move(log)),
      membership_(std::move(membership)) {}

Membership Vault::readMembership(const fs::path& folder) {
  const fs::path file = folder / kMembership;
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
  crypto::SymmetricKey projectKey{};
  crypto::randomBytes(projectKey);
  struct WipeKey {
    crypto::SymmetricKey& key;
    ~WipeKey() { wipe(key); }
  } wipeKey{projectKey};

  VaultMember admin;
  admin.id = adminId;
  admin.role = Role::Admin;
  admin.ed25519 = crypto::ed25519PublicKey(keys.seed);
  admin.x25519 = crypto::x25519PublicKey(keys.x25519);

  writeJson(memberFile(folder, adminId),
            memberFileJson(adminId, keys.seed, keys.x25519, passphrase, options.scrypt));
  writeStanza(folder, adminId, projectKey, admin.x25519);

  AuditLog log = AuditLog::create(folder, options.clock);
  const AuditEntry created =
      log.append({adminId, "admin", "vault-created", {adminId}, "vault initialised"}, keys.seed);
  admin.addedAtSeq = created.seq;

  Membership membership;
  membership.members.push_back(admin);
  membership.seq = created.seq;
  membership.signer = adminId;
  writeJson(folder / kMembership, signMembership(membership, keys.seed));
  return Vault(folder, std::move(options), std::move(log), std::move(membership));
}

Vault Vault::open(const fs::path& folder, VaultOptions options) {
  Membership membership = readMembership(folder);
  AuditLog log = AuditLog::open(folder, options.clock);
  return Vault(folder, std::move(options), std::move(log), std::move(membership));
}

void Vault::recoverInterrupted(AuditLog::Writer& writer, const std::string& actor,
                               const std::string& role, const crypto::Ed25519Seed& seed) {
  // A torn line found on open() or by beginAppend() is recorded by whoever appends next.
  for (const auto& torn : log_.takeRecovered()) {
    writer.append(AuditLog::tornLineEvent(torn, actor, role), seed);
  }
  PendingRecords::recover(writer, recordsFolder(), actor, role, seed);
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
// a fresh file and is logged next time; a crash after logging logs them twice rather than not at all.
void Vault::appendPendingFailures(AuditLog::Writer& writer, const UnlockedMember& member) {
  const fs::path notes = folder_ / kUnlockFailures;
  const fs::path taking = folder_ / (std::string(kUnlockFailures) + ".taking");
  std::error_code ec;
  if (!fs::exists(taking, ec)) {
    if (!fs::exists(notes, ec)) return;
    if (::rename(notes.c_str(), taking.c_str()) != 0) {
      fail(VaultErrorCode::Io, "cannot read the failed-unlock notes " + notes.string() + ": " +
                                   errnoText());
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
  const fs::path stanzaFile = keyFile(folder_, memberId);
  std::error_code ec;
  if (!fs::exists(stanzaFile, ec)) {
    fail(VaultErrorCode::NoKeyStanza, "no project key is wrapped for member " + memberId);
  }
  const json stanzaJson = readJson(stanzaFile, VaultErrorCode::Io);
  crypto::SymmetricKey projectKey{};
  try {
    projectKey = crypto::unwrapAsRecipient(
        crypto::RecipientStanza::fromJson(stanzaJson.value("stanza", json())), x25519);
  } catch (const crypto::KeyError& error) {
    fail(VaultErrorCode::NoKeyStanza,
         "the project key wrapped for member " + memberId + " cannot be opened: " + error.what());
  }
  UnlockedMember member(memberId, listed->role, seed, x25519, projectKey);
  wipe(projectKey);
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
  writeStanza(folder_, newId, admin.projectKey(), member.x25519);
  const AuditEntry entry =
      append({admin.id(), "admin", "member-added", {newId}, "role " + std::string(toString(role))},
             admin.signingSeed());
  member.addedAtSeq = entry.seq;
  Membership next = membership_;
  next.members.push_back(member);
  next.seq = entry.seq;
  next.signer = admin.id();
  writeJson(folder_ / kMembership, signMembership(next, admin.signingSeed()));
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
  const AuditEntry entry =
      append({admin.id(), "admin", "member-removed", {id}, ""}, admin.signingSeed());
  Membership next = membership_;
  for (auto& member : next.members) {
    if (member.id == id) member.removedAtSeq = entry.seq;
  }
  next.seq = entry.seq;
  next.signer = admin.id();
  writeJson(folder_ / kMembership, signMembership(next, admin.signingSeed()));
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
  writeJson(folder_ / kMembership, signMembership(next, admin.signingSeed()));
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

PublicKeyLookup Vault::publicKeyLookup() const {
  return [membership = membership_](const std::string& actor, std::uint64_t seq) {
    return keyAt(membership, actor, seq);
  };
}

}  // namespace annotrace::records
