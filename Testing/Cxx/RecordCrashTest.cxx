// Crash safety and concurrency of record saves in a vault (module/Logic/Records: RecordStore,
// PendingRecords, VaultVerifier; issue 7).
//
//   CrashHarness: a child process saves real segmentation records (and submits and reviews
//   some) and reports every save that returned, with the SHA-256 of its plaintext, through a
//   pipe; the parent kills it with SIGKILL after a random delay, looks at what the kill left
//   (a temporary file, a record in records/pending/ before or after its audit entry, a record
//   linked but its pending copy not removed, a torn last audit line), then opens the vault,
//   unlocks a member (which finishes or recovers what the kill left), requires the full vault
//   verification to pass and every reported record to open to the same plaintext, and every
//   record file to be a reported save or the one save in flight (nothing lost, nothing extra).
//   ANNOTRACE_CRASH_ITERATIONS sets the number of kills (default 200; long mode: thousands,
//   scripts/run-crash-harness.sh), ANNOTRACE_CRASH_SEED the seed (default 20240507).
//
//   TwoWriterProcesses: two processes, each with its own member, save at the same time into
//   one vault; every save is there once, in each writer's order, with consecutive entries.
//   ANNOTRACE_CONCURRENT_SAVES sets the saves per writer (default 500).
//
// There is no test hook inside the save, so where a kill lands is random; the harness
// classifies each kill afterwards from the files and prints how many landed in each phase.
//
// Also two regression tests for what the harness found: TornRecordCreatedLineWithPending-
// RecordIsRecovered (fixed in 77086fb) and PayloadRunsMeetingAcrossARowEndDecode (59e3f2f).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "Records/AuditLog.h"
#include "Records/CryptoPrimitives.h"
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

namespace fs = std::filesystem;
using nlohmann::json;
using test::TempDir;
using SteadyClock = std::chrono::steady_clock;

const std::string kAdmin = "admin";
const std::string kAnnotator = "annotator";
const std::string kReviewer = "reviewer";
std::string passphraseOf(const std::string& member) {
  return member + " passphrase";
}

VaultOptions fastOptions() {
  VaultOptions options;
  options.scrypt = crypto::ScryptParameters::minimum();
  return options;
}

long envNumber(const char* name, long fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < 0) {
    ADD_FAILURE() << name << "=\"" << text << "\" is not a whole number; using " << fallback;
    return fallback;
  }
  return value;
}

double secondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

std::string readText(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string sha256Hex(std::span<const std::uint8_t> bytes) {
  return crypto::toHex(crypto::sha256(bytes));
}

// --- Payloads ---------------------------------------------------------------------------------

// A small segmentation whose voxels depend on (stream, counter): two overlapping segments on a
// 24 x 20 x 6 grid, a few runs each. The parent rebuilds it to check what a record holds.
// Runs may reach either end of a row, so runs meeting across a row end occur too (see
// PayloadRunsMeetingAcrossARowEndDecode).
Segmentation makeSegmentation(std::uint64_t stream, std::uint64_t counter) {
  ImageGeometry geometry;
  geometry.size = {24, 20, 6};
  geometry.spacing = {0.75, 0.75, 2.5};
  geometry.origin = {-9.0, -7.5, 30.0};
  Segmentation segmentation(geometry);
  std::mt19937_64 random(stream * 1000003u + counter);
  const char* names[] = {"Liver", "Lesion"};
  for (int s = 0; s < 2; ++s) {
    Segment segment;
    segment.name = names[s];
    segment.color = {static_cast<std::uint8_t>(40 + 100 * s), 120,
                     static_cast<std::uint8_t>(counter % 256)};
    const SegmentId id = segmentation.addSegment(segment).id;
    const int runs = 2 + static_cast<int>(random() % 5);
    for (int r = 0; r < runs; ++r) {
      const std::size_t i = random() % 21;
      const std::size_t length = 1 + random() % (24 - i);
      segmentation.mask(id).setRun(i, random() % 20, random() % 6, length);
    }
  }
  return segmentation;
}

std::vector<std::uint8_t> makePayload(std::uint64_t stream, std::uint64_t counter) {
  const json operations =
      json::array({{{"op", "paint"}, {"stream", stream}, {"counter", counter}, {"tool", "brush"}}});
  return SegmentationPayload::encode(makeSegmentation(stream, counter), operations);
}

json sourceOf(std::uint64_t stream) {
  return {{"study_uid", "1.2.826.0.1.3680043.8.498." + std::to_string(stream + 1)},
          {"series_uid", "1.2.826.0.1.3680043.8.498." + std::to_string(stream + 1) + ".1"}};
}

// The stream a record belongs to, from its header's source (study uid ...498.<stream + 1>).
std::optional<std::uint64_t> streamOf(const json& header) {
  const json source = header.value("source", json::object());
  const std::string study = source.value("study_uid", std::string());
  const auto dot = study.rfind('.');
  if (dot == std::string::npos) return std::nullopt;
  const std::uint64_t value = std::stoull(study.substr(dot + 1));
  if (value == 0) return std::nullopt;
  return value - 1;
}

// --- Child processes --------------------------------------------------------------------------

// One line in one write(): lines are far below PIPE_BUF, so a kill never leaves half of one.
void sendLine(int fd, const std::string& line) {
  const std::string text = line + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("cannot write to the parent's pipe");
    done += static_cast<std::size_t>(n);
  }
}

