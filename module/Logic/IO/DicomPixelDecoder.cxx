#include "IO/DicomPixelDecoder.h"

#include <gdcmGlobal.h>
#include <gdcmImageReader.h>
#include <gdcmTrace.h>
#include <gdcmTransferSyntax.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace annotrace {

namespace {

// Stored pixel → stored value honouring Bits Stored: unused high bits are masked (unsigned) or
// replaced by sign extension from the high bit (signed), as PS3.5 8.1.1 requires.
template <typename Raw>
double storedValue(Raw raw, unsigned bitsStored, bool isSigned) {
  if constexpr (std::is_integral_v<Raw>) {
    constexpr unsigned width = sizeof(Raw) * 8;
    if (bitsStored > 0 && bitsStored < width) {
      using U = std::make_unsigned_t<Raw>;
      const auto bits =
          static_cast<std::uint64_t>(static_cast<U>(raw)) & ((1ull << bitsStored) - 1);
      if (isSigned && (bits >> (bitsStored - 1)) & 1u) {
        return double(std::int64_t(bits) - std::int64_t(1ull << bitsStored));
      }
      return double(bits);
    }
  }
  return double(raw);
}

template <typename Raw, typename Out>
void convertFrame(const Raw* src, std::size_t count, const DicomFrame& f, unsigned bitsStored,
                  bool isSigned, Out* dst) {
  const double slope = f.rescaleSlope, intercept = f.rescaleIntercept;
  for (std::size_t i = 0; i < count; ++i) {
    const double v = storedValue(src[i], bitsStored, isSigned) * slope + intercept;
    if constexpr (std::is_same_v<Out, std::int16_t>) {
      if (v < -32768 || v > 32767) throw Int16Overflow();
      dst[i] = static_cast<std::int16_t>(std::lround(v));
    } else {
      dst[i] = static_cast<float>(v);
    }
  }
}

// 16-bit stored values → int16 physical values with integer slope and intercept. Branch-free
// so the compiler vectorises it; the range is checked once per frame. `words` and `dst` may
// be the same memory (in-place conversion).
template <bool Signed>
void convert16ToInt16(const std::uint16_t* words, std::size_t count, unsigned bitsStored, int slope,
                      int intercept, std::int16_t* dst) {
  const unsigned shift = 16 - std::clamp(bitsStored, 1u, 16u);
  int lo = std::numeric_limits<int>::max(), hi = std::numeric_limits<int>::min();
  for (std::size_t i = 0; i < count; ++i) {
    const auto w = static_cast<std::uint16_t>(words[i] << shift);
    int stored;
    if constexpr (Signed) {
      stored = int(static_cast<std::int16_t>(w)) >> shift;
    } else {
      stored = int(w >> shift);
    }
    const int v = stored * slope + intercept;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    dst[i] = static_cast<std::int16_t>(v);
  }
  if (lo < -32768 || hi > 32767) throw Int16Overflow();
}

bool isNative16(const DicomFrame& f) {
  return f.pixelDataOffset > 0 && f.bitsAllocated == 16 && f.samplesPerPixel == 1 &&
         f.mosaicTile < 0;
}

std::size_t frameIndexOf(const DicomFrame& f) {
  return f.frameNumber > 0 ? std::size_t(f.frameNumber - 1) : 0;
}

// Uncompressed 16-bit frames: read each frame's bytes at its offset, then convert.
template <typename Out>
void decodeNative16(const std::filesystem::path& file, std::span<const DicomFrame> frames,
                    std::span<const std::size_t> slices, Out* stack) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot open the file");
  thread_local std::vector<std::uint16_t> words;
  for (std::size_t slice : slices) {
    const DicomFrame& f = frames[slice];
    const std::size_t count = std::size_t(f.rows) * f.columns;
    const std::uint64_t offset = f.pixelDataOffset + frameIndexOf(f) * count * 2;
    Out* dst = stack + slice * count;
    // int16 output is converted in place: read straight into the destination slice.
    std::uint16_t* raw = reinterpret_cast<std::uint16_t*>(dst);
    if constexpr (!std::is_same_v<Out, std::int16_t>) {
      words.resize(count);
      raw = words.data();
    }
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(reinterpret_cast<char*>(raw), static_cast<std::streamsize>(count * 2));
    if (static_cast<std::size_t>(in.gcount()) != count * 2) {
      throw std::runtime_error(file.string() + ": the pixel data of frame " +
                               std::to_string(frameIndexOf(f) + 1) + " is truncated");
    }
    if (f.pixelDataBigEndian) {
      for (std::size_t i = 0; i < count; ++i) raw[i] = std::uint16_t(raw[i] << 8 | raw[i] >> 8);
    }
    const bool integerRescale = f.rescaleSlope == std::round(f.rescaleSlope) &&
                                f.rescaleIntercept == std::round(f.rescaleIntercept);
    if constexpr (std::is_same_v<Out, std::int16_t>) {
      if (integerRescale) {
        const unsigned bits = f.bitsStored ? f.bitsStored : 16;
        if (f.pixelsSigned) {
          convert16ToInt16<true>(raw, count, bits, int(f.rescaleSlope), int(f.rescaleIntercept),
                                 dst);
        } else {
          convert16ToInt16<false>(raw, count, bits, int(f.rescaleSlope), int(f.rescaleIntercept),
                                  dst);
        }
        continue;
      }
    }
    if (f.pixelsSigned) {
      convertFrame(reinterpret_cast<const std::int16_t*>(raw), count, f, f.bitsStored, true, dst);
    } else {
      convertFrame(raw, count, f, f.bitsStored, false, dst);
    }
  }
}

