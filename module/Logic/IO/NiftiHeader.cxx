#include "IO/NiftiHeader.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace annotrace {

namespace {

constexpr int kNifti1HeaderSize = 348;
constexpr int kNifti2HeaderSize = 540;

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzFilePtr = std::unique_ptr<std::remove_pointer_t<gzFile>, GzCloser>;

// gzopen reads plain files transparently, so one path serves .nii and .nii.gz.
GzFilePtr openGz(const std::filesystem::path& path) {
  GzFilePtr file(gzopen(path.c_str(), "rb"));
  if (!file) throw std::runtime_error(path.string() + ": cannot open the file");
  return file;
}

void readExactly(gzFile file, void* buffer, std::size_t bytes, const std::filesystem::path& path) {
  auto* out = static_cast<unsigned char*>(buffer);
  while (bytes > 0) {
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(bytes, 1u << 30));
    const int got = gzread(file, out, chunk);
    if (got <= 0) {
      throw std::runtime_error(path.string() +
                               ": the file is truncated (its header promises more voxel data)");
    }
    out += got;
    bytes -= static_cast<std::size_t>(got);
  }
}

// Reads a field of type T at a byte offset of the raw header, honouring the file's byte order.
class FieldReader {
 public:
  FieldReader(const unsigned char* data, bool swap) : data_(data), swap_(swap) {}
  template <typename T>
  T get(std::size_t offset) const {
    unsigned char bytes[sizeof(T)];
    std::memcpy(bytes, data_ + offset, sizeof(T));
    if (swap_) std::reverse(bytes, bytes + sizeof(T));
    T value;
    std::memcpy(&value, bytes, sizeof(T));
    return value;
  }
  std::string text(std::size_t offset, std::size_t length) const {
    const char* begin = reinterpret_cast<const char*>(data_ + offset);
    return std::string(begin, strnlen(begin, length));
  }

 private:
  const unsigned char* data_;
  bool swap_;
};

std::int32_t byteSwapped(std::int32_t v) {
  auto u = static_cast<std::uint32_t>(v);
  u = (u >> 24) | ((u >> 8) & 0xff00u) | ((u << 8) & 0xff0000u) | (u << 24);
  return static_cast<std::int32_t>(u);
}

// Largest |cosine| between two axes of an affine: 0 for perpendicular axes.
double shear(const Affine3x4& a) {
  std::array<Vec3, 3> axes{};
  for (int c = 0; c < 3; ++c) axes[c] = normalized(Vec3{a[0][c], a[1][c], a[2][c]});
  return std::max({std::abs(dot(axes[0], axes[1])), std::abs(dot(axes[0], axes[2])),
                   std::abs(dot(axes[1], axes[2]))});
}

// Largest distance between the positions two affines give the corners of the grid.
double maxCornerDistance(const Affine3x4& a, const Affine3x4& b, std::array<std::size_t, 3> size) {
  double worst = 0;
  for (int corner = 0; corner < 8; ++corner) {
    std::array<double, 3> index{};
    for (int axis = 0; axis < 3; ++axis) {
      index[axis] = (corner >> axis) & 1 ? static_cast<double>(size[axis]) - 1 : 0.0;
    }
    Vec3 d{};
    for (int r = 0; r < 3; ++r) {
      d[r] = a[r][3] - b[r][3];
      for (int c = 0; c < 3; ++c) d[r] += (a[r][c] - b[r][c]) * index[c];
    }
    worst = std::max(worst, norm(d));
  }
  return worst;
}

std::string formatMm(double mm) {
  std::ostringstream out;
  out.precision(mm < 1 ? 2 : 3);
  out << mm << " mm";
  return out.str();
}

}  // namespace

