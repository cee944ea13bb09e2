#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "Render/SliceDisplay.h"
#include "Segmentation/Segmentation.h"
#include "Segmentation/SegmentationPreview.h"
#include "Volume/Volume.h"

namespace annotrace {

/// How segments are drawn over the image.
struct OverlayStyle {
  bool fill = true;
  bool outline = true;
  double fillOpacity = 0.4;  ///< 0..1
  /// Where a segment's slice was interpolated or propagated, its outline is dotted or dashed
  /// instead of solid, so a reviewer tells them from drawn slices at a glance.
  bool markProvenance = true;
};

/// One rendered slice: screen pixels as 0xAARRGGBB words (Qt's ARGB32 / RGB32 layout), row by
/// row, width x height of the SliceDisplay it was made for.
struct SliceImage {
  std::size_t width = 0, height = 0;
  std::vector<std::uint32_t> pixels;
  std::uint32_t at(std::size_t x, std::size_t y) const { return pixels[y * width + x]; }
};

/// Renders a slice of a volume with the window/level and the visible segments over it, and a
/// preview's patches (drawn lighter, with a dashed outline) when one is given. Qt-free: the
/// workstation shows the pixels, tests and the P8 benchmark check and time them. Keeps its
/// look-up table and buffers between calls; one renderer per view.
class SliceRenderer {
 public:
  void render(const Volume& volume, const Segmentation* segmentation, const SliceDisplay& display,
              std::size_t slice, const WindowLevel& window, const OverlayStyle& style,
              const SegmentationPreview* preview, SliceImage& out);

  /// The grey level (0..255) a value gets under a window: linear from centre - width / 2
  /// (black) to centre + width / 2 (white), as DICOM's VOI LUT function LINEAR_EXACT.
  static std::uint8_t grey(double value, const WindowLevel& window);

 private:
  void updateTable(const WindowLevel& window);

  std::vector<std::uint8_t> table_;  // int16 value + 32768 -> grey
  WindowLevel tableWindow_{"", -1, 0};
  std::vector<std::uint16_t> slots_;         // per slice pixel: 1 + segment position, 0: none
  std::vector<std::uint16_t> previewSlots_;  // the same for the preview's patches
};

}  // namespace annotrace
