#pragma once

// Checks shared by the DICOM reference tests: our volumes against dcm2niix's geometry (in LPS
// world coordinates) and pydicom's voxel values (Testing/Python/dicom_reference.py).

#include <gtest/gtest.h>
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "IO/DicomFolderScanner.h"
#include "IO/DicomSeriesLoader.h"
#include "IO/VolumeReader.h"
#include "TestData.h"

namespace annotrace::dicomtest {

namespace fs = std::filesystem;
using nlohmann::json;
using Code = LoadWarning::Code;

constexpr double kWorldTolerance = 0.01;      // mm, positions
constexpr double kDirectionTolerance = 1e-4;  // direction cosines and spacing

inline std::string describe(const Vec3& v) {
  std::ostringstream s;
  s << "(" << v[0] << ", " << v[1] << ", " << v[2] << ")";
  return s.str();
}

inline std::string warningList(const std::vector<LoadWarning>& warnings) {
  std::string names;
  for (const auto& w : warnings) names += std::string(warningCodeName(w.code)) + " ";
  return names;
}

inline bool pathContains(const fs::path& path, const std::string& part) {
  return path.string().find(part) != std::string::npos;
}

/// The image stack a case is about: the one holding a frame whose path contains `member`.
inline const DicomSeries& findStack(const DicomScanResult& scan, const std::string& member) {
  std::vector<const DicomSeries*> matches;
  for (const auto& series : scan.series) {
    if (series.frames.empty()) continue;
    if (member.empty() ||
        std::any_of(series.frames.begin(), series.frames.end(),
                    [&](const DicomFrame& f) { return pathContains(f.file, member); })) {
      matches.push_back(&series);
    }
  }
  if (matches.empty())
    throw std::runtime_error("no image stack holds a file matching '" + member + "'");
  if (member.empty() && matches.size() != 1) {
    throw std::runtime_error("expected one image stack, found " + std::to_string(matches.size()));
  }
  return *matches.front();
}

inline std::vector<fs::path> stackFiles(const DicomSeries& stack) {
  std::vector<fs::path> files;
  std::set<fs::path> seen;
  for (const auto& f : stack.frames) {
    if (seen.insert(f.file).second) files.push_back(f.file);
  }
  return files;
}

inline Vec3 jsonVec3(const json& values, std::size_t offset = 0) {
  return {values.at(offset).get<double>(), values.at(offset + 1).get<double>(),
          values.at(offset + 2).get<double>()};
}

inline std::vector<Vec3> gridCorners(const ImageGeometry& g) {
  std::vector<Vec3> corners;
  for (double i : {0.0, double(g.size[0]) - 1})
    for (double j : {0.0, double(g.size[1]) - 1})
      for (double k : {0.0, double(g.size[2]) - 1}) corners.push_back(g.indexToWorld({i, j, k}));
  return corners;
}

inline double nearestDistance(const Vec3& p, const std::vector<Vec3>& set) {
  double best = 1e300;
  for (const auto& q : set) best = std::min(best, norm(p - q));
  return best;
}

/// Same grid as a dcm2niix output: dims, spacing and direction up to axis permutation and
/// flip, and the same set of 8 voxel-centre corners in LPS.
inline void expectSameGridAsDcm2niix(const ImageGeometry& g, const json& ref) {
  SCOPED_TRACE("dcm2niix output " + ref.at("file").get<std::string>());
  const auto& affine = ref.at("affine_lps");
  std::array<Vec3, 3> refAxes{};
  std::array<double, 3> refSpacing{};
  for (int b = 0; b < 3; ++b) {
    const Vec3 column{affine[0][b].get<double>(), affine[1][b].get<double>(),
                      affine[2][b].get<double>()};
    refSpacing[b] = norm(column);
    refAxes[b] = normalized(column);
  }
  const auto& shape = ref.at("shape");
  EXPECT_TRUE(ref.at("orthonormal").get<bool>()) << "dcm2niix output is not a valid reference";
  for (int a = 0; a < 3; ++a) {
    const Vec3 axis = column(g.direction, a);
    int match = -1;
    for (int b = 0; b < 3; ++b) {
      if (std::abs(std::abs(dot(axis, refAxes[b])) - 1) < kDirectionTolerance) match = b;
    }
    if (match < 0) {
      ADD_FAILURE() << "axis " << a << " direction " << describe(axis)
                    << " matches no dcm2niix axis";
      continue;
    }
    const double sign = dot(axis, refAxes[match]) > 0 ? 1 : -1;
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(axis[c], sign * refAxes[match][c], kDirectionTolerance) << "axis " << a;
    }
    EXPECT_EQ(g.size[a], shape.at(match).get<std::size_t>()) << "axis " << a;
    if (g.size[a] > 1) {
      EXPECT_NEAR(g.spacing[a], refSpacing[match], kDirectionTolerance) << "spacing, axis " << a;
    }
  }
  const auto ours = gridCorners(g);
  std::vector<Vec3> theirs;
  for (const auto& c : ref.at("corners_lps")) theirs.push_back(jsonVec3(c));
  for (const auto& p : ours) {
    EXPECT_LE(nearestDistance(p, theirs), kWorldTolerance) << "our corner " << describe(p);
  }
  for (const auto& p : theirs) {
    EXPECT_LE(nearestDistance(p, ours), kWorldTolerance) << "dcm2niix corner " << describe(p);
  }
}

