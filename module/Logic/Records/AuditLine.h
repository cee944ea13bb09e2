#pragma once

// One line of the audit log as text: the field rules and the hash input (Docs/Vault.md, "Audit
// log"). Internal to AuditLog; no chain, no crypto, no files.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "Records/AuditLog.h"

namespace annotrace::records::auditline {

bool isRole(std::string_view role);
bool isLowerHex64(const std::string& text);
bool isUtc(const std::string& text);
/// The entry without "hash" and "sig": what its hash covers.
nlohmann::json hashedObject(const AuditEntry& entry);
/// "line 12 (seq 12)" for messages.
std::string lineLabel(std::size_t line, std::optional<std::uint64_t> seq);
/// Structure of one line: JSON object, canonical, the ten fields with the right types. Fills
/// `entry` as far as it gets, so that a later problem can name its seq.
std::optional<AuditProblem> parseLine(std::string_view text, std::size_t line, AuditEntry& entry);

}  // namespace annotrace::records::auditline
