#pragma once

#include <string>
#include <vector>

namespace annotrace::cli {

/// `annotrace edit`: replays edit operations (JSON) on a volume and saves the segmentation as
/// a label map with its sidecar, undo history and edit log.
struct EditCommand {
  static int run(const std::vector<std::string>& arguments);
};

}  // namespace annotrace::cli
