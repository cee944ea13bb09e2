// Builds the P1 benchmark series: a long 512x512 CT stack made by replicating the slices of a
// real, untilted CT series along its slice normal, with new SOP Instance UIDs and one new Series
// Instance UID, written uncompressed (Explicit VR Little Endian).
//
// Usage: annotrace_make_bench_series SOURCE_DIR OUTPUT_DIR [SLICES]
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "DicomWriting.h"

namespace fs = std::filesystem;

namespace {

using Vec3 = std::array<double, 3>;

struct SourceSlice {
  fs::path file;
  Vec3 position{};
  double along = 0;  // position projected on the slice normal
};

double readDouble(DcmDataset& ds, const DcmTagKey& tag, unsigned long index, const fs::path& f) {
  Float64 value = 0;
  if (ds.findAndGetFloat64(tag, value, index).bad()) {
    throw std::runtime_error(f.string() + ": missing " + DcmTag(tag).getTagName());
  }
  return value;
}

using annotrace::tools::newUid;

std::string formatDs(double v) {
  return annotrace::tools::decimalString(v, 6);
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " SOURCE_DIR OUTPUT_DIR [SLICES=300]\n";
    return 2;
  }
  const fs::path source = argv[1];
  const fs::path output = argv[2];
  const int sliceCount = argc > 3 ? std::stoi(argv[3]) : 300;
  if (sliceCount < 2) throw std::runtime_error("SLICES must be at least 2");

  // Read the source headers and sort them along the normal (never by name or Instance Number).
  std::vector<SourceSlice> slices;
  Vec3 normal{};
  for (const auto& entry : fs::directory_iterator(source)) {
    if (!entry.is_regular_file()) continue;
    DcmFileFormat file;
    if (file.loadFile(entry.path().c_str(), EXS_Unknown, EGL_noChange, 0).bad()) continue;
    DcmDataset& ds = *file.getDataset();
    std::array<double, 6> iop{};
    for (unsigned long i = 0; i < 6; ++i) {
      iop[i] = readDouble(ds, DCM_ImageOrientationPatient, i, entry.path());
    }
    normal = {iop[1] * iop[5] - iop[2] * iop[4], iop[2] * iop[3] - iop[0] * iop[5],
              iop[0] * iop[4] - iop[1] * iop[3]};
    SourceSlice s{entry.path(), {}, 0};
    for (unsigned long i = 0; i < 3; ++i) {
      s.position[i] = readDouble(ds, DCM_ImagePositionPatient, i, entry.path());
    }
    s.along = s.position[0] * normal[0] + s.position[1] * normal[1] + s.position[2] * normal[2];
    slices.push_back(s);
  }
  if (slices.size() < 2) {
    throw std::runtime_error("need at least two DICOM slices in " + source.string());
  }
  std::ranges::sort(slices, {}, &SourceSlice::along);
  const double spacing = slices[1].along - slices[0].along;
  if (spacing <= 0) throw std::runtime_error("source slices share a position");

  fs::create_directories(output);
  for (const auto& entry : fs::directory_iterator(output)) fs::remove_all(entry.path());

  const std::string seriesUid = newUid(SITE_SERIES_UID_ROOT);
  const Vec3 first = slices.front().position;
  for (int k = 0; k < sliceCount; ++k) {
    const SourceSlice& src = slices[static_cast<std::size_t>(k) % slices.size()];
    DcmFileFormat file;
    if (auto status = file.loadFile(src.file.c_str()); status.bad()) {
      throw std::runtime_error(src.file.string() + ": " + status.text());
    }
    DcmDataset& ds = *file.getDataset();
    const Vec3 p{first[0] + k * spacing * normal[0], first[1] + k * spacing * normal[1],
                 first[2] + k * spacing * normal[2]};
    const std::string ipp = formatDs(p[0]) + "\\" + formatDs(p[1]) + "\\" + formatDs(p[2]);
    const std::string sop = newUid(SITE_INSTANCE_UID_ROOT);
    ds.putAndInsertString(DCM_ImagePositionPatient, ipp.c_str());
    ds.putAndInsertString(DCM_SliceLocation, formatDs(slices[0].along + k * spacing).c_str());
    ds.putAndInsertString(DCM_InstanceNumber, std::to_string(k + 1).c_str());
    ds.putAndInsertString(DCM_SOPInstanceUID, sop.c_str());
    ds.putAndInsertString(DCM_SeriesInstanceUID, seriesUid.c_str());
    ds.putAndInsertString(DCM_SeriesDescription, "P1 benchmark (replicated slices)");
    // Names in a scrambled order so no reader can get the order right from names alone.
    char name[32];
    std::snprintf(name, sizeof name, "IM%05d.dcm", (k * 7919) % 100003);
    // EWM_updateMeta rewrites MediaStorageSOPInstanceUID from the new SOP Instance UID.
    const fs::path out = output / name;
    if (auto status = file.saveFile(out.c_str(), EXS_LittleEndianExplicit, EET_ExplicitLength,
                                    EGL_recalcGL, EPD_noChange, 0, 0, EWM_updateMeta);
        status.bad()) {
      throw std::runtime_error(out.string() + ": " + status.text());
    }
  }
  std::cout << "wrote " << sliceCount << " slices (" << slices.size()
            << " source slices replicated, spacing " << spacing << " mm) to " << output.string()
            << "\nSeriesInstanceUID " << seriesUid << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "annotrace_make_bench_series: " << e.what() << "\n";
  return 1;
}
