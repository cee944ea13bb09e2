#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "Segmentation/Segment.h"

namespace annotrace {

/// One name a segment can be given, with the DICOM codes it is written with.
struct TerminologyEntry {
  std::string name;                                  ///< unique in a catalog (case-insensitive)
  std::vector<std::string> synonyms;                 ///< other names find() and search() accept
  SegmentTerminology terminology;                    ///< category and type always set
  std::array<std::uint8_t, 3> color{128, 174, 128};  ///< recommended sRGB
  std::vector<std::string> modalities;               ///< DICOM modality codes, e.g. "CT"
};

/// The catalog of segment names and their terminology that the segment picker offers.
///
/// File form (Resources/Terminology/annotrace-terminology.json describes it in full):
///   {"format": "annotrace-terminology", "version": 1,
///    "entries": [{"name": "Left kidney", "synonyms": [...], "category": coded, "type": coded,
///                 "type_modifier": coded, "anatomic_region": coded,
///                 "anatomic_region_modifier": coded, "color": [185, 102, 83],
///                 "modalities": ["CT", "MR"]}, ...]}
/// with `coded` as in SegmentJson.h. Category and type are required (DICOM SEG requires both);
/// every coded concept given needs value, scheme and meaning. Other members are ignored.
class TerminologyCatalog {
 public:
  /// Reads a catalog file. Throws std::runtime_error naming the file and the problem: missing
  /// file, bad JSON (with line and column), wrong format or version, an entry without name,
  /// category or type, a bad member, or a duplicate name.
  static TerminologyCatalog load(const std::filesystem::path& file);
  /// The same checks as load() on parsed JSON; messages name the entry but no file.
  static TerminologyCatalog fromJson(const nlohmann::json& json);

  /// The bundled catalog, extended by the user's file: the one env ANNOTRACE_TERMINOLOGY names
  /// (it must exist), else userFile() when it exists. User entries add to or replace bundled
  /// ones of the same name. Throws like load() when either file is unreadable or invalid, so a
  /// broken user file is reported rather than silently ignored.
  static TerminologyCatalog loadDefault();
  /// Resources/Terminology/annotrace-terminology.json under env ANNOTRACE_RESOURCES when set,
  /// else under the resource folder compiled in.
  static std::filesystem::path bundledFile();
  /// $XDG_CONFIG_HOME/annotrace/terminology.json, or ~/.config/annotrace/terminology.json when
  /// XDG_CONFIG_HOME is unset or not absolute; empty when neither variable helps.
  static std::filesystem::path userFile();

  /// Adds the extension's entries; one with the name of an existing entry (case-insensitive)
  /// replaces it in place, so the catalog order stays that of the first file.
  void merge(const TerminologyCatalog& extension);

  /// Case-insensitive exact match, on names first and then on synonyms; nullptr when none.
  const TerminologyEntry* find(std::string_view nameOrSynonym) const;
  /// Case-insensitive matches for a picker, at most `limit`: names that start with `text`,
  /// then synonyms that do, then names and synonyms with a word that does ("kid" finds "Left
  /// kidney"), then any substring; catalog order within each group. Empty text lists all.
  std::vector<const TerminologyEntry*> search(std::string_view text, std::size_t limit = 20) const;
  const std::vector<TerminologyEntry>& entries() const { return entries_; }

  /// Fills a segment's terminology and colour from the entry, and its name when empty.
  static void applyTo(const TerminologyEntry& entry, Segment& segment);

 private:
  std::vector<TerminologyEntry> entries_;
};

}  // namespace annotrace
