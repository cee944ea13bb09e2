#include "Segmentation/SliceFloodFill.h"

#include <vector>

namespace annotrace {

namespace {

// Scanline-free stack fill: at most width * height pushes, no recursion.
void fill(const SliceMask& domain, SliceMask& out, std::vector<std::size_t>& stack,
          bool& reachesBorder) {
  const std::size_t w = domain.width, h = domain.height;
  while (!stack.empty()) {
    const std::size_t p = stack.back();
    stack.pop_back();
    const std::size_t u = p % w, v = p / w;
    if (u == 0 || v == 0 || u + 1 == w || v + 1 == h) reachesBorder = true;
    auto visit = [&](std::size_t q) {
      if (domain.pixels[q] && !out.pixels[q]) {
        out.pixels[q] = 1;
        stack.push_back(q);
      }
    };
    if (u > 0) visit(p - 1);
    if (u + 1 < w) visit(p + 1);
    if (v > 0) visit(p - w);
    if (v + 1 < h) visit(p + w);
  }
}

}  // namespace

SliceMask SliceFloodFill::connectedRegion(const SliceMask& domain, std::size_t u, std::size_t v,
                                          bool& reachesBorder) {
  SliceMask out(domain.width, domain.height);
  reachesBorder = false;
  if (u >= domain.width || v >= domain.height || !domain.at(u, v)) return out;
  std::vector<std::size_t> stack{v * domain.width + u};
  out.pixels[stack.back()] = 1;
  fill(domain, out, stack, reachesBorder);
  return out;
}

SliceMask SliceFloodFill::holes(const SliceMask& barrier) {
  const std::size_t w = barrier.width, h = barrier.height;
  SliceMask free(w, h);
  for (std::size_t p = 0; p < free.pixels.size(); ++p) free.pixels[p] = barrier.pixels[p] ? 0 : 1;
  SliceMask outside(w, h);
  std::vector<std::size_t> stack;
  auto seed = [&](std::size_t p) {
    if (free.pixels[p] && !outside.pixels[p]) {
      outside.pixels[p] = 1;
      stack.push_back(p);
    }
  };
  for (std::size_t u = 0; u < w; ++u) {
    seed(u);
    seed((h - 1) * w + u);
  }
  for (std::size_t v = 0; v < h; ++v) {
    seed(v * w);
    seed(v * w + w - 1);
  }
  bool ignored = false;
  fill(free, outside, stack, ignored);
  SliceMask out(w, h);
  for (std::size_t p = 0; p < out.pixels.size(); ++p) {
    out.pixels[p] = free.pixels[p] && !outside.pixels[p];
  }
  return out;
}

}  // namespace annotrace
