#pragma once

// The P4 harness's data: the real label maps with their images, the key slices kept of each
// structure, the nearest-slice copy baseline and the per-structure scores (AccuracyP4.cxx).

#include <array>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "PeerInterpolator.h"
#include "Segmentation/Segmentation.h"
#include "Volume/Volume.h"

namespace annotrace::accuracy {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMinSlices = 3;  ///< structures with fewer slices are not evaluated

double msSince(Clock::time_point start);
/// A number with `decimals` decimals, "inf" for infinity.
std::string fixed(double value, int decimals);
/// TotalSegmentator's name of a CT label value ("" when unknown).
std::string totalSegmentatorName(int value);

struct DatasetSpec {
  std::string name;
  std::string labelmap;  ///< below the data folder
  std::string image;     ///< its image (NIfTI or DICOM folder), for propagation
  bool totalSegmentatorCt = false;
};

const std::vector<DatasetSpec>& datasetSpecs();

struct Structure {
  SegmentId id = 0;
  int label = 0;
  std::string name;
  std::vector<std::size_t> slices;  ///< axial slices holding it, ascending
};

struct Dataset {
  DatasetSpec spec;
  Segmentation truth;
  Volume volume;
  std::string volumeNote;
  std::vector<Structure> structures;  ///< those with at least kMinSlices slices
  /// Consecutive axial slices of the whole map that are identical: a map resampled from
  /// thicker slices by nearest neighbour repeats slices, where copying a key slice is exact.
  std::size_t repeatedSlicePairs = 0;
};

Dataset loadDataset(const fs::path& dataRoot, const DatasetSpec& spec);

/// The runs (i, j, length) of one mask on each axial slice, and painting them back.
using SliceRuns = std::map<std::size_t, std::vector<std::array<std::size_t, 3>>>;
SliceRuns runsBySlice(const SparseMask& mask);
void paint(SparseMask& mask, const std::vector<std::array<std::size_t, 3>>& runs, std::size_t k);

/// Every k-th of the slices holding a structure, from its first, plus its last.
std::vector<std::size_t> keySlices(const std::vector<std::size_t>& slices, std::size_t k);
using KeyMap = std::map<SegmentId, std::vector<std::size_t>>;
KeyMap keyMap(const Dataset& d, std::size_t k);
/// The truth with only the key slices of each segment.
Segmentation keysOnly(const Segmentation& truth, const KeyMap& keys);
/// Each slice between key slices copies its nearest key slice.
Segmentation nearestCopy(const Segmentation& keyed, const KeyMap& keys);

struct Score {
  double dice = 0;
  double hd95 = 0;
  std::size_t lost = 0;  ///< slices holding the truth, empty in the result, within the range
  bool gone = false;     ///< nothing of the structure left
};

Score score(const SparseMask& truth, const SparseMask& result, const ImageGeometry& g,
            std::size_t first, std::size_t last);
const SparseMask& maskWithLabel(const Segmentation& s, int label, const SparseMask& empty);

// ours follows the image (the editor's default); shapes is ours without the image.
enum Method { kOurs = 0, kPeer = 1, kCopy = 2, kShapes = 3 };
constexpr std::array<const char*, 4> kMethodNames{"ours", "peer", "copy", "shapes"};

struct SyntheticResult {
  double oursMedianMs = 0, oursBestMs = 0;
  PeerRun peer;
  std::array<Score, 3> score;
  std::size_t keys = 0;
  std::size_t nonOverlappingGaps = 0;
  double shapesMedianMs = 0;
};

/// The P4 timing case: a moving ellipse in 512 x 512 x 300 with its image, key slice every 5,
/// through ours (following the image and not), the peer and the copy (AccuracySynthetic.cxx).
SyntheticResult synthetic(const PeerInterpolator& peer, const fs::path& work);

}  // namespace annotrace::accuracy