// Runs `body` in a child process that reports through a pipe; returns the pid and the read end.
struct Child {
  pid_t pid = -1;
  int fd = -1;
};

Child spawn(const std::function<void(int)>& body) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {};
  std::cout.flush();
  std::cerr.flush();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    int status = 0;
    try {
      body(fds[1]);
    } catch (const std::exception& error) {
      std::fprintf(stderr, "child %d: %s\n", ::getpid(), error.what());
      status = 1;
    } catch (...) {
      std::fprintf(stderr, "child %d: unknown exception\n", ::getpid());
      status = 1;
    }
    ::_exit(status);
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    return {};
  }
  return {pid, fds[0]};
}

// Reads whole lines from a child's pipe into `lines`; waits at most `timeoutMs` (-1: until the
// pipe ends). Returns false when the pipe has ended.
bool readLines(int fd, std::string& buffer, std::vector<std::string>& lines, int timeoutMs) {
  pollfd poller{fd, POLLIN, 0};
  const int ready = ::poll(&poller, 1, timeoutMs);
  if (ready <= 0) return true;  // nothing yet
  char chunk[65536];
  const ssize_t n = ::read(fd, chunk, sizeof chunk);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return false;
  buffer.append(chunk, static_cast<std::size_t>(n));
  for (auto newline = buffer.find('\n'); newline != std::string::npos;
       newline = buffer.find('\n')) {
    lines.push_back(buffer.substr(0, newline));
    buffer.erase(0, newline + 1);
  }
  return true;
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  return {std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
}

// The save loop of a crash child, stream = iteration. Reports:
//   R                                   ready (unlocked, about to save)
//   C <counter> <id> <sha256> <author> <us>  save returned: the record is committed (<us>:
//                                       microseconds since R, for the parent's kill timing)
//   S <id>                              submitted
//   V <id> <action>                     reviewed (review-approved / review-rejected)
void crashChildLoop(const fs::path& folder, std::uint64_t stream, bool unlockHere,
                    const UnlockedMember* inheritedAnnotator,
                    const UnlockedMember* inheritedReviewer, int fd) {
  Vault vault = Vault::open(folder, fastOptions());
  std::optional<UnlockedMember> annotatorHere;
  std::optional<UnlockedMember> reviewerHere;
  if (unlockHere) {
    annotatorHere.emplace(vault.unlock(kAnnotator, passphraseOf(kAnnotator)));
    reviewerHere.emplace(vault.unlock(kReviewer, passphraseOf(kReviewer)));
  }
  const UnlockedMember& annotator = unlockHere ? *annotatorHere : *inheritedAnnotator;
  const UnlockedMember& reviewer = unlockHere ? *reviewerHere : *inheritedReviewer;
  RecordStore store(vault);
  sendLine(fd, "R");
  const auto ready = SteadyClock::now();
  std::string previous;
  for (std::uint64_t counter = 0;; ++counter) {
    const std::vector<std::uint8_t> payload = makePayload(stream, counter);
    RecordInfo info;
    info.source = sourceOf(stream);
    if (!previous.empty() && counter % 4 == 1) info.parents = {previous};
    const bool byReviewer = counter % 5 == 3;
    const UnlockedMember& author = byReviewer ? reviewer : annotator;
    const SavedRecord saved = store.save(author, info, payload);
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - ready).count();
    sendLine(fd, "C " + std::to_string(counter) + " " + saved.id + " " + sha256Hex(payload) + " " +
                     author.id() + " " + std::to_string(micros));
    previous = saved.id;
    if (!byReviewer && counter % 3 == 1) {
      store.submit(annotator, saved.id);
      sendLine(fd, "S " + saved.id);
      if (counter % 2 == 1) {
        const bool approve = counter % 4 == 1;
        const AuditEntry decision = store.review(
            reviewer, saved.id, approve ? ReviewDecision::Approve : ReviewDecision::Reject,
            approve ? "boundaries follow the capsule" : "lesion margin too wide");
        sendLine(fd, "V " + saved.id + " " + decision.action);
      }
    }
  }
}

// --- What a kill left -------------------------------------------------------------------------

struct LogTail {
  std::uint64_t seq = 0;
  std::string hash = AuditLog::kGenesisHash;
  bool torn = false;      ///< bytes after the last complete entry
  std::string tornBytes;  ///< those bytes
};

