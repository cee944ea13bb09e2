#include "IO/DicomSeriesLoader.h"

#include <gdcmGlobal.h>
#include <gdcmImageReader.h>
#include <gdcmTrace.h>
#include <gdcmTransferSyntax.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

#include "IO/ParallelFor.h"
#include "IO/SliceStackGeometry.h"
#include "IO/StackResampler.h"

namespace annotrace {

namespace {

bool isInteger(double v) {
  return std::abs(v - std::round(v)) < 1e-9;
}

// int16 storage is tried when every frame maps integers to integers; a value outside int16's
// range (found while decoding) switches to float.
bool integerRescale(std::span<const DicomFrame> frames) {
  return std::all_of(frames.begin(), frames.end(), [](const DicomFrame& f) {
    return isInteger(f.rescaleSlope) && isInteger(f.rescaleIntercept);
  });
}

class Int16Overflow : public std::exception {};

// Stored pixel → physical value, honouring Bits Stored (sign extension, masking of unused bits).
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

struct FileFrames {
  std::filesystem::path file;
  std::vector<std::size_t> slices;  // indices into the sorted frame list
};

template <typename Out>
void decodeFile(const FileFrames& job, std::span<const DicomFrame> frames, Out* stack,
                std::vector<char>& buffer) {
  const std::string name = job.file.string();
  gdcm::ImageReader reader;
  reader.SetFileName(name.c_str());
  if (!reader.Read())
    throw std::runtime_error(name + ": cannot read the image (damaged or truncated file)");
  const gdcm::Image& image = reader.GetImage();
  const gdcm::PixelFormat pf = image.GetPixelFormat();
  const gdcm::TransferSyntax ts = image.GetTransferSyntax();
  if (pf.GetSamplesPerPixel() != 1) {
    throw std::runtime_error(name + ": colour images (" + std::to_string(pf.GetSamplesPerPixel()) +
                             " samples per pixel) cannot be loaded as a scalar volume");
  }
  buffer.resize(image.GetBufferLength());
  if (buffer.empty() || !image.GetBuffer(buffer.data())) {
    throw std::runtime_error(name + ": cannot decode the pixel data (transfer syntax " +
                             std::string(ts.GetString() ? ts.GetString() : "unknown") + ", " +
                             gdcm::TransferSyntax::GetTSString(ts) + ")");
  }
  const DicomFrame& first = frames[job.slices.front()];
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
  std::vector<char> tile;
  const std::size_t bytesPerPixel = pf.GetPixelSize();
  const unsigned bitsStored = pf.GetBitsStored();
  const bool isSigned = pf.GetPixelRepresentation() == 1;
  for (std::size_t slice : job.slices) {
    const DicomFrame& f = frames[slice];
    const std::size_t frameIndex = f.frameNumber > 0 ? std::size_t(f.frameNumber - 1) : 0;
    const std::size_t frameBytes = std::size_t(storedColumns) * storedRows * bytesPerPixel;
    const std::size_t offset = frameIndex * frameBytes;
    if (offset + frameBytes > buffer.size()) {
      throw std::runtime_error(name + ": frame " + std::to_string(frameIndex + 1) +
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
    switch (pf.GetScalarType()) {
      case gdcm::PixelFormat::UINT8:
        convertFrame(reinterpret_cast<const std::uint8_t*>(src), count, f, bitsStored, isSigned,
                     dst);
        break;
      case gdcm::PixelFormat::INT8:
        convertFrame(reinterpret_cast<const std::int8_t*>(src), count, f, bitsStored, isSigned,
                     dst);
        break;
      case gdcm::PixelFormat::UINT16:
        convertFrame(reinterpret_cast<const std::uint16_t*>(src), count, f, bitsStored, isSigned,
                     dst);
        break;
      case gdcm::PixelFormat::INT16:
        convertFrame(reinterpret_cast<const std::int16_t*>(src), count, f, bitsStored, isSigned,
                     dst);
        break;
      case gdcm::PixelFormat::UINT32:
        convertFrame(reinterpret_cast<const std::uint32_t*>(src), count, f, bitsStored, isSigned,
                     dst);
        break;
      case gdcm::PixelFormat::INT32:
        convertFrame(reinterpret_cast<const std::int32_t*>(src), count, f, bitsStored, isSigned,
                     dst);
        break;
      case gdcm::PixelFormat::FLOAT32:
        convertFrame(reinterpret_cast<const float*>(src), count, f, 0, true, dst);
        break;
      case gdcm::PixelFormat::FLOAT64:
        convertFrame(reinterpret_cast<const double*>(src), count, f, 0, true, dst);
        break;
      default:
        throw std::runtime_error(name + ": unsupported pixel format (" +
                                 std::string(pf.GetScalarTypeAsString()) + ")");
    }
  }
}

template <typename Out>
std::vector<Out> decodeStack(std::span<const DicomFrame> frames, const DicomLoadOptions& options,
                             const Progress* progress) {
  std::map<std::filesystem::path, std::size_t> jobIndex;
  std::vector<FileFrames> jobs;
  for (std::size_t k = 0; k < frames.size(); ++k) {
    auto [it, inserted] = jobIndex.try_emplace(frames[k].file, jobs.size());
    if (inserted) jobs.push_back({frames[k].file, {}});
    jobs[it->second].slices.push_back(k);
  }
  const std::size_t sliceSize = std::size_t(frames.front().rows) * frames.front().columns;
  std::vector<Out> stack(sliceSize * frames.size());
  std::atomic<std::size_t> decoded{0};
  parallelFor(jobs.size(), options.threads, progress, [&](std::size_t j) {
    thread_local std::vector<char> buffer;
    decodeFile(jobs[j], frames, stack.data(), buffer);
    const std::size_t n = decoded += jobs[j].slices.size();
    if (progress) progress->report("Decoding", double(n) / double(frames.size()));
  });
  return stack;
}

std::string seriesLabel(const DicomSeries& s) {
  std::string label = "series " + s.id;
  if (!s.identity.seriesDescription.empty()) label += " (" + s.identity.seriesDescription + ")";
  return label;
}

}  // namespace

Volume DicomSeriesLoader::load(const DicomSeries& series, const DicomLoadOptions& options,
                               const Progress* progress) {
  if (series.kind != DicomSeriesKind::Image && series.kind != DicomSeriesKind::Localizer) {
    throw std::runtime_error(seriesLabel(series) + " is a " +
                             std::string(seriesKindName(series.kind)) +
                             " object, not an image series: it cannot be loaded as a volume");
  }
  if (series.frames.empty()) throw std::runtime_error(seriesLabel(series) + " holds no frames");
  const std::span<const DicomFrame> frames(series.frames);
  SliceStackGeometry stackGeometry;
  try {
    stackGeometry = SliceStackGeometry::analyze(frames);
  } catch (const std::exception& e) {
    throw std::runtime_error(seriesLabel(series) + ": " + e.what());
  }
  if (stackGeometry.needsResampling() && !options.resampleIrregularStacks) {
    throw std::runtime_error(seriesLabel(series) + " is " +
                             (stackGeometry.sheared ? "sheared (gantry tilt)" : "unevenly spaced") +
                             " and resampling was turned off");
  }
  gdcm::Global::GetInstance();
  // GDCM prints its own diagnostics to stderr; ours travel in exceptions and warnings.
  gdcm::Trace::WarningOff();
  gdcm::Trace::ErrorOff();
  gdcm::Trace::DebugOff();

  VoxelBuffer stack;
  try {
    if (integerRescale(frames)) {
      stack = decodeStack<std::int16_t>(frames, options, progress);
    } else {
      stack = decodeStack<float>(frames, options, progress);
    }
  } catch (const Int16Overflow&) {
    // Values beyond int16 (e.g. 16-bit unsigned MR): keep them exact as float.
    stack = decodeStack<float>(frames, options, progress);
  }

  ImageGeometry acquired = stackGeometry.grid;
  VoxelBuffer voxels;
  if (stackGeometry.needsResampling()) {
    const double fill = std::visit(
        [](const auto& v) {
          return v.empty() ? 0.0 : double(*std::min_element(v.begin(), v.end()));
        },
        stack);
    voxels = StackResampler::resample(stack, frames.front().columns, frames.front().rows,
                                      stackGeometry, fill, options.threads, progress);
  } else {
    voxels = std::move(stack);
  }

  Volume volume(acquired, std::move(voxels));
  volume.identity = series.identity;
  const DicomFrame& first = frames.front();
  volume.units = series.identity.modality == "CT" ? "HU" : "";
  for (std::size_t w = 0; w < first.windowCenters.size(); ++w) {
    volume.windowsFromFile.push_back(
        {"File " + std::to_string(w + 1), first.windowWidths[w], first.windowCenters[w]});
  }
  for (const DicomFrame& f : frames) {
    volume.sourceFrames.push_back(
        {f.sopClassUid, f.sopInstanceUid, f.frameNumber, f.file.string()});
  }
  volume.warnings = series.warnings;
  for (const LoadWarning& w : stackGeometry.warnings) {
    if (!hasWarning(volume.warnings, w.code)) volume.warnings.push_back(w);
  }
  volume.sourceDescription = seriesLabel(series);
  return volume;
}

}  // namespace annotrace
