#include "Records/ZlibStream.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <limits>
#include <string>

#include "Records/RecordError.h"

namespace annotrace::records::zlib {

using crypto::Bytes;

Bytes compress(std::span<const std::uint8_t> data, int level) {
  uLongf size = compressBound(static_cast<uLong>(data.size()));
  Bytes out(size);
  static const Bytef empty = 0;
  const int result = compress2(out.data(), &size, data.empty() ? &empty : data.data(),
                               static_cast<uLong>(data.size()), level);
  if (result != Z_OK) {
    throw RecordError(RecordErrorCode::Io, "cannot write the record: zlib compression failed (" +
                                               std::to_string(result) + ")");
  }
  out.resize(size);
  return out;
}

// At most `expected` bytes come out (a damaged length cannot make the reader allocate without
// limit) and the stream must end exactly at the end of the payload.
std::optional<Bytes> decompress(std::span<const std::uint8_t> data, std::uint64_t expected,
                                std::string& problem) {
  struct Stream {
    z_stream z{};
    bool ready = false;
    ~Stream() {
      if (ready) inflateEnd(&z);
    }
  } stream;
  if (inflateInit(&stream.z) != Z_OK) {
    problem = "zlib cannot start";
    return std::nullopt;
  }
  stream.ready = true;
  stream.z.next_in = const_cast<Bytef*>(data.data());
  stream.z.avail_in = static_cast<uInt>(data.size());
  if (data.size() > std::numeric_limits<uInt>::max()) {
    problem = "payload too large for one zlib call";
    return std::nullopt;
  }
  Bytes out;
  out.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(expected, std::uint64_t{1} << 28)));
  std::array<std::uint8_t, 65536> buffer{};
  int result = Z_OK;
  while (result == Z_OK) {
    stream.z.next_out = buffer.data();
    stream.z.avail_out = static_cast<uInt>(buffer.size());
    result = inflate(&stream.z, Z_NO_FLUSH);
    if (result != Z_OK && result != Z_STREAM_END) {
      problem = stream.z.msg ? stream.z.msg : "invalid zlib data";
      return std::nullopt;
    }
    out.insert(out.end(), buffer.begin(), buffer.end() - stream.z.avail_out);
    if (out.size() > expected) {
      problem = "more data than the " + std::to_string(expected) + " bytes the header states";
      return std::nullopt;
    }
    if (result == Z_OK && stream.z.avail_in == 0 && stream.z.avail_out != 0) {
      problem = "the zlib stream ends early";
      return std::nullopt;
    }
  }
  if (stream.z.avail_in != 0) {
    problem = "data after the end of the zlib stream";
    return std::nullopt;
  }
  return out;
}

}  // namespace annotrace::records::zlib