inline const json& pickDcm2niixOutput(const json& reference, const std::string& suffix) {
  for (const auto& v : reference.at("volumes")) {
    if (v.at("suffix").get<std::string>() == suffix) return v;
  }
  std::string found;
  for (const auto& v : reference.at("volumes"))
    found += "'" + v.at("suffix").get<std::string>() + "' ";
  throw std::runtime_error("dcm2niix wrote no output with suffix '" + suffix + "' (found " + found +
                           ")\n" + reference.value("log", ""));
}

struct ReferenceFrame {
  const json* frame = nullptr;
  std::string file;
};

using ReferenceKey = std::tuple<std::string, int, int>;  // file, frame number, mosaic tile

/// pydicom frames keyed by (file, frame number, mosaic tile); single-frame files use frame 0.
inline std::map<ReferenceKey, ReferenceFrame> indexReference(const json& reference) {
  std::map<ReferenceKey, ReferenceFrame> index;
  for (const auto& file : reference.at("files")) {
    const std::string path = fs::weakly_canonical(file.at("file").get<std::string>()).string();
    if (file.contains("error")) {
      throw std::runtime_error("pydicom reference cannot read " + path + ": " +
                               file.at("error").get<std::string>());
    }
    for (const auto& frame : file.at("frames")) {
      index[{path, frame.at("frame_number").get<int>(), frame.value("mosaic_tile", 0)}] = {&frame,
                                                                                           path};
    }
  }
  return index;
}

/// The reference frame of every slice source of the volume. A Siemens mosaic lists its file
/// once per tile, in tile order; any other file listed twice finds no second entry and fails.
inline std::vector<ReferenceFrame> referenceFrames(const Volume& volume, const json& reference) {
  const auto index = indexReference(reference);
  std::map<std::pair<std::string, int>, int> occurrences;
  std::vector<ReferenceFrame> frames;
  for (const SourceFrame& source : volume.sourceFrames) {
    const std::string path = fs::weakly_canonical(source.filePath).string();
    const int tile = occurrences[{path, source.frameNumber}]++;
    auto it = index.find({path, source.frameNumber, tile});
    // An enhanced object with a single frame: the loader may call it frame 1 or 0.
    if (it == index.end() && source.frameNumber <= 1) {
      it = index.find({path, 1 - source.frameNumber, tile});
    }
    if (it == index.end()) {
      throw std::runtime_error("source frame " + path + " #" + std::to_string(source.frameNumber) +
                               (tile ? " (listed " + std::to_string(tile + 1) + " times)" : "") +
                               " is not in the pydicom reference");
    }
    frames.push_back(it->second);
  }
  return frames;
}

/// World point of pixel (row r, column c) of a reference frame.
inline Vec3 pixelWorld(const json& frame, double r, double c) {
  const Vec3 ipp = jsonVec3(frame.at("ipp"));
  const auto& iop = frame.at("iop");
  const Vec3 rowDirection = jsonVec3(iop, 0), columnDirection = jsonVec3(iop, 3);
  double rowSpacing = 1, columnSpacing = 1;
  if (!frame.at("pixel_spacing").is_null()) {
    rowSpacing = frame["pixel_spacing"][0].get<double>();
    columnSpacing = frame["pixel_spacing"][1].get<double>();
  }
  return ipp + (c * columnSpacing) * rowDirection + (r * rowSpacing) * columnDirection;
}

inline bool valuesEqual(double ours, double reference) {
  return std::abs(ours - reference) <= 1e-4 * std::max(1.0, std::abs(reference));
}

