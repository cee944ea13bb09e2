// Accuracy harness P4 (issue 5): interpolation between key slices and image-guided propagation,
// against the ground truth of real label maps, beside the peer and the trivial baselines, in one
// run.
//
// Interpolation. For each real label map (TotalSegmentator's CT and MR examples and its labels
// of the 512 x 512 DICOM CT) and each structure (label), the axial slices holding it are listed;
// for k = 3, 5, 10 every k-th of them, starting at the first and always including the last, is
// kept as a key slice. Every structure's key slices together make one key-slice label map, which
// is reconstructed by
//   ours  SliceInterpolator with options.keySlices = those slices (all structures at once);
//   peer  ITK's morphological contour interpolation in its npm build
//         (@itk-wasm/morphological-contour-interpolation, Testing/Accuracy/peer) under Node, on
//         the same key slices written as a NIfTI label map, all labels, axis 2 (the k axis);
//   copy  each slice between key slices copies its nearest key slice (the lower one on a tie).
// Per structure (those holding at least 3 slices, so that every k leaves something to fill):
// Dice, HD95 (OverlapMetrics: 95th percentile of the pooled boundary distances, mm) and lost =
// slices between the first and last key slice that hold the structure in the ground truth but
// nothing in the reconstruction; "gone" counts structures with no voxel left at all. Compute
// times exclude file IO: ours is SliceInterpolator::interpolate (best of 5 runs), the peer the
// interpolation call inside Node (best of 3 runs, the first one with wasm start-up beside it).
//
// Propagation. For each structure of the maps that come with their image, the slice of largest
// area is the one drawn slice; SlicePropagator carries it through the volume both ways. Scored
// like the above (lost over the structure's true extent) beside two copies of the drawn slice:
// to every slice of the volume, and to every slice of the true extent (an oracle that knows
// where the structure ends). There is no peer for propagation.
//
// P4 timing. A synthetic 512 x 512 x 300 label (0.7 x 0.7 x 1 mm): an ellipse whose centre
// accelerates across the image, so that near the end consecutive key contours 5 slices apart no
// longer overlap; key slice every 5; one label through ours and through the peer.
//
// Targets (issue 5): ours >= 10x faster than the peer; mean Dice >= peer + 0.05 and >= copy + 0.05
// at k = 3, 5 and 10; no slice holding a structure left empty; a single-segment preview on
// 512 x 512 x 300 in <= 100 ms. Each prints PASS or FAIL; missed targets still exit 0, a broken
// run (missing data, a failing peer or method) exits 1.
//
// Usage: annotrace_accuracy_p4 [--data DIR] [--out DIR] [--peer DIR] [--node NODE]
// Per-structure figures go to OUT/accuracy_p4_interpolation.csv and
// OUT/accuracy_p4_propagation.csv; the key-slice label maps and both reconstructions (NIfTI,
// ours with a .seg.json sidecar and overlap layers if any) to OUT/p4_work.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "AccuracyData.h"
#include "IO/VolumeReader.h"
#include "Metrics/OverlapMetrics.h"
#include "PeerInterpolator.h"
#include "Segmentation/LabelmapFileIO.h"
#include "Segmentation/Segmentation.h"
#include "Segmentation/SliceInterpolator.h"
#include "Segmentation/SlicePropagator.h"
#include "Volume/Volume.h"
#include "Volume/VoxelAllocator.h"