LogTail readLogTail(const fs::path& log) {
  const std::string text = readText(log);
  LogTail tail;
  std::size_t end = text.rfind('\n');
  tail.torn = end == std::string::npos ? !text.empty() : end + 1 != text.size();
  while (end != std::string::npos && end > 0) {
    const std::size_t start = text.rfind('\n', end - 1);
    const std::size_t from = start == std::string::npos ? 0 : start + 1;
    const json value = json::parse(text.substr(from, end - from), nullptr, false);
    if (value.is_object() && value.contains("seq") && value.contains("hash")) {
      tail.seq = value["seq"].get<std::uint64_t>();
      tail.hash = value["hash"].get<std::string>();
      tail.tornBytes = text.substr(end + 1);
      break;
    }
    tail.torn = true;  // a whole last line that is not an entry is torn too
    end = start;
  }
  return tail;
}

enum class Phase {
  Elsewhere,             ///< nothing of a save in flight: encode, submit, review, unlock, between
  InRecordWrite,         ///< a temporary file in records/pending/: killed while writing the record
  PendingNotLogged,      ///< records/pending/<id>.atrec, its entry not appended: must be recovered
  LoggedNotRenamed,      ///< its entry appended, still only in records/pending/: rename finished
  LinkedNotRemoved,      ///< in records/ and still in records/pending/: the unlink is finished
  CommittedNotReported,  ///< in records/ only, but save() had not returned or not reported
  Unexpected,            ///< a pending record whose audit link is neither (a bug)
};

const char* nameOf(Phase phase) {
  switch (phase) {
    case Phase::Elsewhere:
      return "outside a save's commit window (encode, submit/review, unlock, between saves)";
    case Phase::InRecordWrite:
      return "inside the record write (temporary file left in records/pending/)";
    case Phase::PendingNotLogged:
      return "record in records/pending/, its audit entry not appended";
    case Phase::LoggedNotRenamed:
      return "audit entry appended, record not yet renamed into records/";
    case Phase::LinkedNotRemoved:
      return "record linked into records/, pending copy not yet removed";
    case Phase::CommittedNotReported:
      return "record committed (pending copy removed), save() not returned or not reported";
    case Phase::Unexpected:
      return "pending record with an unexpected audit link";
  }
  return "?";
}

struct PendingFile {
  std::string id;
  std::uint64_t entry = 0;
  std::string head;
};

struct VaultState {
  LogTail tail;
  std::vector<PendingFile> pending;
  std::set<std::string> temporaries;  ///< names of leftover temporary files in pending/
};

VaultState lookAt(const fs::path& folder) {
  VaultState state;
  state.tail = readLogTail(folder / AuditLog::kLogName);
  const fs::path pending = PendingRecords::folder(folder / "records");
  std::error_code ec;
  for (fs::directory_iterator it(pending, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->path().extension() == RecordFile::kExtension) {
      PendingFile file;
      file.id = RecordFile::idFromFileName(it->path()).value_or(name);
      try {
        const RecordHeader header = RecordFile::readHeader(it->path());
        const json audit = header.header.value("audit", json::object());
        file.entry = std::stoull(audit.value("entry", std::string("0")));
        file.head = audit.value("head", std::string());
      } catch (const std::exception&) {
        file.entry = 0;  // unreadable: classified Unexpected, and verify will say why
      }
      state.pending.push_back(file);
    } else if (name.find(".tmp-") != std::string::npos) {
      state.temporaries.insert(name);
    }
  }
  return state;
}

std::set<std::string> recordFiles(const fs::path& records) {
  std::set<std::string> ids;
  for (const auto& item : fs::directory_iterator(records)) {
    if (const auto id = RecordFile::idFromFileName(item.path())) ids.insert(*id);
  }
  return ids;
}

std::vector<fs::path> tornFiles(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& item : fs::directory_iterator(folder)) {
    if (item.path().filename().string().starts_with(AuditLog::kTornPrefix)) {
      files.push_back(item.path());
    }
  }
  return files;
}

std::string describe(const VaultReport& report) {
  std::string text = std::to_string(report.problems.size()) + " problem(s), " +
                     std::to_string(report.entries) + " entries and " +
                     std::to_string(report.records) + " records verified:";
  for (const VaultProblem& problem : report.problems) {
    text += "\n    [" + problem.code + "] " + problem.message;
  }
  return text;
}

std::size_t countAction(const std::vector<AuditEntry>& entries, std::string_view action) {
  return static_cast<std::size_t>(std::count_if(
      entries.begin(), entries.end(), [&](const AuditEntry& e) { return e.action == action; }));
}

// A vault with an admin, an annotator and a reviewer, all at the minimum scrypt cost.
void makeVault(const fs::path& folder) {
  Vault vault = Vault::init(folder, kAdmin, passphraseOf(kAdmin), fastOptions());
  const UnlockedMember admin = vault.unlock(kAdmin, passphraseOf(kAdmin));
  vault.addMember(admin, kAnnotator, Role::Annotator, passphraseOf(kAnnotator));
  vault.addMember(admin, kReviewer, Role::Reviewer, passphraseOf(kReviewer));
}

