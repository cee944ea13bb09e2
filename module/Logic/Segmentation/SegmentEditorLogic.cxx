#include "Segmentation/SegmentEditorLogic.h"

#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

#include "Segmentation/EditRegionBuilder.h"
#include "Segmentation/SegmentJson.h"
#include "Segmentation/SliceFloodFill.h"
#include "Segmentation/SliceInterpolator.h"
#include "Segmentation/SlicePropagator.h"

namespace annotrace {

namespace {

[[noreturn]] void bad(const std::string& message) {
  throw std::invalid_argument(message);
}

std::string formatNumber(double value) {
  std::ostringstream out;
  out.precision(3);
  out << value;
  return out.str();
}

void checkSameGrid(const ImageGeometry& volume, const ImageGeometry& segmentation) {
  bool same = volume.size == segmentation.size;
  for (int a = 0; a < 3 && same; ++a) {
    same = std::abs(volume.origin[a] - segmentation.origin[a]) < 1e-3 &&
           std::abs(volume.spacing[a] - segmentation.spacing[a]) < 1e-4;
    for (int b = 0; b < 3; ++b) {
      same = same && std::abs(volume.direction[a][b] - segmentation.direction[a][b]) < 1e-4;
    }
  }
  if (!same) {
    bad("the segmentation's grid does not match the volume's (size, origin, spacing or "
        "direction differ)");
  }
}

/// Tools that draw on one slice (not through a slab) make it a drawn slice.
bool marksDrawnSlice(const EditOperation& op) {
  switch (op.tool) {
    case EditTool::Polygon:
    case EditTool::Freehand:
    case EditTool::Brush:
    case EditTool::Eraser:
    case EditTool::Fill:
      return true;
    case EditTool::Scissors:
      return !op.wholeVolume && (!op.slab || op.slab->first == op.slab->second);
    default:
      return false;
  }
}

bool erases(const EditOperation& op) {
  switch (op.tool) {
    case EditTool::Eraser:
      return true;
    case EditTool::Scissors:
      return op.scissors == ScissorsAction::EraseInside ||
             op.scissors == ScissorsAction::EraseOutside;
    default:
      return op.erase;
  }
}

/// The target segment's pixels on one slice, as a full-slice mask.
SliceMask segmentSlice(const SparseMask& mask, const SliceSpec& slice) {
  const auto axes = slice.axes();
  const auto& size = mask.size();
  SliceMask out(size[axes[0]], size[axes[1]]);
  std::array<std::size_t, 3> index{};
  index[axes[2]] = slice.index;
  for (std::size_t v = 0; v < out.height; ++v) {
    index[axes[1]] = v;
    for (std::size_t u = 0; u < out.width; ++u) {
      index[axes[0]] = u;
      if (mask.test(index[0], index[1], index[2])) out.pixels[v * out.width + u] = 1;
    }
  }
  return out;
}

}  // namespace

std::string editStepName(const EditOperation& op, std::string_view segmentName) {
  const std::string on = " on " + std::string(segmentName);
  switch (op.tool) {
    case EditTool::Brush:
    case EditTool::Eraser:
      return std::string(op.tool == EditTool::Brush ? "Brush " : "Eraser ") +
             formatNumber(op.radiusMm) + " mm" + (op.shape == BrushShape::Sphere ? " sphere" : "") +
             on;
    case EditTool::Polygon:
      return std::string(op.erase ? "Polygon erase" : "Polygon") + on;
    case EditTool::Freehand:
      return std::string(op.erase ? "Freehand erase" : "Freehand") + on;
    case EditTool::Scissors: {
      static constexpr const char* kAction[] = {"fill inside", "erase inside", "fill outside",
                                                "erase outside"};
      std::string name = "Scissors " + std::string(kAction[static_cast<int>(op.scissors)]) + on;
      if (op.wholeVolume)
        name += " (all slices)";
      else if (op.slab && op.slab->first != op.slab->second) {
        name += " (slices " + std::to_string(op.slab->first) + "-" +
                std::to_string(op.slab->second) + ")";
      }
      return name;
    }
    case EditTool::Fill:
      return (op.fill == FillMode::Holes ? "Fill holes" : op.erase ? "Erase island" : "Fill") + on;
    case EditTool::AddSegment:
      return "Add segment " + std::string(segmentName);
    case EditTool::RemoveSegment:
      return "Remove segment " + std::string(segmentName);
    case EditTool::UpdateSegment:
      return "Edit segment " + std::string(segmentName);
    case EditTool::Interpolate:
      return "Interpolate " + std::string(segmentName);
    case EditTool::Propagate:
      return "Propagate " + std::string(segmentName);
    case EditTool::Undo:
      return "Undo";
    case EditTool::Redo:
      return "Redo";
  }
  return "Edit";
}

SegmentEditorLogic::SegmentEditorLogic(const Volume& source, Segmentation segmentation,
                                       UndoHistory history, nlohmann::json operationLog)
    : source_(&source),
      segmentation_(std::move(segmentation)),
      history_(std::move(history)),
      log_(std::move(operationLog)) {
  checkSameGrid(source.geometry(), segmentation_.geometry());
  if (!log_.is_array()) log_ = nlohmann::json::array();
}

const Segment& SegmentEditorLogic::targetSegment(const std::string& name, bool forEditing) const {
  const Segment* segment = segmentation_.findSegmentByName(name);
  if (!segment) bad("no segment named \"" + name + "\"");
  if (forEditing && segment->locked) bad("segment \"" + segment->name + "\" is locked");
  return *segment;
}

EditResult SegmentEditorLogic::apply(const EditOperation& op, const Progress* progress) {
  switch (op.tool) {
    case EditTool::Undo:
      return undo();
    case EditTool::Redo:
      return redo();
    case EditTool::AddSegment:
      return addSegment(op);
    case EditTool::RemoveSegment:
      return removeSegment(op);
    case EditTool::UpdateSegment:
      return updateSegment(op);
    case EditTool::Interpolate:
    case EditTool::Propagate:
      return accept(preview(op, progress), op);
    default:
      break;
  }
  const Segment target = targetSegment(op.segment, true);
  for (const Vec3& p : op.points) {
    if (!std::isfinite(p[0]) || !std::isfinite(p[1]) || !std::isfinite(p[2])) {
      bad("a point of the operation is not a finite number");
    }
  }
  EditOperation resolved = op;
  // Points are kept to the micrometre: the log stays compact (a 200-vertex polygon is ~5 kB,
  // not 10) and replays exactly, because the region is built from the rounded points.
  for (Vec3& p : resolved.points) {
    for (double& x : p) x = std::round(x * 1000.0) / 1000.0;
  }
  if (!resolved.slice) {
    resolved.slice = EditRegionBuilder::nearestSlice(segmentation_.geometry(), op.plane, op.points);
  }
  const EditRegion region = regionFor(resolved, target);
  UndoStep step = paint(region, target, erases(resolved), resolved.constraints, progress);
  step.name = editStepName(resolved, target.name);
  // The slice drawn on becomes a key slice: interpolation and propagation never change it.
  if (!step.empty() && marksDrawnSlice(resolved)) {
    SliceProvenance& provenance = segmentation_.provenance(target.id);
    const SliceSource before = provenance.at(resolved.plane, *resolved.slice);
    if (before != SliceSource::Drawn) {
      step.provenance.push_back(
          {target.id, resolved.plane, *resolved.slice, before, SliceSource::Drawn});
      provenance.set(resolved.plane, *resolved.slice, SliceSource::Drawn);
    }
  }
  return commit(std::move(step), resolved);
}

EditRegion SegmentEditorLogic::regionFor(const EditOperation& op, const Segment& target) const {
  const ImageGeometry& grid = segmentation_.geometry();
  const SliceSpec slice{op.plane, *op.slice};
  switch (op.tool) {
    case EditTool::Polygon:
    case EditTool::Freehand:
      return EditRegionBuilder::polygon(grid, slice, op.points);
    case EditTool::Brush:
    case EditTool::Eraser:
      return EditRegionBuilder::brushStroke(grid, slice, op.points, op.radiusMm, op.shape);
    case EditTool::Scissors: {
      const int fixedAxis = slice.axes()[2];
      std::size_t first = slice.index, last = slice.index;
      if (op.wholeVolume) {
        first = 0;
        last = grid.size[fixedAxis] - 1;
      } else if (op.slab) {
        first = op.slab->first;
        last = op.slab->second;
      }
      const bool inside =
          op.scissors == ScissorsAction::FillInside || op.scissors == ScissorsAction::EraseInside;
      return EditRegionBuilder::scissors(grid, slice, op.points, inside, first, last);
    }
    case EditTool::Fill: {
      const auto axes = slice.axes();
      if (slice.index >= grid.size[axes[2]]) {
        bad("slice " + std::to_string(slice.index) + " is outside the " +
            std::string(orientationName(slice.orientation)) + " range");
      }
      const SliceMask current = segmentSlice(segmentation_.mask(target.id), slice);
      EditRegion region;
      region.orientation = slice.orientation;
      if (op.fill == FillMode::Holes) {
        region.slices.push_back(
            EditRegionBuilder::cropped(slice.index, SliceFloodFill::holes(current)));
        return region;
      }
      const Vec3 seed = grid.worldToIndex(op.points.front());
      const double u = std::round(seed[axes[0]]), v = std::round(seed[axes[1]]);
      if (u < 0 || v < 0 || u >= double(current.width) || v >= double(current.height)) {
        bad("the fill seed lies outside the slice");
      }
      const auto su = static_cast<std::size_t>(u), sv = static_cast<std::size_t>(v);
      SliceMask domain = current;
      if (!op.erase) {
        for (std::uint8_t& p : domain.pixels) p = p ? 0 : 1;
      } else if (!current.at(su, sv)) {
        bad("the seed of \"erase island\" is not on segment \"" + target.name + "\"");
      }
      bool reachesBorder = false;
      const SliceMask filled = SliceFloodFill::connectedRegion(domain, su, sv, reachesBorder);
      if (!op.erase && reachesBorder) {
        bad("fill: the region at the seed is not enclosed by segment \"" + target.name + "\" on " +
            std::string(orientationName(slice.orientation)) + " slice " +
            std::to_string(slice.index) + " (it reaches the edge of the slice)");
      }
      region.slices.push_back(EditRegionBuilder::cropped(slice.index, filled));
      return region;
    }
    default:
      bad("not a drawing tool");
  }
}

UndoStep SegmentEditorLogic::paint(const EditRegion& region, const Segment& target, bool erase,
                                   const EditConstraints& constraints, const Progress* progress) {
  const ImageGeometry& grid = segmentation_.geometry();
  const auto axes = SliceSpec{region.orientation, 0}.axes();
  SparseMask& targetMask = segmentation_.mask(target.id);

  const SparseMask* inside = nullptr;
  if (constraints.editableArea.kind == EditableArea::Kind::InsideSegment) {
    inside = &segmentation_.mask(targetSegment(constraints.editableArea.segment, false).id);
  }
  // "Outside all segments" means outside every other segment: the target's own voxels stay
  // editable so an eraser still works under that setting.
  std::vector<const SparseMask*> blockers;
  std::vector<SparseMask*> overwritten;
  std::vector<FlipRecorder> overwrittenFlips;
  for (std::size_t p = 0; p < segmentation_.segmentCount(); ++p) {
    const Segment& other = segmentation_.segmentAt(p);
    if (other.id == target.id) continue;
    if (constraints.editableArea.kind == EditableArea::Kind::OutsideAllSegments) {
      blockers.push_back(&segmentation_.maskAt(p));
    }
    if (!erase && constraints.overlap == OverlapPolicy::Overwrite && !other.locked) {
      overwritten.push_back(&segmentation_.mask(other.id));
      overwrittenFlips.emplace_back(other.id, axes[0], grid.size);
    }
  }
  FlipRecorder targetFlips(target.id, axes[0], grid.size);
  const std::optional<IntensityRange> range = constraints.intensityRange;

  auto takeStep = [&] {
    UndoStep step;
    if (!targetFlips.empty()) step.flips.push_back(targetFlips.take());
    for (FlipRecorder& r : overwrittenFlips) {
      if (!r.empty()) step.flips.push_back(r.take());
    }
    return step;
  };

  std::uint64_t currentBrick = ~std::uint64_t{0};
  std::vector<const SparseMask*> activeBlockers;
  std::vector<std::size_t> activeOverwritten;
  try {
    source_->visitVoxels([&](auto voxels) {
      std::array<std::size_t, 3> index{};
      const std::size_t sliceCount = region.slices.size();
      for (std::size_t s = 0; s < sliceCount; ++s) {
        const EditRegion::Slice& slice = region.slices[s];
        if (progress) {
          progress->throwIfCancelled();
          if (sliceCount > 16 && s % 16 == 0) {
            progress->report("editing", static_cast<double>(s) / double(sliceCount));
          }
        }
        const SliceMask& mask = *slice.mask;
        index[axes[2]] = slice.index;
        for (std::size_t v = 0; v < mask.height; ++v) {
          index[axes[1]] = slice.v0 + v;
          const std::uint8_t* row = mask.pixels.data() + v * mask.width;
          for (std::size_t u = 0; u < mask.width; ++u) {
            if (!row[u]) continue;
            index[axes[0]] = slice.u0 + u;
            const auto [i, j, k] = index;
            // Erasing where the target has no brick changes nothing: jump to the brick's end
            // along the row, so erasing through many slices costs what the segment holds.
            if (erase && targetMask.brickEmpty(i, j, k)) {
              u = ((slice.u0 + u) | (SparseMask::kBrickEdge - 1)) - slice.u0;
              continue;
            }
            if (erase && !targetMask.test(i, j, k)) continue;
            if (!erase && overwritten.empty() && targetMask.test(i, j, k)) continue;
            const std::size_t linear = grid.linearIndex(i, j, k);
            if (range) {
              const double value = static_cast<double>(voxels[linear]);
              if (value < range->min || value > range->max) continue;
            }
            if (inside && !inside->test(i, j, k)) continue;
            // Other segments matter only where they have a brick: find those once per brick,
            // so overwrite and "outside all segments" cost nothing for segments far away.
            const std::uint64_t brick =
                (std::uint64_t{k >> 4} << 42) | (std::uint64_t{j >> 4} << 21) | (i >> 4);
            if (brick != currentBrick) {
              currentBrick = brick;
              activeBlockers.clear();
              for (const SparseMask* b : blockers) {
                if (!b->brickEmpty(i, j, k)) activeBlockers.push_back(b);
              }
              activeOverwritten.clear();
              for (std::size_t o = 0; o < overwritten.size(); ++o) {
                if (!overwritten[o]->brickEmpty(i, j, k)) activeOverwritten.push_back(o);
              }
            }
            bool blocked = false;
            for (const SparseMask* b : activeBlockers) {
              if (b->test(i, j, k)) {
                blocked = true;
                break;
              }
            }
            if (blocked) continue;
            if (targetMask.assign(i, j, k, !erase)) targetFlips.add(linear);
            for (std::size_t o : activeOverwritten) {
              // A brick freed by this very edit is simply found empty by assign().
              if (overwritten[o]->assign(i, j, k, false)) overwrittenFlips[o].add(linear);
            }
          }
        }
      }
    });
  } catch (...) {
    // Cancelled or failed half-way: put back what was changed so far.
    takeStep().applyBackward(segmentation_);
    throw;
  }
  return takeStep();
}

EditResult SegmentEditorLogic::commit(UndoStep step, const EditOperation& op) {
  EditResult result;
  if (step.empty()) return result;  // a no-op leaves no step and no log entry
  result.changed = true;
  result.stepName = step.name;
  result.changedVoxels = step.changedVoxels();
  log_.push_back(op.toJson());
  history_.push(std::move(step));
  return result;
}

EditResult SegmentEditorLogic::undo() {
  if (!history_.canUndo()) bad("nothing to undo");
  EditResult result;
  result.changedVoxels = history_.undoSteps().back().changedVoxels();
  result.stepName = history_.undo(segmentation_);
  result.changed = true;
  log_.push_back({{"tool", "undo"}});
  return result;
}

EditResult SegmentEditorLogic::redo() {
  if (!history_.canRedo()) bad("nothing to redo");
  EditResult result;
  result.changedVoxels = history_.redoSteps().back().changedVoxels();
  result.stepName = history_.redo(segmentation_);
  result.changed = true;
  log_.push_back({{"tool", "redo"}});
  return result;
}

namespace {

/// Applies "terminology_name" and the other members of an add/update request.
void fillSegment(const nlohmann::json& fields, Segment& segment,
                 const SegmentEditorLogic::TerminologyLookup& lookup) {
  nlohmann::json members = fields;
  if (members.contains("terminology_name")) {
    if (!members.at("terminology_name").is_string()) bad("\"terminology_name\" must be a string");
    const std::string name = members.at("terminology_name").get<std::string>();
    if (!lookup || !lookup(name, segment)) {
      bad("\"" + name + "\" is not in the terminology catalog");
    }
    members.erase("terminology_name");
  }
  updateSegmentFromJson(members, segment);
}

}  // namespace

EditResult SegmentEditorLogic::addSegment(const EditOperation& op) {
  Segment segment;  // label value 0: the smallest free value unless the request names one
  fillSegment(op.segmentFields, segment, terminology_);
  segment.id = 0;  // ids are the segmentation's to give
  const Segment& added = segmentation_.addSegment(segment);
  UndoStep step;
  step.name = editStepName(op, added.name);
  step.tableChanges.push_back({std::nullopt, added, segmentation_.segmentCount() - 1});
  EditOperation logged = op;
  logged.segmentFields = segmentToJson(added);
  logged.segmentFields.erase("id");
  return commit(std::move(step), logged);
}

EditResult SegmentEditorLogic::removeSegment(const EditOperation& op) {
  const Segment target = targetSegment(op.segment, true);
  const SparseMask& mask = segmentation_.mask(target.id);
  const ImageGeometry& grid = segmentation_.geometry();
  UndoStep step;
  step.name = editStepName(op, target.name);
  if (!mask.empty()) {
    SegmentFlips flips;
    flips.segment = target.id;
    mask.forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t length) {
      flips.runs.push_back(SegmentFlips::pack(grid.linearIndex(i, j, k), length));
    });
    step.flips.push_back(std::move(flips));
  }
  step.tableChanges.push_back({target, std::nullopt, segmentation_.positionOf(target.id),
                               segmentation_.provenance(target.id)});
  step.applyForward(segmentation_);
  return commit(std::move(step), op);
}

