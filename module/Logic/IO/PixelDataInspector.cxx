#include "IO/PixelDataInspector.h"

#include <array>
#include <fstream>
#include <stdexcept>
#include <string>

namespace annotrace {

namespace {

constexpr std::uint32_t kItem = 0xFFFEE000;
constexpr std::uint32_t kSequenceDelimiter = 0xFFFEE0DD;
constexpr std::uint64_t kMaxFragments = 1u << 22;

std::uint64_t fileSize(const std::filesystem::path& file) {
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(file, ec);
  if (ec) throw std::runtime_error(file.string() + ": cannot read the file size: " + ec.message());
  return size;
}

// The Pixel Data element's value length: the four bytes just before its value, in explicit
// and implicit VR alike.
std::uint32_t valueLength(const std::filesystem::path& file, std::uint64_t valueStart,
                          bool littleEndian) {
  std::array<unsigned char, 4> b{};
  std::ifstream in(file, std::ios::binary);
  if (valueStart < 4 || !in.seekg(static_cast<std::streamoff>(valueStart - 4)) ||
      !in.read(reinterpret_cast<char*>(b.data()), 4)) {
    throw std::runtime_error(file.string() + ": cannot read the length of the pixel data");
  }
  return littleEndian ? std::uint32_t(b[0]) | std::uint32_t(b[1]) << 8 | std::uint32_t(b[2]) << 16 |
                            std::uint32_t(b[3]) << 24
                      : std::uint32_t(b[3]) | std::uint32_t(b[2]) << 8 | std::uint32_t(b[1]) << 16 |
                            std::uint32_t(b[0]) << 24;
}

}  // namespace

void PixelDataInspector::checkNative(const std::filesystem::path& file, std::uint64_t valueStart,
                                     std::uint64_t expectedBytes, bool littleEndian) {
  const std::uint64_t size = fileSize(file);
  const std::uint64_t present = size > valueStart ? size - valueStart : 0;
  if (present < expectedBytes) {
    throw std::runtime_error(file.string() + ": the pixel data is truncated (" +
                             std::to_string(present) + " of " + std::to_string(expectedBytes) +
                             " bytes present)");
  }
  const std::uint32_t declared = valueLength(file, valueStart, littleEndian);
  if (declared == 0xFFFFFFFF || declared < expectedBytes || declared > present) {
    throw std::runtime_error(file.string() + ": the pixel data is damaged (it declares " +
                             std::to_string(declared) + " bytes; the image needs " +
                             std::to_string(expectedBytes) + " and the file holds " +
                             std::to_string(present) + ")");
  }
}

void PixelDataInspector::checkEncapsulated(const std::filesystem::path& file,
                                           std::uint64_t valueStart) {
  const std::uint64_t size = fileSize(file);
  if (valueLength(file, valueStart, true) != 0xFFFFFFFF) {
    throw std::runtime_error(file.string() +
                             ": the compressed pixel data is damaged (it has a defined length, "
                             "where compressed pixel data must have an undefined one)");
  }
  std::ifstream in(file, std::ios::binary);
  std::uint64_t position = valueStart;
  for (std::uint64_t item = 0; item < kMaxFragments; ++item) {
    std::array<unsigned char, 8> header{};
    in.seekg(static_cast<std::streamoff>(position));
    if (position + 8 > size || !in.read(reinterpret_cast<char*>(header.data()), 8)) {
      throw std::runtime_error(file.string() +
                               ": the compressed pixel data is truncated (no end marker after " +
                               std::to_string(item) + " fragment(s))");
    }
    // Encapsulated pixel data is always little endian.
    const std::uint32_t tag = std::uint32_t(header[0]) << 16 | std::uint32_t(header[1]) << 24 |
                              std::uint32_t(header[2]) | std::uint32_t(header[3]) << 8;
    const std::uint32_t length = std::uint32_t(header[4]) | std::uint32_t(header[5]) << 8 |
                                 std::uint32_t(header[6]) << 16 | std::uint32_t(header[7]) << 24;
    if (tag == kSequenceDelimiter) return;
    if (tag != kItem) {
      throw std::runtime_error(file.string() + ": the compressed pixel data is damaged (fragment " +
                               std::to_string(item + 1) + " at byte " + std::to_string(position) +
                               " does not start with an item tag)");
    }
    if (length == 0xFFFFFFFF || position + 8 + length > size) {
      throw std::runtime_error(file.string() + ": the compressed pixel data is damaged (fragment " +
                               std::to_string(item + 1) + " runs past the end of the file)");
    }
    position += 8 + length;
  }
  throw std::runtime_error(file.string() + ": the compressed pixel data has too many fragments");
}

}  // namespace annotrace
