// Benchmark P2/P3 (issue 4): the cost of one edit and of its undo step on a large segmentation.
//
// Builds a synthetic CT-like int16 volume of 512 x 512 x DEPTH voxels (0.7 x 0.7 x 1.0 mm) in
// memory, adds 10 segments through SegmentEditorLogic and fills each with an organ-sized blob
// (one polygon per axial slice), then times single commits, each repeated on other slices and
// positions and undone again (so every repetition edits the same content):
//   (a) a 30-mm circle brush (radius 15 mm) swept along a ~100-mm axial path sampled every 2 mm,
//       painting one segment over others (overwrite);
//   (b) a 200-vertex star-like polygon ~80 mm across, axial, overwrite, and the same on a
//       sagittal slice (whose slice, unlike an axial one, grows with the depth);
//   (c) an eraser stroke (radius 15 mm, same path) over a segment's own voxels;
//   (d) the brush of (a) on a sagittal and on a coronal slice;
//   (e) a sphere brush of radius 10 mm along a 20-mm stroke;
//   (f) undo and redo of the brush step (a).
// Only SegmentEditorLogic::apply (undo(), redo()) lies inside the clock. For every step it
// reports the voxels it changed, UndoStep::memoryBytes() and what a Slicer-style undo would hold
// (a uint8 copy of each modified segment's bounding box). Then it makes 100 successive edits,
// reports the history's memory, undoes all of them and checks the segmentation's content digest
// is back where it started (and redoes them all and checks the digest after the edits).
// Everything runs at depth 1000 and again at depth 100: the commit cost must not grow with depth.
//
// Targets (issue 4): <= 2 ms per commit (median) and undo memory <= 2 bytes per changed voxel
// (a dense uint8 labelmap holds 1 byte a voxel). Timings depend on the machine, so a missed
// time target still exits 0; wrong results (a no-op edit, undo not restoring the digest, an
// exception) exit 1. Not a test: run it by hand or with the `run_bench_p2` target.
//
// Usage: annotrace_bench_p2 [REPEATS=40] [DEPTH...]   (default depths: 1000 100; REPEATS >= 30)
// Environment: ANNOTRACE_BENCH_ONLY (time only the operations whose label contains it, e.g.
// "sphere", for perf).
//
// The volume and segmentation are made in BenchP2Fixture, the edits and the figures of an undo
// step in BenchP2Edits; this file runs them at each depth and prints the tables.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "Segmentation/EditOperation.h"
#include "Segmentation/IndexBox.h"
#include "Segmentation/SegmentEditorLogic.h"
#include "Segmentation/Segmentation.h"
#include "Segmentation/UndoHistory.h"
#include "Segmentation/UndoStep.h"
#include "Volume/ImageGeometry.h"
#include "Volume/Volume.h"

#include "BenchP2Edits.h"
#include "BenchP2Fixture.h"
#include "BenchTiming.h"

