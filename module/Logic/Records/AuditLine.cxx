#include "Records/AuditLine.h"

#include <algorithm>
#include <array>

#include "Records/CanonicalJson.h"

namespace annotrace::records {

namespace auditline {

namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 3> kRoles = {"annotator", "reviewer", "admin"};
constexpr std::array<std::string_view, 10> kFields = {
    "action", "actor", "hash", "prev", "reason", "role", "seq", "sig", "targets", "utc"};

std::string canonical(const json& value) {
  return canonicalJson(value);
}

}  // namespace

bool isRole(std::string_view role) {
  return std::find(kRoles.begin(), kRoles.end(), role) != kRoles.end();
}

bool isLowerHex64(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool isUtc(const std::string& text) {
  static constexpr std::string_view kPattern = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (text.size() != kPattern.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool ok =
        kPattern[i] == 'd' ? (text[i] >= '0' && text[i] <= '9') : text[i] == kPattern[i];
    if (!ok) return false;
  }
  return true;
}

json hashedObject(const AuditEntry& entry) {
  return json{{"seq", entry.seq},       {"utc", entry.utc},       {"actor", entry.actor},
              {"role", entry.role},     {"action", entry.action}, {"targets", entry.targets},
              {"reason", entry.reason}, {"prev", entry.prev}};
}

std::string lineLabel(std::size_t line, std::optional<std::uint64_t> seq) {
  std::string label = "line " + std::to_string(line);
  if (seq) label += " (seq " + std::to_string(*seq) + ")";
  return label;
}

std::optional<AuditProblem> parseLine(std::string_view text, std::size_t line, AuditEntry& entry) {
  auto problem = [&](AuditErrorCode code, const std::string& what) {
    const std::optional<std::uint64_t> seq =
        entry.seq > 0 ? std::optional<std::uint64_t>(entry.seq) : std::nullopt;
    return std::optional<AuditProblem>(
        AuditProblem{code, line, seq, lineLabel(line, seq) + ": " + what});
  };
  json value;
  try {
    value = json::parse(text.begin(), text.end());
  } catch (const json::exception&) {
    return problem(AuditErrorCode::BadJson, "not valid JSON (damaged or edited by hand)");
  }
  if (!value.is_object()) return problem(AuditErrorCode::BadJson, "not a JSON object");
  if (const auto seq = value.find("seq"); seq != value.end() && seq->is_number_unsigned()) {
    entry.seq = seq->get<std::uint64_t>();
  }
  std::string form;
  try {
    form = canonical(value);
  } catch (const json::exception&) {
    return problem(AuditErrorCode::BadJson, "text that is not UTF-8");
  }
  // Only the canonical form has one hash: a re-encoded line is an edited line.
  if (form != text) {
    return problem(AuditErrorCode::NotCanonical,
                   "not in canonical JSON form (re-formatted or edited by hand)");
  }
  for (const auto& [key, ignored] : value.items()) {
    if (std::find(kFields.begin(), kFields.end(), key) == kFields.end()) {
      return problem(AuditErrorCode::MalformedEntry, "unexpected field \"" + key + "\"");
    }
  }
  auto text_ = [&](const char* key, std::string& out, bool nonEmpty) {
    const auto it = value.find(key);
    if (it == value.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return !nonEmpty || !out.empty();
  };
  const auto seq = value.find("seq");
  if (seq == value.end() || !seq->is_number_unsigned() || entry.seq == 0) {
    return problem(AuditErrorCode::MalformedEntry, "\"seq\" is missing or not a positive integer");
  }
  if (!text_("utc", entry.utc, true) || !isUtc(entry.utc)) {
    return problem(AuditErrorCode::MalformedEntry,
                   "\"utc\" is missing or not YYYY-MM-DDTHH:MM:SS.mmmZ");
  }
  if (!text_("actor", entry.actor, true)) {
    return problem(AuditErrorCode::MalformedEntry, "\"actor\" is missing or empty");
  }
  if (!text_("role", entry.role, true) ||
      std::find(kRoles.begin(), kRoles.end(), entry.role) == kRoles.end()) {
    return problem(AuditErrorCode::MalformedEntry,
                   "\"role\" is not one of annotator, reviewer, admin");
  }
  if (!text_("action", entry.action, true)) {
    return problem(AuditErrorCode::MalformedEntry, "\"action\" is missing or empty");
  }
  if (!text_("reason", entry.reason, false)) {
    return problem(AuditErrorCode::MalformedEntry, "\"reason\" is missing");
  }
  const auto targets = value.find("targets");
  if (targets == value.end() || !targets->is_array() ||
      !std::all_of(targets->begin(), targets->end(), [](const json& t) { return t.is_string(); })) {
    return problem(AuditErrorCode::MalformedEntry, "\"targets\" is not a list of ids");
  }
  entry.targets = targets->get<std::vector<std::string>>();
  if (!text_("prev", entry.prev, true) || !isLowerHex64(entry.prev) ||
      !text_("hash", entry.hash, true) || !isLowerHex64(entry.hash)) {
    return problem(AuditErrorCode::MalformedEntry,
                   "\"prev\" or \"hash\" is not 64 lowercase hex digits");
  }
  if (!text_("sig", entry.sig, true)) {
    return problem(AuditErrorCode::MalformedEntry, "\"sig\" is missing");
  }
  if (const auto sig = crypto::base64Decode(entry.sig); !sig || sig->size() != 64) {
    return problem(AuditErrorCode::MalformedEntry, "\"sig\" is not base64 of 64 bytes");
  }
  return std::nullopt;
}

}  // namespace auditline

std::string_view toString(AuditErrorCode code) {
  switch (code) {
    case AuditErrorCode::Io:
      return "Io";
    case AuditErrorCode::AlreadyExists:
      return "AlreadyExists";
    case AuditErrorCode::InvalidEvent:
      return "InvalidEvent";
    case AuditErrorCode::TornLine:
      return "TornLine";
    case AuditErrorCode::BadJson:
      return "BadJson";
    case AuditErrorCode::NotCanonical:
      return "NotCanonical";
    case AuditErrorCode::MalformedEntry:
      return "MalformedEntry";
    case AuditErrorCode::SeqGap:
      return "SeqGap";
    case AuditErrorCode::BrokenChain:
      return "BrokenChain";
    case AuditErrorCode::HashMismatch:
      return "HashMismatch";
    case AuditErrorCode::UnknownActor:
      return "UnknownActor";
    case AuditErrorCode::BadSignature:
      return "BadSignature";
    case AuditErrorCode::HeadMissing:
      return "HeadMissing";
    case AuditErrorCode::HeadMismatch:
      return "HeadMismatch";
  }
  return "Unknown";
}

}  // namespace annotrace::records
