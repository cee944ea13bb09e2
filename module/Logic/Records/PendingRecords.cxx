#include "Records/PendingRecords.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "Core/DurableIO.h"
#include "Records/RecordFile.h"

namespace annotrace::records {

namespace fs = std::filesystem;

namespace {

std::string readAll(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The audit link a record's header carries: {"entry": "<seq>", "head": "<hash of seq - 1>"}.
struct AuditLink {
  std::uint64_t entry = 0;
  std::string head;
};

std::optional<AuditLink> auditLinkOf(const RecordHeader& header) {
  const auto& meta = header.header;
  if (!meta.contains("audit") || !meta["audit"].is_object()) return std::nullopt;
  const auto& audit = meta["audit"];
  if (!audit.value("entry", nlohmann::json()).is_string() ||
      !audit.value("head", nlohmann::json()).is_string()) {
    return std::nullopt;
  }
  const std::string entry = audit["entry"].get<std::string>();
  if (entry.empty() || entry.size() > 19 ||
      !std::all_of(entry.begin(), entry.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return AuditLink{std::stoull(entry), audit["head"].get<std::string>()};
}

}  // namespace

void PendingRecords::commit(const fs::path& recordsFolder, const std::string& id) {
  const std::string name = id + std::string(RecordFile::kExtension);
  const fs::path from = folder(recordsFolder) / name;
  const fs::path to = recordsFolder / name;
  if (::link(from.c_str(), to.c_str()) != 0) {
    // Already linked by an earlier attempt that crashed before the unlink: same bytes, fine.
    if (errno != EEXIST || readAll(from) != readAll(to)) {
      throw RecordError(RecordErrorCode::Io,
                        "cannot move record " + id + " from " + from.string() + " into " +
                            recordsFolder.string() + ": " +
                            (errno == EEXIST ? std::string("another file has its name")
                                             : std::string(std::strerror(errno))));
    }
  }
  syncFolder(recordsFolder);
  // No sync of pending/ after the unlink: if a crash loses it, recover() finds the same bytes
  // already in records/ and removes the copy again. It saves one flush per save.
  if (::unlink(from.c_str()) != 0 && errno != ENOENT) {
    throw RecordError(RecordErrorCode::Io, "record " + id + " is saved, but its pending copy " +
                                               from.string() +
                                               " cannot be removed: " + std::strerror(errno));
  }
}

std::vector<fs::path> PendingRecords::list(const fs::path& recordsFolder) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(folder(recordsFolder), ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().extension() == RecordFile::kExtension) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> PendingRecords::recover(AuditLog::Writer& writer,
                                                 const fs::path& recordsFolder,
                                                 const std::string& actor, const std::string& role,
                                                 const crypto::Ed25519Seed& seed) {
  // Temporary files of writes killed mid-record: every pending write happens under the lock
  // the caller holds, so none of them is still being written.
  std::error_code ec;
  for (fs::directory_iterator it(folder(recordsFolder), ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(".") && name.find(".tmp-") != std::string::npos) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
  std::vector<std::string> committed;
  for (const fs::path& file : list(recordsFolder)) {
    RecordHeader header;
    try {
      header = RecordFile::readHeader(file);
    } catch (const RecordError&) {
      continue;  // not a whole record: RecordFile writes temporaries elsewhere; verify reports it
    }
    const auto link = auditLinkOf(header);
    if (!link || RecordFile::idFromFileName(file) != header.id) continue;
    const AuditHead& head = writer.head();
    if (link->entry <= head.seq) {
      // The entry went out before the crash: finish the rename, if that entry really is about
      // this record (otherwise the file stays for the verification to report).
      AuditFilter about;
      about.target = header.id;
      const auto entries = writer.filter(about);
      const bool logged = std::any_of(entries.begin(), entries.end(), [&](const AuditEntry& e) {
        return e.seq == link->entry && !e.targets.empty() && e.targets.front() == header.id;
      });
      if (logged) {
        commit(recordsFolder, header.id);
        committed.push_back(header.id);
      }
    } else if (link->entry == head.seq + 1 && link->head == head.hash) {
      const std::string author = header.header.value("author", std::string());
      writer.append({actor,
                     role,
                     std::string(kRecoveredAction),
                     {header.id},
                     "record by " + author +
                         " was written but its save was interrupted before the audit entry; "
                         "committed on recovery"},
                    seed);
      commit(recordsFolder, header.id);
      committed.push_back(header.id);
    }
  }
  return committed;
}

}  // namespace annotrace::records
