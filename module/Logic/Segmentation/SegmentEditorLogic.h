#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "Core/Progress.h"
#include "Segmentation/EditOperation.h"
#include "Segmentation/EditRegion.h"
#include "Segmentation/Segmentation.h"
#include "Segmentation/SegmentationPreview.h"
#include "Segmentation/UndoHistory.h"
#include "Volume/Volume.h"

namespace annotrace {

/// What one applied operation did.
struct EditResult {
  bool changed = false;  ///< false: a no-op (no undo step was made)
  std::string stepName;  ///< "Brush 5 mm on Liver"; for undo/redo the step's name
  std::size_t changedVoxels = 0;
};

/// Applies tool operations to a segmentation of a source volume, with undo and an edit log.
///
/// Qt-free, like Slicer's segment editor logic split from its widget: the workstation, the
/// command line and the tests drive the same code. Every edit visits only the voxels its tool
/// selects, records the voxels it flipped as one undo step, and appends its operation to the
/// log (operationLog() replays to the current state on the same volume).
class SegmentEditorLogic {
 public:
  /// Looks a terminology entry up by name and fills the segment's terminology and colour;
  /// false when the name is unknown.
  using TerminologyLookup = std::function<bool(std::string_view name, Segment& segment)>;

  /// `source` must outlive the editor; the segmentation must lie on its grid.
  SegmentEditorLogic(const Volume& source, Segmentation segmentation, UndoHistory history = {},
                     nlohmann::json operationLog = nlohmann::json::array());

  const Segmentation& segmentation() const { return segmentation_; }
  const UndoHistory& history() const { return history_; }
  const nlohmann::json& operationLog() const { return log_; }
  const Volume& source() const { return *source_; }
  void setTerminologyLookup(TerminologyLookup lookup) { terminology_ = std::move(lookup); }

  /// Applies one operation. Throws std::invalid_argument with a message naming the problem
  /// (unknown segment, locked segment, slice off the volume, open fill region, ...) and leaves
  /// the segmentation unchanged. A cancelled progress rolls the partial edit back and throws
  /// OperationCancelled.
  EditResult apply(const EditOperation& operation, const Progress* progress = nullptr);
  EditResult undo();
  EditResult redo();

  /// What an interpolate or propagate operation would change, computed without changing
  /// anything, for the user to look at.
  SegmentationPreview preview(const EditOperation& operation,
                              const Progress* progress = nullptr) const;
  /// Applies a preview as one undo step ("Interpolate Liver (axial, 12 slices)") and logs
  /// `operation` as what made it. Drawn slices and voxels of other segments are never changed;
  /// the patched slices take the preview's provenance. Apply(operation) does both at once.
  EditResult accept(const SegmentationPreview& preview, const EditOperation& operation);

 private:
  const Segment& targetSegment(const std::string& name, bool forEditing) const;
  EditRegion regionFor(const EditOperation& op, const Segment& target) const;
  UndoStep paint(const EditRegion& region, const Segment& target, bool erase,
                 const EditConstraints& constraints, const Progress* progress);
  EditResult addSegment(const EditOperation& op);
  EditResult removeSegment(const EditOperation& op);
  EditResult updateSegment(const EditOperation& op);
  EditResult commit(UndoStep step, const EditOperation& op);

  const Volume* source_;
  Segmentation segmentation_;
  UndoHistory history_;
  nlohmann::json log_;
  TerminologyLookup terminology_;
};

/// The step name users see for an operation on a segment ("Brush 5 mm on Liver").
std::string editStepName(const EditOperation& operation, std::string_view segmentName);

}  // namespace annotrace
