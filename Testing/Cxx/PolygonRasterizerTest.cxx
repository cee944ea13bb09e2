// The polygon rasteriser against an independent oracle (winding number by summed angles at
// every pixel centre) and against shapes whose pixel counts are known exactly, on isotropic,
// anisotropic and oblique grids and on all three slice families.

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "Segmentation/PolygonRasterizer.h"

using namespace annotrace;

namespace {

// Winding number of a point by summing the signed angles the edges subtend: a different
// algorithm from the rasteriser's scanline crossings.
int windingByAngles(std::span<const Vec3> polygon, double u, double v) {
  double total = 0;
  for (std::size_t e = 0; e < polygon.size(); ++e) {
    const Vec3& a = polygon[e];
    const Vec3& b = polygon[(e + 1) % polygon.size()];
    const double ax = a[0] - u, ay = a[1] - v, bx = b[0] - u, by = b[1] - v;
    total += std::atan2(ax * by - ay * bx, ax * bx + ay * by);
  }
  return static_cast<int>(std::lround(total / (2 * std::numbers::pi)));
}

SliceMask oracleMask(std::size_t width, std::size_t height, std::span<const Vec3> polygon) {
  SliceMask mask(width, height);
  for (std::size_t v = 0; v < height; ++v) {
    for (std::size_t u = 0; u < width; ++u) {
      if (windingByAngles(polygon, double(u), double(v)) != 0) mask.set(u, v);
    }
  }
  return mask;
}

std::vector<Vec3> circle(double cu, double cv, double radius, int vertices) {
  std::vector<Vec3> points;
  for (int i = 0; i < vertices; ++i) {
    const double t = 2 * std::numbers::pi * i / vertices;
    points.push_back({cu + radius * std::cos(t), cv + radius * std::sin(t), 0});
  }
  return points;
}

ImageGeometry isotropicGrid(std::size_t n) {
  ImageGeometry g;
  g.size = {n, n, n};
  g.origin = {-10.0, 20.0, -30.0};
  return g;
}

}  // namespace

TEST(PolygonRasterizer, RandomPolygonsMatchTheWindingOracleExactly) {
  std::mt19937 random(4);
  std::uniform_real_distribution<double> coordinate(-3.0, 43.0);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<Vec3> polygon;
    const int vertices = 3 + trial % 17;  // convex, concave and self-intersecting alike
    for (int i = 0; i < vertices; ++i)
      polygon.push_back({coordinate(random), coordinate(random), 0});
    const SliceMask ours = PolygonRasterizer::rasterizeIndexPolygon(40, 40, polygon);
    ASSERT_EQ(ours, oracleMask(40, 40, polygon)) << "trial " << trial;
  }
}

TEST(PolygonRasterizer, AlignedRectangleCountsFollowTheHalfOpenRule) {
  // Corners on pixel centres: u in [2, 7) and v in [3, 5) are inside: 5 x 2 pixels.
  const std::vector<Vec3> rectangle = {{2, 3, 0}, {7, 3, 0}, {7, 5, 0}, {2, 5, 0}};
  const SliceMask mask = PolygonRasterizer::rasterizeIndexPolygon(10, 10, rectangle);
  EXPECT_EQ(mask.count(), 10u);
  EXPECT_TRUE(mask.at(2, 3));
  EXPECT_FALSE(mask.at(7, 3));
  EXPECT_FALSE(mask.at(2, 5));
  // The neighbour sharing the edge u = 7 takes column 7: no pixel is claimed twice.
  const std::vector<Vec3> neighbour = {{7, 3, 0}, {9, 3, 0}, {9, 5, 0}, {7, 5, 0}};
  const SliceMask other = PolygonRasterizer::rasterizeIndexPolygon(10, 10, neighbour);
  for (std::size_t i = 0; i < mask.pixels.size(); ++i)
    EXPECT_FALSE(mask.pixels[i] && other.pixels[i]);
  EXPECT_EQ(other.count(), 4u);
}

TEST(PolygonRasterizer, RotatedSquareAndCircleAreasAreTight) {
  // A 45-degree square of side 20 px centred off-lattice: its area is 400 px²; a lattice count
  // differs from the area by less than the perimeter (80 px).
  const double h = 20 / std::sqrt(2.0);
  const std::vector<Vec3> diamond = {
      {50.3, 50.2 - h, 0}, {50.3 + h, 50.2, 0}, {50.3, 50.2 + h, 0}, {50.3 - h, 50.2, 0}};
  const auto square = PolygonRasterizer::rasterizeIndexPolygon(100, 100, diamond);
  EXPECT_NEAR(double(square.count()), 400.0, 80.0);
  EXPECT_EQ(square, oracleMask(100, 100, diamond));
  // A radius-30 circle (1440-gon): area 2827.4 px², within its perimeter (188 px).
  const auto disc =
      PolygonRasterizer::rasterizeIndexPolygon(100, 100, circle(49.7, 50.4, 30, 1440));
  EXPECT_NEAR(double(disc.count()), std::numbers::pi * 900, 188.0);
}

