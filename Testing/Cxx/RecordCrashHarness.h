#pragma once

// The crash harness of record saves (issue 7; run by RecordCrashTest.CrashHarnessKillsWriters-
// AndEverySaveSurvives).
//
// A child process saves real segmentation records (and submits and reviews some) and reports
// every save that returned, with the SHA-256 of its plaintext, through a pipe; the parent kills
// it with SIGKILL after a random delay, looks at what the kill left (a temporary file, a record
// in records/pending/ before or after its audit entry, a record linked but its pending copy not
// removed, a torn last audit line), then opens the vault, unlocks a member (which finishes or
// recovers what the kill left), requires the full vault verification to pass and every
// reported record to open to the same plaintext, and every record file to be a reported save or
// the one save in flight (nothing lost, nothing extra).
//
// There is no test hook inside the save, so where a kill lands is random; the harness
// classifies each kill afterwards from the files and prints how many landed in each phase.
// Failures are reported as GoogleTest failures of the running test.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "RecordCrashSupport.h"
#include "Records/AuditLog.h"
#include "Records/Vault.h"

namespace annotrace::records::crashtest {

/// Kills writer children in vaults made under `root` (a fresh vault every 100 kills), checks
/// each recovery and prints what it saw as "[ crashes  ]" lines.
class CrashHarness {
 public:
  CrashHarness(fs::path root, std::uint32_t seed) : root_(std::move(root)), random_(seed) {}

  /// `iterations` kills; ANNOTRACE_CRASH_TORN_WITH_PENDING=0 plants torn lines only when no
  /// save is in flight.
  void run(int iterations);

 private:
  struct Reported {
    std::string sha;
    std::uint64_t stream = 0;
    std::uint64_t counter = 0;
    std::string author;
  };
  struct InFlight {  ///< the save that may have been in progress when a child was killed
    std::uint64_t stream = 0;
    std::uint64_t counter = 0;
    std::optional<std::string> pendingId;
    Phase phase = Phase::Elsewhere;
  };

  void startVault();
  void oneIteration(int iteration, bool last);
  void recoverAndCheck(int iteration);
  void finishVault();

  fs::path root_;
  std::mt19937 random_;
  int vaults_ = 0;
  fs::path folder_;

  // Unlocked once per vault and inherited by children that do not unlock themselves (scrypt
  // costs ~0.1 s per key: unlocking in every child would dominate the run).
  std::optional<Vault> parentVault_;
  std::optional<UnlockedMember> annotator_;
  std::optional<UnlockedMember> reviewer_;

  // Per vault.
  std::map<std::string, Reported> reported_;
  std::set<std::string> knownFiles_;  ///< record files at the last check
  std::vector<std::string> unchecked_;
  std::vector<InFlight> inFlight_;
  std::set<std::string> submitted_;
  std::map<std::string, std::string> reviewed_;
  std::set<std::string> injected_;  ///< torn prefixes planted
  std::set<std::string> temporariesSeen_;
  std::set<std::string> filesAtLastLook_;  ///< record files after the last kill or check
  AuditHead lastHead_{0, AuditLog::kGenesisHash};
  std::uint64_t sinceCheck_ = 0;  ///< kills since the last check

  // Totals.
  std::map<Phase, int> phases_;
  int kills_ = 0;
  int earlyKills_ = 0;
  int deferredChecks_ = 0;
  int childRecoveries_ = 0;  ///< recoveries run by a child (after a deferred check)
  int naturalTorn_ = 0;
  int injectedTorn_ = 0;
  int injectedTornWithPending_ = 0;
  std::size_t recordsCommitted_ = 0;
  std::size_t unreportedCommitted_ = 0;
  std::size_t recordRecoveredEntries_ = 0;
  std::size_t tornRecoveredEntries_ = 0;
  std::size_t tornFiles_ = 0;
  std::size_t unloggedTornFiles_ = 0;
  std::size_t duplicateTornFiles_ = 0;
  std::size_t leftoverTemporaries_ = 0;
  std::size_t submits_ = 0;
  std::size_t reviews_ = 0;
  std::size_t entries_ = 0;
  double checkSeconds_ = 0;
  double unlockSeconds_ = 0;
  double verifySeconds_ = 0;
  int realUnlocks_ = 0;
  int checks_ = 0;
  bool tornWithPending_ = false;
  // A fresh vault every so many kills keeps each full verification small (its cost grows with
  // the vault), so that long runs stay linear.
  int iterationsPerVault_ = 100;
  double microsPerSave_ = 20000;  ///< running estimate of a child's time per save
};

}  // namespace annotrace::records::crashtest