namespace {

using annotrace::EditOperation;
using annotrace::ImageGeometry;
using annotrace::IndexBox;
using annotrace::Segmentation;
using annotrace::SegmentEditorLogic;
using annotrace::UndoStep;
using annotrace::Volume;
using namespace annotrace::bench;      // Clock, msSince, Stats, statsOf, medianOf
using namespace annotrace::bench::p2;  // the fixture and the edits

constexpr double kTimeTargetMs = 2.0;
constexpr double kBytesPerVoxelTarget = 2.0;

struct OpResult {
  std::string label;
  std::vector<double> applyMs, regionMs, undoMs, redoMs;
  std::vector<double> distinct, stepBytes, bytesPerVoxel, runsBytes, slicerBytes;
};

struct DepthResult {
  std::size_t depth = 0;
  std::vector<OpResult> ops;  ///< one per Kind, then "f undo" and "f redo"
  bool correct = true;
};

double mb(std::size_t bytes) {
  return double(bytes) / 1e6;
}

DepthResult runDepth(std::size_t depth, int repeats, const std::vector<Kind>& kinds) {
  DepthResult result;
  result.depth = depth;
  std::printf("\n=== depth %zu: %zu x %zu x %zu voxels, %.1f x %.1f x %.1f mm ===\n", depth, kWidth,
              kWidth, depth, kPixelMm, kPixelMm, kSliceMm);

  auto start = Clock::now();
  const Volume volume = makeCtVolume(depth);
  const ImageGeometry& g = volume.geometry();
  std::printf("synthetic CT volume: %.0f MB int16, made in %.2f s\n",
              mb(g.voxelCount() * sizeof(std::int16_t)), msSince(start) / 1e3);

  const std::vector<Blob> blobs = makeBlobs(depth);
  start = Clock::now();
  std::size_t setupOps = 0;
  SegmentEditorLogic editor(volume, buildContent(volume, blobs, setupOps));
  const double setupSeconds = msSince(start) / 1e3;
  const Segmentation& seg = editor.segmentation();
  std::size_t labelled = 0;
  std::printf("segments (voxels):");
  for (std::size_t p = 0; p < seg.segmentCount(); ++p) {
    labelled += seg.maskAt(p).count();
    std::printf(" %zu", seg.maskAt(p).count());
  }
  std::printf("\n");
  std::printf(
      "content: %zu segments, %zu labelled voxels (%.1f%% of the grid), made by %zu "
      "operations in %.2f s\n",
      seg.segmentCount(), labelled, 100.0 * double(labelled) / double(g.voxelCount()), setupOps,
      setupSeconds);
  std::printf(
      "segmentation memory: %.1f MB (Segmentation::memoryBytes) vs %.1f MB for a dense "
      "uint8 labelmap (%.2fx)\n",
      mb(seg.memoryBytes()), mb(g.voxelCount()),
      double(seg.memoryBytes()) / double(g.voxelCount()));

  ExtentCache extents;
  for (std::size_t p = 0; p < seg.segmentCount(); ++p) {
    extents[seg.segmentAt(p).id] = seg.maskAt(p).bounds().value_or(IndexBox{});
  }
  start = Clock::now();
  const std::uint64_t startDigest = seg.contentDigest();
  const double digestMs = msSince(start);

  auto fail = [&](const std::string& what) {
    std::printf("CORRECTNESS FAILURE: %s\n", what.c_str());
    result.correct = false;
  };

  // (a)-(e): apply (timed), measure the step, undo and redo (timed), undo again to restore.
  constexpr int kWarmup = 3;
  for (Kind kind : kinds) {
    OpResult op;
    op.label = kindLabel(kind);
    for (int rep = -kWarmup; rep < repeats; ++rep) {
      const EditOperation edit = makeEdit(kind, rep + kWarmup, blobs, g);
      auto t0 = Clock::now();
      const annotrace::EditResult applied = editor.apply(edit);
      const double applyMs = msSince(t0);
      if (!applied.changed || applied.changedVoxels == 0) {
        fail(op.label + " changed nothing (repetition " + std::to_string(rep) + ")");
        continue;
      }
      const UndoStep& step = editor.history().undoSteps().back();
      const StepFigures fig = measureStep(step, g.size, extents, false);
      t0 = Clock::now();
      editor.undo();
      const double undoMs = msSince(t0);
      t0 = Clock::now();
      const annotrace::EditResult redone = editor.redo();
      const double redoMs = msSince(t0);
      if (redone.changedVoxels != applied.changedVoxels) fail(op.label + ": redo differs");
      editor.undo();
      if (rep < 0) continue;
      op.applyMs.push_back(applyMs);
      op.regionMs.push_back(regionMs(edit, g));
      op.undoMs.push_back(undoMs);
      op.redoMs.push_back(redoMs);
      op.distinct.push_back(double(fig.distinctVoxels));
      op.stepBytes.push_back(double(fig.stepBytes));
      op.bytesPerVoxel.push_back(double(fig.stepBytes) / double(fig.distinctVoxels));
      op.runsBytes.push_back(double(fig.runsBytes));
      op.slicerBytes.push_back(double(fig.slicerBytes));
    }
    if (seg.contentDigest() != startDigest) fail(op.label + ": undo did not restore the content");
    result.ops.push_back(std::move(op));
  }
  // (f): undo and redo of the brush step (a).
  if (!kinds.empty() && kinds.front() == Kind::BrushAxial) {
    OpResult undoBrush, redoBrush;
    undoBrush.label = "f undo of brush (a)";
    redoBrush.label = "f redo of brush (a)";
    undoBrush.applyMs = result.ops[0].undoMs;
    redoBrush.applyMs = result.ops[0].redoMs;
    undoBrush.distinct = redoBrush.distinct = result.ops[0].distinct;
    result.ops.push_back(undoBrush);
    result.ops.push_back(redoBrush);
  }

  std::printf("\n%-24s %3s %7s %7s %7s %6s %8s %7s %6s %6s %6s %10s %6s\n", "operation (ms)", "n",
              "median", "p95", "max", "region", "changed", "step B", "B/vox", "max", "runs B",
              "Slicer B", "x less");
  for (const OpResult& op : result.ops) {
    const Stats t = statsOf(op.applyMs);
    std::printf("%-24s %3zu %7.3f %7.3f %7.3f", op.label.c_str(), op.applyMs.size(), t.median,
                t.p95, t.max);
    if (op.regionMs.empty()) {
      std::printf(" %6s", "-");
    } else {
      std::printf(" %6.3f", medianOf(op.regionMs));
    }
    std::printf(" %8.0f", medianOf(op.distinct));
    if (op.stepBytes.empty()) {
      std::printf("  (same step as a)\n");
      continue;
    }
    std::printf(" %7.0f %6.2f %6.2f %6.0f %10.0f %6.0f\n", medianOf(op.stepBytes),
                medianOf(op.bytesPerVoxel), statsOf(op.bytesPerVoxel).max, medianOf(op.runsBytes),
                medianOf(op.slicerBytes), medianOf(op.slicerBytes) / medianOf(op.stepBytes));
  }
  std::printf("undo / redo medians (ms):");
  for (std::size_t n = 0; n < kinds.size(); ++n) {
    std::printf(" %c %.3f/%.3f", result.ops[n].label[0], medianOf(result.ops[n].undoMs),
                medianOf(result.ops[n].redoMs));
  }
  std::printf("\n");

  // 100 successive edits kept in the history, then undo all and redo all.
  constexpr int kEdits = 100;
  std::size_t distinctSum = 0, slicerSum = 0, runsSum = 0, runsUsedSum = 0;
  start = Clock::now();
  double editMs = 0;
  for (int n = 0; n < kEdits; ++n) {
    const Kind kind = kEditKinds[static_cast<std::size_t>(n) % kEditKinds.size()];
    const EditOperation edit = makeEdit(kind, 1000 + 7 * n, blobs, g);
    const auto t0 = Clock::now();
    const annotrace::EditResult applied = editor.apply(edit);
    editMs += msSince(t0);
    if (!applied.changed) {
      fail(std::string("edit ") + std::to_string(n) + " (" + kindLabel(kind) + ") changed nothing");
      continue;
    }
    const StepFigures fig = measureStep(editor.history().undoSteps().back(), g.size, extents, true);
    distinctSum += fig.distinctVoxels;
    slicerSum += fig.slicerBytes;
    runsSum += fig.runsBytes;
    runsUsedSum += fig.runsUsedBytes;
  }
  const std::uint64_t editedDigest = seg.contentDigest();
  const std::size_t steps = editor.history().undoSteps().size();
  const std::size_t historyBytes = editor.history().memoryBytes();
  std::printf(
      "\n%d successive edits (the operations above in turn): %.1f ms in apply in all; history "
      "keeps %zu "
      "steps\n",
      kEdits, editMs, steps);
  if (steps < static_cast<std::size_t>(kEdits)) fail("the history dropped steps");
  std::printf("history memory %zu B (%.0f B per step; runs %zu B of which %zu B used)\n",
              historyBytes, double(historyBytes) / double(std::max<std::size_t>(steps, 1)), runsSum,
              runsUsedSum);
  std::printf(
      "changed voxels %zu: %.3f B per changed voxel; Slicer-style copies %.1f MB (%.0fx "
      "more)\n",
      distinctSum, double(historyBytes) / double(distinctSum), mb(slicerSum),
      double(slicerSum) / double(historyBytes));
  std::printf("edit log: %zu entries, %zu B as JSON text\n", editor.operationLog().size(),
              editor.operationLog().dump().size());

  start = Clock::now();
  for (int n = 0; n < kEdits; ++n) editor.undo();
  const double undoAllMs = msSince(start);
  const std::uint64_t undoneDigest = seg.contentDigest();
  start = Clock::now();
  for (int n = 0; n < kEdits; ++n) editor.redo();
  const double redoAllMs = msSince(start);
  const std::uint64_t redoneDigest = seg.contentDigest();
  std::printf("undo all %d: %.1f ms, digest %016llx (start %016llx): %s\n", kEdits, undoAllMs,
              static_cast<unsigned long long>(undoneDigest),
              static_cast<unsigned long long>(startDigest),
              undoneDigest == startDigest ? "restored" : "MISMATCH");
  std::printf("redo all %d: %.1f ms, digest %016llx (after edits %016llx): %s\n", kEdits, redoAllMs,
              static_cast<unsigned long long>(redoneDigest),
              static_cast<unsigned long long>(editedDigest),
              redoneDigest == editedDigest ? "restored" : "MISMATCH");
  std::printf("(contentDigest itself: %.0f ms)\n", digestMs);
  if (undoneDigest != startDigest) fail("undoing all edits did not restore the start digest");
  if (redoneDigest != editedDigest) fail("redoing all edits did not restore the edited digest");
  if (editedDigest == startDigest) fail("the edits did not change the digest");
  return result;
}

}  // namespace

