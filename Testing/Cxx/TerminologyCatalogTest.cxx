// The segment terminology catalog: the bundled file's codes against values checked by hand in
// 3D Slicer's terminology files and DICOM PS3.16, the file's own consistency, look-up and picker
// order, user extensions, and the error messages for broken files.

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "Segmentation/TerminologyCatalog.h"

using namespace annotrace;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() / ("annotrace-terminology-test-" + std::to_string(::getpid()) +
                                        "-" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path file = path / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }
};

bool isNumeric(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::vector<std::string> namesOf(const std::vector<const TerminologyEntry*>& entries) {
  std::vector<std::string> names;
  for (const TerminologyEntry* entry : entries) names.push_back(entry->name);
  return names;
}

// A minimal valid catalog text with the given entries (JSON objects, comma-separated).
std::string catalogText(const std::string& entries) {
  return R"({"format": "annotrace-terminology", "version": 1, "entries": [)" + entries + "]}";
}

// Coded members of test entries, in the file's form.
const std::string kStructure =
    R"("category": {"value": "123037004", "scheme": "SCT", "meaning": "Anatomical Structure"})";
const std::string kAbnormal =
    R"("category": {"value": "49755003", "scheme": "SCT", "meaning": "Morphologically Altered Structure"})";
const std::string kLiver = R"("type": {"value": "10200004", "scheme": "SCT", "meaning": "Liver"})";
const std::string kCyst = R"("type": {"value": "367643001", "scheme": "SCT", "meaning": "Cyst"})";
const std::string kInLiver =
    R"("anatomic_region": {"value": "10200004", "scheme": "SCT", "meaning": "Liver"})";

// Every test gets an environment without the variables the catalog reads, and a config folder
// of its own, so the tester's ~/.config/annotrace/terminology.json cannot leak in.
class TerminologyCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kVariables) {
      if (const char* value = std::getenv(name)) saved_[name] = value;
      ::unsetenv(name);
    }
    ::setenv("XDG_CONFIG_HOME", config_.path.c_str(), 1);
  }
  void TearDown() override {
    for (const char* name : kVariables) {
      if (const auto it = saved_.find(name); it != saved_.end()) {
        ::setenv(name, it->second.c_str(), 1);
      } else {
        ::unsetenv(name);
      }
    }
  }

  // Expects load() of `text` to fail with a message naming the file and containing `problem`.
  void expectLoadError(const std::string& text, const std::string& problem) {
    const fs::path file = dir_.write("broken-catalog.json", text);
    try {
      TerminologyCatalog::load(file);
      ADD_FAILURE() << "no error for a catalog expected to fail with: " << problem;
    } catch (const std::runtime_error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(file.string()), std::string::npos) << message;
      EXPECT_NE(message.find(problem), std::string::npos) << message;
    }
  }

  static constexpr const char* kVariables[] = {"ANNOTRACE_TERMINOLOGY", "ANNOTRACE_RESOURCES",
                                               "XDG_CONFIG_HOME"};
  std::map<std::string, std::string> saved_;
  TempDir config_;
  TempDir dir_;
};

TEST_F(TerminologyCatalogTest, BundledCatalogLoads) {
  const TerminologyCatalog catalog = TerminologyCatalog::load(TerminologyCatalog::bundledFile());
  EXPECT_GE(catalog.entries().size(), 60u);
  EXPECT_LE(catalog.entries().size(), 100u);
  // Without a user file, loadDefault() is the bundled catalog.
  EXPECT_EQ(TerminologyCatalog::loadDefault().entries().size(), catalog.entries().size());
}

