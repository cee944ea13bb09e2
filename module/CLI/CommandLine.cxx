#include "CommandLine.h"

#include "ExitCodes.h"

namespace annotrace::cli {

CommandLine::CommandLine(const std::vector<std::string>& arguments,
                         const std::set<std::string>& flags,
                         const std::set<std::string>& valueOptions) {
  bool onlyPositional = false;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& arg = arguments[i];
    if (onlyPositional || arg.size() < 2 || arg[0] != '-') {
      positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {  // everything after is a path, even if it starts with '-'
      onlyPositional = true;
      continue;
    }
    const auto equals = arg.find('=');
    const std::string name = arg.substr(0, equals);
    if (valueOptions.count(name)) {
      if (equals != std::string::npos) {
        values_[name] = arg.substr(equals + 1);
      } else if (i + 1 < arguments.size()) {
        values_[name] = arguments[++i];
      } else {
        throw UsageError("option " + name + " needs a value");
      }
      if (values_[name].empty()) throw UsageError("option " + name + " needs a non-empty value");
    } else if (flags.count(arg)) {
      flags_.insert(arg);
    } else {
      throw UsageError("unknown option '" + arg + "'");
    }
  }
}

std::optional<std::string> CommandLine::value(const std::string& option) const {
  const auto it = values_.find(option);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

}  // namespace annotrace::cli
