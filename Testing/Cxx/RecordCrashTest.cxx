// Crash safety and concurrency of record saves in a vault (module/Logic/Records: RecordStore,
// PendingRecords, VaultVerifier; issue 7).
//
//   CrashHarnessKillsWritersAndEverySaveSurvives: the crash harness (RecordCrashHarness.h) kills
//   a writer child with SIGKILL at random moments and checks after each kill that the vault
//   recovers, verifies and holds every reported save (nothing lost, nothing extra).
//   ANNOTRACE_CRASH_ITERATIONS sets the number of kills (default 200; long mode: thousands,
//   scripts/run-crash-harness.sh), ANNOTRACE_CRASH_SEED the seed (default 20240507).
//
//   TwoWriterProcesses: two processes, each with its own member, save at the same time into
//   one vault; every save is there once, in each writer's order, with consecutive entries.
//   ANNOTRACE_CONCURRENT_SAVES sets the saves per writer (default 500).
//
// Also two regression tests for what the harness found: TornRecordCreatedLineWithPending-
// RecordIsRecovered (fixed in 77086fb) and PayloadRunsMeetingAcrossARowEndDecode (59e3f2f).
// The vault, payloads and child-process plumbing they share are in RecordCrashSupport.h.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "RecordCrashHarness.h"
#include "RecordCrashSupport.h"
#include "Records/AuditLog.h"
#include "Records/PendingRecords.h"
#include "Records/RecordFile.h"
#include "Records/RecordStore.h"
#include "Records/SegmentationPayload.h"
#include "Records/Vault.h"
#include "Records/VaultVerifier.h"
#include "Segmentation/Segmentation.h"
#include "TestData.h"

namespace annotrace::records {
namespace {

using namespace crashtest;
using test::TempDir;

// --- The crash harness ------------------------------------------------------------------------

TEST(RecordCrashTest, CrashHarnessKillsWritersAndEverySaveSurvives) {
  const long iterations = envNumber("ANNOTRACE_CRASH_ITERATIONS", 200);
  const auto seed = static_cast<std::uint32_t>(envNumber("ANNOTRACE_CRASH_SEED", 20240507));
  std::cout << "[ crashes  ] " << iterations << " iterations, seed " << seed
            << " (ANNOTRACE_CRASH_ITERATIONS, ANNOTRACE_CRASH_SEED)" << std::endl;
  TempDir temp;
  CrashHarness harness(temp.path(), seed);
  harness.run(static_cast<int>(iterations));
}

// --- Two writers at once ----------------------------------------------------------------------

TEST(RecordCrashTest, TwoWriterProcessesSaveConcurrentlyAndLoseNothing) {
  const long each = envNumber("ANNOTRACE_CONCURRENT_SAVES", 500);
  TempDir temp;
  const fs::path folder = temp.path() / "vault";
  makeVault(folder);

  const std::vector<std::string> writers = {kAnnotator, kReviewer};
  std::vector<Child> children;
  const auto start = SteadyClock::now();
  for (std::size_t w = 0; w < writers.size(); ++w) {
    const std::string member = writers[w];
    children.push_back(spawn([&, member, w](int fd) {
      Vault vault = Vault::open(folder, fastOptions());
      const UnlockedMember me = vault.unlock(member, passphraseOf(member));
      RecordStore store(vault);
      for (long counter = 0; counter < each; ++counter) {
        const auto payload = makePayload(1000000 * (w + 1), static_cast<std::uint64_t>(counter));
        RecordInfo info;
        info.source = sourceOf(1000000 * (w + 1));
        const SavedRecord saved = store.save(me, info, payload);
        sendLine(fd, std::to_string(counter) + " " + saved.id + " " + sha256Hex(payload) + " " +
                         std::to_string(saved.entry.seq));
      }
    }));
    ASSERT_GT(children.back().pid, 0) << "fork failed";
  }
  // Both pipes at once: 500 lines are more than a pipe holds.
  std::vector<std::vector<std::string>> lines(children.size());
  std::vector<std::string> buffers(children.size());
  std::vector<bool> open(children.size(), true);
  while (std::find(open.begin(), open.end(), true) != open.end()) {
    for (std::size_t c = 0; c < children.size(); ++c) {
      if (open[c]) open[c] = readLines(children[c].fd, buffers[c], lines[c], 50);
    }
    if (secondsSince(start) > 400) {  // a writer is stuck (the lock?): fail, do not hang
      for (const Child& child : children) ::kill(child.pid, SIGKILL);
      ADD_FAILURE() << "the writers did not finish in 400 s: " << lines[0].size() << " and "
                    << lines[1].size() << " saves reported";
      break;
    }
  }
  for (const Child& child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child.pid, &status, 0), child.pid);
    ::close(child.fd);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "a writer failed (its message is above), status " << status;
  }
  const double seconds = secondsSince(start);
  const std::size_t total = static_cast<std::size_t>(2 * each);
  std::cout << "[ timing   ] " << total << " saves by 2 processes at once in " << seconds
            << " s: " << total / seconds << " saves/s" << std::endl;

