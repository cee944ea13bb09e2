#include "Records/AuditLog.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>

#include <nlohmann/json.hpp>

#include "Core/DurableIO.h"
#include "Records/AuditLine.h"
#include "Records/CanonicalJson.h"

namespace annotrace::records {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace auditline;

namespace {

constexpr std::size_t kScanBlock = 64 * 1024;

[[noreturn]] void refuse(AuditErrorCode code, const fs::path& path, const std::string& problem) {
  throw AuditError(code, path.string() + ": " + problem);
}

std::string systemError(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

std::string canonical(const json& value) {
  return canonicalJson(value);
}

// The lock is a separate file so that truncating or replacing the log never drops it, and so
// that the vault can hold the same lock around a record commit. It is opened afresh for every
// operation: flock belongs to the open file description, which a fork() would share.
UniqueFd lockFolder(const fs::path& folder, bool exclusive) {
  const fs::path path = folder / AuditLog::kLockName;
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd && !exclusive && (errno == EROFS || errno == EACCES)) {
    fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    // A read-only copy without a lock file: nobody can append to it, so reading is safe.
    if (!fd && errno == ENOENT) return {};
  }
  if (!fd) refuse(AuditErrorCode::Io, path, systemError("cannot open the audit lock"));
  while (::flock(fd.get(), exclusive ? LOCK_EX : LOCK_SH) != 0) {
    if (errno != EINTR) refuse(AuditErrorCode::Io, path, systemError("cannot lock the audit log"));
  }
  return fd;
}

UniqueFd openLog(const fs::path& path, int flags) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (!fd) {
    refuse(AuditErrorCode::Io, path,
           errno == ENOENT ? std::string("there is no audit log here (was the vault created?)")
                           : systemError("cannot open the audit log"));
  }
  return fd;
}

off_t fileSize(int fd, const fs::path& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) refuse(AuditErrorCode::Io, path, systemError("cannot stat"));
  return info.st_size;
}

std::string readRange(int fd, off_t from, off_t to, const fs::path& path) {
  std::string out(static_cast<std::size_t>(to - from), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd, out.data() + done, out.size() - done, from + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) refuse(AuditErrorCode::Io, path, systemError("cannot read the audit log"));
    if (n == 0) refuse(AuditErrorCode::Io, path, "the audit log shrank while being read");
    done += static_cast<std::size_t>(n);
  }
  return out;
}

// Offset of the last '\n' in [0, end), or -1. Reads backwards so that append() costs the same
// on a log of any length.
off_t lastNewlineBefore(int fd, off_t end, const fs::path& path) {
  while (end > 0) {
    const off_t from = std::max<off_t>(0, end - static_cast<off_t>(kScanBlock));
    const std::string block = readRange(fd, from, end, path);
    if (const auto at = block.rfind('\n'); at != std::string::npos) {
      return from + static_cast<off_t>(at);
    }
    end = from;
  }
  return -1;
}

void writeAll(int fd, std::string_view bytes, const fs::path& path) {
  if (!writeFully(fd, bytes)) refuse(AuditErrorCode::Io, path, systemError("cannot write"));
}

// The end of the log as append() needs it: the last complete entry, and where a torn last line
// starts. A line is torn when it has no trailing newline, or when it is the last line and is not
// JSON (a crash can leave a short line or zeros). Anything else is for verify() to judge.
struct Tail {
  AuditHead head;
  off_t completeEnd = 0;  ///< end of the last complete line, after its '\n'
  off_t size = 0;
  bool torn() const { return completeEnd != size; }
};

Tail readTail(int fd, const fs::path& path) {
  Tail tail;
  tail.size = fileSize(fd, path);
  tail.head = {0, AuditLog::kGenesisHash};
  off_t end = tail.size;
  const off_t newline = lastNewlineBefore(fd, end, path);
  end = newline + 1;  // 0 when there is no newline at all
  tail.completeEnd = end;
  for (int round = 0; end > 0; ++round) {
    const off_t start = lastNewlineBefore(fd, end - 1, path) + 1;
    const std::string text = readRange(fd, start, end - 1, path);
    json value;
    try {
      value = json::parse(text);
    } catch (const json::exception&) {
      if (round == 0 && !tail.torn()) {  // the last line, though whole, is not JSON: torn
        end = start;
        tail.completeEnd = start;
        continue;
      }
      refuse(AuditErrorCode::BadJson, path,
             "the last entry is damaged (not JSON), so nothing can be chained to it; run the "
             "audit verification");
    }
    const auto seq = value.is_object() ? value.find("seq") : value.end();
    const auto hash = value.is_object() ? value.find("hash") : value.end();
    if (seq == value.end() || !seq->is_number_unsigned() || hash == value.end() ||
        !hash->is_string() || !isLowerHex64(hash->get<std::string>())) {
      refuse(AuditErrorCode::MalformedEntry, path,
             "the last entry has no valid \"seq\" or \"hash\", so nothing can be chained to it; "
             "run the audit verification");
    }
    tail.head = {seq->get<std::uint64_t>(), hash->get<std::string>()};
    break;
  }
  return tail;
}