// A prefix of the line the audit log would get next (cut inside it, no newline): what a crash
// in the middle of an append's write() leaves.
std::string tornPrefix(const LogTail& tail, const std::string& actor, const std::string& role,
                       const std::string& action, std::vector<std::string> targets,
                       const std::string& reason, std::mt19937& random) {
  AuditEntry entry;
  entry.seq = tail.seq + 1;
  entry.utc = AuditLog::formatUtc(std::chrono::system_clock::now());
  entry.actor = actor;
  entry.role = role;
  entry.action = action;
  entry.targets = std::move(targets);
  entry.reason = reason;
  entry.prev = tail.hash;
  entry.hash = std::string(64, 'e');
  entry.sig = std::string(86, 'A') + "==";
  const std::string line = AuditLog::line(entry);
  return line.substr(0, std::uniform_int_distribution<std::size_t>(1, line.size() - 2)(random));
}

void appendBytes(const fs::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary | std::ios::app) << bytes;
}

// --- The crash harness ------------------------------------------------------------------------

class CrashHarness {
 public:
  CrashHarness(fs::path root, std::uint32_t seed) : root_(std::move(root)), random_(seed) {}

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

void CrashHarness::startVault() {
  folder_ = root_ / ("vault-" + std::to_string(vaults_++));
  makeVault(folder_);
  annotator_.reset();
  reviewer_.reset();
  parentVault_.reset();
  parentVault_.emplace(Vault::open(folder_, fastOptions()));
  annotator_.emplace(parentVault_->unlock(kAnnotator, passphraseOf(kAnnotator)));
  reviewer_.emplace(parentVault_->unlock(kReviewer, passphraseOf(kReviewer)));
  reported_.clear();
  knownFiles_.clear();
  unchecked_.clear();
  inFlight_.clear();
  submitted_.clear();
  reviewed_.clear();
  injected_.clear();
  temporariesSeen_.clear();
  filesAtLastLook_.clear();
  lastHead_ = parentVault_->auditLog().head();
  sinceCheck_ = 0;
}

void CrashHarness::run(int iterations) {
  tornWithPending_ = envNumber("ANNOTRACE_CRASH_TORN_WITH_PENDING", 1) != 0;
  const auto start = SteadyClock::now();
  for (int iteration = 0; iteration < iterations; ++iteration) {
    if (iteration % iterationsPerVault_ == 0) {
      if (iteration > 0) finishVault();
      if (::testing::Test::HasFatalFailure()) return;
      startVault();
    }
    const bool lastOfVault =
        iteration + 1 == iterations || (iteration + 1) % iterationsPerVault_ == 0;
    oneIteration(iteration, lastOfVault);
    if (::testing::Test::HasFatalFailure()) {
      // Keep the vault as the failure left it (the temporary folder goes with the test).
      const fs::path kept =
          fs::temp_directory_path() / ("annotrace-crash-failure-" + std::to_string(::getpid()));
      std::error_code ec;
      fs::copy(folder_, kept, fs::copy_options::recursive, ec);
      std::cout << "[ crashes  ] stopped at iteration " << iteration << " of " << iterations
                << "; the vault is kept in "
                << (ec ? "(copy failed: " + ec.message() + ")" : kept.string()) << std::endl;
      return;
    }
    if (iteration > 0 && iteration % 500 == 0) {
      std::cout << "[ progress ] " << iteration << " kills, " << recordsCommitted_ << " records, "
                << secondsSince(start) << " s" << std::endl;
    }
  }
  finishVault();
  const double seconds = secondsSince(start);

  std::cout << "[ crashes  ] " << kills_ << " SIGKILLs (" << earlyKills_
            << " timed from fork, the rest from the child's first save), " << vaults_
            << " vault(s), " << seconds << " s; a child's time per save (with its submits and "
            << "reviews) ~" << microsPerSave_ / 1000 << " ms at the end\n";
  std::cout << "[ crashes  ] " << checks_ << " checks by the parent in " << checkSeconds_
            << " s: " << realUnlocks_
            << " by a full unlock, the others by the first append of an unlocked "
            << "member (same recovery, Vault::beginAppend), " << unlockSeconds_
            << " s; full verification " << verifySeconds_ << " s\n";
  std::cout << "[ crashes  ] where the kills landed:\n";
  for (const auto& [phase, count] : phases_) {
    std::cout << "[ crashes  ]   " << count << "  " << nameOf(phase) << "\n";
  }
  std::cout << "[ crashes  ] " << recordsCommitted_ << " records committed ("
            << unreportedCommitted_ << " committed but killed before reporting), " << submits_
            << " submits, " << reviews_ << " reviews, " << entries_ << " audit entries\n";
  std::cout << "[ crashes  ] " << recordRecoveredEntries_
            << " pending records recovered (\"record-recovered\"), "
            << phases_[Phase::LoggedNotRenamed] + phases_[Phase::LinkedNotRemoved]
            << " renames finished, " << childRecoveries_
            << " recoveries run by the next child instead of the parent (" << deferredChecks_
            << " deferred checks)\n";
  std::cout << "[ crashes  ] torn audit lines: " << naturalTorn_ << " left by a kill, "
            << injectedTorn_ << " planted (" << injectedTornWithPending_
            << " of them the record-created line of a record left in pending/); "
            << tornRecoveredEntries_ << " \"torn-line-recovered\" entries, " << tornFiles_
            << " torn files kept (" << duplicateTornFiles_ << " second copies of a logged one, "
            << unloggedTornFiles_ << " moved aside but never logged)\n";
  std::cout << "[ crashes  ] " << leftoverTemporaries_
            << " temporary files of kills inside the record write still in records/pending/ "
               "at the end of the vaults (recovery removes them)\n";
  EXPECT_GT(recordsCommitted_, 0u);
}

void CrashHarness::oneIteration(int iteration, bool lastOfVault) {
  const std::uint64_t stream = static_cast<std::uint64_t>(iteration);
  // One kill in six is timed from the fork, so that some land in the child's own unlock and
  // in the recovery it runs; the others from the child's first save.
  const bool early = std::uniform_int_distribution<int>(0, 5)(random_) == 0;
  const bool unlockHere = early && std::uniform_int_distribution<int>(0, 1)(random_) == 0;
  const Child child = spawn(
      [&](int fd) { crashChildLoop(folder_, stream, unlockHere, &*annotator_, &*reviewer_, fd); });
  ASSERT_GT(child.pid, 0) << "fork failed";
  std::string buffer;
  std::vector<std::string> lines;
  const auto forked = SteadyClock::now();
  if (early) {
    ++earlyKills_;
    ::usleep(std::uniform_int_distribution<useconds_t>(0, unlockHere ? 400000 : 30000)(random_));
  } else {
    bool open = true;
    while (open && std::find(lines.begin(), lines.end(), "R") == lines.end() &&
           secondsSince(forked) < 60) {
      open = readLines(child.fd, buffer, lines, 1000);
    }
    EXPECT_NE(std::find(lines.begin(), lines.end(), "R"), lines.end())
        << "iteration " << iteration << ": the child did not get to its first save in "
        << secondsSince(forked) << " s (" << (open ? "hung" : "failed") << ")";
    // Mostly within the first two saves; one in six further on, through submits and reviews.
    // A save's time is mostly fsync, which varies with the disk and its load: the delays
    // follow the time per save the children report.
    const double longest =
        (std::uniform_int_distribution<int>(0, 5)(random_) == 0 ? 7.5 : 2.0) * microsPerSave_;
    ::usleep(static_cast<useconds_t>(std::uniform_real_distribution<double>(0, longest)(random_)));
  }
  ASSERT_EQ(::kill(child.pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child.pid, &status, 0), child.pid);
  while (readLines(child.fd, buffer, lines, -1)) {
  }
  ::close(child.fd);
  ++kills_;
  ++sinceCheck_;
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "iteration " << iteration << ": the child stopped by itself: "
      << (WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                              : "exit status " + std::to_string(WEXITSTATUS(status)) +
                                    ", a save failed (its message is above)");
  ASSERT_TRUE(buffer.empty()) << "a half line from the child: " << buffer;

  // What the child said it did.
  std::uint64_t saves = 0;
  double lastMicros = 0;
  for (const std::string& line : lines) {
    const auto w = words(line);
    if (w.empty() || w[0] == "R") continue;
    if (w[0] == "C") {
      ASSERT_EQ(w.size(), 6u) << line;
      const std::uint64_t counter = std::stoull(w[1]);
      ASSERT_EQ(counter, saves) << "saves reported out of order: " << line;
      ASSERT_EQ(reported_.count(w[2]), 0u) << "the same record id twice: " << line;
      reported_[w[2]] = {w[3], stream, counter, w[4]};
      unchecked_.push_back(w[2]);
      ++saves;
      lastMicros = std::stod(w[5]);
    } else if (w[0] == "S" && w.size() == 2) {
      submitted_.insert(w[1]);
    } else if (w[0] == "V" && w.size() == 3) {
      reviewed_[w[1]] = w[2];
    } else {
      FAIL() << "unexpected line from the child: " << line;
    }
  }

  if (saves > 0 && !early) {
    microsPerSave_ = 0.8 * microsPerSave_ + 0.2 * std::clamp(lastMicros / saves, 2000.0, 200000.0);
  }

  // Where the kill landed, before anything recovers it.
  const VaultState state = lookAt(folder_);
  InFlight flight{stream, saves, std::nullopt, Phase::Elsewhere};
  const std::set<std::string> files = recordFiles(folder_ / "records");
  for (const PendingFile& file : state.pending) {
    const bool fromThisKill =
        std::none_of(inFlight_.begin(), inFlight_.end(),
                     [&](const InFlight& f) { return f.pendingId == file.id; });
    if (!fromThisKill) continue;  // left by an earlier kill whose check was deferred
    flight.pendingId = file.id;
    if (file.entry == state.tail.seq + 1 && file.head == state.tail.hash) {
      flight.phase = Phase::PendingNotLogged;
    } else if (file.entry >= 1 && file.entry <= state.tail.seq) {
      flight.phase = files.count(file.id) ? Phase::LinkedNotRemoved : Phase::LoggedNotRenamed;
    } else {
      flight.phase = Phase::Unexpected;
    }
  }
  for (const std::string& name : state.temporaries) {
    if (temporariesSeen_.insert(name).second && !flight.pendingId) {
      flight.phase = Phase::InRecordWrite;
    }
  }
  for (const std::string& id : files) {
    const bool earlierPending = std::any_of(inFlight_.begin(), inFlight_.end(),
                                            [&](const InFlight& f) { return f.pendingId == id; });
    if (!filesAtLastLook_.count(id) && !reported_.count(id) && !earlierPending &&
        !flight.pendingId) {
      flight.phase = Phase::CommittedNotReported;
    }
  }
  filesAtLastLook_ = files;
  ++phases_[flight.phase];
  EXPECT_NE(flight.phase, Phase::Unexpected)
      << "iteration " << iteration << ": pending record " << flight.pendingId.value_or("?")
      << " names an audit entry that is neither the next one nor in the log (head "
      << state.tail.seq << ")";
  inFlight_.push_back(flight);
  if (state.tail.torn && !injected_.count(state.tail.tornBytes)) {
    ++naturalTorn_;
    std::cout << "[ crashes  ] iteration " << iteration << ": the kill left a torn audit line ("
              << state.tail.tornBytes.size() << " bytes after entry " << state.tail.seq << ", "
              << nameOf(flight.phase) << ")" << std::endl;
  }

  // Sometimes a torn last line as a crash inside an append's write() would leave (SIGKILL
  // itself almost never tears a line that small): one kill in ten, or one in three of those
  // that left a record in pending/ before its entry, where the torn line is that record's own
  // "record-created" (see TornRecordCreatedLineWithPendingRecordIsRecovered; set
  // ANNOTRACE_CRASH_TORN_WITH_PENDING=0 to plant torn lines only when no save is in flight).
  const bool pendingInFlight = flight.phase == Phase::PendingNotLogged;
  const bool plant =
      !state.tail.torn &&
      (pendingInFlight && tornWithPending_
           ? std::uniform_int_distribution<int>(0, 2)(random_) == 0
           : !pendingInFlight && std::uniform_int_distribution<int>(0, 9)(random_) == 0);
  if (plant) {
    const std::string prefix =
        pendingInFlight
            ? tornPrefix(state.tail, kAnnotator, "annotator", std::string(RecordStore::kCreated),
                         {*flight.pendingId, sourceOf(stream)["study_uid"].get<std::string>()},
                         "state draft", random_)
            : tornPrefix(state.tail, kAnnotator, "annotator", std::string(RecordStore::kDecrypted),
                         {"planted-" + std::to_string(stream)}, "", random_);
    appendBytes(folder_ / AuditLog::kLogName, prefix);
    injected_.insert(prefix);
    ++injectedTorn_;
    if (pendingInFlight) ++injectedTornWithPending_;
  }

  // One check in eight is left to the next child (its unlock or first save recovers, and it
  // may be killed while doing so), except at the end of a vault.
  if (!lastOfVault && std::uniform_int_distribution<int>(0, 7)(random_) == 0) {
    ++deferredChecks_;
    return;
  }
  const auto start = SteadyClock::now();
  ++checks_;
  recoverAndCheck(iteration);
  checkSeconds_ += secondsSince(start);
}

void CrashHarness::recoverAndCheck(int iteration) {
  const std::string at = "iteration " + std::to_string(iteration) + ": ";
  const std::vector<AuditEntry> before = parentVault_->auditLog().filter();
  if (before.size() > lastHead_.seq && sinceCheck_ > 1) {
    // A child after a deferred check ran a recovery (or at least appended) itself.
    for (std::size_t i = lastHead_.seq; i < before.size(); ++i) {
      if (before[i].action == PendingRecords::kRecoveredAction ||
          before[i].action == AuditLog::kTornAction) {
        ++childRecoveries_;
        break;
      }
    }
  }

  // Open and unlock as a user would after the crash: this finishes or recovers the save.
  Vault vault = Vault::open(folder_, fastOptions());
  const bool asReviewer = iteration % 2 == 1;
  const std::string& memberId = asReviewer ? kReviewer : kAnnotator;
  std::optional<UnlockedMember> reader;
  // A real unlock (scrypt) every few checks; otherwise the first append of the
  // already-unlocked member runs the same recovery (Vault::beginAppend).
  const auto unlockStart = SteadyClock::now();
  if (iteration % 4 == 0) {
    ASSERT_NO_THROW(reader.emplace(vault.unlock(memberId, passphraseOf(memberId)))) << at;
    ++realUnlocks_;
  } else {
    ASSERT_NO_THROW(vault.beginAppend(asReviewer ? *reviewer_ : *annotator_)
                        .append("crash-check", {memberId}, "harness: recovery after a kill"))
        << at;
  }
  unlockSeconds_ += secondsSince(unlockStart);
  const UnlockedMember& member = reader ? *reader : (asReviewer ? *reviewer_ : *annotator_);

  const VaultState after = lookAt(folder_);
  EXPECT_TRUE(after.pending.empty())
      << at << after.pending.size() << " record(s) still in records/pending/ after recovery";
  EXPECT_FALSE(after.tail.torn) << at << "the audit log still ends in a torn line";
  EXPECT_TRUE(after.temporaries.empty())
      << at << after.temporaries.size() << " temporary file(s) of killed writes left in "
      << "records/pending/ after recovery, e.g. " << *after.temporaries.begin();
  const auto verifyStart = SteadyClock::now();
  const VaultReport report = VaultVerifier::verify(vault);
  verifySeconds_ += secondsSince(verifyStart);
  ASSERT_TRUE(report.ok()) << at
                           << "the vault does not verify after recovery: " << describe(report);

  // No dropped tail: the head seen at the last check is still in the log.
  const AuditVerifyResult head = vault.auditLog().verifyHead(lastHead_.seq, lastHead_.hash);
  ASSERT_TRUE(head.ok()) << at << head.problem->message;

  // Every record file is a reported save or the save in flight at a kill; nothing vanished.
  const std::set<std::string> files = recordFiles(vault.recordsFolder());
  for (const std::string& id : knownFiles_) {
    EXPECT_TRUE(files.count(id)) << at << "record " << id << " was there and is gone";
  }
  RecordStore store(vault);
  auto openDigest = [&](const std::string& id, std::vector<std::uint8_t>* plaintext) {
    const OpenedRecord opened = store.open(member, id);
    if (plaintext) *plaintext = opened.plaintext;
    return sha256Hex(opened.plaintext);
  };
  for (const std::string& id : unchecked_) {
    const Reported& r = reported_.at(id);
    ASSERT_TRUE(files.count(id)) << at << "record " << id << " (stream " << r.stream << ", save "
                                 << r.counter << ") was reported saved but is not in records/";
    std::vector<std::uint8_t> plaintext;
    std::string digest;
    ASSERT_NO_THROW(digest = openDigest(id, &plaintext)) << at << "record " << id;
    EXPECT_EQ(digest, r.sha) << at << "record " << id << " opens to other bytes";
    EXPECT_EQ(r.sha, sha256Hex(makePayload(r.stream, r.counter)))
        << at << "the child reported a digest the payload does not have";
    try {
      const LabelmapBundle decoded = SegmentationPayload::decode(plaintext);
      EXPECT_TRUE(decoded.segmentation == makeSegmentation(r.stream, r.counter))
          << at << "record " << id << " decodes to other labels";
    } catch (const std::exception& error) {
      ADD_FAILURE() << at << "record " << id << " (stream " << r.stream << ", save " << r.counter
                    << ") opens but its payload does not decode: " << error.what();
    }
  }
  std::size_t newFiles = 0;
  std::vector<bool> flightUsed(inFlight_.size(), false);
  for (const std::string& id : files) {
    if (knownFiles_.count(id)) continue;
    ++newFiles;
    if (reported_.count(id)) continue;
    // Committed, but the child was killed before it could report it: it must be the one save
    // in flight at some kill since the last check, with that save's payload.
    ++unreportedCommitted_;
    std::string digest;
    ASSERT_NO_THROW(digest = openDigest(id, nullptr)) << at << "unreported record " << id;
    const RecordHeader header = RecordFile::readHeader(store.fileOf(id));
    const auto stream = streamOf(header.header);
    bool matched = false;
    for (std::size_t f = 0; f < inFlight_.size() && !matched; ++f) {
      if (flightUsed[f] || !stream || inFlight_[f].stream != *stream) continue;
      if (digest == sha256Hex(makePayload(inFlight_[f].stream, inFlight_[f].counter))) {
        flightUsed[f] = matched = true;
      }
    }
    EXPECT_TRUE(matched) << at << "record " << id
                         << " is neither a reported save nor the save in flight at a kill";
  }
  recordsCommitted_ += newFiles;

  // What the in-flight saves left was finished the right way.
  const std::vector<AuditEntry> entries = vault.auditLog().filter();
  std::map<std::string, std::string> creation;  // record id -> the action that committed it
  for (const AuditEntry& entry : entries) {
    if ((entry.action == RecordStore::kCreated ||
         entry.action == PendingRecords::kRecoveredAction) &&
        !entry.targets.empty()) {
      EXPECT_TRUE(creation.emplace(entry.targets.front(), entry.action).second)
          << at << "record " << entry.targets.front() << " is created twice in the log";
    }
  }
  EXPECT_EQ(creation.size(), files.size())
      << at << "the log creates " << creation.size() << " records, records/ holds " << files.size();
  for (const InFlight& flight : inFlight_) {
    if (!flight.pendingId) continue;
    const std::string& id = *flight.pendingId;
    EXPECT_TRUE(files.count(id)) << at << "the pending record " << id << " ("
                                 << nameOf(flight.phase) << ") was not committed";
    const auto it = creation.find(id);
    ASSERT_NE(it, creation.end()) << at << "no entry creates record " << id;
    EXPECT_EQ(it->second, flight.phase == Phase::PendingNotLogged
                              ? std::string(PendingRecords::kRecoveredAction)
                              : std::string(RecordStore::kCreated))
        << at << "record " << id << ": " << nameOf(flight.phase);
  }
  for (const std::string& id : submitted_) {
    EXPECT_TRUE(std::any_of(entries.begin(), entries.end(),
                            [&](const AuditEntry& e) {
                              return e.action == RecordStore::kSubmitted && !e.targets.empty() &&
                                     e.targets[0] == id;
                            }))
        << at << "reported submit of " << id << " is not in the log";
  }
  for (const auto& [id, action] : reviewed_) {
    EXPECT_TRUE(std::any_of(entries.begin(), entries.end(),
                            [&](const AuditEntry& e) {
                              return e.action == action && !e.targets.empty() && e.targets[0] == id;
                            }))
        << at << "reported " << action << " of " << id << " is not in the log";
  }

  knownFiles_ = files;
  filesAtLastLook_ = files;
  unchecked_.clear();
  inFlight_.clear();
  sinceCheck_ = 0;
  lastHead_ = vault.auditLog().head();
}

void CrashHarness::finishVault() {
  if (::testing::Test::HasFatalFailure()) return;
  // The whole vault once more, with the parent's long-lived Vault object too.
  const VaultReport report = VaultVerifier::verify(*parentVault_);
  ASSERT_TRUE(report.ok()) << describe(report);
  const std::vector<AuditEntry> entries = parentVault_->auditLog().filter();
  entries_ += entries.size();
  for (std::size_t i = 0; i < entries.size(); ++i) ASSERT_EQ(entries[i].seq, i + 1);
  recordRecoveredEntries_ += countAction(entries, PendingRecords::kRecoveredAction);
  tornRecoveredEntries_ += countAction(entries, AuditLog::kTornAction);
  submits_ += countAction(entries, RecordStore::kSubmitted);
  reviews_ +=
      countAction(entries, RecordStore::kApproved) + countAction(entries, RecordStore::kRejected);
  EXPECT_EQ(recordFiles(parentVault_->recordsFolder()).size(),
            countAction(entries, RecordStore::kCreated) +
                countAction(entries, PendingRecords::kRecoveredAction));
  for (const std::string& id : submitted_) {
    EXPECT_TRUE(reported_.count(id)) << "submitted a record never reported saved: " << id;
  }

  // Torn lines: every planted one is kept byte for byte in a torn file, and every
  // "torn-line-recovered" entry names a torn file that exists.
  std::vector<std::string> saved;
  const auto torn = tornFiles(folder_);
  for (const auto& file : torn) saved.push_back(readText(file));
  tornFiles_ += torn.size();
  for (const std::string& prefix : injected_) {
    EXPECT_NE(std::find(saved.begin(), saved.end(), prefix), saved.end())
        << "a planted torn line is not kept aside: " << prefix;
  }
  std::set<std::string> logged;
  for (const AuditEntry& entry : entries) {
    if (entry.action != AuditLog::kTornAction) continue;
    ASSERT_FALSE(entry.targets.empty());
    EXPECT_TRUE(fs::exists(folder_ / entry.targets[0])) << entry.targets[0];
    logged.insert(entry.targets[0]);
  }
  // A torn file no entry names is either a second copy of a logged one (a process was killed
  // after keeping the bytes aside and before cutting them off the log, so the next one kept
  // them again) or a torn line moved aside whose "torn-line-recovered" entry was never
  // written: AuditLog::open() moves it under the lock but only the next append logs it, and
  // the process was killed in between (e.g. during the scrypt of its unlock). The bytes are
  // kept either way; the log just does not say so. Counted, not failed.
  std::set<std::string> loggedBytes;
  for (const auto& file : torn) {
    if (logged.count(file.filename().string())) loggedBytes.insert(readText(file));
  }
  for (const auto& file : torn) {
    if (logged.count(file.filename().string())) continue;
    const std::string bytes = readText(file);
    const bool duplicate = loggedBytes.count(bytes) > 0;
    ++(duplicate ? duplicateTornFiles_ : unloggedTornFiles_);
    if (!duplicate) {
      std::cout << "[ crashes  ] torn file " << file.filename().string() << " (" << bytes.size()
                << " bytes, " << (injected_.count(bytes) ? "planted" : "not planted")
                << ") is named by no audit entry" << std::endl;
    }
  }
  const VaultState state = lookAt(folder_);
  leftoverTemporaries_ += state.temporaries.size();
}

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
