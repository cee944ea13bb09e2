#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace annotrace {

/// A binary mask over one slice: width x height pixels (u fastest), 1 = set.
struct SliceMask {
  std::size_t width = 0;
  std::size_t height = 0;
  std::vector<std::uint8_t> pixels;

  SliceMask() = default;
  SliceMask(std::size_t w, std::size_t h) : width(w), height(h), pixels(w * h, 0) {}

  std::uint8_t at(std::size_t u, std::size_t v) const { return pixels[v * width + u]; }
  void set(std::size_t u, std::size_t v) { pixels[v * width + u] = 1; }
  std::size_t count() const;
  bool operator==(const SliceMask&) const = default;
};

}  // namespace annotrace
