// The audit trail (module/Logic/Records/AuditLog): the line format and chain values recomputed
// here from the documented bytes, every kind of tampering named with its own reason at the
// right line, torn-line recovery byte for byte, dropped tails through verifyHead. Several
// processes at once and processes killed mid-append: AuditLogProcessTest.cxx.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "AuditLogTestSupport.h"
#include "Records/AuditLog.h"
#include "Records/CryptoPrimitives.h"
#include "TestData.h"

namespace annotrace::records {
namespace {

// --- Format and chain ------------------------------------------------------------------------

TEST_F(AuditLogTest, FirstEntriesMatchTheDocumentedBytes) {
  AuditLog log = AuditLog::create(dir.path(), steppingClock());
  const AuditEntry first =
      log.append(event("alice", "vault-created", {"vault-1"}, "initial setup"), kSeeds.at("alice"));
  const AuditEntry second =
      log.append(event("carol", "record-created", {"rec-a", "case-7"}, ""), kSeeds.at("carol"));

  // The hash input, written out by hand from Docs/Vault.md: sorted keys, no whitespace, prev
  // of the first entry = 64 zeros.
  const std::string zeros(64, '0');
  const std::string input1 =
      R"({"action":"vault-created","actor":"alice","prev":")" + zeros +
      R"(","reason":"initial setup","role":"admin","seq":1,"targets":["vault-1"],)"
      R"("utc":"2024-05-01T10:00:00.000Z"})";
  writeText(dir.path() / "input1", input1);
  const std::string hash1 = pythonSha256(dir.path() / "input1");
  ASSERT_EQ(hash1.size(), 64u) << hash1;
  EXPECT_EQ(hash1, sha256Hex(input1));
  EXPECT_EQ(first.seq, 1u);
  EXPECT_EQ(first.prev, zeros);
  EXPECT_EQ(first.utc, "2024-05-01T10:00:00.000Z");
  EXPECT_EQ(first.hash, hash1);
  EXPECT_EQ(AuditLog::hashInput(first), input1);

  const std::string input2 = R"({"action":"record-created","actor":"carol","prev":")" + hash1 +
                             R"(","reason":"","role":"annotator","seq":2,)"
                             R"("targets":["rec-a","case-7"],"utc":"2024-05-01T10:00:01.000Z"})";
  const std::string hash2 = sha256Hex(input2);
  EXPECT_EQ(second.seq, 2u);
  EXPECT_EQ(second.prev, hash1);
  EXPECT_EQ(second.hash, hash2);

  // sig = Ed25519 over the 32 raw bytes of the hash, by the actor's key.
  const auto raw1 = crypto::fromHex(hash1).value();
  const std::string sig1 = crypto::base64Encode(crypto::ed25519Sign(kSeeds.at("alice"), raw1));
  EXPECT_EQ(first.sig, sig1);
  EXPECT_TRUE(crypto::ed25519Verify(members("alice", 1).value(), raw1,
                                    crypto::base64Decode(first.sig).value()));
  EXPECT_FALSE(crypto::ed25519Verify(members("bob", 1).value(), raw1,
                                     crypto::base64Decode(first.sig).value()));

  // The line on disk: the same object with "hash" and "sig" in their sorted places.
  const std::string line1 = R"({"action":"vault-created","actor":"alice","hash":")" + hash1 +
                            R"(","prev":")" + zeros +
                            R"(","reason":"initial setup","role":"admin","seq":1,"sig":")" + sig1 +
                            R"(","targets":["vault-1"],"utc":"2024-05-01T10:00:00.000Z"})";
  const std::vector<std::string> lines = readLines(logPath());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], line1);
  EXPECT_TRUE(readText(logPath()).ends_with("\n"));
}

