#pragma once

#include <string>

#include "CommandLine.h"

namespace annotrace::cli {

/// Where a command gets a member's passphrase, first match wins:
///   --passphrase-file F (or --new-passphrase-file F for a new member): the file's first line;
///   the environment variable ANNOTRACE_PASSPHRASE (ANNOTRACE_NEW_PASSPHRASE);
///   a prompt on the terminal with echo off (twice for a new passphrase).
/// Never from the command line itself, where other users see it in the process list.
/// Throws UsageError when none is available (no terminal, no file, no variable).
struct Passphrase {
  static std::string forMember(const CommandLine& line, const std::string& member);
  static std::string forNewMember(const CommandLine& line, const std::string& member);
};

}  // namespace annotrace::cli
