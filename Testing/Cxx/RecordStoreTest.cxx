// Records in the vault (module/Logic/Records/RecordStore, VaultVerifier, SegmentationPayload):
// a real TotalSegmentator label map saved, verified, decrypted and decoded voxel for voxel;
// the review workflow with its role rules; and every tamper case the vault verification must
// name: a deleted record, a dropped log tail, an edited entry, swapped headers, a record or a
// decision forged by someone without the right, a rolled-back membership list, a save cut off
// before its audit entry.

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "IO/VolumeFileIO.h"
#include "Records/PendingRecords.h"
#include "Records/RecordStore.h"
#include "Records/SegmentationPayload.h"
#include "Records/SourceIdentity.h"
#include "Records/VaultVerifier.h"
#include "RecordsTestSupport.h"
#include "Segmentation/LabelmapFileIO.h"
#include "TestData.h"

namespace annotrace::records {

namespace {

namespace fs = std::filesystem;
using annotrace::test::TempDir;
using nlohmann::json;
using namespace records::test;

std::vector<std::string> problemCodes(const VaultReport& report) {
  std::vector<std::string> codes;
  for (const auto& problem : report.problems) codes.push_back(problem.code);
  return codes;
}

std::string describe(const VaultReport& report) {
  std::string text;
  for (const auto& problem : report.problems) text += problem.code + ": " + problem.message + "\n";
  return text;
}

std::vector<AuditEntry> entriesWith(Vault& vault, const std::string& action) {
  AuditFilter filter;
  filter.action = action;
  return vault.auditLog().filter(filter);
}

// A small segmentation with overlapping segments, terminology and provenance.
Segmentation phantom(int variant) {
  ImageGeometry g;
  g.size = {40, 30, 12};
  g.spacing = {0.75, 0.75, 2.5};
  g.origin = {-15.0, 12.5, 100.25};
  Segmentation s(g);
  Segment a;
  a.name = "Liver";
  a.terminology.category = {"123037004", "SCT", "Anatomical Structure"};
  a.terminology.type = {"10200004", "SCT", "Liver"};
  const SegmentId liver = s.addSegment(a).id;
  Segment b;
  b.name = "Lesion " + std::to_string(variant);
  const SegmentId lesion = s.addSegment(b).id;
  for (std::size_t k = 2; k < 10; ++k) {
    for (std::size_t j = 5; j < 25; ++j) {
      for (std::size_t i = 3 + (k % 3); i < 35; ++i) s.mask(liver).assign(i, j, k, true);
    }
    for (std::size_t j = 10; j < 14 + static_cast<std::size_t>(variant % 5); ++j) {
      for (std::size_t i = 30; i < 39; ++i) s.mask(lesion).assign(i, j, k, true);  // overlaps
    }
  }
  s.provenance(liver).set(SliceOrientation::Axial, 2, SliceSource::Drawn);
  s.provenance(liver).set(SliceOrientation::Axial, 5, SliceSource::Interpolated);
  s.provenance(lesion).set(SliceOrientation::Axial, 9, SliceSource::Propagated);
  return s;
}

class RecordStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Vault created = Vault::init(folder, "ada", "ada pass", fastOptions());
    const UnlockedMember admin = created.unlock("ada", "ada pass");
    created.addMember(admin, "ann", Role::Annotator, "ann pass");
    created.addMember(admin, "rex", Role::Reviewer, "rex pass");
  }

  std::vector<std::uint8_t> payload(int variant) const {
    return SegmentationPayload::encode(phantom(variant), json::array({{"op", "brush"}}));
  }

  TempDir temp;
  fs::path folder = temp.path() / "vault";
};

