#pragma once

#include <string>
#include <vector>

namespace annotrace::cli {

/// The label-record commands over a vault folder (Docs/UserGuide.md, "Label records"):
///   annotrace vault init|status, user add|remove|role|list, record save|list|show|open|
///   submit|review, audit verify|show|head.
struct VaultCommands {
  static int runVault(const std::vector<std::string>& arguments);
  static int runUser(const std::vector<std::string>& arguments);
  static int runRecord(const std::vector<std::string>& arguments);
  static int runAudit(const std::vector<std::string>& arguments);
};

}  // namespace annotrace::cli