  // What each writer says it committed, in its order.
  struct Saved {
    std::string writer;
    long counter = 0;
    std::string sha;
    std::uint64_t seq = 0;
  };
  std::map<std::string, Saved> saved;
  for (std::size_t c = 0; c < children.size(); ++c) {
    ASSERT_EQ(lines[c].size(), static_cast<std::size_t>(each)) << writers[c] << " reported";
    EXPECT_TRUE(buffers[c].empty());
    for (long i = 0; i < each; ++i) {
      const auto w = words(lines[c][static_cast<std::size_t>(i)]);
      ASSERT_EQ(w.size(), 4u);
      ASSERT_EQ(std::stol(w[0]), i);
      EXPECT_TRUE(saved.emplace(w[1], Saved{writers[c], i, w[2], std::stoull(w[3])}).second)
          << "record id reported twice: " << w[1];
    }
  }
  ASSERT_EQ(saved.size(), total);

  Vault vault = Vault::open(folder, fastOptions());
  EXPECT_TRUE(vault.auditLog().recovered().empty()) << "a torn line after clean saves";
  const VaultReport report = VaultVerifier::verify(vault);
  ASSERT_TRUE(report.ok()) << describe(report);
  EXPECT_EQ(report.records, total);

  // The log: consecutive seqs, exactly one record-created per save, by its writer, at the seq
  // the save returned, each writer's in its order; nothing recovered (nobody crashed).
  const std::vector<AuditEntry> entries = vault.auditLog().filter();
  for (std::size_t i = 0; i < entries.size(); ++i) ASSERT_EQ(entries[i].seq, i + 1);
  EXPECT_EQ(entries.size(), 6 + total) << "vault-created, unlock-ok of the admin, 2 "
                                          "member-added, unlock-ok of each writer, the saves";
  std::map<std::string, long> lastCounter;
  std::set<std::string> created;
  for (const AuditEntry& entry : entries) {
    EXPECT_NE(entry.action, PendingRecords::kRecoveredAction);
    EXPECT_NE(entry.action, AuditLog::kTornAction);
    if (entry.action != RecordStore::kCreated) continue;
    ASSERT_FALSE(entry.targets.empty());
    const auto it = saved.find(entry.targets[0]);
    ASSERT_NE(it, saved.end()) << "a record-created entry no writer reported: " << entry.seq;
    EXPECT_EQ(entry.actor, it->second.writer);
    EXPECT_EQ(entry.seq, it->second.seq);
    EXPECT_TRUE(created.insert(entry.targets[0]).second) << "created twice: " << entry.seq;
    const auto last = lastCounter.find(entry.actor);
    EXPECT_EQ(it->second.counter, last == lastCounter.end() ? 0 : last->second + 1)
        << "writer " << entry.actor << "'s saves are out of order in the log";
    lastCounter[entry.actor] = it->second.counter;
  }
  EXPECT_EQ(created.size(), total);
  EXPECT_EQ(countAction(entries, RecordStore::kCreated), total);

  // records/: exactly the saves, each holding its writer's payload; nothing left pending.
  const std::set<std::string> files = recordFiles(vault.recordsFolder());
  EXPECT_EQ(files.size(), total);
  EXPECT_TRUE(PendingRecords::list(vault.recordsFolder()).empty());
  EXPECT_TRUE(lookAt(folder).temporaries.empty());
  const UnlockedMember admin = vault.unlock(kAdmin, passphraseOf(kAdmin));
  RecordStore store(vault);
  std::size_t opened = 0;
  for (const auto& [id, s] : saved) {
    ASSERT_TRUE(files.count(id)) << "record " << id << " by " << s.writer << " is lost";
    // The plaintext digest its author signed in the header (the verification above checked
    // the signature) for every record; every tenth is decrypted as a user would open it.
    const RecordHeader header = RecordFile::readHeader(store.fileOf(id));
    EXPECT_EQ(header.header.value("author", std::string()), s.writer) << id;
    EXPECT_EQ(header.header["payload"].value("plaintext_sha256", std::string()), s.sha) << id;
    if (opened++ % 10 == 0) {
      EXPECT_EQ(sha256Hex(store.open(admin, id).plaintext), s.sha) << id;
    }
  }
  const VaultReport final = VaultVerifier::verify(vault);
  EXPECT_TRUE(final.ok()) << describe(final);
}

