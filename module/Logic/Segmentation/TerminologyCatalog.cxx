#include "Segmentation/TerminologyCatalog.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "Segmentation/SegmentJson.h"

#ifndef ANNOTRACE_RESOURCE_DIR
#error "ANNOTRACE_RESOURCE_DIR must name the Resources folder (module/Logic/CMakeLists.txt)"
#endif

namespace annotrace {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr std::string_view kFormat = "annotrace-terminology";
constexpr int kVersion = 1;

// Names are English; folding ASCII letters is all "case-insensitive" needs to mean here.
std::string folded(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trimmed(std::string_view text) {
  const auto isSpace = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && isSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && isSpace(text.back())) text.remove_suffix(1);
  return text;
}

// True when a word of `text` (both folded) starts with `query`: "kid" in "left kidney".
bool wordStartsWith(std::string_view text, std::string_view query) {
  for (std::size_t at = text.find(query); at != std::string_view::npos;
       at = text.find(query, at + 1)) {
    if (at == 0 || std::isalnum(static_cast<unsigned char>(text[at - 1])) == 0) return true;
  }
  return false;
}

std::vector<std::string> stringList(const json& entry, const char* member) {
  std::vector<std::string> out;
  if (!entry.contains(member)) return out;
  const json& list = entry.at(member);
  const std::string problem = std::string("\"") + member + "\" must be a list of non-empty strings";
  if (!list.is_array()) throw std::invalid_argument(problem);
  for (const json& item : list) {
    if (!item.is_string() || trimmed(item.get_ref<const std::string&>()).empty()) {
      throw std::invalid_argument(problem);
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

// A coded member in the SegmentJson form; DICOM needs all three parts of any code it writes.
CodedConcept codedMember(const json& entry, const char* member, bool required) {
  if (!entry.contains(member)) {
    if (required) throw std::invalid_argument(std::string("missing \"") + member + "\"");
    return {};
  }
  CodedConcept coded;
  try {
    coded = conceptFromJson(entry.at(member));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("\"") + member + "\": " + e.what());
  }
  if (coded.value.empty() || coded.scheme.empty() || coded.meaning.empty()) {
    throw std::invalid_argument(std::string("\"") + member +
                                "\" needs \"value\", \"scheme\" and \"meaning\"");
  }
  return coded;
}

TerminologyEntry entryFromJson(const json& item) {
  if (!item.is_object()) throw std::invalid_argument("must be a JSON object");
  TerminologyEntry entry;
  const auto name = item.find("name");
  if (name == item.end()) throw std::invalid_argument("missing \"name\"");
  if (!name->is_string() || trimmed(name->get_ref<const std::string&>()).empty()) {
    throw std::invalid_argument("\"name\" must be a non-empty string");
  }
  entry.name = name->get<std::string>();
  entry.synonyms = stringList(item, "synonyms");
  SegmentTerminology& t = entry.terminology;
  t.category = codedMember(item, "category", true);
  t.type = codedMember(item, "type", true);
  t.typeModifier = codedMember(item, "type_modifier", false);
  t.anatomicRegion = codedMember(item, "anatomic_region", false);
  t.anatomicRegionModifier = codedMember(item, "anatomic_region_modifier", false);
  if (item.contains("color")) {
    const json& c = item.at("color");
    const char* problem = "\"color\" must be three integers 0..255";
    if (!c.is_array() || c.size() != 3) throw std::invalid_argument(problem);
    for (std::size_t n = 0; n < 3; ++n) {
      if (!c[n].is_number_integer() || c[n].get<long long>() < 0 || c[n].get<long long>() > 255) {
        throw std::invalid_argument(problem);
      }
      entry.color[n] = static_cast<std::uint8_t>(c[n].get<int>());
    }
  }
  entry.modalities = stringList(item, "modalities");
  return entry;
}

std::string describeEntry(const json& item, std::size_t index) {
  std::string out = "entry " + std::to_string(index + 1);
  if (item.is_object() && item.contains("name") && item.at("name").is_string()) {
    out += " (\"" + item.at("name").get<std::string>() + "\")";
  }
  return out;
}

std::string fileError(const fs::path& file, std::string_view problem) {
  return "terminology catalog " + file.string() + ": " + std::string(problem);
}

}  // namespace

TerminologyCatalog TerminologyCatalog::fromJson(const json& doc) {
  if (!doc.is_object()) throw std::runtime_error("the top level must be a JSON object");
  const auto format = doc.find("format");
  if (format == doc.end() || !format->is_string() || format->get<std::string>() != kFormat) {
    throw std::runtime_error("not an Annotrace terminology catalog (\"format\" must be \"" +
                             std::string(kFormat) + "\")");
  }
  const auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer()) {
    throw std::runtime_error("\"version\" must be an integer");
  }
  if (version->get<long long>() != kVersion) {
    throw std::runtime_error("unsupported version " + std::to_string(version->get<long long>()) +
                             " (this build reads version " + std::to_string(kVersion) + ")");
  }
  const auto entries = doc.find("entries");
  if (entries == doc.end() || !entries->is_array()) {
    throw std::runtime_error("\"entries\" must be a list");
  }

  TerminologyCatalog catalog;
  std::unordered_map<std::string, std::size_t> indexByName;
  for (std::size_t n = 0; n < entries->size(); ++n) {
    const json& item = (*entries)[n];
    TerminologyEntry entry;
    try {
      entry = entryFromJson(item);
    } catch (const std::exception& e) {
      throw std::runtime_error(describeEntry(item, n) + ": " + e.what());
    }
    const auto [previous, added] = indexByName.emplace(folded(entry.name), n);
    if (!added) {
      throw std::runtime_error("duplicate name \"" + entry.name + "\" (entries " +
                               std::to_string(previous->second + 1) + " and " +
                               std::to_string(n + 1) + ")");
    }
    catalog.entries_.push_back(std::move(entry));
  }
  return catalog;
}

TerminologyCatalog TerminologyCatalog::load(const fs::path& file) {
  std::error_code ec;
  const fs::file_status status = fs::status(file, ec);
  if (!fs::exists(status)) throw std::runtime_error(fileError(file, "no such file"));
  if (!fs::is_regular_file(status)) throw std::runtime_error(fileError(file, "not a file"));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(fileError(file, "cannot be opened"));

  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::parse_error& e) {
    // Drop nlohmann's "[json.exception.parse_error.101] " tag; keep "at line L, column C: ...".
    std::string_view what = e.what();
    if (const auto tag = what.find("] "); what.starts_with('[') && tag != what.npos) {
      what.remove_prefix(tag + 2);
    }
    throw std::runtime_error(fileError(file, "invalid JSON: " + std::string(what)));
  }
  try {
    return fromJson(doc);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(fileError(file, e.what()));
  }
}

