// Writes the Annotrace sample study: a 128x128x40 CT phantom as real DICOM files (CT Image
// Storage, uncompressed) with inserts of known HU, plus ground_truth.json describing them.
// Resources/Sample/README.md documents the ground truth.
//
// Usage: annotrace_make_phantom OUTPUT_DIR   (writes OUTPUT_DIR/DICOM/CT*.dcm and
//                                              OUTPUT_DIR/ground_truth.json)
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "DicomWriting.h"

namespace fs = std::filesystem;

namespace {

constexpr int kColumns = 128;
constexpr int kRows = 128;
constexpr int kSlices = 40;
constexpr double kPixelSpacing = 1.5;  // mm, rows and columns
constexpr double kSliceSpacing = 2.5;  // mm, equal to the slice thickness
// Voxel centres are symmetric about x = y = z = 0 (LPS mm).
constexpr double kX0 = -0.5 * (kColumns - 1) * kPixelSpacing;
constexpr double kY0 = -0.5 * (kRows - 1) * kPixelSpacing;
constexpr double kZ0 = -0.5 * (kSlices - 1) * kSliceSpacing;
constexpr int kRescaleIntercept = -1024;
constexpr int kAirHu = -1000;

/// An insert of constant HU. Shapes are tested at voxel centres, so the ground truth is exact:
/// no partial-volume voxels. Inserts are disjoint; the body cylinder holds them all.
struct Insert {
  const char* name;
  const char* shape;  // "sphere", or "cylinder" (axis along z, from zMin to zMax)
  std::array<double, 3> centre;
  double radius;
  double zMin, zMax;  // cylinders only
  int hu;

  bool contains(double x, double y, double z) const {
    const double dx = x - centre[0], dy = y - centre[1], dz = z - centre[2];
    if (std::string_view(shape) == "sphere") return dx * dx + dy * dy + dz * dz <= radius * radius;
    return dx * dx + dy * dy <= radius * radius && z >= zMin && z <= zMax;
  }
};

// Placed asymmetrically, so a flip of any axis moves an insert to where the truth says air or
// water. +x is patient left, +y posterior, +z superior (LPS).
const std::array<Insert, 5> kInserts{{
    {"bone sphere", "sphere", {40, -20, 15}, 15, 0, 0, 1000},
    {"fat sphere", "sphere", {-35, 30, -10}, 12, 0, 0, -100},
    {"soft tissue sphere", "sphere", {-30, -35, 25}, 10, 0, 0, 60},
    {"lung cylinder", "cylinder", {30, 35, 0}, 8, -30, 30, -700},
    {"water body", "cylinder", {0, 0, 0}, 80, -1000, 1000, 0},
}};

int huAt(double x, double y, double z) {
  for (const auto& insert : kInserts) {
    if (insert.contains(x, y, z)) return insert.hu;
  }
  return kAirHu;
}

using annotrace::tools::newUid;

std::string ds(double v) {
  return annotrace::tools::decimalString(v, 10);
}

void put(DcmDataset& dataset, const DcmTagKey& tag, const std::string& value) {
  if (auto status = dataset.putAndInsertString(tag, value.c_str()); status.bad()) {
    throw std::runtime_error("cannot set " + std::string(DcmTag(tag).getTagName()) + ": " +
                             status.text());
  }
}

void putUs(DcmDataset& dataset, const DcmTagKey& tag, Uint16 value) {
  if (auto status = dataset.putAndInsertUint16(tag, value); status.bad()) {
    throw std::runtime_error("cannot set " + std::string(DcmTag(tag).getTagName()));
  }
}

nlohmann::json groundTruth(const std::string& studyUid, const std::string& seriesUid,
                           const std::string& frameOfReferenceUid) {
  nlohmann::json inserts = nlohmann::json::array();
  for (const auto& insert : kInserts) {
    nlohmann::json j{{"name", insert.name},
                     {"shape", insert.shape},
                     {"centre_lps_mm", insert.centre},
                     {"radius_mm", insert.radius},
                     {"hu", insert.hu}};
    if (std::string_view(insert.shape) == "cylinder") {
      j["z_range_lps_mm"] = {std::max(insert.zMin, kZ0), std::min(insert.zMax, -kZ0)};
    }
    inserts.push_back(j);
  }
  return {{"description", "Annotrace sample CT phantom; values are exact at voxel centres"},
          {"size", {kColumns, kRows, kSlices}},
          {"spacing_mm", {kPixelSpacing, kPixelSpacing, kSliceSpacing}},
          {"origin_lps_mm", {kX0, kY0, kZ0}},
          {"direction", {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}},
          {"background_hu", kAirHu},
          {"inserts", inserts},
          {"study_instance_uid", studyUid},
          {"series_instance_uid", seriesUid},
          {"frame_of_reference_uid", frameOfReferenceUid}};
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " OUTPUT_DIR\n";
    return 2;
  }
  const fs::path output = argv[1];
  const fs::path dicomDir = output / "DICOM";
  fs::remove_all(dicomDir);
  fs::create_directories(dicomDir);

  const std::string studyUid = newUid(SITE_STUDY_UID_ROOT);
  const std::string seriesUid = newUid(SITE_SERIES_UID_ROOT);
  const std::string frameOfReferenceUid = newUid(SITE_UID_ROOT ".1.5");
  std::vector<Uint16> pixels(static_cast<std::size_t>(kColumns) * kRows);

