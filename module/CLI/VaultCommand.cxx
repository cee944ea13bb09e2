// annotrace vault init|status and user add|remove|role|list.

#include <iostream>
#include <map>

#include "CommandLine.h"
#include "ExitCodes.h"
#include "Passphrase.h"
#include "Records/RecordStore.h"
#include "Records/Vault.h"
#include "SubcommandLine.h"
#include "VaultCommands.h"

namespace annotrace::cli {

namespace {

using records::Role;
using records::Vault;

void printMembers(const Vault& vault) {
  std::cout << "members:\n";
  for (const auto& member : vault.membership().members) {
    std::cout << "  " << member.id << "  " << records::toString(member.role) << "  added at entry "
              << member.addedAtSeq;
    if (member.removedAtSeq) std::cout << ", removed at entry " << *member.removedAtSeq;
    std::cout << "\n";
  }
}

}  // namespace

int VaultCommands::runVault(const std::vector<std::string>& arguments) {
  const Subcommand sub = splitSubcommand(arguments, "vault");
  if (sub.name == "init") {
    const CommandLine line(sub.rest, {}, {"--admin", "--new-passphrase-file"});
    const std::string folder = vaultArguments(line, "vault init")[0];
    const std::string admin = requiredOption(line, "--admin");
    const std::string passphrase = Passphrase::forNewMember(line, admin);
    const Vault vault = Vault::init(folder, admin, passphrase);
    std::cout << "vault created in " << folder << " with admin " << admin << "\n";
    return kExitOk;
  }
  if (sub.name == "status") {
    const CommandLine line(sub.rest, {}, {});
    Vault vault = Vault::open(vaultArguments(line, "vault status")[0]);
    const records::AuditHead head = vault.auditLog().head();
    std::cout << "vault " << vault.folder().string() << "\n";
    printMembers(vault);
    std::map<std::string, int> byStatus;
    const records::RecordStore store(vault);
    const auto list = store.list();
    for (const auto& record : list) ++byStatus[record.status];
    std::cout << "records: " << list.size();
    for (const auto& [status, n] : byStatus) std::cout << ", " << n << " " << status;
    std::cout << "\naudit log: " << head.seq << " entries, head " << head.hash << "\n";
    const auto failures = vault.pendingUnlockFailures();
    if (!failures.empty()) {
      std::cout << "failed unlocks not yet in the audit log: " << failures.size() << "\n";
    }
    return kExitOk;
  }
  throw UsageError("unknown subcommand 'vault " + sub.name + "': use init or status");
}

int VaultCommands::runUser(const std::vector<std::string>& arguments) {
  const Subcommand sub = splitSubcommand(arguments, "user");
  if (sub.name == "list") {
    const CommandLine line(sub.rest, {}, {});
    printMembers(Vault::open(vaultArguments(line, "user list")[0]));
    return kExitOk;
  }
  const CommandLine line(sub.rest, {},
                         {"--as", "--id", "--role", "--passphrase-file", "--new-passphrase-file"});
  Vault vault = Vault::open(vaultArguments(line, "user " + sub.name)[0]);
  const std::string adminId = requiredOption(line, "--as");
  const std::string id = requiredOption(line, "--id");
  if (sub.name == "add") {
    const Role role = records::roleFromString(requiredOption(line, "--role"));
    const std::string adminPassphrase = Passphrase::forMember(line, adminId);
    const std::string newPassphrase = Passphrase::forNewMember(line, id);
    const records::UnlockedMember admin = vault.unlock(adminId, adminPassphrase);
    vault.addMember(admin, id, role, newPassphrase);
    std::cout << "added " << id << " as " << records::toString(role) << "\n";
    return kExitOk;
  }
  if (sub.name == "remove" || sub.name == "role") {
    const std::optional<Role> role =
        sub.name == "role" ? std::optional(records::roleFromString(requiredOption(line, "--role")))
                           : std::nullopt;
    const records::UnlockedMember admin =
        vault.unlock(adminId, Passphrase::forMember(line, adminId));
    if (role) {
      vault.setRole(admin, id, *role);
      std::cout << id << " is now " << records::toString(*role) << "\n";
    } else {
      vault.removeMember(admin, id);
      std::cout << "removed " << id
                << " (their keys no longer open this vault; records they could read before "
                   "stay readable to them if they kept copies)\n";
    }
    return kExitOk;
  }
  throw UsageError("unknown subcommand 'user " + sub.name + "': use add, remove, role or list");
}

}  // namespace annotrace::cli
