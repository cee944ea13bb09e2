// The vault folder (module/Logic/Records/Vault): init, open with a verified membership list,
// unlock with the project key round-tripping through a record, a wrong passphrase that changes
// no file and is audited later, members added, refused, removed and re-roled, and the whole
// audit log verifying with the vault's key lookup.

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "Records/AuditLog.h"
#include "Records/CryptoPrimitives.h"
#include "Records/MemberKeys.h"
#include "Records/RecordFile.h"
#include "Records/Vault.h"
#include "RecordsTestSupport.h"
#include "TestData.h"

namespace annotrace::records {

void PrintTo(AuditErrorCode code, std::ostream* out) {
  *out << toString(code);
}

namespace {

namespace fs = std::filesystem;
using annotrace::test::TempDir;
using nlohmann::json;
using namespace records::test;

// Every file under the folder (relative path -> bytes), folders as "<dir>/".
std::map<std::string, std::string> snapshot(const fs::path& folder) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    const std::string name = fs::relative(entry.path(), folder).string();
    out[entry.is_directory() ? name + "/" : name] =
        entry.is_regular_file() ? readText(entry.path()) : std::string();
  }
  return out;
}

std::vector<AuditEntry> entriesWith(Vault& vault, const std::string& action) {
  AuditFilter filter;
  filter.action = action;
  return vault.auditLog().filter(filter);
}

class VaultTest : public ::testing::Test {
 protected:
  TempDir temp;
  fs::path folder = temp.path() / "vault";
};

TEST_F(VaultTest, InitCreatesTheLayoutAndRefusesANonEmptyFolder) {
  Vault vault = Vault::init(folder, "alice", "alice pass", fastOptions());
  for (const char* name :
       {"members/alice.json", "keys/alice.json", "membership.json", "audit.log", "vault.lock"}) {
    EXPECT_TRUE(fs::is_regular_file(folder / name)) << name;
  }
  EXPECT_TRUE(fs::is_directory(folder / "records"));
  // No temporary files left behind.
  for (const auto& [name, bytes] : snapshot(folder))
    EXPECT_EQ(name.find(".tmp-"), std::string::npos) << name;

  const json membership = json::parse(readText(folder / "membership.json"));
  EXPECT_EQ(membership["version"], 1);
  EXPECT_EQ(membership["signer"], "alice");
  EXPECT_EQ(membership["seq"], 1);
  ASSERT_EQ(membership["members"].size(), 1u);
  EXPECT_EQ(membership["members"][0]["id"], "alice");
  EXPECT_EQ(membership["members"][0]["role"], "admin");
  EXPECT_TRUE(membership.contains("sig"));

  const json member = json::parse(readText(folder / "members/alice.json"));
  EXPECT_EQ(member["ed25519"], membership["members"][0]["ed25519"]);
  EXPECT_EQ(member["x25519"], membership["members"][0]["x25519"]);
  EXPECT_TRUE(member["ed25519_sealed"].is_object());
  EXPECT_TRUE(member["x25519_sealed"].is_object());
  // The private keys are not stored in the clear.
  EXPECT_EQ(readText(folder / "members/alice.json").find("\"seed\""), std::string::npos);

  const auto created = vault.auditLog().filter();
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].action, "vault-created");
  EXPECT_EQ(created[0].actor, "alice");

  EXPECT_EQ(codeOf([&] { Vault::init(folder, "bob", "x", fastOptions()); }),
            VaultErrorCode::NotEmpty);
  EXPECT_EQ(codeOf([&] { Vault::init(temp.path() / "v2", "Bad/Id", "x", fastOptions()); }),
            VaultErrorCode::InvalidId);
  EXPECT_EQ(codeOf([&] { Vault::open(temp.path()); }), VaultErrorCode::NotAVault);
}

TEST_F(VaultTest, UnlockAdminAndTheProjectKeyOpensARecord) {
  crypto::SymmetricKey firstKey{};
  {
    Vault vault = Vault::init(folder, "alice", "alice pass", fastOptions());
    const UnlockedMember alice = vault.unlock("alice", "alice pass");
    EXPECT_EQ(alice.role(), Role::Admin);
    firstKey = alice.projectKey();
    RecordInfo info;
    info.author = "alice";
    info.role = "admin";
    const std::string payload = "labels of case 17";
    RecordFile::write(vault.recordsFolder(), info, crypto::asBytes(payload), alice.projectKey(),
                      alice.signingSeed());
  }
  Vault reopened = Vault::open(folder, fastOptions());
  const UnlockedMember alice = reopened.unlock("alice", "alice pass");
  EXPECT_EQ(alice.projectKey(), firstKey);
  std::vector<fs::path> records;
  for (const auto& entry : fs::directory_iterator(reopened.recordsFolder()))
    records.push_back(entry.path());
  ASSERT_EQ(records.size(), 1u);
  const auto signer = reopened.publicKeyOf("alice", reopened.auditLog().head().seq);
  ASSERT_TRUE(signer);
  const OpenedRecord opened = RecordFile::open(records[0], alice.projectKey(), *signer);
  EXPECT_EQ(std::string(opened.plaintext.begin(), opened.plaintext.end()), "labels of case 17");

  const auto unlocks = entriesWith(reopened, "unlock-ok");
  ASSERT_EQ(unlocks.size(), 2u);
  EXPECT_EQ(unlocks[1].actor, "alice");
  EXPECT_TRUE(reopened.auditLog().verify(reopened.publicKeyLookup()).ok());
}

