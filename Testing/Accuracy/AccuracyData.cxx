#include "AccuracyData.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "IO/VolumeReader.h"
#include "Metrics/OverlapMetrics.h"
#include "Segmentation/LabelmapFileIO.h"
#include "Volume/VoxelAllocator.h"

namespace annotrace::accuracy {

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string fixed(double value, int decimals) {
  if (std::isinf(value)) return "inf";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

/// TotalSegmentator 2's "total" task class map (totalsegmentator/map_to_binary.py): the label
/// values of its CT label maps, so the worst structures can be named.
std::string totalSegmentatorName(int value) {
  static const char* const kNames[] = {"spleen",
                                       "kidney_right",
                                       "kidney_left",
                                       "gallbladder",
                                       "liver",
                                       "stomach",
                                       "pancreas",
                                       "adrenal_gland_right",
                                       "adrenal_gland_left",
                                       "lung_upper_lobe_left",
                                       "lung_lower_lobe_left",
                                       "lung_upper_lobe_right",
                                       "lung_middle_lobe_right",
                                       "lung_lower_lobe_right",
                                       "esophagus",
                                       "trachea",
                                       "thyroid_gland",
                                       "small_bowel",
                                       "duodenum",
                                       "colon",
                                       "urinary_bladder",
                                       "prostate",
                                       "kidney_cyst_left",
                                       "kidney_cyst_right",
                                       "sacrum",
                                       "vertebrae_S1",
                                       "vertebrae_L5",
                                       "vertebrae_L4",
                                       "vertebrae_L3",
                                       "vertebrae_L2",
                                       "vertebrae_L1",
                                       "vertebrae_T12",
                                       "vertebrae_T11",
                                       "vertebrae_T10",
                                       "vertebrae_T9",
                                       "vertebrae_T8",
                                       "vertebrae_T7",
                                       "vertebrae_T6",
                                       "vertebrae_T5",
                                       "vertebrae_T4",
                                       "vertebrae_T3",
                                       "vertebrae_T2",
                                       "vertebrae_T1",
                                       "vertebrae_C7",
                                       "vertebrae_C6",
                                       "vertebrae_C5",
                                       "vertebrae_C4",
                                       "vertebrae_C3",
                                       "vertebrae_C2",
                                       "vertebrae_C1",
                                       "heart",
                                       "aorta",
                                       "pulmonary_vein",
                                       "brachiocephalic_trunk",
                                       "subclavian_artery_right",
                                       "subclavian_artery_left",
                                       "common_carotid_artery_right",
                                       "common_carotid_artery_left",
                                       "brachiocephalic_vein_left",
                                       "brachiocephalic_vein_right",
                                       "atrial_appendage_left",
                                       "superior_vena_cava",
                                       "inferior_vena_cava",
                                       "portal_vein_and_splenic_vein",
                                       "iliac_artery_left",
                                       "iliac_artery_right",
                                       "iliac_vena_left",
                                       "iliac_vena_right",
                                       "humerus_left",
                                       "humerus_right",
                                       "scapula_left",
                                       "scapula_right",
                                       "clavicula_left",
                                       "clavicula_right",
                                       "femur_left",
                                       "femur_right",
                                       "hip_left",
                                       "hip_right",
                                       "spinal_cord",
                                       "gluteus_maximus_left",
                                       "gluteus_maximus_right",
                                       "gluteus_medius_left",
                                       "gluteus_medius_right",
                                       "gluteus_minimus_left",
                                       "gluteus_minimus_right",
                                       "autochthon_left",
                                       "autochthon_right",
                                       "iliopsoas_left",
                                       "iliopsoas_right",
                                       "brain",
                                       "skull",
                                       "rib_left_1",
                                       "rib_left_2",
                                       "rib_left_3",
                                       "rib_left_4",
                                       "rib_left_5",
                                       "rib_left_6",
                                       "rib_left_7",
                                       "rib_left_8",
                                       "rib_left_9",
                                       "rib_left_10",
                                       "rib_left_11",
                                       "rib_left_12",
                                       "rib_right_1",
                                       "rib_right_2",
                                       "rib_right_3",
                                       "rib_right_4",
                                       "rib_right_5",
                                       "rib_right_6",
                                       "rib_right_7",
                                       "rib_right_8",
                                       "rib_right_9",
                                       "rib_right_10",
                                       "rib_right_11",
                                       "rib_right_12",
                                       "sternum",
                                       "costal_cartilages"};
  constexpr int kCount = int(sizeof kNames / sizeof kNames[0]);
  return value >= 1 && value <= kCount ? kNames[value - 1] : "";
}

// --- Data ------------------------------------------------------------------------------------

const std::vector<DatasetSpec>& datasetSpecs() {
  static const std::vector<DatasetSpec> specs{
      {"ct", "nifti_totalseg/example_seg.nii.gz", "nifti_totalseg/example_ct_sm.nii.gz", true},
      {"mr", "nifti_totalseg/example_seg_mr.nii.gz", "nifti_totalseg/example_mr_sm.nii.gz", false},
      {"ct512", "ct_siemens_j2k_totalseg/example_seg_dicom.nii.gz",
       "ct_siemens_j2k_totalseg/example_ct_dicom", true},
  };
  return specs;
}

bool sameGrid(const ImageGeometry& a, const ImageGeometry& b) {
  if (a.size != b.size) return false;
  for (int r = 0; r < 3; ++r) {
    if (std::abs(a.origin[r] - b.origin[r]) > 1e-3 || std::abs(a.spacing[r] - b.spacing[r]) > 1e-3)
      return false;
    for (int c = 0; c < 3; ++c)
      if (std::abs(a.direction[r][c] - b.direction[r][c]) > 1e-4) return false;
  }
  return true;
}

/// The image on the label map's grid. A label map written in another index order than its
/// image's loader (TotalSegmentator's DICOM labels are stored with rows reversed) gets the image
/// resampled by nearest voxel centre, which on such grids is an exact permutation (said in
/// `note`, with the largest distance between matched centres).
Volume onGrid(const Volume& source, const ImageGeometry& grid, std::string& note) {
  if (sameGrid(source.geometry(), grid)) {
    Volume v = source;
    v.setGeometry(grid);
    note = "same grid";
    return v;
  }
  const ImageGeometry& g = source.geometry();
  double worst = 0;
  std::size_t outside = 0;
  Volume v = source.visitVoxels([&](auto voxels) -> Volume {
    using T = std::remove_cv_t<typename decltype(voxels)::element_type>;
    VoxelVector<T> out(grid.voxelCount(), T{});
    for (std::size_t k = 0; k < grid.size[2]; ++k) {
      for (std::size_t j = 0; j < grid.size[1]; ++j) {
        for (std::size_t i = 0; i < grid.size[0]; ++i) {
          const Vec3 c = g.worldToIndex(grid.indexToWorld({double(i), double(j), double(k)}));
          std::array<std::int64_t, 3> n{};
          for (int a = 0; a < 3; ++a) {
            n[a] = std::llround(c[a]);
            worst = std::max(worst, std::abs(c[a] - double(n[a])) * g.spacing[a]);
          }
          if (!g.contains(n)) {
            ++outside;
            continue;
          }
          out[grid.linearIndex(i, j, k)] =
              voxels[g.linearIndex(std::size_t(n[0]), std::size_t(n[1]), std::size_t(n[2]))];
        }
      }
    }
    return Volume(grid, VoxelBuffer(std::move(out)));
  });
  v.units = source.units;
  note = "resampled onto the label grid (nearest centre, largest offset " + fixed(worst, 4) +
         " mm, " + std::to_string(outside) + " voxels outside)";
  return v;
}


SliceRuns runsBySlice(const SparseMask& mask) {
  SliceRuns runs;
  mask.forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t n) {
    runs[k].push_back({i, j, n});
  });
  return runs;
}

