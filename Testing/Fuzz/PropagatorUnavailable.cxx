// Fuzz builds use clang, and Debian's ITK headers accept only GCC: the ITK-based propagator
// cannot be compiled here. This stand-in makes every propagate operation fail with an
// exception, which the fuzzers treat like any other rejected input; the propagator itself is
// tested by the GoogleTest suite (SlicePropagatorTest).

#include <stdexcept>

#include "Segmentation/SlicePropagator.h"

namespace annotrace {

SegmentationPreview SlicePropagator::propagate(const Volume&, const Segmentation&,
                                               const PropagationOptions&, const Progress*) {
  throw std::runtime_error("propagation is not part of fuzz builds");
}

}  // namespace annotrace