TEST_F(VaultTest, WrongPassphraseOnlyNotesTheFailureWhichTheNextUnlockAudits) {
  Vault::init(folder, "alice", "alice pass", fastOptions());
  auto before = snapshot(folder);

  {
    // Another process fails and exits: the note outlives it.
    Vault vault = Vault::open(folder, fastOptions());
    std::string message;
    EXPECT_EQ(codeOf([&] { vault.unlock("alice", "not the passphrase"); }, &message),
              VaultErrorCode::WrongPassphrase);
    EXPECT_NE(message.find("wrong passphrase for member alice"), std::string::npos) << message;
  }
  auto after = snapshot(folder);
  const std::string note = after.at("unlock-failures.log");
  EXPECT_EQ(std::count(note.begin(), note.end(), '\n'), 1);  // one whole line
  after.erase("unlock-failures.log");
  EXPECT_EQ(after, before);  // nothing else changed, no partial file
  Vault vault = Vault::open(folder, fastOptions());
  ASSERT_EQ(vault.pendingUnlockFailures().size(), 1u);
  EXPECT_EQ(vault.pendingUnlockFailures()[0].member, "alice");

  before = snapshot(folder);
  EXPECT_EQ(codeOf([&] { vault.unlock("nobody", "x"); }), VaultErrorCode::UnknownMember);
  EXPECT_EQ(snapshot(folder), before);

  const UnlockedMember alice = vault.unlock("alice", "alice pass");
  EXPECT_FALSE(fs::exists(folder / "unlock-failures.log"));
  EXPECT_TRUE(vault.pendingUnlockFailures().empty());
  const auto all = vault.auditLog().filter();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].action, "unlock-failed");
  EXPECT_EQ(all[1].actor, "alice");  // signed by whoever unlocked next
  EXPECT_EQ(all[1].targets, std::vector<std::string>{"alice"});
  EXPECT_EQ(all[2].action, "unlock-ok");
  EXPECT_TRUE(vault.auditLog().verify(vault.publicKeyLookup()).ok());
}

TEST_F(VaultTest, AddedMembersUnlockToTheSameProjectKey) {
  Vault vault = Vault::init(folder, "alice", "alice pass", fastOptions());
  const UnlockedMember alice = vault.unlock("alice", "alice pass");
  vault.addMember(alice, "bob", Role::Annotator, "bob pass");
  vault.addMember(alice, "carol", Role::Reviewer, "carol pass");
  EXPECT_EQ(codeOf([&] { vault.addMember(alice, "bob", Role::Reviewer, "again"); }),
            VaultErrorCode::MemberExists);
  EXPECT_EQ(codeOf([&] { vault.addMember(alice, "dave", Role::Reviewer, ""); }),
            VaultErrorCode::EmptyPassphrase);

  Vault other = Vault::open(folder, fastOptions());  // as another process would
  ASSERT_EQ(other.membership().members.size(), 3u);
  const UnlockedMember bob = other.unlock("bob", "bob pass");
  const UnlockedMember carol = other.unlock("carol", "carol pass");
  EXPECT_EQ(bob.role(), Role::Annotator);
  EXPECT_EQ(carol.role(), Role::Reviewer);
  EXPECT_EQ(bob.projectKey(), alice.projectKey());
  EXPECT_EQ(carol.projectKey(), alice.projectKey());
  EXPECT_NE(bob.signingSeed(), carol.signingSeed());
  EXPECT_EQ(codeOf([&] { other.unlock("bob", "carol pass"); }), VaultErrorCode::WrongPassphrase);

  const auto added = entriesWith(other, "member-added");
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0].targets, std::vector<std::string>{"bob"});
  EXPECT_EQ(added[1].actor, "alice");
  EXPECT_EQ(json::parse(readText(folder / "membership.json"))["seq"], added[1].seq);
}

