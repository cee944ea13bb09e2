#include "Render/SliceDisplay.h"

#include <cmath>

namespace annotrace {

namespace {

/// The LPS letter a world direction points to most: +x left, +y posterior, +z superior.
char letterOf(const Vec3& direction) {
  int axis = 0;
  for (int a = 1; a < 3; ++a) {
    if (std::abs(direction[a]) > std::abs(direction[axis])) axis = a;
  }
  static constexpr std::array<std::array<char, 2>, 3> kLetters{
      {{'L', 'R'}, {'P', 'A'}, {'S', 'I'}}};
  return kLetters[axis][direction[axis] >= 0 ? 0 : 1];
}

char opposite(char letter) {
  switch (letter) {
    case 'L':
      return 'R';
    case 'R':
      return 'L';
    case 'P':
      return 'A';
    case 'A':
      return 'P';
    case 'S':
      return 'I';
    case 'I':
      return 'S';
    default:
      return '?';
  }
}

}  // namespace

SliceDisplay SliceDisplay::of(const ImageGeometry& geometry, SliceOrientation family) {
  SliceDisplay d;
  d.family = family;
  d.axes = SliceSpec{family, 0}.axes();
  d.sliceWidth = geometry.size[d.axes[0]];
  d.sliceHeight = geometry.size[d.axes[1]];
  d.sliceCount = geometry.size[d.axes[2]];
  const Vec3 dirU = column(geometry.direction, d.axes[0]);
  const Vec3 dirV = column(geometry.direction, d.axes[1]);
  const Vec3 normal = column(geometry.direction, d.axes[2]);

  // The plane shown follows the slice normal's dominant world axis.
  int normalAxis = 0;
  for (int a = 1; a < 3; ++a) {
    if (std::abs(normal[a]) > std::abs(normal[normalAxis])) normalAxis = a;
  }
  Vec3 right{1, 0, 0}, down{0, 1, 0};  // axial: patient left on the right, posterior down
  d.plane = "axial";
  if (normalAxis == 1) {
    right = {1, 0, 0};
    down = {0, 0, -1};
    d.plane = "coronal";
  } else if (normalAxis == 0) {
    right = {0, 1, 0};  // posterior on the right: anterior on the left
    down = {0, 0, -1};
    d.plane = "sagittal";
  }
  if (std::abs(normal[normalAxis]) < 0.8) d.plane = "oblique";

  d.transpose = std::abs(dot(dirV, right)) + std::abs(dot(dirU, down)) >
                std::abs(dot(dirU, right)) + std::abs(dot(dirV, down));
  const Vec3& alongX = d.transpose ? dirV : dirU;
  const Vec3& alongY = d.transpose ? dirU : dirV;
  d.flipX = dot(alongX, right) < 0;
  d.flipY = dot(alongY, down) < 0;
  d.width = d.transpose ? d.sliceHeight : d.sliceWidth;
  d.height = d.transpose ? d.sliceWidth : d.sliceHeight;
  d.pixelWidthMm = geometry.spacing[d.axes[d.transpose ? 1 : 0]];
  d.pixelHeightMm = geometry.spacing[d.axes[d.transpose ? 0 : 1]];
  const Vec3 screenRight = (d.flipX ? -1.0 : 1.0) * alongX;
  const Vec3 screenDown = (d.flipY ? -1.0 : 1.0) * alongY;
  d.letters = {opposite(letterOf(screenRight)), letterOf(screenRight),
               opposite(letterOf(screenDown)), letterOf(screenDown)};
  return d;
}

std::array<double, 2> SliceDisplay::screenToSlice(double x, double y) const {
  // Pixel centres sit at half-integers on screen and at integers in the slice.
  double sx = x - 0.5, sy = y - 0.5;
  if (flipX) sx = double(width) - 1 - sx;
  if (flipY) sy = double(height) - 1 - sy;
  return transpose ? std::array<double, 2>{sy, sx} : std::array<double, 2>{sx, sy};
}

std::array<double, 2> SliceDisplay::sliceToScreen(double u, double v) const {
  double sx = transpose ? v : u, sy = transpose ? u : v;
  if (flipX) sx = double(width) - 1 - sx;
  if (flipY) sy = double(height) - 1 - sy;
  return {sx + 0.5, sy + 0.5};
}

Vec3 SliceDisplay::screenToIndex(double x, double y, double slice) const {
  const auto [u, v] = screenToSlice(x, y);
  Vec3 index{};
  index[axes[0]] = u;
  index[axes[1]] = v;
  index[axes[2]] = slice;
  return index;
}

std::array<std::size_t, 2> SliceDisplay::slicePixel(std::size_t x, std::size_t y) const {
  const std::size_t sx = flipX ? width - 1 - x : x;
  const std::size_t sy = flipY ? height - 1 - y : y;
  return transpose ? std::array<std::size_t, 2>{sy, sx} : std::array<std::size_t, 2>{sx, sy};
}

}  // namespace annotrace
