#include "Render/SliceRenderer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace annotrace {

namespace {

constexpr std::uint32_t kOpaque = 0xff000000U;

std::uint32_t rgb(std::uint32_t r, std::uint32_t g, std::uint32_t b) {
  return kOpaque | (r << 16) | (g << 8) | b;
}

std::uint32_t blend(std::uint8_t grey, const std::array<std::uint8_t, 3>& colour, int alpha256) {
  auto mix = [&](std::uint8_t c) {
    return static_cast<std::uint32_t>((grey * (256 - alpha256) + c * alpha256) >> 8);
  };
  return rgb(mix(colour[0]), mix(colour[1]), mix(colour[2]));
}

/// Whether an outline pixel is drawn for a slice of this provenance: solid for drawn slices,
/// dotted for interpolated, dashed for propagated (by screen position, so the pattern holds
/// still while scrolling).
bool outlineOn(SliceSource source, std::size_t x, std::size_t y) {
  switch (source) {
    case SliceSource::Interpolated:
      return (x + y) % 2 == 0;
    case SliceSource::Propagated:
      return (x + y) % 6 < 3;
    default:
      return true;
  }
}

}  // namespace

std::uint8_t SliceRenderer::grey(double value, const WindowLevel& window) {
  const double width = std::max(window.width, 1e-6);
  const double t = (value - (window.center - width / 2)) / width;
  return static_cast<std::uint8_t>(std::lround(std::clamp(t, 0.0, 1.0) * 255.0));
}

void SliceRenderer::updateTable(const WindowLevel& window) {
  if (!table_.empty() && window.width == tableWindow_.width &&
      window.center == tableWindow_.center) {
    return;
  }
  table_.resize(65536);
  for (int v = -32768; v <= 32767; ++v) table_[std::size_t(v + 32768)] = grey(v, window);
  tableWindow_ = window;
}