// Codes checked against 3D Slicer's SegmentationCategoryTypeModifier-SlicerGeneralAnatomy.json,
// SlicerTotalSegmentator's terminology and DICOM PS3.16 CIDs 7150, 7154, 7159 and 244.
TEST_F(TerminologyCatalogTest, BundledCodesAreTheStandardOnes) {
  const TerminologyCatalog catalog = TerminologyCatalog::load(TerminologyCatalog::bundledFile());
  struct Expected {
    const char* name;
    const char* category;
    const char* type;
    const char* modifier;
    const char* region;
  };
  const Expected expected[] = {
      {"Liver", "123037004", "10200004", "", ""},
      {"Spleen", "123037004", "78961009", "", ""},
      {"Left kidney", "123037004", "64033007", "7771000", ""},
      {"Right kidney", "123037004", "64033007", "24028007", ""},
      {"Left lung", "123037004", "39607008", "7771000", ""},
      {"Heart", "123037004", "80891009", "", ""},
      {"Aorta", "123037004", "15825003", "", ""},
      {"Brain", "123037004", "12738006", "", ""},
      {"Pancreas", "123037004", "15776009", "", ""},
      {"Urinary bladder", "123037004", "89837001", "", ""},
      {"Prostate", "123037004", "41216001", "", ""},
      {"Portal vein", "123037004", "32764006", "", ""},
      {"Inferior vena cava", "123037004", "64131007", "", ""},
      {"Left femur", "123037004", "71341001", "7771000", ""},
      {"Lymph node", "85756007", "59441001", "", ""},
      {"Mass", "49755003", "4147007", "", ""},
      {"Neoplasm", "49755003", "108369006", "", ""},
      {"Nodule", "49755003", "27925004", "", ""},
      {"Cyst", "49755003", "367643001", "", ""},
      {"Hemorrhage", "49755003", "50960005", "", ""},
      {"Lung nodule", "49755003", "27925004", "", "39607008"},
  };
  for (const Expected& e : expected) {
    SCOPED_TRACE(e.name);
    const TerminologyEntry* entry = catalog.find(e.name);
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->name, e.name);
    const SegmentTerminology& t = entry->terminology;
    EXPECT_EQ(t.category.value, e.category);
    EXPECT_EQ(t.category.scheme, "SCT");
    EXPECT_EQ(t.type.value, e.type);
    EXPECT_EQ(t.type.scheme, "SCT");
    EXPECT_EQ(t.typeModifier.value, e.modifier);
    EXPECT_EQ(t.anatomicRegion.value, e.region);
  }
  const TerminologyEntry* liver = catalog.find("Liver");
  EXPECT_EQ(liver->terminology.category.meaning, "Anatomical Structure");
  EXPECT_EQ(liver->terminology.type.meaning, "Liver");
  EXPECT_EQ(liver->color, (std::array<std::uint8_t, 3>{221, 130, 101}));  // Slicer's liver
  const TerminologyEntry* leftKidney = catalog.find("Left kidney");
  EXPECT_EQ(leftKidney->terminology.typeModifier.meaning, "Left");
  EXPECT_EQ(leftKidney->terminology.typeModifier.scheme, "SCT");
  EXPECT_EQ(catalog.find("Right kidney")->terminology.typeModifier.meaning, "Right");
}

TEST_F(TerminologyCatalogTest, EveryBundledEntryIsWellFormed) {
  const TerminologyCatalog catalog = TerminologyCatalog::load(TerminologyCatalog::bundledFile());
  std::set<std::string> names;
  for (const TerminologyEntry& entry : catalog.entries()) {
    SCOPED_TRACE(entry.name);
    EXPECT_TRUE(names.insert(lower(entry.name)).second) << "duplicate name";
    const SegmentTerminology& t = entry.terminology;
    for (const CodedConcept* coded : {&t.category, &t.type}) {
      EXPECT_EQ(coded->scheme, "SCT");
      EXPECT_TRUE(isNumeric(coded->value)) << coded->value;
      EXPECT_FALSE(coded->meaning.empty());
    }
    for (const CodedConcept* coded :
         {&t.typeModifier, &t.anatomicRegion, &t.anatomicRegionModifier}) {
      if (coded->empty()) continue;
      EXPECT_EQ(coded->scheme, "SCT");
      EXPECT_TRUE(isNumeric(coded->value)) << coded->value;
      EXPECT_FALSE(coded->meaning.empty());
    }
    // Only the DICOM CID 7150 categories the catalog uses.
    static const std::set<std::string> categories = {"123037004", "85756007", "49755003",
                                                     "91720002", "260787004"};
    EXPECT_TRUE(categories.contains(t.category.value)) << t.category.value;
    for (const std::string& modality : entry.modalities) {
      EXPECT_TRUE(modality == "CT" || modality == "MR") << modality;
    }
  }
  // A synonym that is another entry's name would make find() depend on entry order.
  for (const TerminologyEntry& entry : catalog.entries()) {
    for (const std::string& synonym : entry.synonyms) {
      EXPECT_FALSE(names.contains(lower(synonym))) << entry.name << ": " << synonym;
    }
  }
  // Provenance: every entry says where its codes came from.
  std::ifstream in(TerminologyCatalog::bundledFile());
  const nlohmann::json doc = nlohmann::json::parse(in);
  for (const nlohmann::json& entry : doc.at("entries")) {
    EXPECT_TRUE(entry.contains("source") && entry.at("source").is_string()) << entry.dump();
  }
}