fs::path TerminologyCatalog::bundledFile() {
  const char* resources = std::getenv("ANNOTRACE_RESOURCES");
  const fs::path folder =
      resources != nullptr && *resources != '\0' ? fs::path(resources) : ANNOTRACE_RESOURCE_DIR;
  return folder / "Terminology" / "annotrace-terminology.json";
}

fs::path TerminologyCatalog::userFile() {
  // XDG Base Directory: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  if (const char* config = std::getenv("XDG_CONFIG_HOME");
      config != nullptr && fs::path(config).is_absolute()) {
    return fs::path(config) / "annotrace" / "terminology.json";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return fs::path(home) / ".config" / "annotrace" / "terminology.json";
  }
  return {};
}

TerminologyCatalog TerminologyCatalog::loadDefault() {
  TerminologyCatalog catalog = load(bundledFile());
  fs::path user;
  if (const char* named = std::getenv("ANNOTRACE_TERMINOLOGY");
      named != nullptr && *named != '\0') {
    user = named;  // named explicitly, so a missing file is an error (load() reports it)
  } else {
    user = userFile();
    std::error_code ec;
    if (user.empty() || !fs::exists(user, ec)) return catalog;
  }
  catalog.merge(load(user));
  return catalog;
}

void TerminologyCatalog::merge(const TerminologyCatalog& extension) {
  std::unordered_map<std::string, std::size_t> indexByName;
  for (std::size_t n = 0; n < entries_.size(); ++n)
    indexByName.emplace(folded(entries_[n].name), n);
  for (const TerminologyEntry& entry : extension.entries_) {
    const auto [at, added] = indexByName.emplace(folded(entry.name), entries_.size());
    if (added) {
      entries_.push_back(entry);
    } else {
      entries_[at->second] = entry;
    }
  }
}

const TerminologyEntry* TerminologyCatalog::find(std::string_view nameOrSynonym) const {
  const std::string query = folded(trimmed(nameOrSynonym));
  if (query.empty()) return nullptr;
  for (const TerminologyEntry& entry : entries_) {
    if (folded(entry.name) == query) return &entry;
  }
  for (const TerminologyEntry& entry : entries_) {
    for (const std::string& synonym : entry.synonyms) {
      if (folded(synonym) == query) return &entry;
    }
  }
  return nullptr;
}

std::vector<const TerminologyEntry*> TerminologyCatalog::search(std::string_view text,
                                                                std::size_t limit) const {
  const std::string query = folded(trimmed(text));
  // Lower rank sorts first; `none` marks entries that do not match at all.
  enum Rank { namePrefix, synonymPrefix, wordPrefix, substring, none };
  std::vector<std::pair<Rank, const TerminologyEntry*>> found;
  for (const TerminologyEntry& entry : entries_) {
    Rank rank = none;
    const auto consider = [&](const std::string& candidate, Rank prefixRank) {
      const std::string folded_ = folded(candidate);
      if (folded_.starts_with(query)) {
        rank = std::min(rank, prefixRank);
      } else if (wordStartsWith(folded_, query)) {
        rank = std::min(rank, wordPrefix);
      } else if (folded_.find(query) != std::string::npos) {
        rank = std::min(rank, substring);
      }
    };
    consider(entry.name, namePrefix);
    for (const std::string& synonym : entry.synonyms) consider(synonym, synonymPrefix);
    if (rank != none) found.emplace_back(rank, &entry);
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const TerminologyEntry*> out;
  for (std::size_t n = 0; n < found.size() && n < limit; ++n) out.push_back(found[n].second);
  return out;
}

void TerminologyCatalog::applyTo(const TerminologyEntry& entry, Segment& segment) {
  segment.terminology = entry.terminology;
  segment.color = entry.color;
  if (segment.name.empty()) segment.name = entry.name;
}

}  // namespace annotrace