TEST(PolygonRasterizer, SelfTouchingConcavePolygonKeepsBothLobes) {
  // Two triangles meeting at the vertex (10.4, 10.45), drawn as one closed outline (no edge
  // passes through a pixel centre, so the oracle has no ties to break).
  const std::vector<Vec3> bowtie = {{2.3, 2.6, 0},   {10.4, 10.45, 0}, {18.6, 2.2, 0},
                                    {18.4, 18.7, 0}, {10.4, 10.45, 0}, {2.2, 18.3, 0}};
  const auto mask = PolygonRasterizer::rasterizeIndexPolygon(21, 21, bowtie);
  EXPECT_EQ(mask, oracleMask(21, 21, bowtie));
  EXPECT_TRUE(mask.at(4, 10));   // left lobe
  EXPECT_TRUE(mask.at(17, 10));  // right lobe
  EXPECT_FALSE(mask.at(10, 4));  // the notches between them
  EXPECT_FALSE(mask.at(10, 17));
}

TEST(PolygonRasterizer, WorldRectangleOnAnAnisotropicObliqueGrid) {
  // Grid rotated 30 degrees about z with 0.5 x 2.0 mm pixels: a world rectangle built along
  // its axes covers exactly 8 x 3 pixel centres.
  ImageGeometry g;
  g.size = {40, 20, 5};
  g.spacing = {0.5, 2.0, 3.0};
  g.origin = {5.0, -7.0, 11.0};
  const double a = std::numbers::pi / 6;
  setColumn(g.direction, 0, {std::cos(a), std::sin(a), 0});
  setColumn(g.direction, 1, {-std::sin(a), std::cos(a), 0});
  setColumn(g.direction, 2, {0, 0, 1});
  // Corners at index (10.4, 4.6) and (18.4, 7.6) on slice 2: u in 11..18, v in 5..7.
  std::vector<Vec3> world;
  for (const auto& [u, v] :
       std::vector<std::pair<double, double>>{{10.4, 4.6}, {18.4, 4.6}, {18.4, 7.6}, {10.4, 7.6}}) {
    world.push_back(g.indexToWorld({u, v, 2.0}));
  }
  const SliceMask mask = PolygonRasterizer::rasterize(g, {SliceOrientation::Axial, 2}, world);
  EXPECT_EQ(mask.width, 40u);
  EXPECT_EQ(mask.height, 20u);
  EXPECT_EQ(mask.count(), 8u * 3u);
  EXPECT_TRUE(mask.at(11, 5));
  EXPECT_TRUE(mask.at(18, 7));
  EXPECT_FALSE(mask.at(10, 5));
  EXPECT_FALSE(mask.at(11, 8));
}

TEST(PolygonRasterizer, SameContourOnAxialAndSagittalPlanesGivesTransposedPixels) {
  // On an isotropic cube, a contour drawn on axial slice 7 through world (x, y) and the same
  // shape drawn on sagittal slice 7 through world (y, z) cover the same (first, second)
  // index pairs.
  const ImageGeometry g = isotropicGrid(32);
  const auto shape = circle(15.3, 12.8, 9.0, 90);
  std::vector<Vec3> axial, sagittal;
  for (const Vec3& p : shape) {
    axial.push_back(g.indexToWorld({p[0], p[1], 7.0}));
    sagittal.push_back(g.indexToWorld({7.0, p[0], p[1]}));
  }
  const auto onAxial = PolygonRasterizer::rasterize(g, {SliceOrientation::Axial, 7}, axial);
  const auto onSagittal =
      PolygonRasterizer::rasterize(g, {SliceOrientation::Sagittal, 7}, sagittal);
  EXPECT_GT(onAxial.count(), 200u);
  EXPECT_EQ(onAxial, onSagittal);
  // And on a coronal slice through (x, z).
  std::vector<Vec3> coronal;
  for (const Vec3& p : shape) coronal.push_back(g.indexToWorld({p[0], 7.0, p[1]}));
  EXPECT_EQ(onAxial, PolygonRasterizer::rasterize(g, {SliceOrientation::Coronal, 7}, coronal));
}

TEST(PolygonRasterizer, IsDeterministicAndRejectsSlicesOutsideTheGrid) {
  const ImageGeometry g = isotropicGrid(16);
  std::vector<Vec3> world;
  for (const Vec3& p : circle(7.1, 8.2, 5.5, 33)) world.push_back(g.indexToWorld({p[0], p[1], 3}));
  const auto first = PolygonRasterizer::rasterize(g, {SliceOrientation::Axial, 3}, world);
  for (int run = 0; run < 5; ++run) {
    EXPECT_EQ(first, PolygonRasterizer::rasterize(g, {SliceOrientation::Axial, 3}, world));
  }
  EXPECT_THROW(PolygonRasterizer::rasterize(g, {SliceOrientation::Axial, 16}, world),
               std::invalid_argument);
}
