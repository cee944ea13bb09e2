#pragma once

// Helpers for the commands with a subcommand word ("annotrace record save VAULT ...").

#include <string>
#include <vector>

#include "CommandLine.h"
#include "ExitCodes.h"

namespace annotrace::cli {

struct Subcommand {
  std::string name;               ///< "save"
  std::vector<std::string> rest;  ///< everything after it
};

inline Subcommand splitSubcommand(const std::vector<std::string>& arguments,
                                  const std::string& command) {
  if (arguments.empty()) throw UsageError(command + " needs a subcommand");
  return {arguments.front(), {arguments.begin() + 1, arguments.end()}};
}

inline std::string requiredOption(const CommandLine& line, const char* option) {
  const auto value = line.value(option);
  if (!value) throw UsageError(std::string("missing ") + option);
  return *value;
}

/// The positional arguments: the vault folder, then `extra` more (e.g. a record id).
inline std::vector<std::string> vaultArguments(const CommandLine& line, const std::string& what,
                                               std::size_t extra = 0, const char* extraName = "") {
  if (line.positional().size() != 1 + extra) {
    throw UsageError(what + " needs the vault folder" +
                     (extra ? std::string(" and ") + extraName : std::string()));
  }
  return line.positional();
}

}  // namespace annotrace::cli