TEST_F(AuditLogTest, AppendReopenHeadVerifyAndFilter) {
  std::vector<AuditEntry> written;
  {
    AuditLog log = AuditLog::create(dir.path(), steppingClock());
    EXPECT_EQ(log.head(), (AuditHead{0, AuditLog::kGenesisHash}));
    EXPECT_TRUE(log.verify(members).ok());
    written.push_back(log.append(event("alice", "vault-created", {"vault-1"}), kSeeds.at("alice")));
    written.push_back(log.append(event("carol", "record-created", {"rec-1", "case-1"}, "first"),
                                 kSeeds.at("carol")));
    written.push_back(
        log.append(event("bob", "review-approved", {"rec-1"}, "looks right"), kSeeds.at("bob")));
    written.push_back(log.append(event("carol", "record-created", {"rec-2", "case-2"}, "second"),
                                 kSeeds.at("carol")));
  }
  const AuditLog log = AuditLog::open(dir.path());
  EXPECT_TRUE(log.recovered().empty());
  EXPECT_EQ(log.head(), (AuditHead{4, written.back().hash}));
  const AuditVerifyResult result = log.verify(members);
  ASSERT_TRUE(result.ok()) << result.problem->message;
  EXPECT_EQ(result.entries, 4u);
  EXPECT_EQ(result.head, (AuditHead{4, written.back().hash}));
  for (std::size_t i = 1; i < written.size(); ++i) EXPECT_EQ(written[i].prev, written[i - 1].hash);

  const std::vector<AuditEntry> all = log.filter();
  ASSERT_EQ(all.size(), 4u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, i + 1);
    EXPECT_EQ(all[i].hash, written[i].hash);
    EXPECT_EQ(all[i].sig, written[i].sig);
    EXPECT_EQ(all[i].targets, written[i].targets);
    EXPECT_EQ(all[i].reason, written[i].reason);
  }
  auto seqs = [](const std::vector<AuditEntry>& entries) {
    std::vector<std::uint64_t> out;
    for (const auto& e : entries) out.push_back(e.seq);
    return out;
  };
  EXPECT_EQ(seqs(log.filter({.actor = "carol"})), (std::vector<std::uint64_t>{2, 4}));
  EXPECT_EQ(seqs(log.filter({.action = "review-approved"})), (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(seqs(log.filter({.target = "rec-1"})), (std::vector<std::uint64_t>{2, 3}));
  EXPECT_EQ(seqs(log.filter(
                {.fromUtc = "2024-05-01T10:00:01.000Z", .beforeUtc = "2024-05-01T10:00:03.000Z"})),
            (std::vector<std::uint64_t>{2, 3}));
  EXPECT_EQ(seqs(log.filter({.actor = "carol", .target = "case-2"})),
            (std::vector<std::uint64_t>{4}));
  EXPECT_TRUE(log.filter({.fromUtc = "2024-05-02"}).empty());
}

TEST_F(AuditLogTest, RefusesBadEventsMissingLogAndSecondCreate) {
  EXPECT_THROW(
      {
        try {
          AuditLog::open(dir.path());
        } catch (const AuditError& error) {
          EXPECT_EQ(error.code(), AuditErrorCode::Io);
          EXPECT_NE(std::string(error.what()).find("no audit log"), std::string::npos);
          throw;
        }
      },
      AuditError);
  AuditLog log = AuditLog::create(dir.path());
  try {
    AuditLog::create(dir.path());
    ADD_FAILURE() << "second create accepted";
  } catch (const AuditError& error) {
    EXPECT_EQ(error.code(), AuditErrorCode::AlreadyExists);
  }
  auto refused = [&](AuditEvent bad) {
    try {
      log.append(bad, kSeeds.at("alice"));
      return AuditErrorCode::Io;
    } catch (const AuditError& error) {
      return error.code();
    }
  };
  EXPECT_EQ(refused({"", "admin", "x", {}, ""}), AuditErrorCode::InvalidEvent);
  EXPECT_EQ(refused({"alice", "owner", "x", {}, ""}), AuditErrorCode::InvalidEvent);
  EXPECT_EQ(refused({"alice", "admin", "", {}, ""}), AuditErrorCode::InvalidEvent);
  EXPECT_EQ(refused({"alice", "admin", "x", {"\xff\xfe"}, ""}), AuditErrorCode::InvalidEvent);
  EXPECT_EQ(readText(logPath()), "");  // nothing half-written
  EXPECT_EQ(log.head().seq, 0u);
}

// --- Tampering -------------------------------------------------------------------------------

TEST_F(AuditLogTest, EditedMiddleFieldIsHashMismatch) {
  const AuditLog log = makeLog(6);
  ASSERT_TRUE(log.verify(members).ok());
  auto lines = readLines(logPath());
  const std::string before = lines[2];
  lines[2].replace(lines[2].find("rec-3"), 5, "rec-9");
  ASSERT_NE(lines[2], before);
  writeLines(logPath(), lines);
  expectFirstBad(log, AuditErrorCode::HashMismatch, 3, 3);
}

TEST_F(AuditLogTest, RecomputedHashWithoutSignatureIsBadSignature) {
  const AuditLog log = makeLog(6);
  auto lines = readLines(logPath());
  lines[2] = rehashed(lines[2], [](json& v) { v["reason"] = "nothing to see"; });
  writeLines(logPath(), lines);
  expectFirstBad(log, AuditErrorCode::BadSignature, 3, 3);
}

TEST_F(AuditLogTest, DeletedMiddleLineIsSeqGap) {
  const AuditLog log = makeLog(6);
  auto lines = readLines(logPath());
  lines.erase(lines.begin() + 2);
  writeLines(logPath(), lines);
  expectFirstBad(log, AuditErrorCode::SeqGap, 3, 4);
}

TEST_F(AuditLogTest, DeletedLineWithRenumberedSeqIsBrokenChain) {
  const AuditLog log = makeLog(6);
  auto lines = readLines(logPath());
  lines.erase(lines.begin() + 2);
  for (std::size_t i = 2; i < lines.size(); ++i) {
    lines[i] = rehashed(lines[i], [&](json& v) { v["seq"] = i + 1; });
  }
  writeLines(logPath(), lines);
  expectFirstBad(log, AuditErrorCode::BrokenChain, 3, 3);
}

TEST_F(AuditLogTest, SwappedLinesAreSeqGap) {
  const AuditLog log = makeLog(6);
  auto lines = readLines(logPath());
  std::swap(lines[3], lines[4]);
  writeLines(logPath(), lines);
  expectFirstBad(log, AuditErrorCode::SeqGap, 4, 5);
}

TEST_F(AuditLogTest, ActorChangedToAnotherMemberIsBadSignature) {
  const AuditLog log = makeLog(6);  // line 4 is alice's
  auto lines = readLines(logPath());
  ASSERT_EQ(json::parse(lines[3])["actor"], "alice");
  lines[3] = rehashed(lines[3], [](json& v) { v["actor"] = "bob"; });
  writeLines(logPath(), lines);
  expectFirstBad(log, AuditErrorCode::BadSignature, 4, 4);
}

TEST_F(AuditLogTest, ActorChangedToUnknownIdIsUnknownActor) {
  const AuditLog log = makeLog(6);
  auto lines = readLines(logPath());
  lines[3] = rehashed(lines[3], [](json& v) { v["actor"] = "mallory"; });
  writeLines(logPath(), lines);
  expectFirstBad(log, AuditErrorCode::UnknownActor, 4, 4);
}

TEST_F(AuditLogTest, RemovedMemberIsUnknownFromTheirRemoval) {
  const AuditLog log = makeLog(6);  // bob signs seq 2 and 5
  auto bobRemovedAt4 = [](const std::string& actor,
                          std::uint64_t seq) -> std::optional<crypto::Ed25519PublicKey> {
    if (actor == "bob" && seq >= 4) return std::nullopt;
    return members(actor, seq);
  };
  const AuditVerifyResult result = log.verify(bobRemovedAt4);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.problem->code, AuditErrorCode::UnknownActor);
  EXPECT_EQ(result.problem->line, 5u);
}

