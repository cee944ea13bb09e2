#pragma once

// The parsers under test read files, so each input is written to one scratch file per process.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace annotrace::fuzz {

inline std::filesystem::path writeInput(const std::uint8_t* data, std::size_t size,
                                        const char* extension) {
  static const std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      ("annotrace-fuzz-" + std::to_string(::getpid()) + extension);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace annotrace::fuzz
