#pragma once

#include <string>
#include <vector>

namespace annotrace::cli {

/// `annotrace info`: see the help text in main.cxx. Returns the process exit code; throws
/// UsageError for a wrong command line and std::runtime_error for unreadable input.
class InfoCommand {
 public:
  static int run(const std::vector<std::string>& arguments);
};

}  // namespace annotrace::cli