std::string compactUtc(std::string utc) {
  std::erase_if(utc, [](char c) { return c == '-' || c == ':' || c == '.'; });
  return utc;
}

// Keeps the torn bytes in a file of their own (synced) before cutting them off the log, so a
// crash in between leaves them in both places, never in neither.
TornLine moveTornTail(int logFd, const Tail& tail, const fs::path& folder,
                      std::chrono::system_clock::time_point now) {
  const fs::path logPath = folder / AuditLog::kLogName;
  const std::string bytes = readRange(logFd, tail.completeEnd, tail.size, logPath);
  const std::string stem =
      std::string(AuditLog::kTornPrefix) + compactUtc(AuditLog::formatUtc(now));
  fs::path target;
  UniqueFd out;
  for (int attempt = 0; !out; ++attempt) {
    target = folder / (attempt == 0 ? stem : stem + "-" + std::to_string(attempt));
    out = UniqueFd(::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!out && (errno != EEXIST || attempt > 1000)) {
      refuse(AuditErrorCode::Io, target,
             systemError("cannot keep the torn last line of the audit log aside"));
    }
  }
  writeAll(out.get(), bytes, target);
  if (::fsync(out.get()) != 0) refuse(AuditErrorCode::Io, target, systemError("cannot sync"));
  syncFolder(folder);
  if (::ftruncate(logFd, tail.completeEnd) != 0 || ::fsync(logFd) != 0) {
    refuse(AuditErrorCode::Io, logPath,
           systemError("cannot cut the torn last line off the audit log (it is saved in " +
                       target.filename().string() + ")"));
  }
  return TornLine{target, bytes.size(), tail.head};
}

std::vector<std::string_view> splitLines(std::string_view text, bool& tornTail) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    if (newline == std::string_view::npos) break;
    lines.push_back(text.substr(0, newline));
    text.remove_prefix(newline + 1);
  }
  tornTail = !text.empty();
  if (tornTail) lines.push_back(text);
  return lines;
}

}  // namespace

AuditLog::AuditLog(fs::path folder, AuditClock clock)
    : folder_(std::move(folder)), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
}

std::string AuditLog::formatUtc(std::chrono::system_clock::time_point time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(time - seconds).count();
  const std::time_t t = std::chrono::system_clock::to_time_t(seconds);
  std::tm parts{};
  ::gmtime_r(&t, &parts);
  std::array<char, 64> text{};  // room for any int year: no truncation
  std::snprintf(text.data(), text.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min,
                parts.tm_sec, static_cast<int>(millis));
  return text.data();
}

std::string AuditLog::hashInput(const AuditEntry& entry) {
  return canonical(hashedObject(entry));
}

std::string AuditLog::line(const AuditEntry& entry) {
  json value = hashedObject(entry);
  value["hash"] = entry.hash;
  value["sig"] = entry.sig;
  return canonical(value) + "\n";
}

AuditLog AuditLog::create(const fs::path& folder, AuditClock clock) {
  const fs::path path = folder / kLogName;
  {
    const UniqueFd lock = lockFolder(folder, true);
    const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) {
      refuse(errno == EEXIST ? AuditErrorCode::AlreadyExists : AuditErrorCode::Io, path,
             errno == EEXIST ? std::string("an audit log already exists; it was left as it is")
                             : systemError("cannot create the audit log"));
    }
    if (::fsync(fd.get()) != 0) refuse(AuditErrorCode::Io, path, systemError("cannot sync"));
  }
  syncFolder(folder);
  return AuditLog(folder, std::move(clock));
}

AuditLog AuditLog::open(const fs::path& folder, AuditClock clock) {
  AuditLog log(folder, std::move(clock));
  const UniqueFd lock = lockFolder(folder, true);
  const UniqueFd fd = openLog(log.logPath(), O_RDWR);
  const Tail tail = readTail(fd.get(), log.logPath());
  if (tail.torn()) log.recovered_.push_back(moveTornTail(fd.get(), tail, folder, log.clock_()));
  return log;
}

AuditEvent AuditLog::tornLineEvent(const TornLine& torn, std::string actor, std::string role) {
  return AuditEvent{std::move(actor),
                    std::move(role),
                    std::string(kTornAction),
                    {torn.savedTo.filename().string()},
                    "an incomplete last line of " + std::to_string(torn.bytes) +
                        " bytes after entry " + std::to_string(torn.after.seq) +
                        " (an append cut short by a crash) was moved out of the log into " +
                        torn.savedTo.filename().string()};
}

