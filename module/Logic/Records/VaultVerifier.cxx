#include "Records/VaultVerifier.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "Records/PendingRecords.h"
#include "Records/RecordFile.h"
#include "Records/RecordStore.h"

namespace annotrace::records {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string lineOf(const AuditEntry& entry) {
  return "audit.log entry " + std::to_string(entry.seq);
}

// Roles as the log establishes them, entry by entry.
class RoleReplay {
 public:
  struct State {
    std::string role;
    bool active = true;
  };

  std::optional<State> at(const std::string& id) const {
    const auto it = members_.find(id);
    if (it == members_.end()) return std::nullopt;
    return it->second;
  }

  // Applies a membership entry; returns a problem message when the entry is not allowed.
  std::string apply(const AuditEntry& entry) {
    const auto actor = at(entry.actor);
    if (entry.action == "vault-created") {
      if (entry.seq != 1) return "\"vault-created\" must be the first entry";
      members_[entry.actor] = {"admin", true};
      return {};
    }
    if (!actor || !actor->active) {
      return "\"" + entry.actor + "\" is not a member at this entry";
    }
    if (entry.role != actor->role) {
      return "claims role " + entry.role + ", but " + entry.actor + " was " + actor->role +
             " at this entry";
    }
    const std::string target = entry.targets.empty() ? std::string() : entry.targets.front();
    if (entry.action == "member-added" || entry.action == "member-removed" ||
        entry.action == "role-changed") {
      if (actor->role != "admin") return entry.action + " by a non-admin";
      if (entry.action == "member-added") {
        if (at(target)) return "adds \"" + target + "\", who was already a member";
        const std::string prefix = "role ";
        if (entry.reason.rfind(prefix, 0) != 0) return "member-added without a role";
        members_[target] = {entry.reason.substr(prefix.size()), true};
      } else if (entry.action == "member-removed") {
        if (!at(target)) return "removes \"" + target + "\", who is not a member";
        members_[target].active = false;
      } else {
        const auto arrow = entry.reason.find(" -> ");
        if (!at(target) || arrow == std::string::npos) return "role-changed without a new role";
        members_[target].role = entry.reason.substr(arrow + 4);
      }
    }
    return {};
  }

  const std::map<std::string, State>& members() const { return members_; }

 private:
  std::map<std::string, State> members_;
};

std::uint64_t entrySeqOf(const json& header) {
  const json& audit = header.value("audit", json());
  const std::string text = audit.is_object() ? audit.value("entry", std::string()) : "";
  if (text.empty() || text.size() > 19 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return 0;
  }
  return std::stoull(text);
}

}  // namespace