NiftiHeader NiftiHeader::read(const std::filesystem::path& path) {
  auto file = openGz(path);
  unsigned char raw[kNifti2HeaderSize]{};
  const int got = gzread(file.get(), raw, kNifti2HeaderSize);
  if (got < kNifti1HeaderSize) {
    throw std::runtime_error(path.string() + ": too short to be a NIfTI file (" +
                             std::to_string(std::max(got, 0)) + " bytes)");
  }
  std::int32_t sizeofHdr;
  std::memcpy(&sizeofHdr, raw, 4);
  NiftiHeader h;
  if (sizeofHdr == kNifti1HeaderSize || sizeofHdr == kNifti2HeaderSize) {
    h.swapBytes = false;
  } else if (byteSwapped(sizeofHdr) == kNifti1HeaderSize ||
             byteSwapped(sizeofHdr) == kNifti2HeaderSize) {
    h.swapBytes = true;
    sizeofHdr = byteSwapped(sizeofHdr);
  } else {
    throw std::runtime_error(path.string() +
                             ": not a NIfTI file (the header size field is neither 348 nor 540)");
  }
  const FieldReader f(raw, h.swapBytes);
  if (sizeofHdr == kNifti1HeaderSize) {
    h.version = 1;
    if (std::memcmp(raw + 344, "n+1", 4) != 0) {
      throw std::runtime_error(path.string() +
                               ": not a single-file NIfTI-1 image (magic is not \"n+1\"); "
                               "Analyze and .hdr/.img pairs are not supported");
    }
    for (int i = 0; i < 8; ++i) h.dim[i] = f.get<std::int16_t>(40 + 2 * i);
    h.datatype = f.get<std::int16_t>(70);
    h.bitpix = f.get<std::int16_t>(72);
    for (int i = 0; i < 8; ++i) h.pixdim[i] = f.get<float>(76 + 4 * i);
    // vox_offset is a float in NIfTI-1: reject NaN, infinities and negative values before the
    // conversion (found by FuzzNiftiFile: converting NaN to an integer is undefined).
    const float voxOffset = f.get<float>(108);
    if (!std::isfinite(voxOffset) || voxOffset < 0 || voxOffset > 1e15f) {
      throw std::runtime_error(path.string() +
                               ": the header is damaged (vox_offset is not a valid byte offset)");
    }
    h.voxOffset = static_cast<std::int64_t>(voxOffset);
    h.sclSlope = f.get<float>(112);
    h.sclInter = f.get<float>(116);
    h.calMax = f.get<float>(124);
    h.calMin = f.get<float>(128);
    h.descrip = f.text(148, 80);
    h.qformCode = f.get<std::int16_t>(252);
    h.sformCode = f.get<std::int16_t>(254);
    h.quaternB = f.get<float>(256);
    h.quaternC = f.get<float>(260);
    h.quaternD = f.get<float>(264);
    for (int i = 0; i < 3; ++i) h.qoffset[i] = f.get<float>(268 + 4 * i);
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 4; ++c) h.srow[r][c] = f.get<float>(280 + 16 * r + 4 * c);
    }
  } else {
    h.version = 2;
    if (got < kNifti2HeaderSize || std::memcmp(raw + 4, "n+2", 4) != 0) {
      throw std::runtime_error(path.string() +
                               ": not a single-file NIfTI-2 image (magic is not \"n+2\")");
    }
    h.datatype = f.get<std::int16_t>(12);
    h.bitpix = f.get<std::int16_t>(14);
    for (int i = 0; i < 8; ++i) h.dim[i] = f.get<std::int64_t>(16 + 8 * i);
    for (int i = 0; i < 8; ++i) h.pixdim[i] = f.get<double>(104 + 8 * i);
    h.voxOffset = f.get<std::int64_t>(168);
    h.sclSlope = f.get<double>(176);
    h.sclInter = f.get<double>(184);
    h.calMax = f.get<double>(192);
    h.calMin = f.get<double>(200);
    h.descrip = f.text(240, 80);
    h.qformCode = f.get<std::int32_t>(344);
    h.sformCode = f.get<std::int32_t>(348);
    h.quaternB = f.get<double>(352);
    h.quaternC = f.get<double>(360);
    h.quaternD = f.get<double>(368);
    for (int i = 0; i < 3; ++i) h.qoffset[i] = f.get<double>(376 + 8 * i);
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 4; ++c) h.srow[r][c] = f.get<double>(400 + 32 * r + 8 * c);
    }
  }
  if (h.dim[0] < 1 || h.dim[0] > 7) {
    throw std::runtime_error(path.string() +
                             ": invalid NIfTI header (dim[0] = " + std::to_string(h.dim[0]) + ")");
  }
  // Unused dimensions count as 1, as the standard says.
  for (int i = 1; i < 8; ++i) {
    if (i > h.dim[0] || h.dim[i] == 0) h.dim[i] = 1;
    if (h.dim[i] < 0) {
      throw std::runtime_error(path.string() + ": invalid NIfTI header (dim[" + std::to_string(i) +
                               "] = " + std::to_string(h.dim[i]) + ")");
    }
  }
  // Damaged dimensions must not overflow the voxel counts computed from them (found by
  // FuzzNiftiFile); 2^40 voxels is far beyond any image this program can hold.
  double voxels = 1;
  for (int i = 1; i < 8; ++i) voxels *= double(h.dim[i]);
  if (voxels > std::ldexp(1.0, 40)) {
    throw std::runtime_error(path.string() +
                             ": the header is damaged (its dimensions multiply to " +
                             std::to_string(voxels) + " voxels)");
  }
  if (h.voxOffset < sizeofHdr) h.voxOffset = sizeofHdr + 4;  // 352 / 544: header + extension flag
  return h;
}