AuditLog::Writer::Writer(AuditLog& log, UniqueFd lock, UniqueFd fd, AuditHead head,
                         std::int64_t size)
    : log_(&log), lock_(std::move(lock)), fd_(std::move(fd)), head_(std::move(head)), size_(size) {}

AuditLog::Writer AuditLog::beginAppend() {
  const fs::path path = logPath();
  UniqueFd lock = lockFolder(folder_, true);
  UniqueFd fd = openLog(path, O_RDWR | O_APPEND);
  // Under the lock the file is the truth: another process may have appended since we last read.
  Tail tail = readTail(fd.get(), path);
  if (tail.torn()) {
    recovered_.push_back(moveTornTail(fd.get(), tail, folder_, clock_()));
    tail.size = tail.completeEnd;
  }
  return Writer(*this, std::move(lock), std::move(fd), tail.head, tail.size);
}

AuditEntry AuditLog::append(const AuditEvent& event, const crypto::Ed25519Seed& signingSeed) {
  Writer writer = beginAppend();
  return writer.append(event, signingSeed);
}

AuditEntry AuditLog::Writer::append(const AuditEvent& event,
                                    const crypto::Ed25519Seed& signingSeed) {
  const fs::path path = log_->logPath();
  auto invalid = [&](const std::string& what) {
    refuse(AuditErrorCode::InvalidEvent, path, "cannot record the event: " + what);
  };
  if (event.actor.empty()) invalid("no actor");
  if (!auditline::isRole(event.role)) {
    invalid("role \"" + event.role + "\" is not one of annotator, reviewer, admin");
  }
  if (event.action.empty()) invalid("no action");

  AuditEntry entry;
  entry.actor = event.actor;
  entry.role = event.role;
  entry.action = event.action;
  entry.targets = event.targets;
  entry.reason = event.reason;
  entry.seq = head_.seq + 1;
  entry.prev = head_.hash;
  entry.utc = formatUtc(log_->clock_());
  std::string text;
  try {
    const crypto::Digest digest = crypto::sha256(crypto::asBytes(hashInput(entry)));
    entry.hash = crypto::toHex(digest);
    entry.sig = crypto::base64Encode(crypto::ed25519Sign(signingSeed, digest));
    text = line(entry);
  } catch (const nlohmann::json::exception&) {
    invalid("a field is not valid UTF-8 text");
  }

  // One write() of the whole line: a crash leaves a prefix of it at worst (no newline), which
  // the next open() moves aside. A short write (disk full) is cut back at once.
  ssize_t written = -1;
  do {
    written = ::write(fd_.get(), text.data(), text.size());
  } while (written < 0 && errno == EINTR);
  if (written != static_cast<ssize_t>(text.size())) {
    const int error = written < 0 ? errno : ENOSPC;
    const bool restored = ::ftruncate(fd_.get(), static_cast<off_t>(size_)) == 0;
    errno = error;
    refuse(AuditErrorCode::Io, path,
           systemError(restored ? "cannot append (nothing was recorded)"
                                : "cannot append, and the partial line could not be removed "
                                  "(it will be moved aside on the next open)"));
  }
  if (::fsync(fd_.get()) != 0) {
    refuse(AuditErrorCode::Io, path,
           systemError("the entry was written but could not be synced to disk"));
  }
  size_ += static_cast<std::int64_t>(text.size());
  head_ = {entry.seq, entry.hash};
  return entry;
}

AuditHead AuditLog::head() const {
  const UniqueFd lock = lockFolder(folder_, false);
  const UniqueFd fd = openLog(logPath(), O_RDONLY);
  return readTail(fd.get(), logPath()).head;
}

namespace {

std::string readLog(const fs::path& folder) {
  const fs::path path = folder / AuditLog::kLogName;
  const UniqueFd lock = lockFolder(folder, false);
  const UniqueFd fd = openLog(path, O_RDONLY);
  return readRange(fd.get(), 0, fileSize(fd.get(), path), path);
}

}  // namespace