TEST_F(RecordStoreTest, ARealLabelMapRoundTripsThroughASignedEncryptedRecord) {
  const Volume ct =
      VolumeFileIO::read(annotrace::test::dataPath("nifti_totalseg/example_ct_sm.nii.gz"));
  const LabelmapBundle labels = LabelmapFileIO::read(
      annotrace::test::dataPath("nifti_totalseg/example_seg.nii.gz"), &ct.geometry());
  ASSERT_EQ(labels.segmentation.segmentCount(), 41u);

  Vault vault = Vault::open(folder, fastOptions());
  RecordStore store(vault);
  const UnlockedMember ann = vault.unlock("ann", "ann pass");
  const auto plaintext = SegmentationPayload::encode(labels.segmentation);
  RecordInfo info;
  info.source = sourceIdentity(ct);
  const AuditHead before = vault.auditLog().head();
  const SavedRecord saved = store.save(ann, info, plaintext);

  // The record and its entry name each other.
  EXPECT_TRUE(fs::is_regular_file(saved.file));
  EXPECT_TRUE(PendingRecords::list(vault.recordsFolder()).empty());
  EXPECT_EQ(saved.entry.action, "record-created");
  EXPECT_EQ(saved.entry.actor, "ann");
  EXPECT_EQ(saved.entry.role, "annotator");
  EXPECT_EQ(saved.entry.seq, before.seq + 1);
  EXPECT_EQ(saved.entry.targets.front(), saved.id);
  const RecordHeader header = RecordFile::readHeader(saved.file);
  EXPECT_EQ(header.header["author"], "ann");
  EXPECT_EQ(header.header["role"], "annotator");
  EXPECT_EQ(header.header["audit"]["entry"], std::to_string(saved.entry.seq));
  EXPECT_EQ(header.header["audit"]["head"], before.hash);
  EXPECT_EQ(header.header["source"]["geometry_sha256"],
            sourceIdentity(ct.geometry())["geometry_sha256"]);
  EXPECT_EQ(sourceMismatch(header.header["source"], ct), "");
  // The labels are not in the file in the clear (the payload's JSON names the segments).
  const std::string bytes = readText(saved.file);
  EXPECT_EQ(bytes.find("annotrace-segmentation-payload"), std::string::npos);
  EXPECT_EQ(bytes.find(labels.segmentation.segmentAt(0).name), std::string::npos);

  const UnlockedMember rex = vault.unlock("rex", "rex pass");
  const OpenedRecord opened = store.open(rex, saved.id.substr(0, 10));
  const LabelmapBundle decoded = SegmentationPayload::decode(opened.plaintext);
  EXPECT_TRUE(decoded.segmentation == labels.segmentation);
  for (std::size_t p = 0; p < 41; ++p) {
    EXPECT_EQ(decoded.segmentation.maskAt(p).count(), labels.segmentation.maskAt(p).count());
    EXPECT_EQ(decoded.segmentation.segmentAt(p).name, labels.segmentation.segmentAt(p).name);
  }
  const auto decrypted = entriesWith(vault, "record-decrypted");
  ASSERT_EQ(decrypted.size(), 1u);
  EXPECT_EQ(decrypted[0].actor, "rex");
  EXPECT_EQ(decrypted[0].targets.front(), saved.id);

  const VaultReport report = VaultVerifier::verify(vault);
  EXPECT_TRUE(report.ok()) << describe(report);
  EXPECT_EQ(report.records, 1u);
  EXPECT_EQ(report.entries, vault.auditLog().head().seq);
}

TEST_F(RecordStoreTest, PayloadKeepsOverlapsTerminologyProvenanceAndOperations) {
  const Segmentation original = phantom(3);
  const auto bytes = SegmentationPayload::encode(original, json::array({{"op", "brush"}}));
  const LabelmapBundle decoded = SegmentationPayload::decode(bytes);
  EXPECT_TRUE(decoded.segmentation == original);
  EXPECT_EQ(decoded.segmentation.geometry().origin, original.geometry().origin);
  EXPECT_EQ(decoded.segmentation.geometry().spacing, original.geometry().spacing);
  const Segment& liver = decoded.segmentation.segmentAt(0);
  EXPECT_EQ(liver.terminology.type.value, "10200004");
  EXPECT_EQ(decoded.segmentation.provenance(liver.id).at(SliceOrientation::Axial, 5),
            SliceSource::Interpolated);
  EXPECT_EQ(decoded.segmentation.provenance(decoded.segmentation.segmentAt(1).id)
                .at(SliceOrientation::Axial, 9),
            SliceSource::Propagated);
  EXPECT_EQ(decoded.operationLog, json::array({{"op", "brush"}}));
  EXPECT_EQ(decoded.segmentation.nextSegmentId(), original.nextSegmentId());

  // Whole rows one after another: runs meet across row ends (a zero gap) and must decode.
  Segmentation slab(original.geometry());
  Segment s;
  s.name = "Slab";
  const SegmentId slabId = slab.addSegment(s).id;
  for (std::size_t j = 0; j < 30; ++j) {
    for (std::size_t i = 0; i < 40; ++i) slab.mask(slabId).assign(i, j, 4, true);
  }
  for (std::size_t i = 0; i < 40; ++i) slab.mask(slabId).assign(i, 0, 5, true);
  EXPECT_TRUE(SegmentationPayload::decode(SegmentationPayload::encode(slab)).segmentation == slab);

  auto refused = [](std::vector<std::uint8_t> damaged) -> std::string {
    try {
      SegmentationPayload::decode(damaged);
    } catch (const std::runtime_error& error) {
      return error.what();
    }
    return "accepted";
  };
  auto damaged = bytes;
  damaged[0] = 'X';
  EXPECT_NE(refused(damaged).find("wrong magic"), std::string::npos);
  damaged = bytes;
  damaged.push_back(0);
  EXPECT_NE(refused(damaged).find("bytes after the last segment"), std::string::npos);
  damaged = bytes;
  damaged.resize(bytes.size() - 3);
  EXPECT_NE(refused(damaged).find("runs past the end"), std::string::npos);
  damaged = bytes;
  damaged.back() ^= 0x01;  // the last run's length changes: the voxel count no longer matches
  EXPECT_NE(refused(damaged).find("voxels, but the table says"), std::string::npos)
      << refused(damaged);
}

