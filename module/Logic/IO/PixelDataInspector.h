#pragma once

#include <cstdint>
#include <filesystem>

namespace annotrace {

/// Checks the layout of a file's Pixel Data element before any decoder sees it, so damage is
/// reported by name instead of being padded silently (GDCM reads truncated native data without
/// complaint) or chewed on for seconds (GDCM re-reads corrupt fragment streams).
class PixelDataInspector {
 public:
  /// Uncompressed data starting at byte `valueStart` must declare a length (the four bytes
  /// before the value, in the file's byte order) of at least `expectedBytes`, all present.
  /// Throws std::runtime_error naming the file when it does not.
  static void checkNative(const std::filesystem::path& file, std::uint64_t valueStart,
                          std::uint64_t expectedBytes, bool littleEndian);

  /// Encapsulated (compressed) data starting at byte `valueStart` must have an undefined length
  /// and be a sequence of (FFFE,E000) items, each inside the file, closed by (FFFE,E0DD).
  /// Throws std::runtime_error naming the file and the first bad item.
  static void checkEncapsulated(const std::filesystem::path& file, std::uint64_t valueStart);
};

}  // namespace annotrace
