// annotrace record save|list|show|open|submit|review.

#include <iostream>
#include <sstream>

#include "IO/VolumeReader.h"
#include "Passphrase.h"
#include "ProgressPrinter.h"
#include "Records/RecordStore.h"
#include "Records/SegmentationPayload.h"
#include "Records/SourceIdentity.h"
#include "Segmentation/LabelmapFileIO.h"
#include "SubcommandLine.h"
#include "VaultCommands.h"

namespace annotrace::cli {

namespace {

using nlohmann::json;
using records::RecordStore;
using records::Vault;

std::optional<Volume> loadVolume(const CommandLine& line) {
  const auto path = line.value("--volume");
  if (!path) return std::nullopt;
  ProgressPrinter printer;
  VolumeReader::Options options;
  options.seriesId = line.value("--series").value_or("");
  Volume volume = VolumeReader::read(*path, options, &printer.progress());
  printer.finish();
  return volume;
}

std::vector<std::string> commaList(const std::optional<std::string>& text) {
  std::vector<std::string> items;
  if (!text) return items;
  std::stringstream in(*text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

json summaryJson(const records::RecordSummary& r) {
  return {{"id", r.id},
          {"author", r.author},
          {"role", r.role},
          {"created_utc", r.createdUtc},
          {"status", r.status},
          {"parents", r.parents},
          {"entry", r.entrySeq},
          {"reviewer", r.lastReviewer},
          {"reason", r.lastReason},
          {"source", r.source}};
}

records::UnlockedMember unlockAs(Vault& vault, const CommandLine& line) {
  const std::string member = requiredOption(line, "--as");
  return vault.unlock(member, Passphrase::forMember(line, member));
}

int save(const std::vector<std::string>& rest) {
  const CommandLine line(
      rest, {"--submit", "--json"},
      {"--as", "--labels", "--volume", "--series", "--parents", "--passphrase-file"});
  Vault vault = Vault::open(vaultArguments(line, "record save")[0]);
  const std::optional<Volume> volume = loadVolume(line);
  const LabelmapBundle labels = LabelmapFileIO::read(requiredOption(line, "--labels"),
                                                     volume ? &volume->geometry() : nullptr);
  for (const auto& warning : labels.warnings) std::cerr << "warning: " << warning << "\n";
  records::RecordInfo info;
  info.parents = commaList(line.value("--parents"));
  info.state = line.has("--submit") ? "submitted" : "draft";
  info.source = volume ? records::sourceIdentity(*volume)
                       : records::sourceIdentity(labels.segmentation.geometry());
  const records::UnlockedMember author = unlockAs(vault, line);
  RecordStore store(vault);
  const auto saved = store.save(
      author, info, records::SegmentationPayload::encode(labels.segmentation, labels.operationLog));
  if (line.has("--json")) {
    std::cout << json{{"id", saved.id}, {"entry", saved.entry.seq}, {"file", saved.file}}.dump(2)
              << "\n";
  } else {
    std::cout << "saved record " << saved.id << " (" << info.state << ", "
              << labels.segmentation.segmentCount() << " segments, audit entry " << saved.entry.seq
              << ")\n";
  }
  return kExitOk;
}

int list(const std::vector<std::string>& rest) {
  const CommandLine line(rest, {"--json"}, {});
  Vault vault = Vault::open(vaultArguments(line, "record list")[0]);
  const auto records = RecordStore(vault).list();
  if (line.has("--json")) {
    json out = json::array();
    for (const auto& r : records) out.push_back(summaryJson(r));
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& r : records) {
    std::cout << r.id.substr(0, 16) << "  " << r.createdUtc << "  " << r.author << "  " << r.status;
    if (!r.lastReviewer.empty()) std::cout << " by " << r.lastReviewer << ": " << r.lastReason;
    if (!r.parents.empty()) std::cout << "  (from " << r.parents.front().substr(0, 16) << ")";
    std::cout << "\n";
  }
  return kExitOk;
}

int show(const std::vector<std::string>& rest) {
  const CommandLine line(rest, {}, {});
  const auto args = vaultArguments(line, "record show", 1, "a record id");
  Vault vault = Vault::open(args[0]);
  const RecordStore store(vault);
  const std::string id = store.resolve(args[1]);
  const records::RecordHeader header = records::RecordFile::readHeader(store.fileOf(id));
  json out = header.header;
  out["id"] = id;
  out["signature"] = header.signature;
  std::cout << out.dump(2) << "\n";
  return kExitOk;
}

int open(const std::vector<std::string>& rest) {
  const CommandLine line(rest, {}, {"--as", "--out", "--volume", "--series", "--passphrase-file"});
  const auto args = vaultArguments(line, "record open", 1, "a record id");
  const std::string out = requiredOption(line, "--out");
  if (!LabelmapFileIO::isSupportedFile(out)) {
    throw UsageError("cannot tell the label map format from '" + out +
                     "'; name it .nii.gz, .nii, .nrrd or .nhdr");
  }
  Vault vault = Vault::open(args[0]);
  const std::optional<Volume> volume = loadVolume(line);
  const records::UnlockedMember reader = unlockAs(vault, line);
  RecordStore store(vault);
  const records::OpenedRecord opened = store.open(reader, args[1]);
  if (volume) {
    const std::string mismatch =
        records::sourceMismatch(opened.header.header.value("source", json()), *volume);
    if (!mismatch.empty()) throw std::runtime_error("record " + opened.header.id + ": " + mismatch);
  }
  const LabelmapBundle bundle = records::SegmentationPayload::decode(opened.plaintext);
  LabelmapFileIO::write(bundle.segmentation, out, nullptr, bundle.operationLog);
  std::cout << "decrypted record " << opened.header.id << " (" << bundle.segmentation.segmentCount()
            << " segments) into " << out << "\n";
  return kExitOk;
}

int decide(const std::string& name, const std::vector<std::string>& rest) {
  const CommandLine line(rest, {"--approve", "--reject"},
                         {"--as", "--reason", "--passphrase-file"});
  const auto args = vaultArguments(line, "record " + name, 1, "a record id");
  Vault vault = Vault::open(args[0]);
  RecordStore store(vault);
  if (name == "submit") {
    const records::UnlockedMember author = unlockAs(vault, line);
    const auto entry = store.submit(author, args[1]);
    std::cout << "submitted record " << entry.targets.front() << " (audit entry " << entry.seq
              << ")\n";
    return kExitOk;
  }
  if (line.has("--approve") == line.has("--reject")) {
    throw UsageError("record review needs exactly one of --approve and --reject");
  }
  const std::string reason = requiredOption(line, "--reason");
  const records::UnlockedMember reviewer = unlockAs(vault, line);
  const auto decision =
      line.has("--approve") ? records::ReviewDecision::Approve : records::ReviewDecision::Reject;
  const auto entry = store.review(reviewer, args[1], decision, reason);
  std::cout << entry.action << ": record " << entry.targets.front() << " by " << entry.actor
            << " (audit entry " << entry.seq << ")\n";
  return kExitOk;
}

}  // namespace

int VaultCommands::runRecord(const std::vector<std::string>& arguments) {
  const Subcommand sub = splitSubcommand(arguments, "record");
  if (sub.name == "save") return save(sub.rest);
  if (sub.name == "list") return list(sub.rest);
  if (sub.name == "show") return show(sub.rest);
  if (sub.name == "open") return open(sub.rest);
  if (sub.name == "submit" || sub.name == "review") return decide(sub.name, sub.rest);
  throw UsageError("unknown subcommand 'record " + sub.name +
                   "': use save, list, show, open, submit or review");
}

}  // namespace annotrace::cli