int main(int argc, char** argv) try {
  int repeats = 40;
  std::vector<std::size_t> depths;
  if (argc > 1) repeats = std::max(30, std::atoi(argv[1]));
  for (int a = 2; a < argc; ++a) depths.push_back(static_cast<std::size_t>(std::atol(argv[a])));
  if (depths.empty()) depths = {1000, 100};
  for (std::size_t d : depths) {
    if (d < 64 || d > 4000) {
      std::fprintf(stderr, "usage: %s [REPEATS>=30] [DEPTH 64..4000 ...]\n", argv[0]);
      return 2;
    }
  }
  std::printf(
      "P2/P3: edit commit time and undo memory; %d timed repetitions per operation "
      "(+3 warm-up), times of SegmentEditorLogic::apply/undo/redo only\n",
      repeats);
  std::printf(
      "region = EditRegionBuilder alone (median ms, the first part of apply); changed = "
      "voxels whose label changed (median); step B = UndoStep::memoryBytes (median); B/vox = "
      "step B / changed (median, max); runs B = its flip runs; Slicer B = uint8 copy of each "
      "modified segment's bounding box\n");

  // For profiling one operation: ANNOTRACE_BENCH_ONLY=sphere keeps the operations whose label
  // contains it (the 100 successive edits still run them all).
  std::vector<Kind> kinds;
  const char* only = std::getenv("ANNOTRACE_BENCH_ONLY");
  for (Kind kind : kTimedKinds) {
    if (!only || !*only || std::string(kindLabel(kind)).find(only) != std::string::npos) {
      kinds.push_back(kind);
    }
  }
  if (kinds.empty()) {
    std::fprintf(stderr, "no operation matches ANNOTRACE_BENCH_ONLY=%s\n", only);
    return 2;
  }

  const auto total = Clock::now();
  std::vector<DepthResult> results;
  bool correct = true;
  for (std::size_t d : depths) {
    results.push_back(runDepth(d, repeats, kinds));
    correct = correct && results.back().correct;
  }

  std::printf(
      "\n=== summary (targets: median <= %.0f ms per commit, step <= %.0f B per changed "
      "voxel) ===\n",
      kTimeTargetMs, kBytesPerVoxelTarget);
  const std::size_t opCount = results.front().ops.size();
  for (std::size_t n = 0; n < opCount; ++n) {
    double worstMedian = 0, worstBytes = 0;
    bool hasBytes = false;
    std::string line;
    char buffer[160];
    for (const DepthResult& r : results) {
      const OpResult& op = r.ops[n];
      const double med = medianOf(op.applyMs);
      worstMedian = std::max(worstMedian, med);
      std::snprintf(buffer, sizeof buffer, " %7.3f ms @%-4zu", med, r.depth);
      line += buffer;
      if (!op.bytesPerVoxel.empty()) {
        hasBytes = true;
        worstBytes = std::max(worstBytes, statsOf(op.bytesPerVoxel).max);
      }
    }
    if (results.size() >= 2) {
      std::snprintf(
          buffer, sizeof buffer, " ratio %4.2f",
          medianOf(results.front().ops[n].applyMs) / medianOf(results.back().ops[n].applyMs));
      line += buffer;
    }
    const std::string& label = results.front().ops[n].label;
    std::printf("%-24s%s | time %s", label.c_str(), line.c_str(),
                !isTargetKind(label)           ? "(no target)"
                : worstMedian <= kTimeTargetMs ? "PASS"
                                               : "FAIL");
    if (hasBytes) {
      std::printf(" | %.2f B/voxel (worst) %s", worstBytes,
                  worstBytes <= kBytesPerVoxelTarget ? "PASS" : "FAIL");
    }
    std::printf("\n");
  }
  std::printf("total run time %.1f s; correctness: %s\n", msSince(total) / 1e3,
              correct ? "OK" : "FAILED");
  return correct ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "annotrace_bench_p2: %s\n", e.what());
  return 1;
}
