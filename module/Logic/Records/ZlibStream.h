#pragma once

// The record payload's compression (RFC 1950 zlib stream), with a bounded inflate.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "Records/CryptoPrimitives.h"

namespace annotrace::records::zlib {

/// zlib's levels 1 (fastest) to 9; the level is not part of the format.
/// Throws RecordError(Io) when zlib fails.
crypto::Bytes compress(std::span<const std::uint8_t> data, int level);

/// At most `expected` bytes come out (a damaged length cannot make the reader allocate without
/// limit) and the stream must end exactly at the end of `data`; otherwise nullopt and
/// `problem` says why.
std::optional<crypto::Bytes> decompress(std::span<const std::uint8_t> data, std::uint64_t expected,
                                        std::string& problem);

}  // namespace annotrace::records::zlib