AuditVerifyResult AuditLog::verify(const PublicKeyLookup& publicKeyOf,
                                   std::vector<AuditEntry>* goodEntries) const {
  const std::string text = readLog(folder_);
  bool tornTail = false;
  const std::vector<std::string_view> lines = splitLines(text, tornTail);

  AuditVerifyResult result;
  result.head = {0, kGenesisHash};
  auto fail = [&](AuditErrorCode code, std::size_t line, std::optional<std::uint64_t> seq,
                  const std::string& what) {
    result.problem = AuditProblem{code, line, seq, lineLabel(line, seq) + ": " + what};
    return result;
  };
  for (std::size_t index = 0; index < lines.size(); ++index) {
    const std::size_t lineNumber = index + 1;
    if (tornTail && index + 1 == lines.size()) {
      return fail(AuditErrorCode::TornLine, lineNumber, std::nullopt,
                  "the last line is incomplete (an append cut short by a crash?); opening the "
                  "log moves it aside");
    }
    AuditEntry entry;
    if (auto problem = parseLine(lines[index], lineNumber, entry)) {
      result.problem = std::move(problem);
      return result;
    }
    if (entry.seq != result.head.seq + 1) {
      return fail(AuditErrorCode::SeqGap, lineNumber, entry.seq,
                  "expected seq " + std::to_string(result.head.seq + 1) +
                      ": entries were deleted, inserted or reordered");
    }
    if (entry.prev != result.head.hash) {
      return fail(AuditErrorCode::BrokenChain, lineNumber, entry.seq,
                  "\"prev\" is not the hash of the entry before it: the chain was broken");
    }
    const crypto::Digest digest = crypto::sha256(crypto::asBytes(hashInput(entry)));
    if (crypto::toHex(digest) != entry.hash) {
      return fail(AuditErrorCode::HashMismatch, lineNumber, entry.seq,
                  "the entry was changed after it was written (its hash does not match)");
    }
    const auto publicKey = publicKeyOf(entry.actor, entry.seq);
    if (!publicKey) {
      return fail(AuditErrorCode::UnknownActor, lineNumber, entry.seq,
                  "no public key is known for actor \"" + entry.actor + "\"");
    }
    const auto signature = crypto::base64Decode(entry.sig);
    if (!crypto::ed25519Verify(*publicKey, digest, *signature)) {
      return fail(AuditErrorCode::BadSignature, lineNumber, entry.seq,
                  "the signature is not by \"" + entry.actor +
                      "\": the entry was forged or "
                      "changed");
    }
    result.head = {entry.seq, entry.hash};
    ++result.entries;
    if (goodEntries) goodEntries->push_back(std::move(entry));
  }
  return result;
}

AuditVerifyResult AuditLog::verifyHead(std::uint64_t expectedSeq,
                                       const std::string& expectedHash) const {
  AuditVerifyResult result;
  result.head = {0, kGenesisHash};
  if (expectedSeq == 0) {
    if (expectedHash != kGenesisHash) {
      result.problem =
          AuditProblem{AuditErrorCode::HeadMismatch, 0, 0, "the head of an empty log is 64 zeros"};
    }
    return result;
  }
  const std::string text = readLog(folder_);
  bool tornTail = false;
  const std::vector<std::string_view> lines = splitLines(text, tornTail);
  const std::size_t complete = lines.size() - (tornTail ? 1 : 0);
  for (std::size_t index = 0; index < complete; ++index) {
    AuditEntry entry;
    if (parseLine(lines[index], index + 1, entry) || entry.seq != expectedSeq) continue;
    if (entry.hash != expectedHash) {
      result.problem = AuditProblem{
          AuditErrorCode::HeadMismatch, index + 1, entry.seq,
          lineLabel(index + 1, entry.seq) +
              ": the entry at the remembered head has another hash: the log was rewritten"};
    } else {
      result.head = {entry.seq, entry.hash};
      result.entries = index + 1;
    }
    return result;
  }
  result.problem = AuditProblem{AuditErrorCode::HeadMissing, 0, expectedSeq,
                                "the log has no entry " + std::to_string(expectedSeq) +
                                    " any more: its tail was dropped or the entry removed"};
  return result;
}

namespace {

std::vector<AuditEntry> filterText(const std::string& text, const AuditFilter& criteria,
                                   const fs::path& path) {
  bool tornTail = false;
  const std::vector<std::string_view> lines = splitLines(text, tornTail);
  const std::size_t complete = lines.size() - (tornTail ? 1 : 0);  // a torn line is no entry
  std::vector<AuditEntry> out;
  for (std::size_t index = 0; index < complete; ++index) {
    AuditEntry entry;
    if (auto problem = parseLine(lines[index], index + 1, entry)) {
      throw AuditError(problem->code, path.string() + ": " + problem->message);
    }
    const auto& targets = entry.targets;
    if ((criteria.actor && entry.actor != *criteria.actor) ||
        (criteria.action && entry.action != *criteria.action) ||
        (criteria.target &&
         std::find(targets.begin(), targets.end(), *criteria.target) == targets.end()) ||
        (criteria.fromUtc && entry.utc < *criteria.fromUtc) ||
        (criteria.beforeUtc && entry.utc >= *criteria.beforeUtc)) {
      continue;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

std::vector<AuditEntry> AuditLog::filter(const AuditFilter& criteria) const {
  return filterText(readLog(folder_), criteria, logPath());
}

std::vector<AuditEntry> AuditLog::Writer::filter(const AuditFilter& criteria) const {
  const fs::path path = log_->logPath();
  return filterText(readRange(fd_.get(), 0, static_cast<off_t>(size_), path), criteria, path);
}

}  // namespace annotrace::records