VaultReport VaultVerifier::verify(const Vault& vault) {
  VaultReport report;
  auto problem = [&](std::string code, std::string where, const std::string& message) {
    report.problems.push_back({std::move(code), where, where + ": " + message});
  };

  // 1. The chain and its signatures.
  std::vector<AuditEntry> entries;
  const AuditVerifyResult log = vault.auditLog().verify(vault.publicKeyLookup(), &entries);
  report.entries = log.entries;
  report.head = log.head;
  if (log.problem) {
    problem(std::string(toString(log.problem->code)),
            "audit.log line " + std::to_string(log.problem->line), log.problem->message);
  }

  // 2. Roles, entry by entry. Record authors are needed for the self-review rule.
  const fs::path records = vault.recordsFolder();
  std::map<fs::path, json> headers;            // file -> header, for files that parse
  std::map<std::string, std::string> authors;  // record id -> author, for well-named files
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(records, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == RecordFile::kExtension) {
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    try {
      const RecordHeader header = RecordFile::readHeader(file);
      headers[file] = header.header;
      if (RecordFile::idFromFileName(file) == header.id) {
        authors[header.id] = header.header.value("author", std::string());
      }
    } catch (const RecordError&) {
      // reported with the records below
    }
  }

  RoleReplay roles;
  std::uint32_t rotations = 0;
  std::map<std::uint64_t, RoleReplay::State> authorRoleAtEntry;  // record-created seq -> role
  for (const AuditEntry& entry : entries) {
    const std::string message = roles.apply(entry);
    if (!message.empty()) {
      problem("RoleMismatch", lineOf(entry), message);
      continue;
    }
    const std::string target = entry.targets.empty() ? std::string() : entry.targets.front();
    if (entry.action == RecordStore::kApproved || entry.action == RecordStore::kRejected) {
      if (entry.role != "reviewer" && entry.role != "admin") {
        problem("NotReviewer", lineOf(entry),
                "a review decision by " + entry.actor + ", who was " + entry.role);
      }
      const auto author = authors.find(target);
      if (author != authors.end() && author->second == entry.actor) {
        problem("SelfReview", lineOf(entry), entry.actor + " decided on their own record");
      }
    }
    if (entry.action == RecordStore::kCreated) {
      authorRoleAtEntry[entry.seq] = {entry.role, true};
    }
    if (entry.action == "project-key-rotated") {
      if (entry.role != "admin")
        problem("RoleMismatch", lineOf(entry), "a key rotation by a non-admin");
      ++rotations;
    }
  }
  if (log.ok()) {
    for (const VaultMember& member : vault.membership().members) {
      const auto replayed = roles.at(member.id);
      if (!replayed || replayed->role != toString(member.role) ||
          replayed->active != member.active()) {
        problem("MembershipMismatch", "membership.json",
                "member " + member.id + " is listed as " + std::string(toString(member.role)) +
                    (member.active() ? "" : " (removed)") +
                    ", which the audit log does not establish: the list was replaced");
      }
    }
    if (vault.membership().keyEpoch != rotations + 1) {
      problem("MembershipMismatch", "membership.json",
              "names project key epoch " + std::to_string(vault.membership().keyEpoch) +
                  " but the audit log records " + std::to_string(rotations) + " rotations");
    }
    if (roles.members().size() != vault.membership().members.size()) {
      problem("MembershipMismatch", "membership.json",
              "the audit log adds " + std::to_string(roles.members().size()) +
                  " members but the list has " + std::to_string(vault.membership().members.size()));
    }
  }

  // 3. Every record file against its entry.
  auto entryAt = [&](std::uint64_t seq) -> const AuditEntry* {
    return seq >= 1 && seq <= entries.size() ? &entries[seq - 1] : nullptr;
  };
  std::set<std::string> present;
  for (const fs::path& file : files) {
    const std::string where = "records/" + file.filename().string();
    const auto id = RecordFile::idFromFileName(file);
    if (!id) {
      problem("UnexpectedFile", where, "not named like a record (<64 hex digits>.atrec)");
      continue;
    }
    present.insert(*id);
    const auto header = headers.find(file);
    if (header == headers.end()) {
      try {
        RecordFile::readHeader(file);
      } catch (const RecordError& error) {
        problem(std::string(toString(error.code())), where, error.what());
      }
      continue;
    }
    const std::string author = header->second.value("author", std::string());
    const std::uint64_t seq = entrySeqOf(header->second);
    if (seq == 0) {
      problem("NoAuditLink", where, "the record does not name the audit entry that created it");
      continue;
    }
    const auto key = vault.publicKeyOf(author, seq);
    if (!key) {
      problem("UnknownSigner", where,
              "signed as \"" + author + "\", who was not a member at audit entry " +
                  std::to_string(seq) + " (removed, or never added)");
      continue;
    }
    try {
      RecordFile::verify(file, *key, *id);
    } catch (const RecordError& error) {
      problem(std::string(toString(error.code())), where, error.what());
      continue;
    }
    const AuditEntry* entry = entryAt(seq);
    if (!entry) {
      problem("RecordNotInLog", where,
              "names audit entry " + std::to_string(seq) + ", but the log ends at " +
                  std::to_string(report.head.seq) + ": the log's tail was dropped");
      continue;
    }
    const bool created = entry->action == RecordStore::kCreated && entry->actor == author;
    const bool recovered = entry->action == PendingRecords::kRecoveredAction;
    if (entry->targets.empty() || entry->targets.front() != *id || !(created || recovered)) {
      problem("RecordEntryMismatch", where,
              "audit entry " + std::to_string(seq) +
                  " is not the creation of this record: the log was rewritten");
      continue;
    }
    const json& audit = header->second["audit"];
    const std::string headHash = audit.value("head", std::string());
    const AuditEntry* before = entryAt(seq - 1);
    if ((before ? before->hash : AuditLog::kGenesisHash) != headHash) {
      problem("HeadMismatch", where,
              "the log head the record saw (entry " + std::to_string(seq - 1) +
                  ") has another hash now: the log was rewritten");
      continue;
    }
    const auto role = authorRoleAtEntry.find(seq);
    if (created && role != authorRoleAtEntry.end() &&
        header->second.value("role", std::string()) != role->second.role) {
      problem("RoleMismatch", where,
              "the record claims role " + header->second.value("role", std::string()) +
                  " but its entry says " + role->second.role);
      continue;
    }
    ++report.records;
  }

  // 4. Records the log created that are gone, and saves never committed.
  for (const AuditEntry& entry : entries) {
    if ((entry.action == RecordStore::kCreated ||
         entry.action == PendingRecords::kRecoveredAction) &&
        !entry.targets.empty() && !present.count(entry.targets.front())) {
      problem("RecordMissing", lineOf(entry),
              "created record " + entry.targets.front() + ", whose file is gone from records/");
    }
  }
  for (const fs::path& file : PendingRecords::list(records)) {
    problem("UncommittedRecord", "records/pending/" + file.filename().string(),
            "a save that never reached the audit log (unlock the vault to let it be "
            "recovered, or remove it)");
  }
  return report;
}

}  // namespace annotrace::records