TEST_F(VaultTest, OnlyAnAdminChangesTheMembership) {
  Vault vault = Vault::init(folder, "alice", "alice pass", fastOptions());
  const UnlockedMember alice = vault.unlock("alice", "alice pass");
  vault.addMember(alice, "bob", Role::Annotator, "bob pass");
  vault.addMember(alice, "carol", Role::Reviewer, "carol pass");
  const UnlockedMember bob = vault.unlock("bob", "bob pass");
  const std::string membershipBefore = readText(folder / "membership.json");

  std::string message;
  EXPECT_EQ(codeOf([&] { vault.addMember(bob, "mallory", Role::Admin, "m"); }, &message),
            VaultErrorCode::NotAdmin);
  EXPECT_NE(message.find("only an admin"), std::string::npos) << message;
  EXPECT_EQ(codeOf([&] { vault.setRole(bob, "bob", Role::Admin); }), VaultErrorCode::NotAdmin);
  EXPECT_EQ(codeOf([&] { vault.removeMember(bob, "carol"); }), VaultErrorCode::NotAdmin);
  EXPECT_EQ(readText(folder / "membership.json"), membershipBefore);
  EXPECT_FALSE(fs::exists(folder / "members/mallory.json"));
  EXPECT_FALSE(fs::exists(folder / "keys/mallory.json"));

  const auto refused = entriesWith(vault, "member-change-refused");
  ASSERT_EQ(refused.size(), 3u);
  EXPECT_EQ(refused[0].actor, "bob");
  EXPECT_EQ(refused[0].targets, std::vector<std::string>{"mallory"});

  // An admin promotes carol; then carol can add members.
  vault.setRole(alice, "carol", Role::Admin);
  EXPECT_EQ(entriesWith(vault, "role-changed").size(), 1u);
  const UnlockedMember carol = vault.unlock("carol", "carol pass");
  EXPECT_EQ(carol.role(), Role::Admin);
  vault.addMember(carol, "dave", Role::Annotator, "dave pass");
  EXPECT_EQ(Vault::readMembership(folder).signer, "carol");
  EXPECT_EQ(codeOf([&] { vault.setRole(alice, "alice", Role::Reviewer); }),
            VaultErrorCode::LastAdmin);
  EXPECT_TRUE(vault.auditLog().verify(vault.publicKeyLookup()).ok());
}

TEST_F(VaultTest, AnEditedMembershipListIsRefused) {
  Vault vault = Vault::init(folder, "alice", "alice pass", fastOptions());
  const UnlockedMember alice = vault.unlock("alice", "alice pass");
  vault.addMember(alice, "bob", Role::Annotator, "bob pass");

  json membership = json::parse(readText(folder / "membership.json"));
  for (auto& member : membership["members"]) {
    if (member["id"] == "bob") member["role"] = "admin";
  }
  writeText(folder / "membership.json", membership.dump());
  std::string message;
  EXPECT_EQ(codeOf([&] { Vault::open(folder, fastOptions()); }, &message),
            VaultErrorCode::BadMembershipSignature);
  EXPECT_NE(message.find("edited or forged"), std::string::npos) << message;
}

TEST_F(VaultTest, AMembershipListSignedByANonAdminIsRefused) {
  Vault vault = Vault::init(folder, "alice", "alice pass", fastOptions());
  const UnlockedMember alice = vault.unlock("alice", "alice pass");
  vault.addMember(alice, "bob", Role::Annotator, "bob pass");
  vault.addMember(alice, "carol", Role::Reviewer, "carol pass");
  const UnlockedMember bob = vault.unlock("bob", "bob pass");

  // bob removes carol and signs the list himself, correctly, with his own key.
  Membership forged = Vault::readMembership(folder);
  std::erase_if(forged.members, [](const VaultMember& m) { return m.id == "carol"; });
  forged.signer = "bob";
  json out = json::parse(forged.signedText());
  out["sig"] = crypto::base64Encode(
      crypto::ed25519Sign(bob.signingSeed(), crypto::sha256(crypto::asBytes(forged.signedText()))));
  writeText(folder / "membership.json", out.dump());
  EXPECT_EQ(codeOf([&] { Vault::open(folder, fastOptions()); }), VaultErrorCode::SignerNotAdmin);

  // Naming an unknown signer is refused the same way.
  out["signer"] = "zed";
  writeText(folder / "membership.json", out.dump());
  EXPECT_EQ(codeOf([&] { Vault::open(folder, fastOptions()); }), VaultErrorCode::SignerNotAdmin);
}