// Once per process, before decoders run on several threads: GDCM's dictionaries are built, and
// its own diagnostics on stderr are turned off (ours travel in the exceptions).
void configureGdcm() {
  static std::once_flag once;
  std::call_once(once, [] {
    gdcm::Global::GetInstance();
    gdcm::Trace::WarningOff();
    gdcm::Trace::ErrorOff();
    gdcm::Trace::DebugOff();
  });
}

// Any transfer syntax GDCM supports: decode the whole pixel data, then convert each frame.
template <typename Out>
void decodeWithGdcm(const std::filesystem::path& file, std::span<const DicomFrame> frames,
                    std::span<const std::size_t> slices, Out* stack) {
  const std::string name = file.string();
  configureGdcm();
  gdcm::ImageReader reader;
  reader.SetFileName(name.c_str());
  if (!reader.Read()) {
    throw std::runtime_error(name + ": cannot read the pixel data (missing, damaged or truncated)");
  }
  const gdcm::Image& image = reader.GetImage();
  const gdcm::PixelFormat pf = image.GetPixelFormat();
  const gdcm::TransferSyntax ts = image.GetTransferSyntax();
  if (pf.GetSamplesPerPixel() != 1) {
    throw std::runtime_error(name + ": colour images (" + std::to_string(pf.GetSamplesPerPixel()) +
                             " samples per pixel) cannot be loaded as a scalar volume");
  }
  thread_local std::vector<char> buffer;
  buffer.resize(image.GetBufferLength());
  if (buffer.empty() || !image.GetBuffer(buffer.data())) {
    throw std::runtime_error(name + ": cannot decode the pixel data (transfer syntax " +
                             std::string(ts.GetString() ? ts.GetString() : "unknown") + ", " +
                             gdcm::TransferSyntax::GetTSString(ts) + ")");
  }
  const DicomFrame& first = frames[slices.front()];
  const std::size_t count = std::size_t(first.rows) * first.columns;
  const unsigned dims0 = image.GetDimension(0), dims1 = image.GetDimension(1);
  const bool mosaic = first.mosaicTile >= 0;
  const unsigned storedColumns = mosaic ? first.mosaicColumns : first.columns;
  const unsigned storedRows = mosaic ? first.mosaicRows : first.rows;
  if (dims0 != storedColumns || dims1 != storedRows) {
    throw std::runtime_error(name + ": the pixel data is " + std::to_string(dims0) + "x" +
                             std::to_string(dims1) + " but the header says " +
                             std::to_string(storedColumns) + "x" + std::to_string(storedRows));
  }
  thread_local std::vector<char> tile;
  const std::size_t bytesPerPixel = pf.GetPixelSize();
  const unsigned bitsStored = pf.GetBitsStored();
  const bool isSigned = pf.GetPixelRepresentation() == 1;
  for (std::size_t slice : slices) {
    const DicomFrame& f = frames[slice];
    const std::size_t frameBytes = std::size_t(storedColumns) * storedRows * bytesPerPixel;
    const std::size_t offset = frameIndexOf(f) * frameBytes;
    if (offset + frameBytes > buffer.size()) {
      throw std::runtime_error(name + ": frame " + std::to_string(frameIndexOf(f) + 1) +
                               " is missing from the pixel data (file truncated?)");
    }
    const char* src = buffer.data() + offset;
    if (mosaic) {
      // Gather the tile's rows out of the mosaic into a contiguous slice.
      const std::size_t tilesPerRow = storedColumns / f.columns;
      const std::size_t tx = std::size_t(f.mosaicTile) % tilesPerRow;
      const std::size_t ty = std::size_t(f.mosaicTile) / tilesPerRow;
      const std::size_t rowBytes = std::size_t(f.columns) * bytesPerPixel;
      tile.resize(count * bytesPerPixel);
      for (std::size_t r = 0; r < f.rows; ++r) {
        const std::size_t srcOffset =
            ((ty * f.rows + r) * storedColumns + tx * f.columns) * bytesPerPixel;
        std::copy_n(buffer.data() + srcOffset, rowBytes, tile.data() + r * rowBytes);
      }
      src = tile.data();
    }
    Out* dst = stack + slice * count;
    const auto convert = [&](const auto* typed, unsigned bits, bool sign) {
      convertFrame(typed, count, f, bits, sign, dst);
    };
    switch (pf.GetScalarType()) {
      case gdcm::PixelFormat::UINT8:
        convert(reinterpret_cast<const std::uint8_t*>(src), bitsStored, isSigned);
        break;
      case gdcm::PixelFormat::INT8:
        convert(reinterpret_cast<const std::int8_t*>(src), bitsStored, isSigned);
        break;
      case gdcm::PixelFormat::UINT16:
        convert(reinterpret_cast<const std::uint16_t*>(src), bitsStored, isSigned);
        break;
      case gdcm::PixelFormat::INT16:
        convert(reinterpret_cast<const std::int16_t*>(src), bitsStored, isSigned);
        break;
      case gdcm::PixelFormat::UINT32:
        convert(reinterpret_cast<const std::uint32_t*>(src), bitsStored, isSigned);
        break;
      case gdcm::PixelFormat::INT32:
        convert(reinterpret_cast<const std::int32_t*>(src), bitsStored, isSigned);
        break;
      case gdcm::PixelFormat::FLOAT32:
        convert(reinterpret_cast<const float*>(src), 0, true);
        break;
      case gdcm::PixelFormat::FLOAT64:
        convert(reinterpret_cast<const double*>(src), 0, true);
        break;
      default:
        throw std::runtime_error(name + ": unsupported pixel format (" +
                                 std::string(pf.GetScalarTypeAsString()) + ")");
    }
  }
}

template <typename Out>
void decodeAny(const std::filesystem::path& file, std::span<const DicomFrame> frames,
               std::span<const std::size_t> slices, Out* stack) {
  const bool native = std::all_of(slices.begin(), slices.end(),
                                  [&](std::size_t s) { return isNative16(frames[s]); });
  if (native) {
    decodeNative16(file, frames, slices, stack);
  } else {
    decodeWithGdcm(file, frames, slices, stack);
  }
}

}  // namespace

void DicomPixelDecoder::decode(const std::filesystem::path& file,
                               std::span<const DicomFrame> frames,
                               std::span<const std::size_t> slices, std::int16_t* stack) {
  decodeAny(file, frames, slices, stack);
}

void DicomPixelDecoder::decode(const std::filesystem::path& file,
                               std::span<const DicomFrame> frames,
                               std::span<const std::size_t> slices, float* stack) {
  decodeAny(file, frames, slices, stack);
}

}  // namespace annotrace