/// Voxel values against pydicom: every sampled pixel of every source frame (only the anchor
/// slice, k = 0, when the stack was resampled) is found at its world position and compared.
inline void expectPixelsMatchPydicom(const Volume& volume, const json& reference, bool resampled,
                                     bool hasPositions) {
  const auto references = referenceFrames(volume, reference);
  const ImageGeometry& g = volume.geometry();
  int failures = 0, checked = 0;
  const auto fail = [&](const std::string& what) {
    if (++failures <= 12) ADD_FAILURE() << what;
  };
  for (std::size_t k = 0; k < volume.sourceFrames.size(); ++k) {
    const ReferenceFrame& ref = references[k];
    const json& frame = *ref.frame;
    const bool positioned =
        hasPositions && !frame.at("ipp").is_null() && !frame.at("iop").is_null();
    if (resampled) {
      // Only the anchor slice keeps its acquired pixels exactly.
      const double kIndex = g.worldToIndex(pixelWorld(frame, 0, 0))[2];
      if (std::abs(kIndex) > 1e-3) continue;
    }
    for (const auto& sample : frame.at("samples")) {
      const int r = sample[0].get<int>(), c = sample[1].get<int>();
      const double expected = sample[2].get<double>();
      std::array<std::int64_t, 3> voxel{c, r, static_cast<std::int64_t>(k)};
      std::string where =
          ref.file + " frame " + frame.at("frame_number").dump() +
          (frame.contains("mosaic_tile") ? " tile " + frame["mosaic_tile"].dump() : "") + " (row " +
          std::to_string(r) + ", column " + std::to_string(c) + ")";
      if (positioned) {
        const Vec3 world = pixelWorld(frame, r, c);
        if (!g.worldToNearestVoxel(world, voxel)) {
          fail(where + " at " + describe(world) + " lies outside the volume");
          continue;
        }
        const Vec3 centre = g.indexToWorld({double(voxel[0]), double(voxel[1]), double(voxel[2])});
        if (norm(centre - world) > kWorldTolerance) {
          fail(where + " at " + describe(world) + " is " + std::to_string(norm(centre - world)) +
               " mm from the nearest voxel centre");
          continue;
        }
        if (!resampled && voxel[2] != static_cast<std::int64_t>(k)) {
          fail(where + " is source frame of slice " + std::to_string(k) + " but lies in slice " +
               std::to_string(voxel[2]));
        }
      } else if (!g.contains(voxel)) {
        fail(where + " has no voxel");
        continue;
      }
      const double ours = volume.value(voxel[0], voxel[1], voxel[2]);
      ++checked;
      if (!valuesEqual(ours, expected)) {
        fail(where + ": volume has " + std::to_string(ours) + ", pydicom " +
             std::to_string(expected));
      }
    }
  }
  EXPECT_EQ(failures, 0) << failures << " pixel mismatches";
  EXPECT_GT(checked, 0) << "no pixel was compared";
}

/// The first and last acquired slices (by IPP along the normal) lie at the two ends of the
/// grid; without shear their IPPs are voxel centres, with shear the first one (the anchor) is
/// and the last one lies on the last slice plane inside the grid.
inline void expectAcquiredEndsOnGrid(const Volume& volume, const json& reference, bool sheared) {
  std::vector<const json*> frames;
  for (const auto& ref : referenceFrames(volume, reference)) frames.push_back(ref.frame);
  ASSERT_FALSE(frames.empty());
  const auto& iop = frames.front()->at("iop");
  const Vec3 normal = normalized(cross(jsonVec3(iop, 0), jsonVec3(iop, 3)));
  const auto along = [&](const json* f) { return dot(jsonVec3(f->at("ipp")), normal); };
  const auto [first, last] =
      std::minmax_element(frames.begin(), frames.end(),
                          [&](const json* a, const json* b) { return along(a) < along(b); });
  const ImageGeometry& g = volume.geometry();
  const double lastK = double(g.size[2]) - 1;
  const Vec3 firstIpp = jsonVec3((*first)->at("ipp")), lastIpp = jsonVec3((*last)->at("ipp"));
  const Vec3 firstIndex = g.worldToIndex(firstIpp), lastIndex = g.worldToIndex(lastIpp);
  // Which end is which depends on the direction of the slice axis.
  const bool firstAtZero = std::abs(firstIndex[2]) < std::abs(firstIndex[2] - lastK);
  const double firstEnd = firstAtZero ? 0 : lastK, lastEnd = firstAtZero ? lastK : 0;
  EXPECT_NEAR(firstIndex[2] * g.spacing[2], firstEnd * g.spacing[2], kWorldTolerance)
      << "first acquired slice " << describe(firstIpp) << " is not the grid's end slice";
  EXPECT_NEAR(lastIndex[2] * g.spacing[2], lastEnd * g.spacing[2], kWorldTolerance)
      << "last acquired slice " << describe(lastIpp) << " is not the grid's end slice";
  const auto expectVoxelCentre = [&](const Vec3& world, const char* which) {
    std::array<std::int64_t, 3> voxel{};
    ASSERT_TRUE(g.worldToNearestVoxel(world, voxel))
        << which << " " << describe(world) << " outside";
    const Vec3 centre = g.indexToWorld({double(voxel[0]), double(voxel[1]), double(voxel[2])});
    EXPECT_LE(norm(centre - world), kWorldTolerance)
        << which << " acquired slice position " << describe(world) << " is not a voxel centre";
  };
  expectVoxelCentre(firstIpp, "first");
  if (!sheared) {
    expectVoxelCentre(lastIpp, "last");
  } else {
    for (int a = 0; a < 2; ++a) {
      EXPECT_GE(lastIndex[a], -0.5) << "last slice origin outside the grid";
      EXPECT_LE(lastIndex[a], double(g.size[a]) - 0.5) << "last slice origin outside the grid";
    }
  }
}

}  // namespace annotrace::dicomtest
