#pragma once

// Locating the shared real data and running the independent reference tools (dcm2niix,
// pydicom via Testing/Python) from GoogleTest. Every lookup throws when something is missing so
// a test fails loudly instead of skipping.

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace annotrace::test {

namespace fs = std::filesystem;

/// Root of the shared data: $ANNOTRACE_DATA at run time, else the CMake cache value.
inline fs::path dataRoot() {
  const char* fromEnv = std::getenv("ANNOTRACE_DATA");
  fs::path root = (fromEnv && *fromEnv) ? fs::path(fromEnv) : fs::path(ANNOTRACE_TEST_DATA_DIR);
  if (!fs::is_directory(root)) {
    throw std::runtime_error("test data folder not found: " + root.string() +
                             " (set ANNOTRACE_DATA to the shared/data folder)");
  }
  return fs::canonical(root);
}

/// An existing file or folder below the data root; throws when it is missing.
inline fs::path dataPath(std::string_view relative) {
  fs::path path = dataRoot() / fs::path(relative);
  if (!fs::exists(path)) throw std::runtime_error("test data missing: " + path.string());
  return path;
}

inline std::string shellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

/// Runs a command (no shell interpretation of the arguments) and returns its standard output.
/// Throws with the command and its exit status when it fails.
inline std::string runCommand(const std::vector<std::string>& arguments) {
  std::string command;
  for (const auto& argument : arguments) command += shellQuote(argument) + " ";
  command += "2>/dev/null";
  struct Closer {
    void operator()(FILE* f) const { pclose(f); }
  };
  FILE* raw = popen(command.c_str(), "r");
  if (!raw) throw std::runtime_error("cannot start: " + command);
  std::unique_ptr<FILE, Closer> pipe(raw);
  std::string output;
  std::array<char, 65536> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0)
    output.append(buffer.data(), n);
  const int status = pclose(pipe.release());
  if (status != 0) {
    throw std::runtime_error("command failed (status " + std::to_string(status) + "): " + command);
  }
  return output;
}

inline std::vector<std::string> pathStrings(std::span<const fs::path> paths) {
  std::vector<std::string> strings;
  for (const auto& p : paths) strings.push_back(p.string());
  return strings;
}

/// dcm2niix_reference.py on a folder or a list of files: {"volumes": [...], "log": "..."}.
inline nlohmann::json dcm2niixReference(std::span<const fs::path> inputs) {
  std::vector<std::string> arguments{
      ANNOTRACE_TEST_PYTHON, std::string(ANNOTRACE_TEST_PYTHON_DIR) + "/dcm2niix_reference.py",
      "--dcm2niix", ANNOTRACE_TEST_DCM2NIIX};
  for (auto& p : pathStrings(inputs)) arguments.push_back(std::move(p));
  return nlohmann::json::parse(runCommand(arguments));
}

/// dicom_reference.py on files: {"files": [{"file", "frames": [{"ipp", "iop", ...}], ...}]}.
inline nlohmann::json pydicomReference(std::span<const fs::path> files) {
  std::vector<std::string> arguments{
      ANNOTRACE_TEST_PYTHON, std::string(ANNOTRACE_TEST_PYTHON_DIR) + "/dicom_reference.py"};
  for (auto& p : pathStrings(files)) arguments.push_back(std::move(p));
  return nlohmann::json::parse(runCommand(arguments));
}

/// A fresh temporary folder, removed with its contents when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::random_device device;
    for (int attempt = 0; attempt < 100; ++attempt) {
      fs::path candidate =
          fs::temp_directory_path() / ("annotrace-test-" + std::to_string(device()));
      if (fs::create_directory(candidate)) {
        path_ = candidate;
        return;
      }
    }
    throw std::runtime_error("cannot create a temporary folder");
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

}  // namespace annotrace::test
