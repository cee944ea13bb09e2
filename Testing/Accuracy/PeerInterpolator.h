#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace annotrace::accuracy {

/// What one run of the peer reported (Testing/Accuracy/peer/interpolate.mjs).
struct PeerRun {
  double firstMs = 0;          ///< the first interpolation call, wasm start-up included
  double bestMs = 0;           ///< the fastest of the repeats (warm)
  std::vector<double> runsMs;  ///< every repeat
  double totalMs = 0;          ///< the whole Node process as the script saw it, file IO included
};

/// The peer of SliceInterpolator — ITK's morphological contour interpolation in its npm build
/// (@itk-wasm/morphological-contour-interpolation) — run under Node on label map files, the
/// way a web viewer (OHIF) runs it.
class PeerInterpolator {
 public:
  /// peerDir holds package.json, interpolate.mjs and (after scripts/install-peers.sh)
  /// node_modules; node is the Node.js executable.
  PeerInterpolator(std::filesystem::path peerDir, std::string node);

  /// Throws std::runtime_error saying how to install the peer when it is missing.
  void checkInstalled() const;

  /// Interpolates `label` (0: every label) of a NIfTI label map along ITK index axis `axis`
  /// into `output`. Throws std::runtime_error with the peer's messages when it fails.
  PeerRun run(const std::filesystem::path& input, const std::filesystem::path& output, int label,
              int axis, int repeat) const;

  /// The installed package versions, e.g. "morphological-contour-interpolation 2.0.0".
  std::string versions() const;

 private:
  std::filesystem::path peerDir_;
  std::string node_;
};

}  // namespace annotrace::accuracy