TEST_F(AuditLogTest, ReformattedOrGarbledLinesAreNamed) {
  const AuditLog log = makeLog(5);
  const auto original = readLines(logPath());

  auto lines = original;
  lines[1].insert(1, " ");  // same content, one space: still JSON, no longer canonical
  writeLines(logPath(), lines);
  expectFirstBad(log, AuditErrorCode::NotCanonical, 2, 2);

  lines = original;
  lines[2] = lines[2].substr(0, 40);
  writeLines(logPath(), lines);
  expectFirstBad(log, AuditErrorCode::BadJson, 3, std::nullopt);

  lines = original;
  lines[1] = rehashed(lines[1], [](json& v) { v["role"] = "owner"; });
  writeLines(logPath(), lines);
  expectFirstBad(log, AuditErrorCode::MalformedEntry, 2, 2);

  lines = original;
  lines[3] = rehashed(lines[3], [](json& v) { v["prev"] = std::string(64, 'a'); });
  writeLines(logPath(), lines);
  expectFirstBad(log, AuditErrorCode::BrokenChain, 4, 4);

  // An unrecovered torn tail: verify names it, open would recover it.
  writeLines(logPath(), original);
  writeText(logPath(), readText(logPath()) + original[0].substr(0, 30));
  expectFirstBad(log, AuditErrorCode::TornLine, 6, std::nullopt);
}

// --- Torn last line --------------------------------------------------------------------------