TEST_F(RecordStoreTest, ReviewNeedsTheRoleAnotherPersonASubmissionAndAReason) {
  Vault vault = Vault::open(folder, fastOptions());
  RecordStore store(vault);
  const UnlockedMember ann = vault.unlock("ann", "ann pass");
  const UnlockedMember rex = vault.unlock("rex", "rex pass");
  const SavedRecord draft = store.save(ann, RecordInfo{}, payload(1));

  EXPECT_EQ(codeOf([&] { store.review(rex, draft.id, ReviewDecision::Approve, "fine"); }),
            VaultErrorCode::WrongState);
  EXPECT_EQ(codeOf([&] { store.submit(rex, draft.id); }), VaultErrorCode::NotAuthor);
  store.submit(ann, draft.id);
  EXPECT_EQ(codeOf([&] { store.submit(ann, draft.id); }), VaultErrorCode::WrongState);

  std::string message;
  EXPECT_EQ(codeOf([&] { store.review(ann, draft.id, ReviewDecision::Approve, "mine is good"); },
                   &message),
            VaultErrorCode::NotReviewer);
  EXPECT_NE(message.find("ann is an annotator"), std::string::npos) << message;
  const auto refused = entriesWith(vault, "review-refused");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].actor, "ann");
  EXPECT_EQ(refused[0].targets.front(), draft.id);

  EXPECT_EQ(codeOf([&] { store.review(rex, draft.id, ReviewDecision::Reject, "  "); }),
            VaultErrorCode::MissingReason);
  const AuditEntry decision =
      store.review(rex, draft.id, ReviewDecision::Reject, "misses the caudate lobe");
  EXPECT_EQ(decision.action, "review-rejected");
  EXPECT_EQ(decision.role, "reviewer");
  EXPECT_EQ(codeOf([&] { store.review(rex, draft.id, ReviewDecision::Approve, "now ok"); }),
            VaultErrorCode::WrongState);

  // A corrected version derives from the rejected one; the reviewer's own record cannot be
  // decided by themselves.
  RecordInfo next;
  next.parents = {draft.id.substr(0, 12)};
  next.state = "submitted";
  const SavedRecord second = store.save(ann, next, payload(2));
  EXPECT_EQ(RecordFile::readHeader(second.file).header["parents"], json::array({draft.id}));
  store.review(rex, second.id, ReviewDecision::Approve, "complete");
  const SavedRecord own = store.save(rex, RecordInfo{.state = "submitted"}, payload(3));
  EXPECT_EQ(codeOf([&] { store.review(rex, own.id, ReviewDecision::Approve, "ok"); }),
            VaultErrorCode::SelfReview);
  RecordInfo orphan;
  orphan.parents = {std::string(64, 'a')};
  EXPECT_EQ(codeOf([&] { store.save(ann, orphan, payload(4)); }), VaultErrorCode::UnknownRecord);

  const auto list = store.list();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].id, draft.id);
  EXPECT_EQ(list[0].status, "rejected");
  EXPECT_EQ(list[0].lastReviewer, "rex");
  EXPECT_EQ(list[0].lastReason, "misses the caudate lobe");
  EXPECT_EQ(list[1].status, "approved");
  EXPECT_EQ(list[2].status, "submitted");
  const VaultReport report = VaultVerifier::verify(vault);
  EXPECT_TRUE(report.ok()) << describe(report);
  EXPECT_EQ(report.records, 3u);
}