std::size_t repeatedSlicePairs(const Segmentation& map) {
  const std::size_t depth = map.geometry().size[2];
  std::vector<bool> same(depth > 0 ? depth - 1 : 0, true);
  for (std::size_t p = 0; p < map.segmentCount(); ++p) {
    const SliceRuns runs = runsBySlice(map.maskAt(p));
    auto on = [&](std::size_t k) {
      const auto it = runs.find(k);
      return it == runs.end() ? std::vector<std::array<std::size_t, 3>>{} : it->second;
    };
    for (std::size_t k = 0; k + 1 < depth; ++k) same[k] = same[k] && on(k) == on(k + 1);
  }
  return static_cast<std::size_t>(std::count(same.begin(), same.end(), true));
}

Dataset loadDataset(const fs::path& dataRoot, const DatasetSpec& spec) {
  Dataset d;
  d.spec = spec;
  d.truth = LabelmapFileIO::read(dataRoot / spec.labelmap).segmentation;
  d.volume = onGrid(VolumeReader::read(dataRoot / spec.image), d.truth.geometry(), d.volumeNote);
  for (std::size_t p = 0; p < d.truth.segmentCount(); ++p) {
    const Segment& segment = d.truth.segmentAt(p);
    Structure s;
    s.id = segment.id;
    s.label = segment.labelValue;
    s.name = spec.totalSegmentatorCt ? totalSegmentatorName(s.label) : "";
    const auto counts = OverlapMetrics::sliceCounts(d.truth.maskAt(p), SliceOrientation::Axial);
    for (std::size_t k = 0; k < counts.size(); ++k)
      if (counts[k] != 0) s.slices.push_back(k);
    if (s.slices.size() >= kMinSlices) d.structures.push_back(std::move(s));
  }
  d.repeatedSlicePairs = repeatedSlicePairs(d.truth);
  return d;
}

