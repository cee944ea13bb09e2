#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "Core/LoadWarning.h"
#include "Volume/ImageGeometry.h"
#include "Volume/SeriesIdentity.h"
#include "Volume/VoxelAllocator.h"

namespace annotrace {

/// A display window: width and centre in the volume's physical units.
struct WindowLevel {
  std::string name;
  double width = 0;
  double center = 0;
};

/// The DICOM instance (and frame, for multi-frame objects) one slice of a volume came from.
struct SourceFrame {
  std::string sopClassUid;
  std::string sopInstanceUid;
  int frameNumber = 0;  ///< 1-based frame in a multi-frame instance; 0 for a single-frame one
  std::string filePath;
};

/// Voxel values in physical units (HU for CT), stored exactly in the smallest fitting type:
/// int16 when every value is an integer in range, float otherwise.
using VoxelBuffer = std::variant<VoxelVector<std::int16_t>, VoxelVector<float>>;

/// A scalar 3D image on an exact LPS grid with the identity of its source series.
class Volume {
 public:
  Volume() = default;
  Volume(ImageGeometry geometry, VoxelBuffer voxels);

  const ImageGeometry& geometry() const { return geometry_; }
  void setGeometry(const ImageGeometry& geometry);  ///< size must keep the voxel count
  const VoxelBuffer& voxels() const { return voxels_; }
  VoxelBuffer& voxels() { return voxels_; }
  bool isInt16() const { return std::holds_alternative<VoxelVector<std::int16_t>>(voxels_); }

  /// Physical value of one voxel (no bounds check beyond an assertion).
  double value(std::size_t i, std::size_t j, std::size_t k) const;
  double valueAtLinear(std::size_t linearIndex) const;
  /// Calls fn with a std::span of the stored voxels (int16 or float).
  template <typename Fn>
  decltype(auto) visitVoxels(Fn&& fn) const {
    return std::visit([&](const auto& v) { return fn(std::span(v)); }, voxels_);
  }
  std::pair<double, double> valueRange() const;

  /// Physical unit of the voxel values: "HU" for CT, "" when unknown or arbitrary (most MR).
  std::string units;
  SeriesIdentity identity;
  /// Windows stored in the file (WindowCenter/WindowWidth), in physical units.
  std::vector<WindowLevel> windowsFromFile;
  /// Source instance of each slice k, when loaded from DICOM (empty otherwise). After resampling
  /// the list still names every acquired slice, in acquisition order along the slice normal.
  std::vector<SourceFrame> sourceFrames;
  /// Everything the loader noticed and did (tilt, spacing, resampling, ...).
  std::vector<LoadWarning> warnings;
  /// Where the volume came from (folder, file), for messages.
  std::string sourceDescription;

  /// The window to show first: the file's first window, else a modality default.
  WindowLevel defaultWindow() const;

 private:
  ImageGeometry geometry_;
  VoxelBuffer voxels_;
};

/// The 1st to 99th percentile of the voxel values as a window ("Automatic"): MR's default.
WindowLevel automaticWindow(const Volume& volume);

/// CT presets radiologists know (soft tissue, lung, liver, bone, brain), in HU.
std::span<const WindowLevel> ctWindowPresets();

}  // namespace annotrace