EditResult SegmentEditorLogic::updateSegment(const EditOperation& op) {
  const Segment before = targetSegment(op.segment, false);
  Segment after = before;
  fillSegment(op.segmentFields, after, terminology_);
  if (after.id != before.id) bad("a segment's id cannot be changed");
  if (after == before) return {};
  segmentation_.updateSegment(after);
  UndoStep step;
  step.name = after.name != before.name ? "Rename segment " + before.name + " to " + after.name
                                        : editStepName(op, before.name);
  step.tableChanges.push_back({before, after, segmentation_.positionOf(before.id)});
  return commit(std::move(step), op);
}

SegmentationPreview SegmentEditorLogic::preview(const EditOperation& op,
                                                const Progress* progress) const {
  if (op.tool == EditTool::Interpolate) {
    InterpolationOptions options;
    options.orientation = op.plane;
    for (const std::string& name : op.segments) {
      options.segments.push_back(targetSegment(name, true).id);
    }
    if (!op.keySlices.empty()) {
      std::vector<SegmentId> ids = options.segments;
      if (ids.empty()) {
        for (std::size_t p = 0; p < segmentation_.segmentCount(); ++p) {
          if (!segmentation_.segmentAt(p).locked) ids.push_back(segmentation_.segmentAt(p).id);
        }
      }
      for (SegmentId id : ids) options.keySlices[id] = op.keySlices;
    }
    return op.followImage
               ? SliceInterpolator::interpolate(*source_, segmentation_, options, progress)
               : SliceInterpolator::interpolate(segmentation_, options, progress);
  }
  if (op.tool == EditTool::Propagate) {
    PropagationOptions options;
    options.segment = targetSegment(op.segment, true).id;
    options.orientation = op.plane;
    options.fromSlice = op.slice.value_or(0);
    options.forward = op.forward;
    options.backward = op.backward;
    options.maxSlices = op.maxSlices;
    return SlicePropagator::propagate(*source_, segmentation_, options, progress);
  }
  bad("only interpolate and propagate compute a preview");
}