// --- Reconstructions -------------------------------------------------------------------------

/// Every k-th of the slices holding a structure, from its first, plus its last.
std::vector<std::size_t> keySlices(const std::vector<std::size_t>& slices, std::size_t k) {
  std::vector<std::size_t> keys;
  for (std::size_t n = 0; n < slices.size(); n += k) keys.push_back(slices[n]);
  if (keys.back() != slices.back()) keys.push_back(slices.back());
  return keys;
}

/// Key slices of every segment: the evaluated structures' as asked; every other segment (fewer
/// than kMinSlices slices) keeps all its slices, so the scene around the structures is whole.
KeyMap keyMap(const Dataset& d, std::size_t k) {
  KeyMap keys;
  for (std::size_t p = 0; p < d.truth.segmentCount(); ++p) {
    const auto counts = OverlapMetrics::sliceCounts(d.truth.maskAt(p), SliceOrientation::Axial);
    std::vector<std::size_t> all;
    for (std::size_t s = 0; s < counts.size(); ++s)
      if (counts[s] != 0) all.push_back(s);
    const SegmentId id = d.truth.segmentAt(p).id;
    keys[id] = all.size() >= kMinSlices ? keySlices(all, k) : all;
  }
  return keys;
}

void paint(SparseMask& mask, const std::vector<std::array<std::size_t, 3>>& runs, std::size_t k) {
  for (const auto& [i, j, n] : runs)
    for (std::size_t t = 0; t < n; ++t) mask.assign(i + t, j, k, true);
}

/// The ground truth reduced to the key slices, same segments (ids, label values).
Segmentation keysOnly(const Segmentation& truth, const KeyMap& keys) {
  Segmentation s(truth.geometry());
  for (std::size_t p = 0; p < truth.segmentCount(); ++p) {
    const Segment& segment = truth.segmentAt(p);
    SparseMask mask(truth.geometry().size);
    const SliceRuns runs = runsBySlice(truth.maskAt(p));
    for (std::size_t k : keys.at(segment.id)) paint(mask, runs.at(k), k);
    s.insertSegment(p, segment, std::move(mask));
  }
  return s;
}

/// Each slice between key slices takes its nearest key slice (the lower one on a tie).
Segmentation nearestCopy(const Segmentation& keyed, const KeyMap& keys) {
  Segmentation s = keyed;
  for (std::size_t p = 0; p < keyed.segmentCount(); ++p) {
    const SegmentId id = keyed.segmentAt(p).id;
    const std::vector<std::size_t>& k = keys.at(id);
    const SliceRuns runs = runsBySlice(keyed.maskAt(p));
    for (std::size_t g = 0; g + 1 < k.size(); ++g) {
      for (std::size_t slice = k[g] + 1; slice < k[g + 1]; ++slice) {
        const std::size_t from = (slice - k[g] <= k[g + 1] - slice) ? k[g] : k[g + 1];
        paint(s.mask(id), runs.at(from), slice);
      }
    }
  }
  return s;
}

Score score(const SparseMask& truth, const SparseMask& result, const ImageGeometry& g,
            std::size_t first, std::size_t last) {
  Score s;
  s.dice = OverlapMetrics::dice(truth, result);
  s.hd95 = OverlapMetrics::surfaceDistances(truth, result, g).hausdorff95;
  s.lost = OverlapMetrics::emptiedSlices(truth, result, SliceOrientation::Axial, first, last)
               .emptied.size();
  s.gone = result.empty();
  return s;
}

const SparseMask& maskWithLabel(const Segmentation& s, int label, const SparseMask& empty) {
  for (std::size_t p = 0; p < s.segmentCount(); ++p)
    if (s.segmentAt(p).labelValue == label) return s.maskAt(p);
  return empty;
}

}  // namespace annotrace::accuracy
