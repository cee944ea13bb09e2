// The audit trail (module/Logic/Records/AuditLog): the line format and chain values recomputed
// here from the documented bytes, every kind of tampering named with its own reason at the
// right line, torn-line recovery byte for byte, dropped tails through verifyHead, several
// processes appending at once, and processes killed mid-append.

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

#include "Records/AuditLog.h"
#include "Records/CryptoPrimitives.h"
#include "TestData.h"

namespace annotrace::records {

// Codes by name in test failures.
void PrintTo(AuditErrorCode code, std::ostream* out) {
  *out << toString(code);
}

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::TempDir;
using Clock = std::chrono::system_clock;

crypto::Ed25519Seed seedOf(std::uint8_t k) {
  crypto::Ed25519Seed seed{};
  seed.fill(k);
  return seed;
}

const std::map<std::string, crypto::Ed25519Seed> kSeeds = {
    {"alice", seedOf(1)}, {"bob", seedOf(2)}, {"carol", seedOf(3)}};
const std::map<std::string, std::string> kRoleOf = {
    {"alice", "admin"}, {"bob", "reviewer"}, {"carol", "annotator"}};

std::optional<crypto::Ed25519PublicKey> members(const std::string& actor, std::uint64_t) {
  // Derived once: the crash harness verifies tens of thousands of entries.
  static const std::map<std::string, crypto::Ed25519PublicKey> keys = [] {
    std::map<std::string, crypto::Ed25519PublicKey> out;
    for (const auto& [name, seed] : kSeeds) out[name] = crypto::ed25519PublicKey(seed);
    return out;
  }();
  const auto it = keys.find(actor);
  if (it == keys.end()) return std::nullopt;
  return it->second;
}

// 2024-05-01T10:00:00.000Z plus one second per call: reproducible utc fields.
AuditClock steppingClock() {
  auto calls = std::make_shared<int>(0);
  return [calls] { return Clock::time_point(std::chrono::seconds(1714557600 + (*calls)++)); };
}

AuditEvent event(const std::string& actor, std::string action,
                 std::vector<std::string> targets = {}, std::string reason = "") {
  return AuditEvent{actor, kRoleOf.at(actor), std::move(action), std::move(targets),
                    std::move(reason)};
}

std::string readText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void writeText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<std::string> readLines(const fs::path& path) {
  std::vector<std::string> lines;
  std::istringstream in(readText(path));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void writeLines(const fs::path& path, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  writeText(path, text);
}

std::string sha256Hex(std::string_view text) {
  return crypto::toHex(crypto::sha256(crypto::asBytes(text)));
}

// SHA-256 by Python's hashlib: a second implementation for the documented hash input.
std::string pythonSha256(const fs::path& file) {
  const std::string command = std::string(ANNOTRACE_TEST_PYTHON) +
                              " -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"
                              "\"rb\").read()).hexdigest())' '" +
                              file.string() + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return "popen failed";
  std::array<char, 128> buffer{};
  std::string out;
  while (std::fgets(buffer.data(), buffer.size(), pipe)) out += buffer.data();
  ::pclose(pipe);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Rewrites a line as an attacker with the file but no keys would: new content, hash
// recomputed (so the chain to the next entry breaks or the signature fails).
std::string rehashed(const std::string& line, const std::function<void(json&)>& edit) {
  json value = json::parse(line);
  edit(value);
  json hashed = value;
  hashed.erase("hash");
  hashed.erase("sig");
  value["hash"] = sha256Hex(hashed.dump());
  return value.dump();
}

class AuditLogTest : public ::testing::Test {
 protected:
  TempDir dir;

  AuditLog makeLog(int entries) {
    AuditLog log = AuditLog::create(dir.path(), steppingClock());
    const std::vector<std::string> actors = {"alice", "bob", "carol"};
    for (int i = 0; i < entries; ++i) {
      const std::string& actor = actors[static_cast<std::size_t>(i) % actors.size()];
      log.append(event(actor, "record-created", {"rec-" + std::to_string(i + 1)}, "work"),
                 kSeeds.at(actor));
    }
    return log;
  }

  fs::path logPath() const { return dir.path() / AuditLog::kLogName; }

  void expectFirstBad(const AuditLog& log, AuditErrorCode code, std::size_t line,
                      std::optional<std::uint64_t> seq) {
    const AuditVerifyResult result = log.verify(members);
    ASSERT_FALSE(result.ok()) << "tampering not detected";
    EXPECT_EQ(result.problem->code, code) << result.problem->message;
    EXPECT_EQ(result.problem->line, line) << result.problem->message;
    EXPECT_EQ(result.problem->seq, seq) << result.problem->message;
    EXPECT_EQ(result.entries, line - 1);
    EXPECT_FALSE(result.problem->message.empty());
  }

  std::vector<fs::path> tornFiles() const {
    std::vector<fs::path> files;
    for (const auto& item : fs::directory_iterator(dir.path())) {
      if (item.path().filename().string().starts_with(AuditLog::kTornPrefix)) {
        files.push_back(item.path());
      }
    }
    std::sort(files.begin(), files.end());
    return files;
  }
};

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

// --- Several processes -----------------------------------------------------------------------

// Runs `body` in a child process; the child's exit status says whether it threw.
pid_t spawn(const std::function<void()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int status = 0;
    try {
      body();
    } catch (const std::exception& error) {
      std::fprintf(stderr, "child %d: %s\n", ::getpid(), error.what());
      status = 1;
    }
    ::_exit(status);
  }
  return pid;
}

TEST_F(AuditLogTest, TwoProcessesAppendingLoseNothing) {
  AuditLog::create(dir.path());
  constexpr int kEach = 500;
  const auto start = std::chrono::steady_clock::now();
  std::vector<pid_t> children;
  for (const std::string actor : {"alice", "bob"}) {
    children.push_back(spawn([&, actor] {
      AuditLog log = AuditLog::open(dir.path());
      for (int i = 0; i < kEach; ++i) {
        log.append(event(actor, "record-opened", {actor + "-" + std::to_string(i)}),
                   kSeeds.at(actor));
      }
    }));
    ASSERT_GT(children.back(), 0);
  }
  for (const pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ timing   ] " << 2 * kEach << " appends by 2 processes with fsync in " << seconds
            << " s: " << 2 * kEach / seconds << " appends/s\n";

  const AuditLog log = AuditLog::open(dir.path());
  const AuditVerifyResult result = log.verify(members);
  ASSERT_TRUE(result.ok()) << result.problem->message;
  EXPECT_EQ(result.entries, 2u * kEach);
  EXPECT_EQ(result.head.seq, 2u * kEach);
  for (const std::string actor : {"alice", "bob"}) {
    const auto mine = log.filter({.actor = actor});
    ASSERT_EQ(mine.size(), static_cast<std::size_t>(kEach));
    for (int i = 0; i < kEach; ++i) {  // each process's entries, all there and in its order
      EXPECT_EQ(mine[static_cast<std::size_t>(i)].targets[0], actor + "-" + std::to_string(i));
    }
  }
  EXPECT_TRUE(tornFiles().empty());
}

TEST_F(AuditLogTest, ProcessesKilledMidAppendLeaveAVerifiableLog) {
  AuditLog::create(dir.path());
  std::mt19937 random(20240501);
  std::set<std::string> injected;  // partial lines we planted as a crashed writer would
  std::uint64_t lastSeq = 0;
  int recoveries = 0;
  constexpr int kIterations = 60;
  const auto start = std::chrono::steady_clock::now();
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    if (iteration % 4 == 3) {
      // A torn line for the child to find under the lock (and maybe be killed while moving it).
      AuditEntry fake{lastSeq + 1, "2024-05-01T10:00:00.000Z", "carol",
                      "annotator", "record-created",           {"x"},
                      "",          AuditLog::kGenesisHash,     AuditLog::kGenesisHash,
                      "AAAA"};
      const std::string full = AuditLog::line(fake);
      const std::string partial =
          full.substr(0, std::uniform_int_distribution<std::size_t>(1, full.size() - 2)(random)) +
          "#" + std::to_string(iteration);  // unique bytes per injection
      std::ofstream(logPath(), std::ios::binary | std::ios::app) << partial;
      injected.insert(partial);
    }
    const std::string actor = iteration % 2 == 0 ? "alice" : "carol";
    const pid_t child = spawn([&] {
      AuditLog log = AuditLog::open(dir.path());
      for (int i = 0;; ++i)
        log.append(event(actor, "record-opened", {std::to_string(i)}), kSeeds.at(actor));
    });
    ASSERT_GT(child, 0);
    ::usleep(std::uniform_int_distribution<useconds_t>(0, 15000)(random));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself: it failed";

    const AuditLog log = AuditLog::open(dir.path());
    recoveries += static_cast<int>(log.recovered().size());
    const AuditVerifyResult result = log.verify(members);
    ASSERT_TRUE(result.ok()) << "iteration " << iteration << ": " << result.problem->message;
    EXPECT_GE(result.head.seq, lastSeq);
    lastSeq = result.head.seq;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ crashes  ] " << kIterations << " kills, " << lastSeq << " entries, " << recoveries
            << " torn lines recovered, " << seconds << " s\n";
  EXPECT_GT(lastSeq, 0u);

  // Every planted partial line is kept, byte for byte, in some torn file; every torn file
  // holds (a prefix of, if killed while saving it) a planted line.
  std::vector<std::string> saved;
  for (const auto& file : tornFiles()) saved.push_back(readText(file));
  for (const auto& partial : injected) {
    EXPECT_NE(std::find(saved.begin(), saved.end(), partial), saved.end()) << partial;
  }
  // A write() cut by SIGKILL itself would leave a prefix of a child's own line (rare: one
  // write() of less than a page); anything else in a torn file would be a bug.
  const std::string childLine = R"({"action":"record-opened")";
  for (const auto& text : saved) {
    EXPECT_TRUE(std::any_of(injected.begin(), injected.end(),
                            [&](const std::string& p) { return p.starts_with(text); }) ||
                text.starts_with(childLine) || childLine.starts_with(text))
        << text;
  }
}

}  // namespace
}  // namespace annotrace::records
