#pragma once

#include "Core/Progress.h"
#include "IO/DicomSeries.h"
#include "Volume/Volume.h"

namespace annotrace {

struct DicomLoadOptions {
  /// Resample sheared (gantry tilt) or unevenly spaced stacks onto a regular orthogonal grid.
  /// When false such stacks are refused with an error naming the problem.
  bool resampleIrregularStacks = true;
  /// Decoding threads; 0 means one per hardware core.
  unsigned threads = 0;
};

/// Decodes the pixels of one stack found by DicomFolderScanner into a Volume in physical
/// units, with exact geometry. Throws std::runtime_error with a message naming the file and
/// the problem when a frame cannot be decoded; OperationCancelled when cancelled.
class DicomSeriesLoader {
 public:
  static Volume load(const DicomSeries& series, const DicomLoadOptions& options = {},
                     const Progress* progress = nullptr);
};

}  // namespace annotrace