class RecordTamperTest : public RecordStoreTest {
 protected:
  void SetUp() override {
    RecordStoreTest::SetUp();
    Vault vault = Vault::open(folder, fastOptions());
    RecordStore store(vault);
    const UnlockedMember ann = vault.unlock("ann", "ann pass");
    first = store.save(ann, RecordInfo{.state = "submitted"}, payload(1));
    second = store.save(ann, RecordInfo{}, payload(2));
    ASSERT_TRUE(VaultVerifier::verify(vault).ok());
  }

  VaultReport verifyNow() {
    Vault vault = Vault::open(folder, fastOptions());
    return VaultVerifier::verify(vault);
  }

  SavedRecord first;
  SavedRecord second;
};

TEST_F(RecordTamperTest, ADeletedRecordIsNamedByItsEntry) {
  fs::remove(second.file);
  const VaultReport report = verifyNow();
  ASSERT_EQ(problemCodes(report), std::vector<std::string>{"RecordMissing"}) << describe(report);
  EXPECT_NE(report.problems[0].message.find(second.id), std::string::npos);
  EXPECT_NE(report.problems[0].where.find(std::to_string(second.entry.seq)), std::string::npos);
}

TEST_F(RecordTamperTest, ADroppedLogTailIsSeenFromTheRecord) {
  std::string log = readText(folder / "audit.log");
  std::size_t cut = 0;
  for (std::uint64_t line = 1; line < second.entry.seq; ++line) cut = log.find('\n', cut) + 1;
  writeText(folder / "audit.log", log.substr(0, cut));
  const VaultReport report = verifyNow();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.problems[0].code, "RecordNotInLog") << describe(report);
  EXPECT_NE(report.problems[0].where.find(second.id), std::string::npos);
}

TEST_F(RecordTamperTest, AnEditedEntryIsNamedByItsLine) {
  std::string log = readText(folder / "audit.log");
  const auto at = log.find("state submitted");
  ASSERT_NE(at, std::string::npos);
  log.replace(at, 15, "state draft    ");
  writeText(folder / "audit.log", log);
  const VaultReport report = verifyNow();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.problems[0].code, "HashMismatch") << describe(report);
  EXPECT_NE(report.problems[0].where.find("line " + std::to_string(first.entry.seq)),
            std::string::npos)
      << report.problems[0].where;
}

TEST_F(RecordTamperTest, SwappedHeadersAreRefused) {
  const std::string a = readText(first.file);
  const std::string b = readText(second.file);
  const RecordHeader ha = RecordFile::readHeader(first.file);
  const RecordHeader hb = RecordFile::readHeader(second.file);
  writeText(first.file, b.substr(0, hb.chunksOffset) + a.substr(ha.chunksOffset));
  const VaultReport report = verifyNow();
  ASSERT_FALSE(report.ok());
  // The file now carries the other record's header: its name no longer matches the digest.
  EXPECT_EQ(report.problems[0].code, "IdMismatch") << describe(report);
  EXPECT_NE(report.problems[0].where.find(first.id), std::string::npos);
}

TEST_F(RecordTamperTest, ARecordForgedByARemovedMemberIsRefused) {
  Vault vault = Vault::open(folder, fastOptions());
  RecordStore store(vault);
  const UnlockedMember ann = vault.unlock("ann", "ann pass");
  const UnlockedMember ada = vault.unlock("ada", "ada pass");
  vault.removeMember(ada, "ann");
  // Through the store: refused before anything is written or decrypted.
  EXPECT_EQ(codeOf([&] { store.save(ann, RecordInfo{}, payload(5)); }),
            VaultErrorCode::MemberRemoved);
  EXPECT_EQ(codeOf([&] { store.open(ann, first.id); }), VaultErrorCode::MemberRemoved);
  // By hand, with the keys ann still holds: the verification names the signer.
  const AuditHead head = vault.auditLog().head();
  const RecordInfo info = linkedInfo("ann", "annotator", head);
  const EncodedRecord forged = RecordFile::write(vault.recordsFolder(), info, payload(6),
                                                 ann.projectKey(), ann.signingSeed());
  const VaultReport report = VaultVerifier::verify(vault);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.problems[0].code, "UnknownSigner") << describe(report);
  EXPECT_NE(report.problems[0].message.find("not a member at audit entry"), std::string::npos);
  EXPECT_NE(report.problems[0].where.find(forged.id), std::string::npos);
  // ann's earlier records still verify.
  EXPECT_EQ(report.records, 2u);
}

