// The audit trail with several processes: two appending at once lose nothing, and processes
// killed with SIGKILL mid-append leave a log that verifies once its torn line is moved aside.

#include "AuditLogTestSupport.h"

namespace annotrace::records {
namespace {

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
