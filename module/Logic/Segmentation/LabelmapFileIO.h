#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "Segmentation/Segmentation.h"
#include "Segmentation/UndoHistory.h"
#include "Volume/ImageGeometry.h"

namespace annotrace {

/// What LabelmapFileIO::read returns: the segmentation and what was saved with it.
struct LabelmapBundle {
  Segmentation segmentation;
  UndoHistory history;  ///< empty when none was saved or it could not be used
  nlohmann::json operationLog = nlohmann::json::array();  ///< edit operations as saved
  /// Things the reader noticed and worked around, e.g. an undo history that belongs to other
  /// voxels ("... labels kept, history dropped").
  std::vector<std::string> warnings;
};

/// A segmentation as NIfTI or NRRD label maps with a JSON sidecar for the segment table, so
/// work can be saved and exchanged with other tools (nibabel, ITK-SNAP, Slicer) before the
/// record store exists.
///
/// Files of "liver.nii.gz":
///   liver.nii.gz          int16 3D label map; each segment written with its label value
///   liver.layer2.nii.gz   one more 3D label map per extra layer, only when segments overlap
///                         (greedy: a segment goes in the first layer where it overlaps nothing)
///   liver.seg.json        the sidecar, written last
///   liver.undo            the undo history (optional), tied to the voxels by their digest
///
/// Sidecar (version 1):
///   {"format": "annotrace-segmentation", "version": 1,
///    "labelmap": "liver.nii.gz", "layers": ["liver.nii.gz", "liver.layer2.nii.gz"],
///    "geometry": {"size": [i, j, k], "origin": [x, y, z], "spacing": [si, sj, sk],
///                 "direction": [[row 0], [row 1], [row 2]]},   // LPS; columns = index axes
///    "next_segment_id": 7,
///    "segments": [segmentToJson(...) + {"layer": 1, "voxel_count": 1300}, ...],  // table order
///    "history": {"file": "liver.undo", "digest": "<16 hex digits>"} or null,
///    "operations": [edit operations], "software": "annotrace 0.x", "saved_utc": "...Z"}
/// "layer" is 1-based: layer n is "layers"[n - 1]. Geometry numbers are exact (doubles that
/// round-trip), so a reload gives the very grid that was saved, not the file's float32 copy.
///
/// Every file is written to a temporary name in the same folder, synced and renamed into
/// place; the label maps first, the sidecar last. The voxel counts the sidecar records are
/// checked on reading, so a half-finished save or a label map changed by another tool fails
/// clearly instead of loading wrong labels.
class LabelmapFileIO {
 public:
  /// .nii, .nii.gz, .nrrd or .nhdr (case-insensitive).
  static bool isSupportedFile(const std::filesystem::path& path);
  /// The sidecar of "liver.nii.gz" is "liver.seg.json" (same folder).
  static std::filesystem::path sidecarPath(const std::filesystem::path& labelmap);
  /// The undo history of "liver.nii.gz" is "liver.undo" (same folder).
  static std::filesystem::path historyPath(const std::filesystem::path& labelmap);
  /// The file of layer `layer` (1-based; layer 1 is the label map itself): "liver.layer2.nii.gz".
  static std::filesystem::path layerPath(const std::filesystem::path& labelmap, int layer);

  /// Writes the label map(s), the undo history (when given) and the sidecar. Throws
  /// std::runtime_error naming the file and the problem (e.g. a label value above 32767).
  static void write(const Segmentation& segmentation, const std::filesystem::path& labelmap,
                    const UndoHistory* history = nullptr,
                    const nlohmann::json& operationLog = nlohmann::json::array());

  /// With a sidecar: the segments it describes, voxel counts checked. Without one (a label map
  /// from another tool, e.g. TotalSegmentator): one segment per distinct nonzero value, named
  /// "Label N", label value N, in ascending order.
  ///
  /// expectedGeometry: when given, the label map's grid must match it (size exactly; origin
  /// and spacing within 1e-3 mm, direction within 1e-4) and the segmentation takes it exactly;
  /// otherwise std::runtime_error names what differs. A missing, damaged or mismatched undo
  /// history never fails the load: the labels are kept and a warning says why it was dropped.
  static LabelmapBundle read(const std::filesystem::path& labelmap,
                             const ImageGeometry* expectedGeometry = nullptr);
};

}  // namespace annotrace
