#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace annotrace::cli {

/// The arguments after the command word: positional arguments, flags (--json) and options with
/// a value (--series ID or --series=ID). Unknown or incomplete options throw UsageError.
class CommandLine {
 public:
  CommandLine(const std::vector<std::string>& arguments, const std::set<std::string>& flags,
              const std::set<std::string>& valueOptions);

  bool has(const std::string& flag) const { return flags_.count(flag) > 0; }
  std::optional<std::string> value(const std::string& option) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::set<std::string> flags_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace annotrace::cli