TEST_F(TerminologyCatalogTest, FindsByNameOrSynonymIgnoringCase) {
  const TerminologyCatalog catalog = TerminologyCatalog::load(TerminologyCatalog::bundledFile());
  ASSERT_NE(catalog.find("LIVER"), nullptr);
  EXPECT_EQ(catalog.find("LIVER")->name, "Liver");
  ASSERT_NE(catalog.find("tumour"), nullptr);
  EXPECT_EQ(catalog.find("tumour")->name, "Neoplasm");
  EXPECT_EQ(catalog.find("Tumor")->name, "Neoplasm");
  ASSERT_NE(catalog.find("  ivc "), nullptr);
  EXPECT_EQ(catalog.find("  ivc ")->name, "Inferior vena cava");
  EXPECT_EQ(catalog.find("Bladder")->name, "Urinary bladder");
  EXPECT_EQ(catalog.find("kid"), nullptr);  // exact only; search() does prefixes
  EXPECT_EQ(catalog.find("no such structure"), nullptr);
  EXPECT_EQ(catalog.find(""), nullptr);
}

TEST_F(TerminologyCatalogTest, SearchPutsPrefixesBeforeWordsBeforeSubstrings) {
  const TerminologyCatalog catalog = TerminologyCatalog::load(TerminologyCatalog::bundledFile());
  // Name prefix first, then names with a word that starts so.
  const auto kidney = namesOf(catalog.search("KID"));
  ASSERT_GE(kidney.size(), 3u);
  EXPECT_EQ(kidney[0], "Kidney");
  EXPECT_EQ(std::vector<std::string>(kidney.begin() + 1, kidney.begin() + 3),
            (std::vector<std::string>{"Left kidney", "Right kidney"}));
  const auto lung = namesOf(catalog.search("lung"));
  ASSERT_GE(lung.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(lung.begin(), lung.begin() + 4),
            (std::vector<std::string>{"Lung", "Lung nodule", "Left lung", "Right lung"}));
  // A synonym prefix ("Tumor") comes before a word in another name ("Brain tumor").
  const auto tumor = namesOf(catalog.search("tum"));
  ASSERT_GE(tumor.size(), 2u);
  EXPECT_EQ(tumor[0], "Neoplasm");
  EXPECT_EQ(tumor[1], "Brain tumor");
  // Substrings last: "ney" is inside a word only.
  const auto ney = namesOf(catalog.search("ney"));
  EXPECT_EQ(ney, (std::vector<std::string>{"Kidney", "Left kidney", "Right kidney"}));
  // The limit, and the empty text listing the catalog in order.
  EXPECT_EQ(catalog.search("a", 3).size(), 3u);
  const auto first = catalog.search("", 5);
  ASSERT_EQ(first.size(), 5u);
  for (std::size_t n = 0; n < first.size(); ++n) EXPECT_EQ(first[n], &catalog.entries()[n]);
  EXPECT_TRUE(catalog.search("zzzz").empty());
}

