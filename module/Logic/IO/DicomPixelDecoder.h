#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <span>

#include "IO/DicomSeries.h"

namespace annotrace {

/// Thrown when a value does not fit the int16 stack being filled; the caller decodes to float.
class Int16Overflow : public std::exception {
 public:
  const char* what() const noexcept override { return "value outside the int16 range"; }
};

/// Decodes the frames one file holds into slices of a stack, in physical units
/// (stored value, masked to Bits Stored and sign-extended, × slope + intercept).
///
/// Uncompressed 16-bit frames are read straight from their byte offset (found by
/// DicomFrameReader) into the destination and converted in place; everything else goes through
/// GDCM, which decodes every transfer syntax it supports. Calls on different files may run
/// concurrently (the loader decodes one file per thread).
class DicomPixelDecoder {
 public:
  /// `slices` index `frames`; frame frames[s] is written to stack[s * rows * columns, ...).
  /// Throws std::runtime_error naming the file, or Int16Overflow.
  static void decode(const std::filesystem::path& file, std::span<const DicomFrame> frames,
                     std::span<const std::size_t> slices, std::int16_t* stack);
  static void decode(const std::filesystem::path& file, std::span<const DicomFrame> frames,
                     std::span<const std::size_t> slices, float* stack);
};

}  // namespace annotrace