namespace {

using namespace annotrace;
using annotrace::accuracy::PeerInterpolator;
using annotrace::accuracy::PeerRun;
using namespace annotrace::accuracy;

constexpr std::array<std::size_t, 3> kGaps{3, 5, 10};
constexpr int kOurRepeats = 5;
constexpr int kPeerRepeats = 3;
constexpr double kSpeedTarget = 10;
constexpr double kDiceMargin = 0.05;
constexpr double kPreviewTargetMs = 100;

// --- Aggregates ------------------------------------------------------------------------------

struct Row {
  const Dataset* dataset = nullptr;
  const Structure* structure = nullptr;
  std::size_t keys = 0;
  std::array<Score, 4> score;
};

struct Summary {
  std::size_t n = 0;
  std::array<double, 4> dice{}, hd95{};
  std::array<std::size_t, 4> hd95Count{}, lost{}, withLoss{}, gone{};
};

Summary summarise(const std::vector<Row>& rows, std::size_t methods = 4) {
  Summary s;
  for (const Row& r : rows) {
    ++s.n;
    for (std::size_t m = 0; m < methods; ++m) {
      const Score& x = r.score[m];
      s.dice[m] += x.dice;
      if (std::isfinite(x.hd95)) {
        s.hd95[m] += x.hd95;
        ++s.hd95Count[m];
      }
      s.lost[m] += x.lost;
      s.withLoss[m] += x.lost != 0;
      s.gone[m] += x.gone;
    }
  }
  for (std::size_t m = 0; m < methods; ++m) {
    if (s.n) s.dice[m] /= double(s.n);
    s.hd95[m] = s.hd95Count[m] ? s.hd95[m] / double(s.hd95Count[m]) : 0;
  }
  return s;
}

std::string label(const Row& r) {
  std::string text = r.dataset->spec.name + " " + std::to_string(r.structure->label);
  if (!r.structure->name.empty()) text += " " + r.structure->name;
  return text;
}

struct Timing {
  double oursBestMs = 0, oursFirstMs = 0, shapesBestMs = 0;
  PeerRun peer;
};

// --- Interpolation ---------------------------------------------------------------------------

std::vector<Row> interpolateDataset(const Dataset& d, std::size_t k, const PeerInterpolator& peer,
                                    const fs::path& work, Timing& timing) {
  const KeyMap keys = keyMap(d, k);
  const Segmentation keyed = keysOnly(d.truth, keys);
  const ImageGeometry& g = d.truth.geometry();

  // Ours: every segment at once, as the editor does.
  InterpolationOptions options;
  options.orientation = SliceOrientation::Axial;
  for (const auto& [id, slices] : keys) {
    options.segments.push_back(id);
    options.keySlices[id] = slices;
  }
  SegmentationPreview preview, shapesPreview;
  timing.oursBestMs = timing.shapesBestMs = 1e300;
  for (int r = 0; r < kOurRepeats; ++r) {
    auto start = Clock::now();
    preview = SliceInterpolator::interpolate(d.volume, keyed, options);
    const double ms = msSince(start);
    if (r == 0) timing.oursFirstMs = ms;
    timing.oursBestMs = std::min(timing.oursBestMs, ms);
    start = Clock::now();
    shapesPreview = SliceInterpolator::interpolate(keyed, options);
    timing.shapesBestMs = std::min(timing.shapesBestMs, msSince(start));
  }
  Segmentation ours = keyed, shapes = keyed;
  applyPreview(preview, ours);
  applyPreview(shapesPreview, shapes);
  const std::string stem = d.spec.name + "_k" + std::to_string(k);
  LabelmapFileIO::write(ours, work / (stem + "_ours.nii.gz"));  // for a look in a viewer

  // The peer, on the same key slices as a NIfTI label map; its key slices are found per label.
  const fs::path keyFile = work / (stem + "_keys.nii.gz");
  const fs::path peerFile = work / (stem + "_peer.nii.gz");
  LabelmapFileIO::write(keyed, keyFile);
  timing.peer = peer.run(keyFile, peerFile, 0, 2, kPeerRepeats);
  const Segmentation peerResult = LabelmapFileIO::read(peerFile, &g).segmentation;

  const Segmentation copy = nearestCopy(keyed, keys);
  const SparseMask empty(g.size);

  std::vector<Row> rows;
  for (const Structure& s : d.structures) {
    const std::vector<std::size_t>& k0 = keys.at(s.id);
    const SparseMask& truth = d.truth.mask(s.id);
    Row row;
    row.dataset = &d;
    row.structure = &s;
    row.keys = k0.size();
    row.score[kOurs] = score(truth, ours.mask(s.id), g, k0.front(), k0.back());
    row.score[kPeer] =
        score(truth, maskWithLabel(peerResult, s.label, empty), g, k0.front(), k0.back());
    row.score[kCopy] = score(truth, copy.mask(s.id), g, k0.front(), k0.back());
    row.score[kShapes] = score(truth, shapes.mask(s.id), g, k0.front(), k0.back());
    rows.push_back(row);
  }
  return rows;
}

// --- Propagation -----------------------------------------------------------------------------

struct PropagationRow {
  const Dataset* dataset = nullptr;
  const Structure* structure = nullptr;
  std::size_t drawn = 0;
  double ms = 0;
  std::size_t overshoot = 0;   ///< slices filled outside the structure's true extent
  std::array<Score, 3> score;  ///< propagated, copy to all slices, copy to the true extent
  std::string error;
};

std::vector<PropagationRow> propagateDataset(const Dataset& d) {
  const ImageGeometry& g = d.truth.geometry();
  std::vector<PropagationRow> rows;
  for (const Structure& s : d.structures) {
    const SparseMask& truth = d.truth.mask(s.id);
    const auto counts = OverlapMetrics::sliceCounts(truth, SliceOrientation::Axial);
    PropagationRow row;
    row.dataset = &d;
    row.structure = &s;
    row.drawn = std::size_t(std::max_element(counts.begin(), counts.end()) - counts.begin());
    const SliceRuns runs = runsBySlice(truth);
    const auto& drawnRuns = runs.at(row.drawn);

    Segmentation start(g);
    SparseMask drawnMask(g.size);
    paint(drawnMask, drawnRuns, row.drawn);
    start.insertSegment(0, d.truth.segment(s.id), drawnMask);
    start.provenance(s.id).set(SliceOrientation::Axial, row.drawn, SliceSource::Drawn);

    Segmentation propagated = start;
    try {
      PropagationOptions options;
      options.segment = s.id;
      options.orientation = SliceOrientation::Axial;
      options.fromSlice = row.drawn;
      const auto t0 = Clock::now();
      const SegmentationPreview preview = SlicePropagator::propagate(d.volume, start, options);
      row.ms = msSince(t0);
      applyPreview(preview, propagated);
    } catch (const std::exception& e) {
      row.error = e.what();
    }
    const SparseMask& result = propagated.mask(s.id);
    const auto resultCounts = OverlapMetrics::sliceCounts(result, SliceOrientation::Axial);
    for (std::size_t k = 0; k < resultCounts.size(); ++k)
      if (resultCounts[k] != 0 && (k < s.slices.front() || k > s.slices.back())) ++row.overshoot;

    SparseMask all(g.size), extent(g.size);
    for (std::size_t k = 0; k < g.size[2]; ++k) {
      paint(all, drawnRuns, k);
      if (k >= s.slices.front() && k <= s.slices.back()) paint(extent, drawnRuns, k);
    }
    row.score[0] = score(truth, result, g, s.slices.front(), s.slices.back());
    row.score[1] = score(truth, all, g, s.slices.front(), s.slices.back());
    row.score[2] = score(truth, extent, g, s.slices.front(), s.slices.back());
    rows.push_back(std::move(row));
  }
  return rows;
}

// --- Report ----------------------------------------------------------------------------------

void printInterpolationTable(std::size_t k, const std::vector<const Dataset*>& datasets,
                             const std::vector<Row>& rows, const std::map<std::string, Timing>& t) {
  std::printf(
      "\nInterpolation, k = %zu: key slices are every %s slice holding a structure from its "
      "first, and its last (axial)\n",
      k, k == 3 ? "3rd" : (std::to_string(k) + "th").c_str());
  std::printf("%-7s %4s | %-23s | %-17s | %-14s | %-9s | %s\n", "", "", "Dice", "HD95 mm",
              "lost slices", "gone", "compute ms");
  std::printf(
      "%-7s %4s | %5s %5s %5s %5s | %5s %5s %5s | %4s %4s %4s | %2s %2s %2s | %5s %5s %15s "
      "%7s\n",
      "dataset", "n", "ours", "shape", "peer", "copy", "ours", "peer", "copy", "ours", "peer",
      "copy", "o", "p", "c", "ours", "shape", "peer warm/first", "peer/us");
  auto line = [&](const std::string& name, const Summary& s, const std::string& times) {
    std::printf(
        "%-7s %4zu | %5.3f %5.3f %5.3f %5.3f | %5s %5s %5s | %4zu %4zu %4zu | %2zu %2zu %2zu | "
        "%s\n",
        name.c_str(), s.n, s.dice[kOurs], s.dice[kShapes], s.dice[kPeer], s.dice[kCopy],
        fixed(s.hd95[0], 2).c_str(), fixed(s.hd95[1], 2).c_str(), fixed(s.hd95[2], 2).c_str(),
        s.lost[0], s.lost[1], s.lost[2], s.gone[0], s.gone[1], s.gone[2], times.c_str());
  };
  double oursSum = 0, shapesSum = 0, peerSum = 0;
  for (const Dataset* d : datasets) {
    std::vector<Row> subset;
    for (const Row& r : rows)
      if (r.dataset == d) subset.push_back(r);
    const Timing& timing = t.at(d->spec.name);
    oursSum += timing.oursBestMs;
    shapesSum += timing.shapesBestMs;
    peerSum += timing.peer.bestMs;
    line(d->spec.name, summarise(subset),
         fixed(timing.oursBestMs, 1) + " " + fixed(timing.shapesBestMs, 1) + " " +
             fixed(timing.peer.bestMs, 1) + "/" + fixed(timing.peer.firstMs, 1) + " " +
             fixed(timing.peer.bestMs / timing.oursBestMs, 1) + "x");
  }
  const Summary all = summarise(rows);
  line("all", all,
       fixed(oursSum, 1) + " " + fixed(shapesSum, 1) + " " + fixed(peerSum, 1) + " " +
           fixed(peerSum / oursSum, 1) + "x");
  std::printf(
      "  structures with lost slices: ours %zu, peer %zu, copy %zu (HD95 means over %zu/%zu/%zu "
      "finite)\n",
      all.withLoss[0], all.withLoss[1], all.withLoss[2], all.hd95Count[0], all.hd95Count[1],
      all.hd95Count[2]);
  std::vector<Row> sorted = rows;
  std::sort(sorted.begin(), sorted.end(),
            [](const Row& a, const Row& b) { return a.score[kOurs].dice < b.score[kOurs].dice; });
  std::printf("  worst 5 of ours (Dice ours/peer/copy, slices, keys):");
  for (std::size_t n = 0; n < std::min<std::size_t>(5, sorted.size()); ++n) {
    const Row& r = sorted[n];
    std::printf("%s %s %.2f/%.2f/%.2f (%zu sl, %zu keys)", n ? ";" : "", label(r).c_str(),
                r.score[kOurs].dice, r.score[kPeer].dice, r.score[kCopy].dice,
                r.structure->slices.size(), r.keys);
  }
  std::printf("\n");
}

struct Options {
  fs::path data = ANNOTRACE_ACCURACY_DATA_DIR;
  fs::path out = fs::current_path();
  fs::path peer = ANNOTRACE_PEER_DIR;
  std::string node = ANNOTRACE_NODE;
};

Options parse(int argc, char** argv) {
  Options o;
  if (const char* env = std::getenv("ANNOTRACE_DATA"); env && *env) o.data = env;
  if (const char* env = std::getenv("ANNOTRACE_NODE"); env && *env) o.node = env;
  for (int a = 1; a < argc; ++a) {
    const std::string name = argv[a];
    if (a + 1 >= argc) throw std::invalid_argument("missing value after " + name);
    const std::string value = argv[++a];
    if (name == "--data") {
      o.data = value;
    } else if (name == "--out") {
      o.out = value;
    } else if (name == "--peer") {
      o.peer = value;
    } else if (name == "--node") {
      o.node = value;
    } else {
      throw std::invalid_argument("unknown option " + name +
                                  " (usage: annotrace_accuracy_p4 [--data DIR] [--out DIR] "
                                  "[--peer DIR] [--node NODE])");
    }
  }
  return o;
}

int run(const Options& o) {
  const PeerInterpolator peer(o.peer, o.node);
  peer.checkInstalled();
  const fs::path work = o.out / "p4_work";
  fs::create_directories(work);
  bool broken = false;

  std::printf("Accuracy P4: interpolation between key slices and propagation (issue 5)\n");
  std::printf("peer: %s under Node (%s); %u threads\n", peer.versions().c_str(), o.node.c_str(),
              std::max(1u, std::thread::hardware_concurrency()));
  std::printf("data: %s\n", o.data.string().c_str());

  std::vector<Dataset> datasets;
  for (const DatasetSpec& spec : datasetSpecs()) datasets.push_back(loadDataset(o.data, spec));
  std::vector<const Dataset*> pointers;
  for (const Dataset& d : datasets) {
    pointers.push_back(&d);
    const ImageGeometry& g = d.truth.geometry();
    std::printf(
        "  %-6s %s: %zux%zux%zu, %.3gx%.3gx%.3g mm, %zu labels, %zu with >= %zu slices; "
        "image %s, %s\n",
        d.spec.name.c_str(), d.spec.labelmap.c_str(), g.size[0], g.size[1], g.size[2], g.spacing[0],
        g.spacing[1], g.spacing[2], d.truth.segmentCount(), d.structures.size(), kMinSlices,
        d.spec.image.c_str(), d.volumeNote.c_str());
    std::printf("         %zu of %zu consecutive slice pairs identical%s\n", d.repeatedSlicePairs,
                g.size[2] - 1,
                d.repeatedSlicePairs > 0
                    ? " (resampled from thicker slices: copying a key slice is exact there)"
                    : "");
  }

  // Interpolation.
  std::ofstream csv(o.out / "accuracy_p4_interpolation.csv");
  csv << "dataset,k,label,name,slices,keys,method,dice,hd95_mm,lost_slices,gone\n";
  std::map<std::size_t, Summary> summaries;
  std::map<std::size_t, Summary> nativeSummaries;  // maps without repeated slices
  double worstRatio = 1e300;
  std::string worstRatioWhere;
  std::size_t oursLostTotal = 0, truthSlicesTotal = 0;
  for (std::size_t k : kGaps) {
    std::vector<Row> rows;
    std::map<std::string, Timing> timings;
    for (const Dataset& d : datasets) {
      Timing timing;
      std::vector<Row> part = interpolateDataset(d, k, peer, work, timing);
      rows.insert(rows.end(), part.begin(), part.end());
      timings[d.spec.name] = timing;
      const double ratio = timing.peer.bestMs / timing.oursBestMs;
      if (ratio < worstRatio) {
        worstRatio = ratio;
        worstRatioWhere = d.spec.name + " k=" + std::to_string(k);
      }
    }
    for (const Row& r : rows) {
      for (int m = 0; m < 4; ++m) {
        const Score& s = r.score[m];
        csv << r.dataset->spec.name << ',' << k << ',' << r.structure->label << ','
            << r.structure->name << ',' << r.structure->slices.size() << ',' << r.keys << ','
            << kMethodNames[m] << ',' << fixed(s.dice, 5) << ',' << fixed(s.hd95, 3) << ','
            << s.lost << ',' << s.gone << '\n';
      }
      oursLostTotal += r.score[kOurs].lost;
      truthSlicesTotal += r.structure->slices.size();
    }
    printInterpolationTable(k, pointers, rows, timings);
    summaries[k] = summarise(rows);
    std::vector<Row> native;
    for (const Row& r : rows)
      if (r.dataset->repeatedSlicePairs == 0) native.push_back(r);
    nativeSummaries[k] = summarise(native);
  }

  // Propagation.
  std::printf(
      "\nPropagation from one drawn slice (largest area) through the image, axial; copy: the "
      "drawn slice\ncopied to every slice / to the true extent only (oracle); no peer exists\n");
  std::printf("%-7s %4s | %-17s | %-17s | %-4s %-5s | %s\n", "", "", "Dice", "HD95 mm", "lost",
              "over", "ms");
  std::printf("%-7s %4s | %5s %5s %5s | %5s %5s %5s | %4s %5s | %s\n", "dataset", "n", "prop",
              "all", "ext", "prop", "all", "ext", "prop", "prop", "prop total");
  std::ofstream pcsv(o.out / "accuracy_p4_propagation.csv");
  pcsv << "dataset,label,name,slices,drawn_slice,method,dice,hd95_mm,lost_slices,overshoot,ms\n";
  std::vector<PropagationRow> allProp;
  for (const Dataset& d : datasets) {
    std::vector<PropagationRow> rows = propagateDataset(d);
    std::vector<Row> asRows;
    double ms = 0;
    std::size_t over = 0;
    for (const PropagationRow& p : rows) {
      if (!p.error.empty()) {
        std::printf("  propagation failed: %s %d: %s\n", d.spec.name.c_str(), p.structure->label,
                    p.error.c_str());
        broken = true;
      }
      Row r;
      r.dataset = &d;
      r.structure = p.structure;
      std::copy(p.score.begin(), p.score.end(), r.score.begin());
      asRows.push_back(r);
      ms += p.ms;
      over += p.overshoot;
      const char* names[] = {"propagated", "copy_all", "copy_extent"};
      for (int m = 0; m < 3; ++m) {
        pcsv << d.spec.name << ',' << p.structure->label << ',' << p.structure->name << ','
             << p.structure->slices.size() << ',' << p.drawn << ',' << names[m] << ','
             << fixed(p.score[m].dice, 5) << ',' << fixed(p.score[m].hd95, 3) << ','
             << p.score[m].lost << ',' << (m == 0 ? p.overshoot : 0) << ','
             << (m == 0 ? fixed(p.ms, 2) : "") << '\n';
      }
    }
    const Summary s = summarise(asRows);
    std::printf("%-7s %4zu | %5.3f %5.3f %5.3f | %5s %5s %5s | %4zu %5zu | %.1f\n",
                d.spec.name.c_str(), s.n, s.dice[0], s.dice[1], s.dice[2],
                fixed(s.hd95[0], 2).c_str(), fixed(s.hd95[1], 2).c_str(),
                fixed(s.hd95[2], 2).c_str(), s.lost[0], over, ms);
    allProp.insert(allProp.end(), rows.begin(), rows.end());
  }
  {
    std::vector<Row> asRows;
    for (const PropagationRow& p : allProp) {
      Row r;
      std::copy(p.score.begin(), p.score.end(), r.score.begin());
      asRows.push_back(r);
    }
    const Summary s = summarise(asRows);
    std::printf("%-7s %4zu | %5.3f %5.3f %5.3f | %5s %5s %5s | %4zu\n", "all", s.n, s.dice[0],
                s.dice[1], s.dice[2], fixed(s.hd95[0], 2).c_str(), fixed(s.hd95[1], 2).c_str(),
                fixed(s.hd95[2], 2).c_str(), s.lost[0]);
    std::sort(allProp.begin(), allProp.end(),
              [](const auto& a, const auto& b) { return a.score[0].dice < b.score[0].dice; });
    std::printf("  worst 5 propagated (Dice prop/ext, slices, lost, over):");
    for (std::size_t n = 0; n < std::min<std::size_t>(5, allProp.size()); ++n) {
      const PropagationRow& p = allProp[n];
      Row r;
      r.dataset = p.dataset;
      r.structure = p.structure;
      std::printf("%s %s %.2f/%.2f (%zu sl, %zu, %zu)", n ? ";" : "", label(r).c_str(),
                  p.score[0].dice, p.score[2].dice, p.structure->slices.size(), p.score[0].lost,
                  p.overshoot);
    }
    std::printf("\n");
  }

  // P4 timing.
  const SyntheticResult e = synthetic(peer, work);
  std::printf(
      "\nP4 timing: moving ellipse, 512x512x300 at 0.7x0.7x1 mm, key slice every 5 (%zu keys, "
      "%zu gaps\nwithout overlap between key contours), one label\n",
      e.keys, e.nonOverlappingGaps);
  std::printf("  ours  %8.1f ms median of 5 (best %.1f)   Dice %.4f  HD95 %s mm  lost %zu\n",
              e.oursMedianMs, e.oursBestMs, e.score[kOurs].dice,
              fixed(e.score[kOurs].hd95, 2).c_str(), e.score[kOurs].lost);
  std::printf("  shape %8.1f ms median of 5 (the shapes alone, without the image)\n",
              e.shapesMedianMs);
  std::printf("  peer  %8.1f ms warm (first %.1f)        Dice %.4f  HD95 %s mm  lost %zu\n",
              e.peer.bestMs, e.peer.firstMs, e.score[kPeer].dice,
              fixed(e.score[kPeer].hd95, 2).c_str(), e.score[kPeer].lost);
  std::printf("  copy                                      Dice %.4f  HD95 %s mm  lost %zu\n",
              e.score[kCopy].dice, fixed(e.score[kCopy].hd95, 2).c_str(), e.score[kCopy].lost);
  const double ellipseRatio = e.peer.bestMs / e.oursMedianMs;
  std::printf("  peer/ours %.0fx\n", ellipseRatio);
  oursLostTotal += e.score[kOurs].lost;

  // Targets.
  auto verdict = [](bool ok) { return ok ? "PASS" : "FAIL"; };
  std::printf("\nTargets (issue 5, P4)\n");
  const double minRatio = std::min(worstRatio, ellipseRatio);
  std::printf(
      "  %s  >= %.0fx faster than the peer: slowest case %.1fx (%s), moving ellipse %.0fx\n",
      verdict(minRatio >= kSpeedTarget), kSpeedTarget, worstRatio, worstRatioWhere.c_str(),
      ellipseRatio);
  for (std::size_t k : kGaps) {
    const Summary& s = summaries[k];
    const bool ok = s.dice[kOurs] >= s.dice[kPeer] + kDiceMargin &&
                    s.dice[kOurs] >= s.dice[kCopy] + kDiceMargin;
    std::printf(
        "  %s  k = %-2zu mean Dice >= peer + %.2f and copy + %.2f: ours %.3f, peer %.3f "
        "(%+.3f), copy %.3f (%+.3f)\n",
        verdict(ok), k, kDiceMargin, kDiceMargin, s.dice[kOurs], s.dice[kPeer],
        s.dice[kOurs] - s.dice[kPeer], s.dice[kCopy], s.dice[kOurs] - s.dice[kCopy]);
    const Summary& n = nativeSummaries[k];
    std::printf(
        "              on the maps without repeated slices (%zu structures): ours %.3f, peer %.3f "
        "(%+.3f), copy %.3f (%+.3f)\n",
        n.n, n.dice[kOurs], n.dice[kPeer], n.dice[kOurs] - n.dice[kPeer], n.dice[kCopy],
        n.dice[kOurs] - n.dice[kCopy]);
  }
  std::printf(
      "  %s  no slice holding a structure left empty: %zu lost by ours (of %zu slices "
      "over all k, plus the ellipse)\n",
      verdict(oursLostTotal == 0), oursLostTotal, truthSlicesTotal);
  std::printf("  %s  single-segment preview on 512x512x300 <= %.0f ms: %.1f ms (median)\n",
              verdict(e.oursMedianMs <= kPreviewTargetMs), kPreviewTargetMs, e.oursMedianMs);
  std::printf("per-structure figures: %s, %s\n",
              (o.out / "accuracy_p4_interpolation.csv").string().c_str(),
              (o.out / "accuracy_p4_propagation.csv").string().c_str());
  return broken ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "annotrace_accuracy_p4: %s\n", e.what());
    return 1;
  }
}