TEST_F(VaultTest, ARemovedMemberCannotUnlockAndTheirOldEntriesStillVerify) {
  Vault vault = Vault::init(folder, "alice", "alice pass", fastOptions());
  const UnlockedMember alice = vault.unlock("alice", "alice pass");
  vault.addMember(alice, "bob", Role::Annotator, "bob pass");
  const UnlockedMember bob = vault.unlock("bob", "bob pass");
  const std::uint64_t bobUnlockSeq = vault.auditLog().head().seq;

  vault.removeMember(alice, "bob");
  EXPECT_FALSE(fs::exists(folder / "keys/bob.json"));
  const auto removed = entriesWith(vault, "member-removed");
  ASSERT_EQ(removed.size(), 1u);
  const Membership membership = Vault::readMembership(folder);
  ASSERT_NE(membership.find("bob"), nullptr);
  EXPECT_EQ(membership.find("bob")->removedAtSeq, removed[0].seq);

  Vault other = Vault::open(folder, fastOptions());
  std::string message;
  EXPECT_EQ(codeOf([&] { other.unlock("bob", "bob pass"); }, &message),
            VaultErrorCode::MemberRemoved);
  EXPECT_NE(message.find("removed"), std::string::npos) << message;
  EXPECT_EQ(codeOf([&] { other.removeMember(alice, "bob"); }), VaultErrorCode::MemberRemoved);
  EXPECT_EQ(codeOf([&] { other.addMember(alice, "bob", Role::Annotator, "again"); }),
            VaultErrorCode::MemberExists);
  EXPECT_EQ(codeOf([&] { other.removeMember(alice, "alice"); }), VaultErrorCode::LastAdmin);

  EXPECT_TRUE(other.publicKeyOf("bob", bobUnlockSeq).has_value());
  EXPECT_FALSE(other.publicKeyOf("bob", removed[0].seq).has_value());
  EXPECT_TRUE(other.auditLog().verify(other.publicKeyLookup()).ok());

  // bob keeps signing after removal: verification names the entry.
  other.auditLog().append({"bob", "annotator", "record-created", {"r1"}, ""}, bob.signingSeed());
  const AuditVerifyResult result = other.auditLog().verify(other.publicKeyLookup());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.problem->code, AuditErrorCode::UnknownActor);
  EXPECT_EQ(result.problem->seq, removed[0].seq + 2);  // after the key rotation entry
}

TEST_F(VaultTest, AStanzaDeletedByHandStopsTheUnlock) {
  Vault vault = Vault::init(folder, "alice", "alice pass", fastOptions());
  const UnlockedMember alice = vault.unlock("alice", "alice pass");
  vault.addMember(alice, "bob", Role::Annotator, "bob pass");
  fs::remove(folder / "keys/bob.json");
  EXPECT_EQ(codeOf([&] { vault.unlock("bob", "bob pass"); }), VaultErrorCode::NoKeyStanza);
}

TEST_F(VaultTest, TheWholeAuditLogVerifiesAfterEverything) {
  Vault vault = Vault::init(folder, "alice", "alice pass", fastOptions());
  {
    const UnlockedMember alice = vault.unlock("alice", "alice pass");
    vault.addMember(alice, "bob", Role::Annotator, "bob pass");
    vault.addMember(alice, "carol", Role::Reviewer, "carol pass");
    const UnlockedMember bob = vault.unlock("bob", "bob pass");
    EXPECT_THROW(vault.addMember(bob, "eve", Role::Admin, "eve"), VaultError);
    vault.setRole(alice, "carol", Role::Admin);
    EXPECT_THROW(vault.unlock("carol", "wrong"), VaultError);
    const UnlockedMember carol = vault.unlock("carol", "carol pass");
    vault.removeMember(carol, "bob");
    vault.setRole(carol, "alice", Role::Reviewer);
  }
  Vault reopened = Vault::open(folder, fastOptions());
  const AuditVerifyResult result = reopened.auditLog().verify(reopened.publicKeyLookup());
  EXPECT_TRUE(result.ok()) << (result.problem ? result.problem->message : "");
  EXPECT_EQ(result.entries, reopened.auditLog().head().seq);
  std::vector<std::string> actions;
  for (const auto& entry : reopened.auditLog().filter()) actions.push_back(entry.action);
  const std::vector<std::string> expected = {
      "vault-created",         "unlock-ok",    "member-added",  "member-added", "unlock-ok",
      "member-change-refused", "role-changed", "unlock-failed", "unlock-ok",    "member-removed",
      "project-key-rotated",   "role-changed"};
  EXPECT_EQ(actions, expected);
  EXPECT_EQ(reopened.membership().find("alice")->role, Role::Reviewer);
  EXPECT_EQ(reopened.membership().signer, "carol");
}

}  // namespace
}  // namespace annotrace::records
