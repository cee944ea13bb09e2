#include "IO/VolumeFileIO.h"

#include <itkNiftiImageIO.h>  // writing only
#include <itkNrrdImageIO.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <type_traits>

#include "IO/NiftiHeader.h"
#include "IO/StagingFolder.h"

namespace annotrace {

namespace {

enum class Format { Nifti, Nrrd };

std::string lowercaseName(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

bool endsWith(const std::string& s, std::string_view suffix) {
  return s.size() > suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::optional<Format> formatOf(const std::filesystem::path& path) {
  const std::string name = lowercaseName(path);
  if (endsWith(name, ".nii") || endsWith(name, ".nii.gz")) return Format::Nifti;
  if (endsWith(name, ".nrrd") || endsWith(name, ".nhdr")) return Format::Nrrd;
  return std::nullopt;
}

std::runtime_error fileError(const std::filesystem::path& path, const std::string& problem) {
  return std::runtime_error(path.string() + ": " + problem);
}

// ITK's descriptions start with the class and object address and may carry a multi-line
// trace from teem ("[nrrd] fn: ..."); the last line holds the actual problem.
std::string itkMessage(const itk::ExceptionObject& e) {
  std::istringstream lines(e.GetDescription());
  std::string line, last;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  }
  if (const auto p = last.find("ITK ERROR: "); p != std::string::npos) {
    last = last.substr(last.find("): ", p) == std::string::npos ? p + 11 : last.find("): ", p) + 3);
  }
  if (last.rfind("[nrrd] ", 0) == 0) last = last.substr(7);
  if (const auto p = last.find(": "); p != std::string::npos && last.find(' ') > p) {
    last = last.substr(p + 2);  // drop the "functionName: " prefix of teem messages
  }
  return last;
}

// --- Voxel storage: int16 when every value is an integer that fits, float otherwise. ---------

// slope/intercept map stored values to physical ones (NIfTI scl_slope/scl_inter).
template <typename T>
VoxelBuffer toStorage(std::span<const T> values, double slope = 1, double intercept = 0) {
  const bool scaled = slope != 1 || intercept != 0;
  auto physical = [=](T v) { return static_cast<double>(v) * slope + intercept; };
  bool int16Exact = false;
  if constexpr (std::is_integral_v<T> && sizeof(T) <= 2 && !std::is_same_v<T, std::uint16_t>) {
    int16Exact = !scaled;
  }
  if (!int16Exact) {
    int16Exact = std::all_of(values.begin(), values.end(), [&](T v) {
      const double p = physical(v);
      return p >= -32768 && p <= 32767 && std::nearbyint(p) == p;
    });
  }
  if (int16Exact) {
    VoxelVector<std::int16_t> out(values.size());
    std::transform(values.begin(), values.end(), out.begin(),
                   [&](T v) { return static_cast<std::int16_t>(physical(v)); });
    return out;
  }
  VoxelVector<float> out(values.size());
  std::transform(values.begin(), values.end(), out.begin(),
                 [&](T v) { return static_cast<float>(physical(v)); });
  return out;
}

template <typename T>
VoxelBuffer readNiftiAs(const NiftiHeader& header, const std::filesystem::path& path) {
  std::vector<T> stored(header.voxelsPerVolume());
  header.readFirstVolume(path, stored.data());
  if (!header.hasScaling()) return toStorage(std::span<const T>(stored));
  const double intercept = std::isfinite(header.sclInter) ? header.sclInter : 0.0;
  return toStorage(std::span<const T>(stored), header.sclSlope, intercept);
}

VoxelBuffer readNiftiVoxels(const NiftiHeader& header, const std::filesystem::path& path) {
  switch (header.datatype) {
    case 2:
      return readNiftiAs<std::uint8_t>(header, path);
    case 256:
      return readNiftiAs<std::int8_t>(header, path);
    case 4:
      return readNiftiAs<std::int16_t>(header, path);
    case 512:
      return readNiftiAs<std::uint16_t>(header, path);
    case 8:
      return readNiftiAs<std::int32_t>(header, path);
    case 768:
      return readNiftiAs<std::uint32_t>(header, path);
    case 16:
      return readNiftiAs<float>(header, path);
    case 64:
      return readNiftiAs<double>(header, path);
    case 1024:
      return readNiftiAs<std::int64_t>(header, path);
    case 1280:
      return readNiftiAs<std::uint64_t>(header, path);
    default:
      header.bytesPerVoxel(path);  // throws the "not a scalar type" error
  }
  throw fileError(path, "unsupported NIfTI datatype " + std::to_string(header.datatype));
}

template <typename T>
VoxelBuffer readAs(itk::ImageIOBase& io, std::size_t bufferCount, std::size_t keepCount) {
  std::vector<T> buffer(bufferCount);
  io.Read(buffer.data());
  return toStorage(std::span<const T>(buffer.data(), keepCount));
}

// Reads io's current IORegion into a buffer of bufferCount values of the file's component type
// and keeps the first keepCount of them.
VoxelBuffer readPixels(itk::ImageIOBase& io, std::size_t bufferCount, std::size_t keepCount,
                       const std::filesystem::path& path) {
  using C = itk::IOComponentEnum;
  switch (io.GetComponentType()) {
    case C::UCHAR:
      return readAs<std::uint8_t>(io, bufferCount, keepCount);
    case C::CHAR:
      return readAs<std::int8_t>(io, bufferCount, keepCount);
    case C::USHORT:
      return readAs<std::uint16_t>(io, bufferCount, keepCount);
    case C::SHORT:
      return readAs<std::int16_t>(io, bufferCount, keepCount);
    case C::UINT:
      return readAs<std::uint32_t>(io, bufferCount, keepCount);
    case C::INT:
      return readAs<std::int32_t>(io, bufferCount, keepCount);
    case C::ULONG:
      return readAs<unsigned long>(io, bufferCount, keepCount);
    case C::LONG:
      return readAs<long>(io, bufferCount, keepCount);
    case C::ULONGLONG:
      return readAs<unsigned long long>(io, bufferCount, keepCount);
    case C::LONGLONG:
      return readAs<long long>(io, bufferCount, keepCount);
    case C::FLOAT:
      return readAs<float>(io, bufferCount, keepCount);
    case C::DOUBLE:
      return readAs<double>(io, bufferCount, keepCount);
    default:
      throw fileError(path, "voxel type " +
                                itk::ImageIOBase::GetComponentTypeAsString(io.GetComponentType()) +
                                " is not supported");
  }
}

// --- Geometry -------------------------------------------------------------------------------

std::string formatMm(double mm) {
  std::ostringstream out;
  out.precision(3);
  out << mm << " mm";
  return out.str();
}

double maxOffDiagonalDot(const Mat3& direction) {
  double worst = 0;
  for (int a = 0; a < 3; ++a) {
    for (int b = a + 1; b < 3; ++b) {
      worst = std::max(worst, std::abs(dot(column(direction, a), column(direction, b))));
    }
  }
  return worst;
}

// Builds a geometry from an index-to-LPS matrix (columns = axis steps) and origin. A sheared
// matrix cannot be represented by origin/spacing/direction: it is made orthogonal (keeping the
// first axis, then the first plane) and the largest resulting displacement is reported.
ImageGeometry geometryFromMatrix(const std::array<std::size_t, 3>& size, const Mat3& matrix,
                                 const Vec3& origin, const std::filesystem::path& path,
                                 std::vector<LoadWarning>& warnings) {
  ImageGeometry g;
  g.size = size;
  g.origin = origin;
  for (int c = 0; c < 3; ++c) {
    const Vec3 step = column(matrix, c);
    const double length = norm(step);
    if (!(length > 0) || !std::isfinite(length)) {
      throw fileError(path, "the voxel-to-patient transform is degenerate (axis " +
                                std::to_string(c) + " has zero or invalid length)");
    }
    g.spacing[c] = length;
    setColumn(g.direction, c, (1.0 / length) * step);
  }
  if (maxOffDiagonalDot(g.direction) <= 1e-4) return g;

  const Vec3 x = column(g.direction, 0);
  const Vec3 y = normalized(column(g.direction, 1) - dot(column(g.direction, 1), x) * x);
  Vec3 z = normalized(cross(x, y));
  if (dot(z, column(g.direction, 2)) < 0) z = -1.0 * z;
  const Mat3 original = matrix;
  setColumn(g.direction, 0, x);
  setColumn(g.direction, 1, y);
  setColumn(g.direction, 2, z);
  g.spacing[1] = dot(column(original, 1), y);
  g.spacing[2] = std::abs(dot(column(original, 2), z));
  double worst = 0;
  for (int corner = 0; corner < 8; ++corner) {
    Vec3 index{};
    for (int a = 0; a < 3; ++a) index[a] = (corner >> a) & 1 ? double(size[a]) - 1 : 0.0;
    const Vec3 exact = origin + original * index;
    const Vec3 approx =
        origin + g.direction * Vec3{index[0] * g.spacing[0], index[1] * g.spacing[1],
                                    index[2] * g.spacing[2]};
    worst = std::max(worst, norm(exact - approx));
  }
  warnings.push_back({LoadWarning::Code::Other,
                      "The file's voxel axes are not perpendicular (a sheared transform); the "
                      "shear was removed, which moves voxels by up to " +
                          formatMm(worst) + "."});
  return g;
}

// NIfTI affines map to RAS; Volume is LPS: negate the first two rows.
ImageGeometry geometryFromRasAffine(const Affine3x4& ras, const std::array<std::size_t, 3>& size,
                                    const std::filesystem::path& path,
                                    std::vector<LoadWarning>& warnings) {
  Mat3 m{};
  Vec3 origin{};
  for (int r = 0; r < 3; ++r) {
    const double flip = r < 2 ? -1.0 : 1.0;
    for (int c = 0; c < 3; ++c) m[r][c] = flip * ras[r][c];
    origin[r] = flip * ras[r][3];
  }
  return geometryFromMatrix(size, m, origin, path, warnings);
}

std::string extraDimensionsWarning(std::int64_t volumes, const std::string& how) {
  return "The file holds " + std::to_string(volumes) + " volumes (" + how +
         "); only the first volume was loaded.";
}

// --- Reading --------------------------------------------------------------------------------

Volume readNifti(const std::filesystem::path& path) {
  const NiftiHeader header = NiftiHeader::read(path);
  std::vector<LoadWarning> warnings;
  const std::array<std::size_t, 3> size{static_cast<std::size_t>(header.dim[1]),
                                        static_cast<std::size_t>(header.dim[2]),
                                        static_cast<std::size_t>(header.dim[3])};
  if (header.volumeCount() > 1) {
    std::string how = "dimensions";
    for (int i = 1; i <= header.dim[0]; ++i) {
      how += (i == 1 ? " " : " x ") + std::to_string(header.dim[i]);
    }
    warnings.push_back(
        {LoadWarning::Code::Other, extraDimensionsWarning(header.volumeCount(), how)});
  }
  const Affine3x4 affine = chooseNiftiAffine(header, size, warnings);
  ImageGeometry geometry = geometryFromRasAffine(affine, size, path, warnings);
  // Voxels are read here, not by itk::NiftiImageIO: see NiftiHeader.h for why.
  VoxelBuffer voxels = readNiftiVoxels(header, path);
  Volume volume(geometry, std::move(voxels));
  volume.warnings = std::move(warnings);
  volume.sourceDescription = path.string();
  volume.identity.seriesDescription = header.descrip;
  if (std::isfinite(header.calMin) && std::isfinite(header.calMax) &&
      header.calMax > header.calMin) {
    volume.windowsFromFile.push_back(
        {"From file", header.calMax - header.calMin, (header.calMax + header.calMin) / 2});
  }
  return volume;
}

Volume readNrrd(const std::filesystem::path& path) {
  auto io = itk::NrrdImageIO::New();
  io->SetFileName(path.string());
  std::vector<LoadWarning> warnings;
  try {
    if (!io->CanReadFile(path.string().c_str())) throw fileError(path, "not a readable NRRD file");
    io->ReadImageInformation();
    if (io->GetNumberOfComponents() != 1) {
      throw fileError(path, "the voxels have " + std::to_string(io->GetNumberOfComponents()) +
                                " components (colour or vector data); only scalar images load");
    }
    const unsigned dims = io->GetNumberOfDimensions();
    if (dims < 2) throw fileError(path, "a NRRD file with fewer than 2 dimensions is not an image");
    std::array<std::size_t, 3> size{1, 1, 1};
    Mat3 matrix = identityMatrix();
    Vec3 origin{0, 0, 0};
    std::int64_t volumes = 1;
    for (unsigned d = 0; d < dims; ++d) {
      if (d >= 3) {
        volumes *= static_cast<std::int64_t>(io->GetDimensions(d));
        continue;
      }
      size[d] = io->GetDimensions(d);
      origin[d] = io->GetOrigin(d);
      const std::vector<double> axis = io->GetDirection(d);
      for (int r = 0; r < 3; ++r) {
        matrix[r][d] = (r < static_cast<int>(axis.size()) ? axis[r] : 0.0) * io->GetSpacing(d);
      }
    }
    if (dims == 2) setColumn(matrix, 2, normalized(cross(column(matrix, 0), column(matrix, 1))));
    if (volumes > 1) {
      warnings.push_back({LoadWarning::Code::Other,
                          extraDimensionsWarning(volumes, std::to_string(dims) + "D image")});
    }
    ImageGeometry geometry = geometryFromMatrix(size, matrix, origin, path, warnings);
    // NrrdImageIO always reads the whole file into the buffer, so size it for every volume.
    const std::size_t count = geometry.voxelCount();
    Volume volume(geometry,
                  readPixels(*io, count * static_cast<std::size_t>(volumes), count, path));
    volume.warnings = std::move(warnings);
    volume.sourceDescription = path.string();
    return volume;
  } catch (const itk::ExceptionObject& e) {
    throw fileError(path, "cannot read the NRRD file: " + itkMessage(e));
  }
}

// --- Writing --------------------------------------------------------------------------------

}  // namespace

bool VolumeFileIO::isSupportedFile(const std::filesystem::path& path) {
  return formatOf(path).has_value();
}

Volume VolumeFileIO::read(const std::filesystem::path& path) {
  const auto format = formatOf(path);
  if (!format) {
    throw fileError(path, "not a NIfTI (.nii, .nii.gz) or NRRD (.nrrd, .nhdr) file name");
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw fileError(path,
                    std::filesystem::exists(path, ec) ? "is not a regular file" : "no such file");
  }
  return *format == Format::Nifti ? readNifti(path) : readNrrd(path);
}

void VolumeFileIO::write(const Volume& volume, const std::filesystem::path& path) {
  const auto format = formatOf(path);
  if (!format) {
    throw fileError(path,
                    "cannot tell the format from the file name; use .nii.gz, .nii, .nrrd "
                    "or .nhdr");
  }
  const ImageGeometry& g = volume.geometry();
  if (g.voxelCount() == 0) throw fileError(path, "cannot write an empty volume");
  if (maxOffDiagonalDot(g.direction) > 1e-4) {
    throw fileError(path, "cannot write a volume whose direction matrix is not orthonormal");
  }
  const std::filesystem::path parent =
      path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  std::error_code ec;
  if (!std::filesystem::is_directory(parent, ec)) {
    throw fileError(path, "the folder " + parent.string() + " does not exist");
  }
  if (std::filesystem::is_directory(path, ec)) throw fileError(path, "is a folder");

  StagingFolder staging(parent);
  const std::filesystem::path staged = staging.path() / path.filename();

  itk::ImageIOBase::Pointer io;
  if (*format == Format::Nifti) {
    io = itk::NiftiImageIO::New();  // writes qform and sform, both with code 1 (scanner)
  } else {
    io = itk::NrrdImageIO::New();
    io->SetUseCompression(true);
  }
  io->SetFileName(staged.string());
  io->SetNumberOfDimensions(3);
  io->SetPixelType(itk::IOPixelEnum::SCALAR);
  io->SetNumberOfComponents(1);
  io->SetComponentType(volume.isInt16() ? itk::IOComponentEnum::SHORT
                                        : itk::IOComponentEnum::FLOAT);
  itk::ImageIORegion region(3);
  for (unsigned d = 0; d < 3; ++d) {
    io->SetDimensions(d, g.size[d]);
    io->SetSpacing(d, g.spacing[d]);
    io->SetOrigin(d, g.origin[d]);
    io->SetDirection(d,
                     std::vector<double>{g.direction[0][d], g.direction[1][d], g.direction[2][d]});
    region.SetIndex(d, 0);
    region.SetSize(d, g.size[d]);
  }
  io->SetIORegion(region);
  try {
    volume.visitVoxels([&](auto voxels) { io->Write(voxels.data()); });
  } catch (const itk::ExceptionObject& e) {
    throw fileError(path, "cannot write the file: " + itkMessage(e));
  }

  // Detached data files (.nhdr) first, the file the user named last; each synced to disk.
  staging.commit([](const std::string&) { return true; }, {path.filename().string()});
}

}  // namespace annotrace