void SliceRenderer::render(const Volume& volume, const Segmentation* segmentation,
                           const SliceDisplay& display, std::size_t slice,
                           const WindowLevel& window, const OverlayStyle& style,
                           const SegmentationPreview* preview, SliceImage& out) {
  const ImageGeometry& g = volume.geometry();
  if (slice >= display.sliceCount) {
    throw std::out_of_range("slice " + std::to_string(slice) + " is outside the " +
                            std::string(orientationName(display.family)) + " range 0.." +
                            std::to_string(display.sliceCount - 1));
  }
  out.width = display.width;
  out.height = display.height;
  out.pixels.resize(out.width * out.height);
  const std::size_t uw = display.sliceWidth, vh = display.sliceHeight;

  // Linear voxel offset of slice pixel (u, v): base + u * su + v * sv.
  const std::array<std::size_t, 3> strides{1, g.size[0], g.size[0] * g.size[1]};
  const std::size_t su = strides[display.axes[0]], sv = strides[display.axes[1]];
  const std::size_t base = slice * strides[display.axes[2]];
  // Screen stepping: pixel (x, y) -> (u, v) is affine, so one start offset and two signed steps.
  auto offsetOf = [&](std::size_t x, std::size_t y) {
    const auto [u, v] = display.slicePixel(x, y);
    return static_cast<std::ptrdiff_t>(base + u * su + v * sv);
  };
  const std::ptrdiff_t start = offsetOf(0, 0);
  const std::ptrdiff_t stepX = out.width > 1 ? offsetOf(1, 0) - start : 0;
  const std::ptrdiff_t stepY = out.height > 1 ? offsetOf(0, 1) - start : 0;

  // Grey levels.
  volume.visitVoxels([&](auto voxels) {
    using T = typename decltype(voxels)::value_type;
    if constexpr (std::is_same_v<std::remove_cv_t<T>, std::int16_t>) {
      updateTable(window);
      const std::uint8_t* table = table_.data() + 32768;
      for (std::size_t y = 0; y < out.height; ++y) {
        std::ptrdiff_t at = start + std::ptrdiff_t(y) * stepY;
        std::uint32_t* row = out.pixels.data() + y * out.width;
        for (std::size_t x = 0; x < out.width; ++x, at += stepX) {
          const std::uint32_t level = table[voxels[std::size_t(at)]];
          row[x] = kOpaque | level * 0x010101U;
        }
      }
    } else {
      const double lo = window.center - std::max(window.width, 1e-6) / 2;
      const double scale = 255.0 / std::max(window.width, 1e-6);
      for (std::size_t y = 0; y < out.height; ++y) {
        std::ptrdiff_t at = start + std::ptrdiff_t(y) * stepY;
        std::uint32_t* row = out.pixels.data() + y * out.width;
        for (std::size_t x = 0; x < out.width; ++x, at += stepX) {
          const double t = (double(voxels[std::size_t(at)]) - lo) * scale;
          const auto level = static_cast<std::uint32_t>(std::lround(std::clamp(t, 0.0, 255.0)));
          row[x] = kOpaque | level * 0x010101U;
        }
      }
    }
  });
  if (segmentation == nullptr && preview == nullptr) return;

  // Which segment each slice pixel shows: the last visible one in table order that holds it.
  slots_.assign(uw * vh, 0);
  std::vector<SliceSource> sources;
  if (segmentation != nullptr) {
    sources.resize(segmentation->segmentCount(), SliceSource::None);
    for (std::size_t p = 0; p < segmentation->segmentCount(); ++p) {
      const Segment& s = segmentation->segmentAt(p);
      if (!s.visible) continue;
      segmentation->maskAt(p).paintSlice(display.axes[0], display.axes[1], display.axes[2], slice,
                                         slots_.data(), static_cast<std::uint16_t>(p + 1));
      sources[p] = segmentation->provenance(s.id).at(display.family, slice);
    }
  }
  bool anyPreview = false;
  if (preview != nullptr && segmentation != nullptr) {
    previewSlots_.assign(uw * vh, 0);
    for (const SlicePatch& patch : preview->patches) {
      if (patch.slice.orientation != display.family || patch.slice.index != slice) continue;
      const auto slot = static_cast<std::uint16_t>(segmentation->positionOf(patch.segment) + 1);
      for (std::size_t v = 0; v < patch.mask.height; ++v) {
        for (std::size_t u = 0; u < patch.mask.width; ++u) {
          if (patch.mask.at(u, v) && patch.u0 + u < uw && patch.v0 + v < vh) {
            previewSlots_[(patch.v0 + v) * uw + patch.u0 + u] = slot;
            anyPreview = true;
          }
        }
      }
    }
  }

  const int fillAlpha =
      style.fill ? int(std::lround(std::clamp(style.fillOpacity, 0.0, 1.0) * 256)) : 0;
  auto differs = [&](const std::vector<std::uint16_t>& slots, std::size_t u, std::size_t v,
                     std::uint16_t slot) {
    return (u == 0 || slots[v * uw + u - 1] != slot) ||
           (u + 1 == uw || slots[v * uw + u + 1] != slot) ||
           (v == 0 || slots[(v - 1) * uw + u] != slot) ||
           (v + 1 == vh || slots[(v + 1) * uw + u] != slot);
  };
  for (std::size_t y = 0; y < out.height; ++y) {
    std::uint32_t* row = out.pixels.data() + y * out.width;
    for (std::size_t x = 0; x < out.width; ++x) {
      const auto [u, v] = display.slicePixel(x, y);
      const std::uint16_t slot = slots_[v * uw + u];
      const std::uint16_t previewSlot = anyPreview ? previewSlots_[v * uw + u] : 0;
      if (slot == 0 && previewSlot == 0) continue;
      const auto level = static_cast<std::uint8_t>(row[x] & 0xff);
      if (slot != 0) {
        const Segment& s = segmentation->segmentAt(slot - 1);
        const bool edge = style.outline && differs(slots_, u, v, slot) &&
                          (!style.markProvenance || outlineOn(sources[slot - 1], x, y));
        row[x] = edge ? rgb(s.color[0], s.color[1], s.color[2]) : blend(level, s.color, fillAlpha);
      }
      if (previewSlot != 0) {
        // A preview is shown lighter (half the fill) under a dashed outline of its colour.
        const Segment& s = segmentation->segmentAt(previewSlot - 1);
        const bool edge = differs(previewSlots_, u, v, previewSlot) && (x + y) % 4 < 2;
        row[x] =
            edge ? rgb(s.color[0], s.color[1], s.color[2]) : blend(level, s.color, fillAlpha / 2);
      }
    }
  }
}

}  // namespace annotrace
