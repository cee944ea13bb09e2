#pragma once

#include <stdexcept>

namespace annotrace::cli {

/// Process exit codes of the annotrace command, documented in its help text.
enum ExitCode : int {
  kExitOk = 0,
  kExitInputError = 1,  ///< the input could not be read or loaded (message names file and problem)
  kExitUsageError = 2,  ///< the command line itself is wrong
  kExitVerifyFailed = 3,  ///< audit verify found problems (it names each)
  kExitCancelled = 130    ///< interrupted (Ctrl-C), as shells report SIGINT
};

/// A mistake in the command line: printed with a pointer to `annotrace help`, exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace annotrace::cli
