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

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <system_error>

#include "Records/AuditLog.h"
#include "Records/CryptoPrimitives.h"

namespace {

using namespace annotrace;
using records::AuditError;
using records::AuditErrorCode;
using records::AuditLog;
namespace fs = std::filesystem;

bool strict() {
  static const bool value = [] {
    const char* text = std::getenv("ANNOTRACE_FUZZ_STRICT");
    return text && *text && *text != '0';
  }();
  return value;
}

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "\n==FuzzAuditLog== FINDING: %s\n", what.c_str());
  std::abort();
}

void otherException(const char* call, const std::exception& error) {
  static std::set<std::string> seen;
  const std::string what = std::string(call) + " threw a non-AuditError std::exception (" +
                           typeid(error).name() + "): " + error.what();
  if (strict()) finding(what);
  if (seen.insert(call).second) std::fprintf(stderr, "==FuzzAuditLog== note: %s\n", what.c_str());
}

template <class Call>
auto attempt(const char* name, Call&& call) -> std::optional<decltype(call())> {
  try {
    return call();
  } catch (const AuditError&) {
    return std::nullopt;
  } catch (const std::exception& error) {
    otherException(name, error);
    return std::nullopt;
  }
}

crypto::Ed25519PublicKey publicKeyOf(std::string_view seedHex) {
  const auto bytes = crypto::fromHex(seedHex);
  crypto::Ed25519Seed seed{};
  std::copy(bytes->begin(), bytes->end(), seed.begin());
  return crypto::ed25519PublicKey(seed);
}

// member:alice and member:bob, from the first entry on (Vault::publicKeyOf would bound them by
// the entries that added and removed them).
std::optional<crypto::Ed25519PublicKey> lookup(const std::string& actor, std::uint64_t seq) {
  static const auto alice =
      publicKeyOf("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  static const auto bob =
      publicKeyOf("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
  if (seq == 0) return std::nullopt;
  if (actor == "member:alice") return alice;
  if (actor == "member:bob") return bob;
  return std::nullopt;
}

std::chrono::system_clock::time_point fixedClock() {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(1735689600000));
}

const fs::path& scratch() {
  static const fs::path folder = [] {
    fs::path base;
    if (const char* tmp = std::getenv("TMPDIR"); tmp && *tmp) {
      base = tmp;
    } else if (std::error_code ec; fs::is_directory("/dev/shm", ec)) {
      base = "/dev/shm";
    } else {
      base = fs::temp_directory_path();
    }
    const fs::path path = base / ("annotrace-fuzz-audit-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
    return path;
  }();
  // Registered after `folder` is built, so that it runs before `folder` is destroyed.
  static const bool cleanup = std::atexit([] {
                                std::error_code ec;
                                fs::remove_all(scratch(), ec);
                              }) == 0;
  (void)cleanup;
  return folder;
}

std::string readAll(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
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
    bytes += readAll(path);
    fs::remove(path);
  }
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One AuditLog object reads whatever audit.log holds: verify() and friends re-read the file.
  static AuditLog log = [] { return AuditLog::create(scratch(), fixedClock); }();
  const std::string input(reinterpret_cast<const char*>(data), size);
  {
    std::ofstream out(log.logPath(), std::ios::binary | std::ios::trunc);
    out.write(input.data(), static_cast<std::streamsize>(input.size()));
  }

  const auto verified = attempt("verify", [&] { return log.verify(lookup); });
  const auto genesis =
      attempt("verifyHead(0)", [&] { return log.verifyHead(0, AuditLog::kGenesisHash); });
  if (genesis && !genesis->ok()) finding("verifyHead(0, genesis) failed");
  attempt("verifyHead(3)", [&] { return log.verifyHead(3, std::string(64, 'a')); });
  const auto all = attempt("filter", [&] { return log.filter(); });
  attempt("filter(criteria)", [&] {
    records::AuditFilter criteria;
    criteria.actor = "member:alice";
    criteria.target = "member:bob";
    criteria.fromUtc = "2025-01-01T00:00:00.001Z";
    criteria.beforeUtc = "2025-02";
    return log.filter(criteria);
  });
  const auto head = attempt("head", [&] { return log.head(); });

  if (verified && verified->ok()) {
    const auto again = attempt("verifyHead(head)", [&] {
      return log.verifyHead(verified->head.seq, verified->head.hash);
    });
    if (!again || !again->ok()) finding("a log that verifies does not contain its own head");
    if (!all || all->size() != verified->entries) {
      finding("a log that verifies does not filter to all of its entries");
    }
    if (!head || !(*head == verified->head)) finding("head() differs from the head verify() found");
  }

  // Recovery: the torn tail moves aside, nothing is lost, and no torn line is left.
  const auto opened = attempt("open", [&] { return AuditLog::open(scratch(), fixedClock); });
  const std::string kept = readAll(log.logPath());
  const std::string torn = takeTornFiles();
  if (kept + torn != input) finding("open() lost or changed bytes of the log while recovering it");
  if (opened) {
    if (opened->recovered().size() > 1) finding("open() recovered more than one torn line");
    if (opened->recovered().empty() != torn.empty())
      finding("open() recovered() disagrees with the files it wrote");
    if (!kept.empty() && kept.back() != '\n')
      finding("open() left a log that does not end in a newline");
    const auto after = attempt("verify(after open)", [&] { return opened->verify(lookup); });
    if (after && after->problem && after->problem->code == AuditErrorCode::TornLine) {
      finding("verify() finds a torn line right after open() recovered the log");
    }
    if (verified && verified->ok() && !torn.empty())
      finding("open() moved part of a log that verifies");
  } else if (!torn.empty()) {
    finding("open() failed but moved bytes out of the log");
  }
  return 0;
}
