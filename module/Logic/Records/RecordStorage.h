#pragma once

// Reading and storing record files: whole-file reads, and the atomic no-clobber write that
// content addressing needs (Docs/RecordFormat.md, "Writing").

#include <cstdint>
#include <filesystem>
#include <span>

#include "Records/CryptoPrimitives.h"

namespace annotrace::records {

/// The whole file; RecordError(Io) naming it when it cannot be read.
crypto::Bytes readFile(const std::filesystem::path& file);

/// Writes `bytes` as `target` through a temporary file in the same folder (fsynced), moved into
/// place without ever replacing a file (renameat2 RENAME_NOREPLACE, or link()), then fsyncs the
/// folder. The same bytes already there is a no-op; different bytes: RecordError(AlreadyExists).
void storeNoClobber(const std::filesystem::path& target, std::span<const std::uint8_t> bytes);

}  // namespace annotrace::records