TEST_F(RecordTamperTest, RemovalRotatesTheProjectKeySoTheRemovedMemberCannotReadNewRecords) {
  Vault vault = Vault::open(folder, fastOptions());
  RecordStore store(vault);
  const UnlockedMember ann = vault.unlock("ann", "ann pass");
  const crypto::SymmetricKey annKey = ann.projectKey();  // what ann could have kept
  const UnlockedMember ada = vault.unlock("ada", "ada pass");
  EXPECT_EQ(vault.membership().keyEpoch, 1u);
  vault.removeMember(ada, "ann");
  EXPECT_EQ(vault.membership().keyEpoch, 2u);
  EXPECT_FALSE(fs::exists(folder / "keys/ann.json"));
  const json rexKeys = json::parse(readText(folder / "keys/rex.json"));
  ASSERT_EQ(rexKeys["stanzas"].size(), 2u);
  const auto rotated = entriesWith(vault, "project-key-rotated");
  ASSERT_EQ(rotated.size(), 1u);
  EXPECT_EQ(rotated[0].targets, std::vector<std::string>{"epoch:2"});

  const UnlockedMember rex = vault.unlock("rex", "rex pass");
  EXPECT_NE(rex.projectKey(), annKey);
  const SavedRecord after = store.save(rex, RecordInfo{}, payload(8));
  // ann's old key does not open the new record; rex (epoch 2 and epoch 1) opens both.
  try {
    RecordFile::open(after.file, annKey, crypto::ed25519PublicKey(rex.signingSeed()), after.id);
    ADD_FAILURE() << "the old project key opened a record saved after the rotation";
  } catch (const RecordError& error) {
    EXPECT_EQ(error.code(), RecordErrorCode::KeyUnwrapFailed);
  }
  EXPECT_EQ(store.open(rex, after.id).plaintext, payload(8));
  EXPECT_EQ(store.open(rex, first.id).plaintext, payload(1));
  // A member added after the rotation reads records of both epochs.
  vault.addMember(ada, "nia", Role::Reviewer, "nia pass");
  const UnlockedMember nia = vault.unlock("nia", "nia pass");
  EXPECT_EQ(store.open(nia, first.id).plaintext, payload(1));
  EXPECT_EQ(store.open(nia, after.id).plaintext, payload(8));
  const VaultReport report = VaultVerifier::verify(vault);
  EXPECT_TRUE(report.ok()) << describe(report);
  EXPECT_EQ(report.records, 3u);
}

TEST_F(RecordTamperTest, ADecisionByAnAnnotatorWrittenIntoTheLogIsRefused) {
  Vault vault = Vault::open(folder, fastOptions());
  const UnlockedMember ann = vault.unlock("ann", "ann pass");
  // ann has write access to the files and signs an approval herself.
  vault.auditLog().append({"ann", "annotator", "review-approved", {first.id}, "looks fine"},
                          ann.signingSeed());
  VaultReport report = VaultVerifier::verify(vault);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(problemCodes(report), (std::vector<std::string>{"NotReviewer", "SelfReview"}))
      << describe(report);
  // Claiming the reviewer role in the entry does not help either.
  const UnlockedMember rex = vault.unlock("rex", "rex pass");
  (void)rex;
  vault.auditLog().append({"ann", "reviewer", "review-approved", {second.id}, "fine"},
                          ann.signingSeed());
  report = VaultVerifier::verify(vault);
  const auto codes = problemCodes(report);
  EXPECT_NE(std::find(codes.begin(), codes.end(), "RoleMismatch"), codes.end()) << describe(report);
}