EditResult SegmentEditorLogic::accept(const SegmentationPreview& preview, const EditOperation& op) {
  const ImageGeometry& grid = segmentation_.geometry();
  UndoStep step;
  std::map<SegmentId, std::size_t> slicesPerSegment;
  std::map<std::pair<SegmentId, int>, FlipRecorder> recorders;
  for (const SlicePatch& patch : preview.patches) {
    const Segment& target = segmentation_.segment(patch.segment);
    if (target.locked) bad("segment \"" + target.name + "\" is locked");
    SliceProvenance& provenance = segmentation_.provenance(patch.segment);
    // A drawn slice is the user's: nothing automatic ever changes it.
    if (provenance.at(patch.slice.orientation, patch.slice.index) == SliceSource::Drawn) continue;
    const auto axes = patch.slice.axes();
    SparseMask& mask = segmentation_.mask(patch.segment);
    auto [recorder, inserted] =
        recorders.try_emplace({patch.segment, axes[0]}, patch.segment, axes[0], grid.size);
    (void)inserted;
    std::array<std::size_t, 3> index{};
    index[axes[2]] = patch.slice.index;
    const std::size_t width = grid.size[axes[0]], height = grid.size[axes[1]];
    for (std::size_t v = 0; v < height; ++v) {
      index[axes[1]] = v;
      const bool rowInWindow = v >= patch.v0 && v < patch.v0 + patch.mask.height;
      for (std::size_t u = 0; u < width; ++u) {
        index[axes[0]] = u;
        const bool inWindow = rowInWindow && u >= patch.u0 && u < patch.u0 + patch.mask.width;
        bool want = inWindow && patch.mask.at(u - patch.u0, v - patch.v0) != 0;
        if (!want && !inWindow && mask.brickEmpty(index[0], index[1], index[2])) {
          u |= SparseMask::kBrickEdge - 1;  // nothing of the segment in this brick's row
          continue;
        }
        // Never take a voxel another segment holds: automation adds only free voxels.
        if (want) {
          for (std::size_t p = 0; p < segmentation_.segmentCount() && want; ++p) {
            if (segmentation_.segmentAt(p).id != patch.segment &&
                segmentation_.maskAt(p).test(index[0], index[1], index[2])) {
              want = mask.test(index[0], index[1], index[2]);  // keep what it already had
            }
          }
        }
        if (mask.assign(index[0], index[1], index[2], want)) {
          recorder->second.add(grid.linearIndex(index[0], index[1], index[2]));
        }
      }
    }
    const SliceSource before = provenance.at(patch.slice.orientation, patch.slice.index);
    if (before != patch.source) {
      step.provenance.push_back(
          {patch.segment, patch.slice.orientation, patch.slice.index, before, patch.source});
      provenance.set(patch.slice.orientation, patch.slice.index, patch.source);
    }
    ++slicesPerSegment[patch.segment];
  }
  for (auto& [key, recorder] : recorders) {
    if (!recorder.empty()) step.flips.push_back(recorder.take());
  }
  std::size_t slices = 0;
  for (const auto& [id, n] : slicesPerSegment) slices += n;
  const std::string what = slicesPerSegment.size() == 1
                               ? segmentation_.segment(slicesPerSegment.begin()->first).name
                               : std::to_string(slicesPerSegment.size()) + " segments";
  step.name = std::string(op.tool == EditTool::Propagate ? "Propagate " : "Interpolate ") + what +
              " (" + std::string(orientationName(op.plane)) + ", " + std::to_string(slices) +
              " slice" + (slices == 1 ? "" : "s") + ")";
  return commit(std::move(step), op);
}

}  // namespace annotrace