TEST_F(TerminologyCatalogTest, UserFileAddsAndReplacesEntries) {
  TerminologyCatalog catalog = TerminologyCatalog::load(TerminologyCatalog::bundledFile());
  const std::size_t bundled = catalog.entries().size();
  const auto liverIndex =
      static_cast<std::size_t>(catalog.find("Liver") - catalog.entries().data());
  const fs::path user = dir_.write(
      "user.json", catalogText(R"({"name": "liver", )" + kStructure + ", " + kLiver +
                               R"(, "color": [1, 2, 3]}, )" +
                               R"({"name": "Hepatic cyst", "synonyms": ["Liver cyst"], )" +
                               kAbnormal + ", " + kCyst + ", " + kInLiver +
                               R"(, "color": [205, 205, 100], "modalities": ["CT", "MR"]})"));
  catalog.merge(TerminologyCatalog::load(user));
  ASSERT_EQ(catalog.entries().size(), bundled + 1);
  // Replaced in place (same position), matched regardless of case.
  const TerminologyEntry& liver = catalog.entries()[liverIndex];
  EXPECT_EQ(liver.name, "liver");
  EXPECT_EQ(liver.color, (std::array<std::uint8_t, 3>{1, 2, 3}));
  EXPECT_EQ(catalog.find("Liver"), &liver);
  // Added at the end, with all its members.
  const TerminologyEntry& cyst = catalog.entries().back();
  EXPECT_EQ(cyst.name, "Hepatic cyst");
  EXPECT_EQ(cyst.synonyms, std::vector<std::string>{"Liver cyst"});
  EXPECT_EQ(cyst.terminology.type.value, "367643001");
  EXPECT_EQ(cyst.terminology.anatomicRegion.meaning, "Liver");
  EXPECT_EQ(cyst.modalities, (std::vector<std::string>{"CT", "MR"}));
  EXPECT_EQ(catalog.find("liver cyst"), &cyst);
}

TEST_F(TerminologyCatalogTest, LoadDefaultHonoursTheEnvironment) {
  const std::size_t bundled =
      TerminologyCatalog::load(TerminologyCatalog::bundledFile()).entries().size();
  const std::string newEntry = R"({"name": "Renal cyst", )" + kAbnormal + ", " + kCyst + "}";

  // The file ANNOTRACE_TERMINOLOGY names.
  const fs::path named = dir_.write("named.json", catalogText(newEntry));
  ::setenv("ANNOTRACE_TERMINOLOGY", named.c_str(), 1);
  TerminologyCatalog catalog = TerminologyCatalog::loadDefault();
  EXPECT_EQ(catalog.entries().size(), bundled + 1);
  EXPECT_NE(catalog.find("Renal cyst"), nullptr);

  // Named but missing: an error naming it, not a silent fallback.
  const fs::path missing = dir_.path / "missing.json";
  ::setenv("ANNOTRACE_TERMINOLOGY", missing.c_str(), 1);
  try {
    TerminologyCatalog::loadDefault();
    ADD_FAILURE() << "no error for a missing ANNOTRACE_TERMINOLOGY file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
  }

  // Unset: $XDG_CONFIG_HOME/annotrace/terminology.json when it exists.
  ::unsetenv("ANNOTRACE_TERMINOLOGY");
  EXPECT_EQ(TerminologyCatalog::userFile(), config_.path / "annotrace" / "terminology.json");
  EXPECT_EQ(TerminologyCatalog::loadDefault().entries().size(), bundled);
  config_.write("annotrace/terminology.json", catalogText(newEntry));
  EXPECT_NE(TerminologyCatalog::loadDefault().find("Renal cyst"), nullptr);

  // Without XDG_CONFIG_HOME the file lives under ~/.config.
  ::unsetenv("XDG_CONFIG_HOME");
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    EXPECT_EQ(TerminologyCatalog::userFile(),
              fs::path(home) / ".config" / "annotrace" / "terminology.json");
  }
  ::setenv("XDG_CONFIG_HOME", config_.path.c_str(), 1);

  // ANNOTRACE_RESOURCES moves the bundled catalog.
  const TempDir resources;
  resources.write("Terminology/annotrace-terminology.json", catalogText(newEntry));
  ::setenv("ANNOTRACE_RESOURCES", resources.path.c_str(), 1);
  EXPECT_EQ(TerminologyCatalog::bundledFile(),
            resources.path / "Terminology" / "annotrace-terminology.json");
  fs::remove(config_.path / "annotrace" / "terminology.json");
  catalog = TerminologyCatalog::loadDefault();
  ASSERT_EQ(catalog.entries().size(), 1u);
  EXPECT_EQ(catalog.entries()[0].name, "Renal cyst");
}

