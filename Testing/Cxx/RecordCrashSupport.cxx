// What the crash and concurrency tests of record saves share (see RecordCrashSupport.h).

#include "RecordCrashSupport.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "Records/CryptoPrimitives.h"
#include "Records/PendingRecords.h"
#include "Records/RecordFile.h"
#include "Records/SegmentationPayload.h"

namespace annotrace::records::crashtest {

std::string passphraseOf(const std::string& member) {
  return member + " passphrase";
}

VaultOptions fastOptions() {
  VaultOptions options;
  options.scrypt = crypto::ScryptParameters::minimum();
  return options;
}

void makeVault(const fs::path& folder) {
  Vault vault = Vault::init(folder, kAdmin, passphraseOf(kAdmin), fastOptions());
  const UnlockedMember admin = vault.unlock(kAdmin, passphraseOf(kAdmin));
  vault.addMember(admin, kAnnotator, Role::Annotator, passphraseOf(kAnnotator));
  vault.addMember(admin, kReviewer, Role::Reviewer, passphraseOf(kReviewer));
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

// --- What a kill left -------------------------------------------------------------------------

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

}  // namespace annotrace::records::crashtest
