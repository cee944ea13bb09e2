#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "Volume/Volume.h"

namespace annotrace::cli {

/// What `annotrace info` prints about a loaded volume: geometry, values, identity, warnings.
class VolumeReport {
 public:
  static nlohmann::ordered_json toJson(const Volume& volume);
  static std::string toText(const Volume& volume);
};

}  // namespace annotrace::cli
