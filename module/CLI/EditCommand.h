#pragma once

#include <string>
#include <vector>

namespace annotrace::cli {

/// The editing commands: `annotrace edit` replays edit operations (JSON) on a volume; the
/// interpolate and propagate commands run one such operation. Each saves the segmentation as a
/// label map with its sidecar, undo history and edit log.
struct EditCommand {
  static int run(const std::vector<std::string>& arguments);
  /// `annotrace interpolate`: fills the slices between key slices of segments.
  static int runInterpolate(const std::vector<std::string>& arguments);
  /// `annotrace propagate`: carries a segment from one slice to its neighbours.
  static int runPropagate(const std::vector<std::string>& arguments);
};

}  // namespace annotrace::cli
