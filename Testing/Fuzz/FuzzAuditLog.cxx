// An audit log (Records/AuditLog.h, Docs/Vault.md "Audit log") from untrusted bytes: the input is
// the whole content of audit.log in a scratch folder (one per process). Each run reads it with
// verify() (a PublicKeyLookup that knows two fixed actors), verifyHead(), filter() and head(),
// then AuditLog::open(), whose torn-line recovery moves a partial last line into
// audit.log.torn-* (removed again after every run), then verify() once more.
//
// Every call must end in a result or an AuditError; any other outcome is a finding: a crash or a
// sanitizer report, an exception that is no std::exception, or (when ANNOTRACE_FUZZ_STRICT=1)
// a std::exception other than AuditError. The results must also agree (see the checks below):
// a log that verifies contains its own head, filters to all its entries and has that head; open()
// loses no byte (log + torn file = input) and leaves no torn line behind.
//
// Seeds: Testing/Fuzz/corpus/FuzzAuditLog, made by MakeRecordsFuzzSeeds with AuditLog::create
// and append (entries signed by member:alice = RFC 8032 TEST 1 and member:bob = TEST 2, and one
// by an actor the lookup does not know).
//
// The scratch folder is in $TMPDIR, else /dev/shm (the log is fsynced: a RAM disk keeps that
// cheap), else the system's temporary folder.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>

#include "Records/AuditLog.h"
#include "Records/CryptoPrimitives.h"

#include "FuzzSupport.h"

namespace {

using namespace annotrace;
using records::AuditError;
using records::AuditErrorCode;
using records::AuditLog;
namespace fs = std::filesystem;

constexpr fuzz::Harness<AuditError> kHarness{"FuzzAuditLog", "a non-AuditError std::exception"};

// member:alice and member:bob, from the first entry on (Vault::publicKeyOf would bound them by
// the entries that added and removed them).
std::optional<crypto::Ed25519PublicKey> lookup(const std::string& actor, std::uint64_t seq) {
  static const auto alice = crypto::ed25519PublicKey(fuzz::kAliceSeed);
  static const auto bob = crypto::ed25519PublicKey(fuzz::kBobSeed);
  if (seq == 0) return std::nullopt;
  if (actor == "member:alice") return alice;
  if (actor == "member:bob") return bob;
  return std::nullopt;
}

const fs::path& scratch() {
  return fuzz::scratchFolder("audit");
}

// Torn lines moved aside, concatenated in name order, and removed.
std::string takeTornFiles() {
  std::set<fs::path> torn;
  for (const auto& entry : fs::directory_iterator(scratch())) {
    if (entry.path().filename().string().starts_with(AuditLog::kTornPrefix))
      torn.insert(entry.path());
  }
  std::string bytes;
  for (const auto& path : torn) {
    bytes += fuzz::readAll(path);
    fs::remove(path);
  }
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One AuditLog object reads whatever audit.log holds: verify() and friends re-read the file.
  static AuditLog log = [] { return AuditLog::create(scratch(), fuzz::fixedClock); }();
  const std::string input(reinterpret_cast<const char*>(data), size);
  {
    std::ofstream out(log.logPath(), std::ios::binary | std::ios::trunc);
    out.write(input.data(), static_cast<std::streamsize>(input.size()));
  }

  const auto verified = kHarness.attempt("verify", [&] { return log.verify(lookup); });
  const auto genesis =
      kHarness.attempt("verifyHead(0)", [&] { return log.verifyHead(0, AuditLog::kGenesisHash); });
  if (genesis && !genesis->ok()) kHarness.finding("verifyHead(0, genesis) failed");
  kHarness.attempt("verifyHead(3)", [&] { return log.verifyHead(3, std::string(64, 'a')); });
  const auto all = kHarness.attempt("filter", [&] { return log.filter(); });
  kHarness.attempt("filter(criteria)", [&] {
    records::AuditFilter criteria;
    criteria.actor = "member:alice";
    criteria.target = "member:bob";
    criteria.fromUtc = "2025-01-01T00:00:00.001Z";
    criteria.beforeUtc = "2025-02";
    return log.filter(criteria);
  });
  const auto head = kHarness.attempt("head", [&] { return log.head(); });

  if (verified && verified->ok()) {
    const auto again = kHarness.attempt("verifyHead(head)", [&] {
      return log.verifyHead(verified->head.seq, verified->head.hash);
    });
    if (!again || !again->ok())
      kHarness.finding("a log that verifies does not contain its own head");
    if (!all || all->size() != verified->entries) {
      kHarness.finding("a log that verifies does not filter to all of its entries");
    }
    if (!head || !(*head == verified->head))
      kHarness.finding("head() differs from the head verify() found");
  }

  // Recovery: the torn tail moves aside, nothing is lost, and no torn line is left.
  const auto opened =
      kHarness.attempt("open", [&] { return AuditLog::open(scratch(), fuzz::fixedClock); });
  const std::string kept = fuzz::readAll(log.logPath());
  const std::string torn = takeTornFiles();
  if (kept + torn != input)
    kHarness.finding("open() lost or changed bytes of the log while recovering it");
  if (opened) {
    if (opened->recovered().size() > 1)
      kHarness.finding("open() recovered more than one torn line");
    if (opened->recovered().empty() != torn.empty())
      kHarness.finding("open() recovered() disagrees with the files it wrote");
    if (!kept.empty() && kept.back() != '\n')
      kHarness.finding("open() left a log that does not end in a newline");
    const auto after =
        kHarness.attempt("verify(after open)", [&] { return opened->verify(lookup); });
    if (after && after->problem && after->problem->code == AuditErrorCode::TornLine) {
      kHarness.finding("verify() finds a torn line right after open() recovered the log");
    }
    if (verified && verified->ok() && !torn.empty())
      kHarness.finding("open() moved part of a log that verifies");
  } else if (!torn.empty()) {
    kHarness.finding("open() failed but moved bytes out of the log");
  }
  return 0;
}
