#include "IO/DicomSeriesLoader.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <stdexcept>

#include "IO/DicomPixelDecoder.h"
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

struct FileFrames {
  std::filesystem::path file;
  std::vector<std::size_t> slices;  // indices into the sorted frame list
};

template <typename Out>
VoxelVector<Out> decodeStack(std::span<const DicomFrame> frames, const DicomLoadOptions& options,
                             const Progress* progress) {
  std::map<std::filesystem::path, std::size_t> jobIndex;
  std::vector<FileFrames> jobs;
  for (std::size_t k = 0; k < frames.size(); ++k) {
    auto [it, inserted] = jobIndex.try_emplace(frames[k].file, jobs.size());
    if (inserted) jobs.push_back({frames[k].file, {}});
    jobs[it->second].slices.push_back(k);
  }
  const std::size_t sliceSize = std::size_t(frames.front().rows) * frames.front().columns;
  VoxelVector<Out> stack(sliceSize * frames.size());
  std::atomic<std::size_t> decoded{0};
  parallelFor(jobs.size(), options.threads, progress, [&](std::size_t j) {
    DicomPixelDecoder::decode(jobs[j].file, frames, jobs[j].slices, stack.data());
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

  Volume volume(stackGeometry.grid, std::move(voxels));
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