Affine3x4 NiftiHeader::qformAffine() const {
  // nifti_quatern_to_mat44 of nifti1_io.c, in double precision.
  double b = quaternB, c = quaternC, d = quaternD;
  double a = 1.0 - (b * b + c * c + d * d);
  if (a < 1e-7) {  // 180-degree rotation: renormalise (b, c, d)
    a = 1.0 / std::sqrt(b * b + c * c + d * d);
    b *= a;
    c *= a;
    d *= a;
    a = 0.0;
  } else {
    a = std::sqrt(a);
  }
  const double dx = pixdim[1] > 0 ? pixdim[1] : 1.0;
  const double dy = pixdim[2] > 0 ? pixdim[2] : 1.0;
  const double qfac = pixdim[0] < 0 ? -1.0 : 1.0;
  const double dz = (pixdim[3] > 0 ? pixdim[3] : 1.0) * qfac;
  const Mat3 r{{{a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)},
                {2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)},
                {2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b}}};
  Affine3x4 m{};
  for (int row = 0; row < 3; ++row) {
    m[row][0] = r[row][0] * dx;
    m[row][1] = r[row][1] * dy;
    m[row][2] = r[row][2] * dz;
    m[row][3] = qoffset[row];
  }
  return m;
}

Affine3x4 NiftiHeader::scalingAffine() const {
  Affine3x4 m{};
  for (int i = 0; i < 3; ++i) m[i][i] = pixdim[i + 1] > 0 ? pixdim[i + 1] : 1.0;
  return m;
}

std::int64_t NiftiHeader::volumeCount() const {
  return dim[4] * dim[5] * dim[6] * dim[7];
}

std::size_t NiftiHeader::voxelsPerVolume() const {
  return static_cast<std::size_t>(dim[1] * dim[2] * dim[3]);
}

std::size_t NiftiHeader::bytesPerVoxel(const std::filesystem::path& path) const {
  switch (datatype) {
    case 2:
    case 256:
      return 1;  // uint8, int8
    case 4:
    case 512:
      return 2;  // int16, uint16
    case 8:
    case 16:
    case 768:
      return 4;  // int32, float32, uint32
    case 64:
    case 1024:
    case 1280:
      return 8;  // float64, int64, uint64
    default:
      throw std::runtime_error(path.string() + ": NIfTI datatype " + std::to_string(datatype) +
                               " (colour, complex or unknown) is not a scalar image type");
  }
}

bool NiftiHeader::hasScaling() const {
  return std::isfinite(sclSlope) && sclSlope != 0 &&
         (sclSlope != 1 || (std::isfinite(sclInter) && sclInter != 0));
}

void NiftiHeader::readFirstVolume(const std::filesystem::path& path, void* destination) const {
  const std::size_t voxelBytes = bytesPerVoxel(path);
  auto file = openGz(path);
  if (gzseek(file.get(), static_cast<z_off_t>(voxOffset), SEEK_SET) < 0) {
    throw std::runtime_error(path.string() + ": the file ends before its voxel data");
  }
  const std::size_t bytes = voxelsPerVolume() * voxelBytes;
  auto* raw = static_cast<unsigned char*>(destination);
  readExactly(file.get(), raw, bytes, path);
  if (swapBytes && voxelBytes > 1) {
    for (std::size_t offset = 0; offset < bytes; offset += voxelBytes) {
      std::reverse(raw + offset, raw + offset + voxelBytes);
    }
  }
}

Affine3x4 chooseNiftiAffine(const NiftiHeader& header, std::array<std::size_t, 3> size,
                            std::vector<LoadWarning>& warnings) {
  if (header.sformCode > 0) {
    // A sheared sform cannot be represented by origin, spacing and direction; the qform (always
    // a rotation) is the better description then.
    if (header.qformCode > 0 && shear(header.sformAffine()) > 1e-4) {
      warnings.push_back({LoadWarning::Code::Other,
                          "The file's sform is sheared (its axes are not perpendicular), which "
                          "this program cannot represent; the qform was used instead."});
      return header.qformAffine();
    }
    if (header.qformCode > 0) {
      const double gap = maxCornerDistance(header.sformAffine(), header.qformAffine(), size);
      if (gap > 0.01) {
        warnings.push_back({LoadWarning::Code::Other,
                            "The file's qform and sform disagree by up to " + formatMm(gap) +
                                " at the corners of the volume; the sform was used, as nibabel "
                                "and FSL do."});
      }
    }
    return header.sformAffine();
  }
  if (header.qformCode > 0) return header.qformAffine();
  warnings.push_back({LoadWarning::Code::MissingAttribute,
                      "The file has neither a qform nor an sform (both codes are 0), so its "
                      "position and orientation in the patient are unknown; the volume was "
                      "placed with its origin at 0 and axes along R, A, S."});
  return header.scalingAffine();
}

}  // namespace annotrace
