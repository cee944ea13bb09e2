// annotrace audit verify|show|head.

#include <iostream>

#include "Passphrase.h"
#include "Records/VaultVerifier.h"
#include "SubcommandLine.h"
#include "VaultCommands.h"

namespace annotrace::cli {

namespace {

using nlohmann::json;
using records::Vault;

json entryJson(const records::AuditEntry& e) {
  return {{"seq", e.seq},       {"utc", e.utc},         {"actor", e.actor},   {"role", e.role},
          {"action", e.action}, {"targets", e.targets}, {"reason", e.reason}, {"hash", e.hash}};
}

int verify(const std::vector<std::string>& rest) {
  const CommandLine line(rest, {"--json"}, {"--as", "--passphrase-file"});
  Vault vault = Vault::open(vaultArguments(line, "audit verify")[0]);
  const records::VaultReport report = records::VaultVerifier::verify(vault);
  if (line.has("--json")) {
    json problems = json::array();
    for (const auto& p : report.problems) {
      problems.push_back({{"code", p.code}, {"where", p.where}, {"message", p.message}});
    }
    std::cout << json{{"ok", report.ok()},
                      {"entries", report.entries},
                      {"records", report.records},
                      {"head", {{"seq", report.head.seq}, {"hash", report.head.hash}}},
                      {"problems", problems}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << report.entries << " audit entries and " << report.records
              << " records verified; head " << report.head.seq << " " << report.head.hash << "\n";
    for (const auto& p : report.problems)
      std::cout << "PROBLEM " << p.code << ": " << p.message << "\n";
    std::cout << (report.ok() ? "vault OK\n" : "vault FAILED verification\n");
  }
  // The run itself is an audited event when a member asks for it.
  if (const auto member = line.value("--as")) {
    const auto unlocked = vault.unlock(*member, Passphrase::forMember(line, *member));
    vault.beginAppend(unlocked).append(
        "verification-run", {},
        report.ok() ? "ok: " + std::to_string(report.entries) + " entries, " +
                          std::to_string(report.records) + " records"
                    : std::to_string(report.problems.size()) +
                          " problems; first: " + report.problems.front().message);
  }
  return report.ok() ? kExitOk : kExitVerifyFailed;
}

int show(const std::vector<std::string>& rest) {
  const CommandLine line(rest, {"--json"},
                         {"--case", "--user", "--action", "--from", "--until", "--record"});
  Vault vault = Vault::open(vaultArguments(line, "audit show")[0]);
  records::AuditFilter filter;
  filter.actor = line.value("--user");
  filter.action = line.value("--action");
  filter.target = line.value("--case");
  if (const auto record = line.value("--record")) filter.target = record;
  filter.fromUtc = line.value("--from");
  filter.beforeUtc = line.value("--until");
  const auto entries = vault.auditLog().filter(filter);
  if (line.has("--json")) {
    json out = json::array();
    for (const auto& e : entries) out.push_back(entryJson(e));
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& e : entries) {
    std::cout << e.seq << "  " << e.utc << "  " << e.actor << " (" << e.role << ")  " << e.action;
    for (const auto& t : e.targets) std::cout << "  " << t;
    if (!e.reason.empty()) std::cout << "  \"" << e.reason << "\"";
    std::cout << "\n";
  }
  return kExitOk;
}

}  // namespace

int VaultCommands::runAudit(const std::vector<std::string>& arguments) {
  const Subcommand sub = splitSubcommand(arguments, "audit");
  if (sub.name == "verify") return verify(sub.rest);
  if (sub.name == "show") return show(sub.rest);
  if (sub.name == "head") {
    const CommandLine line(sub.rest, {}, {});
    Vault vault = Vault::open(vaultArguments(line, "audit head")[0]);
    const auto head = vault.auditLog().head();
    std::cout << head.seq << " " << head.hash << "\n";
    return kExitOk;
  }
  throw UsageError("unknown subcommand 'audit " + sub.name + "': use verify, show or head");
}

}  // namespace annotrace::cli
