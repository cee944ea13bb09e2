#include "Records/RecordStore.h"

#include <unistd.h>

#include <algorithm>
#include <map>
#include <utility>

#include "Records/PendingRecords.h"

namespace annotrace::records {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

[[noreturn]] void fail(VaultErrorCode code, const std::string& message) {
  throw VaultError(code, message);
}

bool isLowerHex(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::uint64_t entrySeqOf(const RecordHeader& header) {
  const json& audit = header.header.value("audit", json());
  const std::string entry = audit.is_object() ? audit.value("entry", std::string()) : std::string();
  if (entry.empty() || entry.size() > 19 ||
      !std::all_of(entry.begin(), entry.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    fail(VaultErrorCode::BadRecord,
         "record " + header.id + " does not name the audit entry that created it");
  }
  return std::stoull(entry);
}

std::string shortId(const std::string& id) {
  return id.substr(0, 12);
}

// The targets of an entry about a record: the record, then the study it labels (so that
// "audit show --case STUDY" finds it).
std::vector<std::string> targetsFor(const std::string& id, const json& source) {
  std::vector<std::string> targets{id};
  const json& study = source.is_object() ? source.value("study_uid", json()) : json();
  if (study.is_string() && !study.get<std::string>().empty()) {
    targets.push_back(study.get<std::string>());
  }
  return targets;
}

// The status the log gives a record: its header state, then submit and review events.
struct ReviewState {
  std::string status;
  std::string reviewer;
  std::string reason;
};

ReviewState reviewState(const std::string& headerState, const std::vector<AuditEntry>& entries,
                        const std::string& id) {
  ReviewState state{headerState == "submitted" ? "submitted" : "draft", "", ""};
  for (const AuditEntry& entry : entries) {
    if (entry.targets.empty() || entry.targets.front() != id) continue;
    if (entry.action == RecordStore::kSubmitted) {
      state.status = "submitted";
    } else if (entry.action == RecordStore::kApproved || entry.action == RecordStore::kRejected) {
      state = {entry.action == RecordStore::kApproved ? "approved" : "rejected", entry.actor,
               entry.reason};
    }
  }
  return state;
}

}  // namespace

fs::path RecordStore::fileOf(const std::string& id) const {
  return vault_->recordsFolder() / (id + std::string(RecordFile::kExtension));
}

std::string RecordStore::resolve(const std::string& idOrPrefix) const {
  if (idOrPrefix.size() < 8 || idOrPrefix.size() > 64 || !isLowerHex(idOrPrefix)) {
    fail(VaultErrorCode::UnknownRecord, "\"" + idOrPrefix +
                                            "\" is not a record id: give the 64 hex digits or a "
                                            "unique prefix of at least 8");
  }
  std::vector<std::string> matches;
  std::error_code ec;
  for (fs::directory_iterator it(vault_->recordsFolder(), ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto id = RecordFile::idFromFileName(it->path());
    if (id && id->compare(0, idOrPrefix.size(), idOrPrefix) == 0) matches.push_back(*id);
  }
  if (matches.empty()) {
    fail(VaultErrorCode::UnknownRecord, "no record " + idOrPrefix + " in this vault");
  }
  if (matches.size() > 1) {
    fail(VaultErrorCode::AmbiguousRecord, "\"" + idOrPrefix + "\" matches " +
                                              std::to_string(matches.size()) +
                                              " records: give more digits");
  }
  return matches.front();
}

RecordHeader RecordStore::verified(const std::string& id) const {
  const fs::path file = fileOf(id);
  try {
    const RecordHeader header = RecordFile::readHeader(file);
    const std::string author = header.header.value("author", std::string());
    const std::uint64_t seq = entrySeqOf(header);
    const auto key = vault_->publicKeyOf(author, seq);
    if (!key) {
      fail(VaultErrorCode::BadRecord, "record " + shortId(id) + " is signed as \"" + author +
                                          "\", who was not a member at audit entry " +
                                          std::to_string(seq));
    }
    return RecordFile::verify(file, *key, id);
  } catch (const RecordError& error) {
    fail(VaultErrorCode::BadRecord, error.what());
  }
}

SavedRecord RecordStore::save(const UnlockedMember& author, RecordInfo info,
                              std::span<const std::uint8_t> payload, WriteOptions options) {
  for (std::string& parent : info.parents) parent = resolve(parent);
  const fs::path records = vault_->recordsFolder();
  const fs::path pending = PendingRecords::folder(records);
  std::error_code ec;
  fs::create_directories(pending, ec);
  if (ec) fail(VaultErrorCode::Io, "cannot create " + pending.string() + ": " + ec.message());

  VaultAppender appender = vault_->beginAppend(author);
  const AuditHead head = appender.head();
  info.author = author.id();
  info.role = std::string(toString(appender.role()));
  info.auditEntry = std::to_string(head.seq + 1);
  info.auditHead = head.hash;
  // The current epoch's key, as the membership read under the lock says.
  const ProjectKeyRing keys = vault_->projectKeys(author);
  fs::path written;
  const EncodedRecord record =
      RecordFile::write(pending, info, payload, keys.key(vault_->membership().keyEpoch),
                        author.signingSeed(), options, &written);
  std::string reason = "state " + info.state;
  if (!info.parents.empty()) {
    reason += "; derived from";
    for (const auto& parent : info.parents) reason += " " + parent;
  }
  AuditEntry entry;
  try {
    entry = appender.append(std::string(kCreated), targetsFor(record.id, info.source), reason);
  } catch (...) {
    ::unlink(written.c_str());  // not committed: the save failed and says so
    throw;
  }
  PendingRecords::commit(records, record.id);
  return {record.id, fileOf(record.id), entry};
}

OpenedRecord RecordStore::open(const UnlockedMember& reader, const std::string& idOrPrefix) {
  const std::string id = resolve(idOrPrefix);
  const RecordHeader header = verified(id);
  const std::string author = header.header.value("author", std::string());
  // Membership first: a removed member's cached project key decrypts nothing through here.
  VaultAppender appender = vault_->beginAppend(reader);
  // Records name no epoch: the newest key is tried first, then the older ones (a failed key
  // unwrap costs one AES-GCM on 32 bytes).
  const ProjectKeyRing keys = vault_->projectKeys(reader);
  const PublicKey signer = *vault_->publicKeyOf(author, entrySeqOf(header));
  OpenedRecord opened;
  for (std::uint32_t epoch = keys.epochs(); epoch >= 1; --epoch) {
    try {
      opened = RecordFile::open(fileOf(id), keys.key(epoch), signer, id);
      break;
    } catch (const RecordError& error) {
      if (error.code() != RecordErrorCode::KeyUnwrapFailed || epoch == 1) {
        fail(VaultErrorCode::BadRecord, error.what());
      }
    }
  }
  appender.append(std::string(kDecrypted), targetsFor(id, header.header.value("source", json())),
                  "");
  return opened;
}

AuditEntry RecordStore::submit(const UnlockedMember& author, const std::string& idOrPrefix) {
  const std::string id = resolve(idOrPrefix);
  const RecordHeader header = verified(id);
  const json source = header.header.value("source", json());
  VaultAppender appender = vault_->beginAppend(author);
  if (header.header.value("author", std::string()) != author.id()) {
    fail(VaultErrorCode::NotAuthor, "only the author (" +
                                        header.header.value("author", std::string()) +
                                        ") can submit record " + shortId(id));
  }
  const ReviewState state = reviewState(header.header.value("state", std::string()),
                                        appender.entries({.target = id}), id);
  if (state.status != "draft") {
    fail(VaultErrorCode::WrongState, "record " + shortId(id) + " is already " + state.status);
  }
  return appender.append(std::string(kSubmitted), targetsFor(id, source), "");
}

AuditEntry RecordStore::review(const UnlockedMember& reviewer, const std::string& idOrPrefix,
                               ReviewDecision decision, const std::string& reason) {
  const std::string id = resolve(idOrPrefix);
  const RecordHeader header = verified(id);
  const json source = header.header.value("source", json());
  const char* verb = decision == ReviewDecision::Approve ? "approve" : "reject";
  if (reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    fail(VaultErrorCode::MissingReason,
         std::string("a decision needs a reason: say why you ") + verb + " the record");
  }
  VaultAppender appender = vault_->beginAppend(reviewer);
  const std::string author = header.header.value("author", std::string());
  if (appender.role() == Role::Annotator) {
    appender.append(std::string(kRefused), targetsFor(id, source),
                    std::string("not a reviewer: tried to ") + verb);
    fail(VaultErrorCode::NotReviewer, "only a reviewer or an admin can " + std::string(verb) +
                                          " a record; " + reviewer.id() + " is an annotator");
  }
  if (author == reviewer.id()) {
    appender.append(std::string(kRefused), targetsFor(id, source),
                    std::string("own record: tried to ") + verb);
    fail(VaultErrorCode::SelfReview,
         "you are the author of record " + shortId(id) + ": another reviewer must decide");
  }
  const ReviewState state = reviewState(header.header.value("state", std::string()),
                                        appender.entries({.target = id}), id);
  if (state.status != "submitted") {
    fail(VaultErrorCode::WrongState,
         "record " + shortId(id) + " is " + state.status +
             (state.status == "draft" ? ": its author must submit it first"
                                      : " by " + state.reviewer + " already"));
  }
  return appender.append(std::string(decision == ReviewDecision::Approve ? kApproved : kRejected),
                         targetsFor(id, source), reason);
}

std::vector<RecordSummary> RecordStore::list() const {
  const std::vector<AuditEntry> entries = vault_->auditLog().filter();
  std::vector<RecordSummary> out;
  std::error_code ec;
  for (fs::directory_iterator it(vault_->recordsFolder(), ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto id = RecordFile::idFromFileName(it->path());
    if (!id) continue;
    RecordSummary summary;
    summary.id = *id;
    try {
      const RecordHeader header = RecordFile::readHeader(it->path());
      const json& h = header.header;
      summary.author = h.value("author", std::string());
      summary.role = h.value("role", std::string());
      summary.createdUtc = h.value("created_utc", std::string());
      summary.kind = h.value("kind", std::string());
      summary.headerState = h.value("state", std::string());
      summary.parents = h.value("parents", std::vector<std::string>());
      summary.source = h.value("source", json::object());
      summary.entrySeq = entrySeqOf(header);
      const ReviewState state = reviewState(summary.headerState, entries, *id);
      summary.status = state.status;
      summary.lastReviewer = state.reviewer;
      summary.lastReason = state.reason;
    } catch (const std::exception&) {
      summary.status = "unreadable";  // the verification names the problem
    }
    out.push_back(std::move(summary));
  }
  std::sort(out.begin(), out.end(), [](const RecordSummary& a, const RecordSummary& b) {
    return std::tie(a.entrySeq, a.id) < std::tie(b.entrySeq, b.id);
  });
  return out;
}

}  // namespace annotrace::records
