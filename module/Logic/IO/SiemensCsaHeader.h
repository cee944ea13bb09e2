#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace annotrace {

/// The Siemens CSA image header (private element 0029,1010, "SV10" format), read with bounds
/// checks so a damaged header yields no values rather than a crash. Values are kept as text.
class SiemensCsaHeader {
 public:
  explicit SiemensCsaHeader(std::span<const std::uint8_t> bytes);

  /// The non-empty values of an element, parsed as numbers; empty when absent or not numeric.
  std::vector<double> numbers(const std::string& name) const;
  bool empty() const { return elements_.empty(); }

 private:
  std::map<std::string, std::vector<std::string>> elements_;
};

}  // namespace annotrace