TEST_F(AuditLogTest, TornLastLineIsKeptAsideAndAppendingContinues) {
  makeLog(3);
  const std::string complete = readText(logPath());
  // A crash mid-append: the start of a fourth line, no newline.
  AuditEntry fake{4,          "2024-05-01T10:00:03.000Z", "bob",
                  "reviewer", "review-rejected",          {"rec-2"},
                  "",         std::string(64, '1'),       std::string(64, '2'),
                  "AAAA"};
  const std::string full = AuditLog::line(fake);
  const std::string partial = full.substr(0, full.size() / 2);
  writeText(logPath(), complete + partial);

  AuditLog log = AuditLog::open(dir.path(), steppingClock());
  ASSERT_EQ(log.recovered().size(), 1u);
  const TornLine& torn = log.recovered()[0];
  EXPECT_EQ(torn.bytes, partial.size());
  EXPECT_EQ(torn.after.seq, 3u);
  EXPECT_EQ(torn.savedTo.parent_path(), dir.path());
  EXPECT_EQ(torn.savedTo.filename(), "audit.log.torn-20240501T100000000Z");
  EXPECT_EQ(readText(torn.savedTo), partial);  // exact bytes
  EXPECT_EQ(readText(logPath()), complete);    // cut back to the last complete line
  const AuditVerifyResult before = log.verify(members);
  ASSERT_TRUE(before.ok()) << before.problem->message;
  EXPECT_EQ(before.entries, 3u);

  const AuditEntry note =
      log.append(AuditLog::tornLineEvent(torn, "alice", "admin"), kSeeds.at("alice"));
  EXPECT_EQ(note.seq, 4u);
  EXPECT_EQ(note.prev, torn.after.hash);
  EXPECT_EQ(note.action, "torn-line-recovered");
  EXPECT_EQ(note.targets, std::vector<std::string>{"audit.log.torn-20240501T100000000Z"});
  const AuditVerifyResult after = log.verify(members);
  ASSERT_TRUE(after.ok()) << after.problem->message;
  EXPECT_EQ(after.entries, 4u);
}

TEST_F(AuditLogTest, WholeLastLineThatIsNotJsonIsTorn) {
  makeLog(2);
  const std::string complete = readText(logPath());
  const std::string zeros("\0\0\0\0\0\0\n", 7);  // a file system's zero-filled tail
  writeText(logPath(), complete + zeros);
  const AuditLog log = AuditLog::open(dir.path());
  ASSERT_EQ(log.recovered().size(), 1u);
  EXPECT_EQ(readText(log.recovered()[0].savedTo), zeros);
  EXPECT_EQ(readText(logPath()), complete);
  EXPECT_TRUE(log.verify(members).ok());
}

TEST_F(AuditLogTest, AppendRecoversATornLineLeftByAnotherProcess) {
  AuditLog log = makeLog(3);
  const std::string partial = R"({"action":"record-crea)";
  writeText(logPath(), readText(logPath()) + partial);
  const AuditEntry entry = log.append(event("carol", "record-created"), kSeeds.at("carol"));
  EXPECT_EQ(entry.seq, 4u);
  ASSERT_EQ(log.recovered().size(), 1u);
  EXPECT_EQ(readText(log.recovered()[0].savedTo), partial);
  EXPECT_TRUE(log.verify(members).ok());
}

TEST_F(AuditLogTest, DamagedMiddleLineIsNeverRepaired) {
  makeLog(4);
  auto lines = readLines(logPath());
  lines[1] = lines[1].substr(0, 25);  // not JSON, but not the last line
  writeLines(logPath(), lines);
  const std::string damaged = readText(logPath());
  const AuditLog log = AuditLog::open(dir.path());
  EXPECT_TRUE(log.recovered().empty());
  EXPECT_EQ(readText(logPath()), damaged);
  EXPECT_TRUE(tornFiles().empty());
  expectFirstBad(log, AuditErrorCode::BadJson, 2, std::nullopt);
}

// --- Dropped tail ----------------------------------------------------------------------------

TEST_F(AuditLogTest, VerifyHeadDetectsDroppedOrRewrittenTail) {
  AuditLog log = makeLog(5);
  const AuditHead remembered = log.head();  // what a record would store
  ASSERT_EQ(remembered.seq, 5u);
  EXPECT_TRUE(log.verifyHead(remembered.seq, remembered.hash).ok());
  EXPECT_TRUE(log.verifyHead(0, AuditLog::kGenesisHash).ok());

  // Drop the last two lines: the rest is a valid chain on its own.
  auto lines = readLines(logPath());
  lines.resize(3);
  writeLines(logPath(), lines);
  EXPECT_TRUE(log.verify(members).ok()) << "the log alone cannot show a dropped tail";
  AuditVerifyResult result = log.verifyHead(remembered.seq, remembered.hash);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.problem->code, AuditErrorCode::HeadMissing);

  // Re-grow two other, validly signed entries: seq 5 exists again, with another hash.
  log.append(event("alice", "member-removed", {"bob"}), kSeeds.at("alice"));
  log.append(event("alice", "export", {"rec-1"}), kSeeds.at("alice"));
  EXPECT_TRUE(log.verify(members).ok());
  result = log.verifyHead(remembered.seq, remembered.hash);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.problem->code, AuditErrorCode::HeadMismatch);
  EXPECT_EQ(result.problem->line, 5u);
}

}  // namespace
}  // namespace annotrace::records