// --- A torn "record-created" line with its record in pending/ -------------------------------
//
// A crash inside the write() of a save's own "record-created" line leaves the record in
// records/pending/ (naming entry n + 1 and head n) and a torn line after entry n. Until 77086fb,
// Vault::recoverInterrupted logged the torn line first (as entry n + 1), then
// PendingRecords::recover saw a record naming an entry <= the head, took it as logged and
// renamed it into records/: the vault failed verification for ever (RecordEntryMismatch, "the
// log was rewritten"). Found with this harness; now pending records are recovered first, so
// the record's "record-recovered" takes entry n + 1 and the torn-line note follows it.
TEST(RecordCrashTest, TornRecordCreatedLineWithPendingRecordIsRecovered) {
  TempDir temp;
  const fs::path folder = temp.path() / "vault";
  makeVault(folder);
  std::string id;
  std::uint64_t seq = 0;  // the entry the record names
  {
    Vault vault = Vault::open(folder, fastOptions());
    const UnlockedMember annotator = vault.unlock(kAnnotator, passphraseOf(kAnnotator));
    RecordStore store(vault);
    store.save(annotator, RecordInfo{.source = sourceOf(1)}, makePayload(1, 0));
    // A real save, then put back as it stood when the crash tore its "record-created" line:
    // the record in records/pending/ (naming entry n + 1 and head n), the log cut inside the
    // line of entry n + 1.
    const SavedRecord saved =
        store.save(annotator, RecordInfo{.source = sourceOf(1)}, makePayload(1, 1));
    id = saved.id;
    seq = saved.entry.seq;
    fs::rename(saved.file, PendingRecords::folder(vault.recordsFolder()) / saved.file.filename());
    const fs::path log = folder / AuditLog::kLogName;
    const std::string text = readText(log);
    const std::string line = AuditLog::line(saved.entry);
    ASSERT_TRUE(text.ends_with(line));
    fs::resize_file(log, text.size() - line.size() / 2);
  }
  // The next session: open and unlock (recovery).
  Vault vault = Vault::open(folder, fastOptions());
  const UnlockedMember reviewer = vault.unlock(kReviewer, passphraseOf(kReviewer));
  const std::vector<AuditEntry> entries = vault.auditLog().filter();
  EXPECT_TRUE(PendingRecords::list(vault.recordsFolder()).empty());
  const VaultReport report = VaultVerifier::verify(vault);
  EXPECT_TRUE(report.ok()) << describe(report);
  EXPECT_TRUE(fs::exists(RecordStore(vault).fileOf(id)));
  EXPECT_EQ(countAction(entries, PendingRecords::kRecoveredAction), 1u)
      << "the interrupted save should be committed with a \"record-recovered\" entry";
  EXPECT_EQ(countAction(entries, AuditLog::kTornAction), 1u);
  ASSERT_GT(entries.size(), seq);
  EXPECT_EQ(entries[seq - 1].action, PendingRecords::kRecoveredAction);
  EXPECT_EQ(entries[seq - 1].targets, std::vector<std::string>{id});
  EXPECT_EQ(entries[seq].action, AuditLog::kTornAction);
  // And the record opens to what was saved.
  EXPECT_EQ(sha256Hex(RecordStore(vault).open(reviewer, id).plaintext),
            sha256Hex(makePayload(1, 1)));
}

// --- Payload runs meeting across a row end ---------------------------------------------------
//
// Runs are encoded as (gap, length) along the linear index and never cross the end of a row.
// A run ending at the last column of a row followed by one starting at column 0 of the next
// row (or of the next slice) has gap 0. Until 59e3f2f decodeRuns refused any gap of 0 after
// the first run ("two runs touch"), so such a record saved, verified and opened, but its labels
// could not be loaded (two consecutive full rows were enough). Found by the crash harness in
// long mode (2000 kills).
TEST(RecordCrashTest, PayloadRunsMeetingAcrossARowEndDecode) {
  ImageGeometry geometry;
  geometry.size = {24, 20, 6};
  struct Case {
    const char* what;
    std::vector<std::array<std::size_t, 4>> runs;  // i, j, k, length
  };
  const std::vector<Case> cases = {
      {"a run to the end of row 0, one from the start of row 1", {{20, 0, 0, 4}, {0, 1, 0, 2}}},
      {"two full rows", {{0, 3, 2, 24}, {0, 4, 2, 24}}},
      {"the end of slice 0's last row, the start of slice 1", {{10, 19, 0, 14}, {0, 0, 1, 3}}},
  };
  for (const Case& c : cases) {
    Segmentation segmentation(geometry);
    Segment segment;
    segment.name = "Body";
    const SegmentId id = segmentation.addSegment(segment).id;
    for (const auto& [i, j, k, length] : c.runs) segmentation.mask(id).setRun(i, j, k, length);
    const std::vector<std::uint8_t> bytes = SegmentationPayload::encode(segmentation);
    try {
      const LabelmapBundle decoded = SegmentationPayload::decode(bytes);
      EXPECT_TRUE(decoded.segmentation == segmentation) << c.what;
    } catch (const std::exception& error) {
      ADD_FAILURE() << c.what << ": encode wrote what decode refuses: " << error.what();
    }
  }
}

}  // namespace
}  // namespace annotrace::records
