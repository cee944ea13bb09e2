#pragma once

#include <cstddef>
#include <deque>
#include <iosfwd>
#include <string>
#include <vector>

#include "Segmentation/UndoStep.h"

namespace annotrace {

class Segmentation;

/// The undo and redo stacks of one segmentation.
///
/// Steps hold only what changed (UndoStep), so the default limits are generous: 1000 steps or
/// 2 GiB of step memory, whichever comes first; the oldest steps go when either is exceeded.
class UndoHistory {
 public:
  struct Limits {
    std::size_t maxSteps = 1000;
    std::size_t maxBytes = std::size_t{2} << 30;
  };

  UndoHistory() : UndoHistory(Limits()) {}
  explicit UndoHistory(Limits limits) : limits_(limits) {}

  /// Records a step already applied to the segmentation; drops the redo stack. Empty steps
  /// are ignored (a no-op edit leaves no step).
  void push(UndoStep step);

  bool canUndo() const { return !undo_.empty(); }
  bool canRedo() const { return !redo_.empty(); }
  /// Name of the step undo() / redo() would apply; empty when none.
  std::string undoName() const;
  std::string redoName() const;

  /// Reverts the newest step on `segmentation`; returns its name. Throws std::logic_error when
  /// there is nothing to undo.
  std::string undo(Segmentation& segmentation);
  std::string redo(Segmentation& segmentation);

  const std::deque<UndoStep>& undoSteps() const { return undo_; }  ///< oldest first
  const std::deque<UndoStep>& redoSteps() const { return redo_; }  ///< next redo last
  std::size_t memoryBytes() const;
  const Limits& limits() const { return limits_; }
  void clear();

  /// Binary form for saving next to a label map (Docs/Segmentation.md): magic, version, the
  /// segmentation digest it belongs to, then both stacks. Compressed with zlib.
  void write(std::ostream& out, std::uint64_t segmentationDigest) const;
  /// Reads what write() wrote. Throws std::runtime_error on damage, or when `expectedDigest`
  /// differs from the digest saved with the history (it belongs to other voxels).
  static UndoHistory read(std::istream& in, std::uint64_t expectedDigest, Limits limits);
  static UndoHistory read(std::istream& in, std::uint64_t expectedDigest) {
    return read(in, expectedDigest, Limits());
  }

 private:
  void enforceLimits();
  Limits limits_;
  std::deque<UndoStep> undo_;
  std::deque<UndoStep> redo_;
  std::size_t undoBytes_ = 0;
};

}  // namespace annotrace