  for (int k = 0; k < kSlices; ++k) {
    const double z = kZ0 + k * kSliceSpacing;
    for (int j = 0; j < kRows; ++j) {
      for (int i = 0; i < kColumns; ++i) {
        const int hu = huAt(kX0 + i * kPixelSpacing, kY0 + j * kPixelSpacing, z);
        pixels[static_cast<std::size_t>(j) * kColumns + i] =
            static_cast<Uint16>(hu - kRescaleIntercept);
      }
    }
    // Like most CT scanners (head first, scanning towards the feet), instance 1 is the most
    // superior slice: instance order runs against increasing z.
    const int instanceNumber = kSlices - k;

    DcmFileFormat file;
    DcmDataset& d = *file.getDataset();
    put(d, DCM_SpecificCharacterSet, "ISO_IR 100");
    put(d, DCM_ImageType, "ORIGINAL\\PRIMARY\\AXIAL");
    put(d, DCM_SOPClassUID, UID_CTImageStorage);
    put(d, DCM_SOPInstanceUID, newUid(SITE_INSTANCE_UID_ROOT));
    put(d, DCM_StudyDate, "20250101");
    put(d, DCM_SeriesDate, "20250101");
    put(d, DCM_AcquisitionDate, "20250101");
    put(d, DCM_ContentDate, "20250101");
    put(d, DCM_StudyTime, "120000");
    put(d, DCM_SeriesTime, "120000");
    put(d, DCM_AcquisitionTime, "120000");
    put(d, DCM_ContentTime, "120000");
    put(d, DCM_AccessionNumber, "");
    put(d, DCM_Modality, "CT");
    put(d, DCM_Manufacturer, "Annotrace");
    put(d, DCM_ReferringPhysicianName, "");
    put(d, DCM_StudyDescription, "Annotrace sample phantom");
    put(d, DCM_SeriesDescription, "Phantom 128x128x40 HU inserts");
    put(d, DCM_ManufacturerModelName, "annotrace_make_phantom");
    put(d, DCM_PatientName, "Phantom^Annotrace");
    put(d, DCM_PatientID, "ANNOTRACE-PHANTOM-001");
    put(d, DCM_PatientBirthDate, "");
    put(d, DCM_PatientSex, "O");
    // An unpaired body part: dciodvfy then needs no Laterality.
    put(d, DCM_BodyPartExamined, "ABDOMEN");
    put(d, DCM_SliceThickness, ds(kSliceSpacing));
    put(d, DCM_KVP, "120");
    put(d, DCM_PatientPosition, "HFS");
    put(d, DCM_StudyInstanceUID, studyUid);
    put(d, DCM_SeriesInstanceUID, seriesUid);
    put(d, DCM_StudyID, "1");
    put(d, DCM_SeriesNumber, "1");
    put(d, DCM_AcquisitionNumber, "1");
    put(d, DCM_InstanceNumber, std::to_string(instanceNumber));
    put(d, DCM_ImagePositionPatient, ds(kX0) + "\\" + ds(kY0) + "\\" + ds(z));
    put(d, DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0");
    put(d, DCM_FrameOfReferenceUID, frameOfReferenceUid);
    put(d, DCM_PositionReferenceIndicator, "");
    put(d, DCM_SliceLocation, ds(z));
    putUs(d, DCM_SamplesPerPixel, 1);
    put(d, DCM_PhotometricInterpretation, "MONOCHROME2");
    putUs(d, DCM_Rows, kRows);
    putUs(d, DCM_Columns, kColumns);
    put(d, DCM_PixelSpacing, ds(kPixelSpacing) + "\\" + ds(kPixelSpacing));
    putUs(d, DCM_BitsAllocated, 16);
    putUs(d, DCM_BitsStored, 12);
    putUs(d, DCM_HighBit, 11);
    putUs(d, DCM_PixelRepresentation, 0);
    put(d, DCM_WindowCenter, "40\\500");
    put(d, DCM_WindowWidth, "400\\2000");
    put(d, DCM_WindowCenterWidthExplanation, "SOFT TISSUE\\BONE");
    put(d, DCM_RescaleIntercept, std::to_string(kRescaleIntercept));
    put(d, DCM_RescaleSlope, "1");
    put(d, DCM_RescaleType, "HU");
    if (d.putAndInsertUint16Array(DCM_PixelData, pixels.data(), pixels.size()).bad()) {
      throw std::runtime_error("cannot set PixelData");
    }

    char name[32];
    std::snprintf(name, sizeof name, "CT%06d.dcm", instanceNumber);
    const fs::path path = dicomDir / name;
    if (auto status = file.saveFile(path.c_str(), EXS_LittleEndianExplicit); status.bad()) {
      throw std::runtime_error(path.string() + ": " + status.text());
    }
  }

  std::ofstream truth(output / "ground_truth.json");
  truth << groundTruth(studyUid, seriesUid, frameOfReferenceUid).dump(2) << "\n";
  if (!truth) throw std::runtime_error("cannot write " + (output / "ground_truth.json").string());
  std::cout << "wrote " << kSlices << " CT slices of " << kColumns << "x" << kRows << " to "
            << dicomDir.string() << " and their ground truth to "
            << (output / "ground_truth.json").string() << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "annotrace_make_phantom: " << e.what() << "\n";
  return 1;
}
