// The P4 timing case of the accuracy harness (AccuracyP4.cxx): a synthetic moving ellipse.
#include <algorithm>
#include <cmath>
#include <random>

#include "AccuracyData.h"
#include "Segmentation/LabelmapFileIO.h"
#include "Segmentation/SliceInterpolator.h"
#include "Volume/VoxelAllocator.h"

namespace annotrace::accuracy {

SyntheticResult synthetic(const PeerInterpolator& peer, const fs::path& work) {
  ImageGeometry g;
  g.size = {512, 512, 300};
  g.spacing = {0.7, 0.7, 1.0};
  // Semi-axes 9 x 30 pixels; the centre moves 350 pixels along i, accelerating (t^4), and
  // drifts 120 pixels along j: 4.7 pixels a slice at the end, more than the 18-pixel width
  // over 5 slices, so the last key contours do not overlap (the peer's weak spot).
  constexpr double a = 9, b = 30;
  auto centre = [](std::size_t k) {
    const double t = double(k) / 299.0;
    return std::array<double, 2>{80 + 350 * t * t * t * t, 196 + 120 * t};
  };
  SparseMask truth(g.size);
  for (std::size_t k = 0; k < g.size[2]; ++k) {
    const auto [cx, cy] = centre(k);
    for (std::size_t j = std::size_t(cy - b); j <= std::size_t(cy + b) + 1; ++j) {
      const double y = (double(j) - cy) / b;
      if (y * y > 1) continue;
      const double half = a * std::sqrt(1 - y * y);
      for (auto i = std::size_t(std::ceil(cx - half)); double(i) <= cx + half; ++i)
        truth.assign(i, j, k, true);
    }
  }
  Segmentation truthSeg(g);
  Segment segment;
  segment.name = "ellipse";
  segment.labelValue = 1;
  const SegmentId id = truthSeg.insertSegment(0, segment, truth).id;

  std::vector<std::size_t> all(g.size[2]);
  for (std::size_t k = 0; k < all.size(); ++k) all[k] = k;
  KeyMap keys{{id, keySlices(all, 5)}};
  SyntheticResult r;
  r.keys = keys[id].size();
  for (std::size_t n = 0; n + 1 < r.keys; ++n) {
    const double dx = centre(keys[id][n + 1])[0] - centre(keys[id][n])[0];
    r.nonOverlappingGaps += dx > 2 * a;
  }
  const Segmentation keyed = keysOnly(truthSeg, keys);

  // The image: the ellipse at 100 on 0, with noise (sd 20) so the evidence is not trivial.
  VoxelVector<std::int16_t> voxels(g.voxelCount());
  std::mt19937 random(5);
  std::normal_distribution<float> noise(0.F, 20.F);
  for (auto& v : voxels) v = static_cast<std::int16_t>(std::lround(noise(random)));
  truth.forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t n) {
    for (std::size_t x = i; x < i + n; ++x) voxels[(k * g.size[1] + j) * g.size[0] + x] += 100;
  });
  const Volume image(g, VoxelBuffer(std::move(voxels)));

  InterpolationOptions options;
  options.segments = {id};
  options.keySlices = keys;
  std::vector<double> ms, shapesMs;
  SegmentationPreview preview;
  for (int n = 0; n < 5; ++n) {
    auto start = Clock::now();
    preview = SliceInterpolator::interpolate(image, keyed, options);
    ms.push_back(msSince(start));
    start = Clock::now();
    (void)SliceInterpolator::interpolate(keyed, options);
    shapesMs.push_back(msSince(start));
  }
  std::sort(ms.begin(), ms.end());
  std::sort(shapesMs.begin(), shapesMs.end());
  r.oursMedianMs = ms[ms.size() / 2];
  r.oursBestMs = ms.front();
  r.shapesMedianMs = shapesMs[shapesMs.size() / 2];
  Segmentation ours = keyed;
  applyPreview(preview, ours);

  // Uncompressed: the file is 150 MB of int16 and only the interpolation call is timed anyway.
  const fs::path keyFile = work / "ellipse_keys.nii", peerFile = work / "ellipse_peer.nii";
  LabelmapFileIO::write(keyed, keyFile);
  r.peer = peer.run(keyFile, peerFile, 1, 2, 2);
  const Segmentation peerResult = LabelmapFileIO::read(peerFile, &g).segmentation;
  const SparseMask empty(g.size);
  const Segmentation copy = nearestCopy(keyed, keys);
  const std::size_t first = keys[id].front(), last = keys[id].back();
  r.score[kOurs] = score(truth, ours.mask(id), g, first, last);
  r.score[kPeer] = score(truth, maskWithLabel(peerResult, 1, empty), g, first, last);
  r.score[kCopy] = score(truth, copy.mask(id), g, first, last);
  for (const fs::path& p : {keyFile, peerFile}) fs::remove(p);
  return r;
}

}  // namespace annotrace::accuracy
