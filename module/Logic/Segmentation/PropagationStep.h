#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "Segmentation/IntensityEvidence.h"
#include "Segmentation/SliceMask.h"
#include "Segmentation/SliceSpec.h"
#include "Volume/Volume.h"

namespace annotrace {

/// One step of image-guided propagation (SlicePropagator, Docs/Propagation.md): carries a
/// segment's contour from one slice to the next at a working resolution, adapting it to the new
/// slice's image, and tells where the structure ends. Also the working-resolution views of a
/// slice that the propagator's model of the start slice is built from.
class PropagationStep {
 public:
  /// Where the slices of one family lie in the volume, and their pixel spacing.
  struct SliceFrame {
    std::array<int, 3> axes{};  // index axes of u, v and the slice normal
    int width = 0;
    int height = 0;
    int count = 0;
    std::array<std::size_t, 3> stride{};  // linear-index step along u, v and the normal
    double pixelMm = 1;                   // the finer in-plane spacing
    double scaleU = 1;                    // u and v spacing relative to pixelMm
    double scaleV = 1;
    double sliceMm = 1;
  };

  /// A half-open pixel rectangle of a slice.
  struct Rect {
    int u0 = 0;
    int v0 = 0;
    int u1 = 0;
    int v1 = 0;
    int width() const { return u1 - u0; }
    int height() const { return v1 - v0; }
    std::size_t area() const { return static_cast<std::size_t>(width()) * height(); }
  };

  /// Fixed for one propagation: the image, the slice family and what the start slice taught.
  struct Context {
    const Volume& volume;
    SliceOrientation orientation;
    SliceFrame frame;  // full resolution
    int scale = 1;     // a working pixel is scale x scale full-resolution pixels
    IntensityRange range;
    IntensityHistogram startInside{};
    std::size_t startArea = 0;  // full-resolution pixels
    // In working pixels:
    double motionPx = 2;  // expected boundary motion from one slice to the next
    int shiftRadius = 3;
    int ringPx = 4;
    int iterations = 20;
    double sigmaU = 1;
    double sigmaV = 1;
  };

  /// What one direction carries from slice to slice.
  struct Track {
    SliceMask mask;  // the whole slice, full resolution
    Rect box;
    std::size_t area = 0;
  };

  /// A full-resolution rectangle around `box`, grown by `margin` working pixels, inside the slice
  /// and made of whole working pixels.
  static Rect workingRect(const Rect& box, int margin, const Context& c);

  /// A rectangle of one slice at working resolution (block means), smoothed.
  static std::vector<float> workingImage(const Context& c, int slice, const Rect& r);

  /// A rectangle of a full-slice mask at working resolution: a working pixel is set when at least
  /// half of its pixels are.
  static std::vector<std::uint8_t> workingMask(const SliceMask& mask, const Rect& r, int s);

  /// Carries `track` (on slice `from`) to slice `to`. Returns false, leaving the track as it was,
  /// when the structure ends there.
  static bool carry(const Context& c, Track& track, int from, int to);
};

}  // namespace annotrace