TEST_F(TerminologyCatalogTest, BrokenFilesAreReportedWithFileAndProblem) {
  const std::string liver = R"({"name": "Liver", )" + kStructure + ", " + kLiver + "}";
  try {
    TerminologyCatalog::load(dir_.path / "absent.json");
    ADD_FAILURE() << "no error for a missing file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((dir_.path / "absent.json").string()), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos) << e.what();
  }
  expectLoadError("{\"format\": \"annotrace-terminology\",\n \"version\": 1,\n \"entries\": [,]}",
                  "invalid JSON: parse error at line 3");
  expectLoadError(R"({"format": "slicer", "version": 1, "entries": []})",
                  "\"format\" must be \"annotrace-terminology\"");
  expectLoadError(R"([1, 2])", "the top level must be a JSON object");
  expectLoadError(R"({"format": "annotrace-terminology", "version": 2, "entries": []})",
                  "unsupported version 2");
  expectLoadError(R"({"format": "annotrace-terminology", "version": 1})",
                  "\"entries\" must be a list");
  expectLoadError(catalogText(liver + R"(, {"name": "Thing", )" + kAbnormal + "}"),
                  "entry 2 (\"Thing\"): missing \"type\"");
  expectLoadError(catalogText(R"({"name": "Thing", )" + kCyst + "}"),
                  "entry 1 (\"Thing\"): missing \"category\"");
  expectLoadError(catalogText(liver + ", {" + kAbnormal + ", " + kCyst + "}"),
                  "entry 2: missing \"name\"");
  expectLoadError(catalogText(R"({"name": "  ", )" + kAbnormal + ", " + kCyst + "}"),
                  "\"name\" must be a non-empty string");
  expectLoadError(
      catalogText(liver + ", " + R"({"name": "LIVER", )" + kAbnormal + ", " + kCyst + "}"),
      "duplicate name \"LIVER\" (entries 1 and 2)");
  expectLoadError(catalogText(R"({"name": "Thing", )" + kAbnormal +
                              R"(, "type": {"value": "367643001", "scheme": "SCT"}})"),
                  "\"type\" needs \"value\", \"scheme\" and \"meaning\"");
  expectLoadError(
      catalogText(R"({"name": "Thing", )" + kAbnormal +
                  R"(, "type": {"value": 367643001, "scheme": "SCT", "meaning": "Cyst"}})"),
      "\"type\": \"value\" must be a string");
  expectLoadError(catalogText(R"({"name": "Thing", )" + kAbnormal + ", " + kCyst +
                              R"(, "color": [300, 0, 0]})"),
                  "\"color\" must be three integers 0..255");
  expectLoadError(
      catalogText(R"({"name": "Thing", )" + kAbnormal + ", " + kCyst + R"(, "synonyms": "Other"})"),
      "\"synonyms\" must be a list of non-empty strings");
  // fromJson() says the same without a file.
  EXPECT_THROW(TerminologyCatalog::fromJson(nlohmann::json::parse(catalogText("{}"))),
               std::runtime_error);
}

TEST_F(TerminologyCatalogTest, ApplyToFillsTerminologyColourAndEmptyName) {
  const TerminologyCatalog catalog = TerminologyCatalog::load(TerminologyCatalog::bundledFile());
  const TerminologyEntry& leftKidney = *catalog.find("Left kidney");
  Segment unnamed;
  TerminologyCatalog::applyTo(leftKidney, unnamed);
  EXPECT_EQ(unnamed.name, "Left kidney");
  EXPECT_EQ(unnamed.terminology, leftKidney.terminology);
  EXPECT_EQ(unnamed.color, leftKidney.color);
  Segment named;
  named.name = "LK";
  named.labelValue = 7;
  TerminologyCatalog::applyTo(leftKidney, named);
  EXPECT_EQ(named.name, "LK");
  EXPECT_EQ(named.labelValue, 7);
  EXPECT_EQ(named.terminology.typeModifier.value, "7771000");
}

}  // namespace