TEST_F(RecordTamperTest, ARolledBackMembershipListIsCaughtByTheLog) {
  const std::string before = readText(folder / "membership.json");
  {
    Vault vault = Vault::open(folder, fastOptions());
    const UnlockedMember ada = vault.unlock("ada", "ada pass");
    vault.setRole(ada, "rex", Role::Annotator);
  }
  // The old list is validly signed by an admin, so open() accepts it; the log disagrees.
  writeText(folder / "membership.json", before);
  const VaultReport report = verifyNow();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.problems[0].code, "MembershipMismatch") << describe(report);
  EXPECT_NE(report.problems[0].message.find("rex"), std::string::npos);
}

TEST_F(RecordTamperTest, ASaveCutOffBeforeItsEntryIsRecoveredOnTheNextUnlock) {
  Vault vault = Vault::open(folder, fastOptions());
  const UnlockedMember ann = vault.unlock("ann", "ann pass");
  // What a crash between writing records/pending/ and the audit append leaves behind.
  const AuditHead head = vault.auditLog().head();
  const RecordInfo info = linkedInfo("ann", "annotator", head);
  const auto plaintext = payload(7);
  fs::path pendingFile;
  const EncodedRecord cut =
      RecordFile::write(PendingRecords::folder(vault.recordsFolder()), info, plaintext,
                        ann.projectKey(), ann.signingSeed(), {}, &pendingFile);
  VaultReport report = VaultVerifier::verify(vault);
  ASSERT_EQ(problemCodes(report), std::vector<std::string>{"UncommittedRecord"})
      << describe(report);

  Vault reopened = Vault::open(folder, fastOptions());
  const UnlockedMember rex = reopened.unlock("rex", "rex pass");
  EXPECT_FALSE(fs::exists(pendingFile));
  const auto recovered = entriesWith(reopened, "record-recovered");
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].seq, head.seq + 1);
  EXPECT_EQ(recovered[0].actor, "rex");
  EXPECT_EQ(recovered[0].targets.front(), cut.id);
  report = VaultVerifier::verify(reopened);
  EXPECT_TRUE(report.ok()) << describe(report);
  EXPECT_EQ(report.records, 3u);
  RecordStore store(reopened);
  EXPECT_EQ(store.open(rex, cut.id).plaintext, plaintext);
}

TEST_F(RecordTamperTest, ATornLineMovedAsideByAProcessThatStoppedIsLoggedByTheNextAppend) {
  const std::string partial = R"({"action":"record-decrypted","actor":"ann",)";
  {
    std::ofstream log(folder / "audit.log", std::ios::binary | std::ios::app);
    log << partial;
  }
  { Vault::open(folder, fastOptions()); }  // moves the line aside, then the process stops
  std::vector<std::string> tornFiles;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("audit.log.torn-")) tornFiles.push_back(name);
  }
  ASSERT_EQ(tornFiles.size(), 1u);
  EXPECT_EQ(readText(folder / tornFiles[0]), partial);
  Vault vault = Vault::open(folder, fastOptions());
  const UnlockedMember rex = vault.unlock("rex", "rex pass");
  const auto logged = entriesWith(vault, "torn-line-recovered");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].targets, std::vector<std::string>{tornFiles[0]});
  EXPECT_EQ(logged[0].actor, "rex");
  const VaultReport report = VaultVerifier::verify(vault);
  EXPECT_TRUE(report.ok()) << describe(report);
}

TEST_F(RecordTamperTest, APendingRecordNamingSomeoneElsesEntryIsNotCommitted) {
  Vault vault = Vault::open(folder, fastOptions());
  const UnlockedMember ann = vault.unlock("ann", "ann pass");
  // A record that claims entry 2 (an unlock), as if its own entry had been logged there.
  RecordInfo info = linkedInfo("ann", "annotator", {1, vault.auditLog().filter()[0].hash});
  fs::path pendingFile;
  RecordFile::write(PendingRecords::folder(vault.recordsFolder()), info, payload(9),
                    ann.projectKey(), ann.signingSeed(), {}, &pendingFile);
  const UnlockedMember rex = vault.unlock("rex", "rex pass");  // runs the recovery
  EXPECT_TRUE(fs::exists(pendingFile));
  EXPECT_TRUE(entriesWith(vault, "record-recovered").empty());
  const VaultReport report = VaultVerifier::verify(vault);
  EXPECT_EQ(problemCodes(report), std::vector<std::string>{"UncommittedRecord"})
      << describe(report);
}

}  // namespace
}  // namespace annotrace::records
