// The 3D view: surfaces measured against known shapes and the real TotalSegmentator label map,
// frames checked pixel by pixel. Runs under Xvfb (Mesa llvmpipe); NoDisplay.* runs without one.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <numbers>

#include <QApplication>
#include <QImage>
#include <QMouseEvent>

#include <vtkMassProperties.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkPolyData.h>
#include <vtkTriangleFilter.h>

#include "SegmentSurfaces.h"
#include "Segmentation/LabelmapFileIO.h"
#include "Segmentation/Segmentation.h"
#include "SurfaceView3D.h"

namespace annotrace {
namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::filesystem::path dataDir() {
  const char* env = std::getenv("ANNOTRACE_DATA");
  return (env != nullptr && *env != '\0') ? std::filesystem::path(env)
                                          : std::filesystem::path(ANNOTRACE_TEST_DATA_DIR);
}

constexpr std::array<std::uint8_t, 3> kRed{220, 40, 40};
constexpr std::array<std::uint8_t, 3> kBlue{40, 60, 230};
constexpr int kBackground[3] = {26, 28, 33};  // SurfaceView3D's background, 0.10/0.11/0.13

/// An anisotropic grid, rotated 30 degrees about z and mirrored along k (determinant -1), so
/// that a wrong spacing, direction or triangle orientation shows.
ImageGeometry ballGrid() {
  ImageGeometry g;
  g.size = {96, 90, 64};
  g.origin = {-40.0, 25.0, 100.0};
  g.spacing = {0.8, 0.9, 1.5};
  const double c = std::cos(std::numbers::pi / 6), s = std::sin(std::numbers::pi / 6);
  g.direction = {{{c, -s, 0}, {s, c, 0}, {0, 0, -1}}};
  return g;
}

struct BallScene {
  Segmentation segmentation;
  SegmentId red = 0, blue = 0;
  Vec3 redCentre{}, blueCentre{};
  double redRadius = 18.0, blueRadius = 8.0;
};

void paintBall(Segmentation& segmentation, SegmentId id, const Vec3& centre, double radius) {
  const ImageGeometry& g = segmentation.geometry();
  SparseMask& mask = segmentation.mask(id);
  for (std::size_t k = 0; k < g.size[2]; ++k) {
    for (std::size_t j = 0; j < g.size[1]; ++j) {
      for (std::size_t i = 0; i < g.size[0]; ++i) {
        const Vec3 w = g.indexToWorld({double(i), double(j), double(k)});
        const double d2 = (w[0] - centre[0]) * (w[0] - centre[0]) +
                          (w[1] - centre[1]) * (w[1] - centre[1]) +
                          (w[2] - centre[2]) * (w[2] - centre[2]);
        if (d2 <= radius * radius) mask.assign(i, j, k, true);
      }
    }
  }
}

/// A red ball (visible) and, 30 mm to the patient's left (+x), a small blue one (hidden).
BallScene ballScene() {
  BallScene scene{Segmentation(ballGrid())};
  Segment red;
  red.name = "red ball";
  red.color = kRed;
  scene.red = scene.segmentation.addSegment(red).id;
  Segment blue;
  blue.name = "blue ball";
  blue.color = kBlue;
  blue.visible = false;
  scene.blue = scene.segmentation.addSegment(blue).id;
  scene.redCentre = scene.segmentation.geometry().indexToWorld({48, 45, 32});
  scene.blueCentre = {scene.redCentre[0] + 30.0, scene.redCentre[1], scene.redCentre[2]};
  paintBall(scene.segmentation, scene.red, scene.redCentre, scene.redRadius);
  paintBall(scene.segmentation, scene.blue, scene.blueCentre, scene.blueRadius);
  return scene;
}

double volumeOf(vtkPolyData* surface) {
  vtkNew<vtkTriangleFilter> triangles;  // vtkMassProperties takes triangles only
  triangles->SetInputData(surface);
  vtkNew<vtkMassProperties> mass;
  mass->SetInputConnection(triangles->GetOutputPort());
  mass->Update();
  return mass->GetVolume();
}

double areaOf(vtkPolyData* surface) {
  vtkNew<vtkTriangleFilter> triangles;
  triangles->SetInputData(surface);
  vtkNew<vtkMassProperties> mass;
  mass->SetInputConnection(triangles->GetOutputPort());
  mass->Update();
  return mass->GetSurfaceArea();
}

bool isRed(QRgb p) {
  return qRed(p) > qGreen(p) + 40 && qRed(p) > qBlue(p) + 40;
}
bool isBlue(QRgb p) {
  return qBlue(p) > qRed(p) + 40 && qBlue(p) > qGreen(p) + 40;
}
bool isBackground(QRgb p) {
  return std::abs(qRed(p) - kBackground[0]) <= 2 && std::abs(qGreen(p) - kBackground[1]) <= 2 &&
         std::abs(qBlue(p) - kBackground[2]) <= 2;
}

struct ColourStats {
  int count = 0;
  double meanX = 0, meanY = 0;
};

template <typename Pred>
ColourStats stats(const QImage& image, Pred pred) {
  ColourStats s;
  for (int y = 0; y < image.height(); ++y) {
    for (int x = 0; x < image.width(); ++x) {
      if (!pred(image.pixel(x, y))) continue;
      ++s.count;
      s.meanX += x;
      s.meanY += y;
    }
  }
  if (s.count > 0) {
    s.meanX /= s.count;
    s.meanY /= s.count;
  }
  return s;
}

// --- surfaces (no display needed) ---------------------------------------------------------

TEST(SegmentSurfaces, BallSitsWhereItIsWithItsVolumeAndOutwardNormals) {
  const BallScene scene = ballScene();
  SegmentSurfaces surfaces;
  surfaces.rebuildAll(scene.segmentation);
  ASSERT_EQ(surfaces.entries().size(), 1u) << "the hidden segment must get no surface";
  const auto* entry = surfaces.find(scene.red);
  ASSERT_NE(entry, nullptr);
  ASSERT_NE(entry->surface, nullptr);
  EXPECT_EQ(entry->color, kRed);
  EXPECT_EQ(surfaces.find(scene.blue), nullptr);

  double bounds[6];
  entry->surface->GetBounds(bounds);
  const double r = scene.redRadius, voxel = 1.5;  // the largest spacing
  for (int a = 0; a < 3; ++a) {
    EXPECT_NEAR(bounds[2 * a], scene.redCentre[a] - r, voxel) << "axis " << a;
    EXPECT_NEAR(bounds[2 * a + 1], scene.redCentre[a] + r, voxel) << "axis " << a;
  }
  const double volume = volumeOf(entry->surface);
  const double ball = 4.0 / 3.0 * std::numbers::pi * r * r * r;
  EXPECT_NEAR(volume, ball, 0.03 * ball);
  const double voxelVolume = 0.8 * 0.9 * 1.5;
  const double voxels = scene.segmentation.mask(scene.red).count() * voxelVolume;
  EXPECT_NEAR(volume, voxels, 0.03 * voxels);
  const double sphereArea = 4.0 * std::numbers::pi * r * r;
  EXPECT_NEAR(areaOf(entry->surface), sphereArea, 0.05 * sphereArea);
  std::cout << "ball: surface volume " << volume << " mm3, sphere " << ball << ", voxels " << voxels
            << "; area " << areaOf(entry->surface) << " mm2, sphere " << sphereArea << "\n";

  // On a mirroring grid the normals must still point out of the ball (lighting depends on it).
  vtkDataArray* normals = entry->surface->GetPointData()->GetNormals();
  ASSERT_NE(normals, nullptr);
  vtkIdType outward = 0;
  const vtkIdType n = entry->surface->GetNumberOfPoints();
  for (vtkIdType p = 0; p < n; ++p) {
    double x[3], nv[3];
    entry->surface->GetPoint(p, x);
    normals->GetTuple(p, nv);
    double dot = 0;
    for (int a = 0; a < 3; ++a) dot += nv[a] * (x[a] - scene.redCentre[a]);
    if (dot > 0) ++outward;
  }
  EXPECT_GT(outward, n * 99 / 100) << outward << " of " << n << " normals point outward";
}

TEST(SegmentSurfaces, RebuildsOneSegmentAndDropsHiddenOnes) {
  BallScene scene = ballScene();
  SegmentSurfaces surfaces;
  surfaces.rebuildAll(scene.segmentation);
  // Cut the ball at its centre plane: keep the inferior half (world z below the centre).
  const ImageGeometry& g = scene.segmentation.geometry();
  SparseMask& mask = scene.segmentation.mask(scene.red);
  for (std::size_t k = 0; k < g.size[2]; ++k) {
    const double z = g.indexToWorld({0, 0, double(k)})[2];
    if (z <= scene.redCentre[2] + 0.1) continue;
    for (std::size_t j = 0; j < g.size[1]; ++j) {
      for (std::size_t i = 0; i < g.size[0]; ++i) mask.assign(i, j, k, false);
    }
  }
  surfaces.rebuildSegment(scene.segmentation, scene.red);
  double bounds[6];
  surfaces.find(scene.red)->surface->GetBounds(bounds);
  EXPECT_NEAR(bounds[5], scene.redCentre[2], 1.5);  // top at the cut, within a slice
  EXPECT_NEAR(bounds[4], scene.redCentre[2] - scene.redRadius, 1.5);

  // Showing the blue ball adds its surface; hiding it again drops it.
  Segment blue = scene.segmentation.segment(scene.blue);
  blue.visible = true;
  scene.segmentation.updateSegment(blue);
  surfaces.rebuildSegment(scene.segmentation, scene.blue);
  ASSERT_NE(surfaces.find(scene.blue), nullptr);
  surfaces.find(scene.blue)->surface->GetBounds(bounds);
  EXPECT_NEAR(0.5 * (bounds[0] + bounds[1]), scene.blueCentre[0], 1.0);
  blue.visible = false;
  scene.segmentation.updateSegment(blue);
  surfaces.rebuildSegment(scene.segmentation, scene.blue);
  EXPECT_EQ(surfaces.find(scene.blue), nullptr);
  surfaces.dropSegment(scene.red);
  EXPECT_TRUE(surfaces.entries().empty());

  // An emptied segment has no surface (and no crash).
  scene.segmentation.mask(scene.red).clear();
  surfaces.rebuildSegment(scene.segmentation, scene.red);
  ASSERT_NE(surfaces.find(scene.red), nullptr);
  EXPECT_EQ(surfaces.find(scene.red)->surface, nullptr);
}

// --- rendering (needs an X display: Xvfb) -------------------------------------------------

TEST(SurfaceView3D, RendersTheVisibleBallInItsColourAndNothingOfTheHiddenOne) {
  ASSERT_TRUE(SurfaceView3D::available())
      << "run under xvfb-run: DISPLAY=" << std::getenv("DISPLAY");
  BallScene scene = ballScene();
  SurfaceView3D view;
  view.setSegmentation(scene.segmentation);
  view.waitForSurfaces();
  EXPECT_FALSE(view.hasPendingSurfaces());
  ASSERT_EQ(view.surfaces().entries().size(), 1u);

  const QImage image = view.renderToImage(256, 256);
  ASSERT_EQ(image.size(), QSize(256, 256));
  const QRgb centre = image.pixel(128, 128);
  EXPECT_TRUE(isRed(centre)) << qRed(centre) << "," << qGreen(centre) << "," << qBlue(centre);
  EXPECT_GT(qRed(centre), 180);  // lit head-on: close to the segment's own 220
  for (const QPoint corner : {QPoint(2, 2), QPoint(253, 2), QPoint(2, 253), QPoint(253, 253)}) {
    const QRgb p = image.pixel(corner);
    EXPECT_TRUE(isBackground(p)) << qRed(p) << "," << qGreen(p) << "," << qBlue(p);
  }
  const ColourStats red = stats(image, isRed);
  EXPECT_GT(red.count, 256 * 256 / 10);
  EXPECT_NEAR(red.meanX, 127.5, 3);
  EXPECT_NEAR(red.meanY, 127.5, 3);
  EXPECT_EQ(stats(image, isBlue).count, 0) << "the hidden segment drew pixels";
  int other = 0;
  for (int y = 0; y < 256; ++y) {
    for (int x = 0; x < 256; ++x)
      other += !isRed(image.pixel(x, y)) && !isBackground(image.pixel(x, y));
  }
  EXPECT_LT(other, red.count / 10) << "pixels neither red nor background (edges only)";

  // Showing the blue ball through updateSegment: it appears on the patient's left, i.e. on
  // the right of an anterior view.
  Segment blue = scene.segmentation.segment(scene.blue);
  blue.visible = true;
  scene.segmentation.updateSegment(blue);
  view.updateSegment(scene.segmentation, scene.blue);
  view.waitForSurfaces();
  view.resetCamera();
  const QImage both = view.renderToImage(256, 256);
  const ColourStats blueStats = stats(both, isBlue), redStats = stats(both, isRed);
  EXPECT_GT(blueStats.count, 200);
  EXPECT_GT(blueStats.meanX, redStats.meanX + 20);
  EXPECT_NEAR(blueStats.meanY, redStats.meanY, 5);  // same height

  // Removing it takes its pixels away again.
  view.removeSegment(scene.blue);
  EXPECT_EQ(stats(view.renderToImage(256, 256), isBlue).count, 0);
}

TEST(SurfaceView3D, MouseDragRotatesWheelZoomsAndPaintShowsTheFrame) {
  ASSERT_TRUE(SurfaceView3D::available());
  BallScene scene = ballScene();
  Segment blue = scene.segmentation.segment(scene.blue);
  blue.visible = true;
  scene.segmentation.updateSegment(blue);
  SurfaceView3D view;
  view.resize(200, 200);
  view.setSegmentation(scene.segmentation);
  view.waitForSurfaces();

  // paintEvent draws the rendered frame: grab() goes through it.
  const QImage painted = view.grab().toImage();
  ASSERT_FALSE(painted.isNull());
  const ColourStats paintedBlue = stats(painted, isBlue), paintedRed = stats(painted, isRed);
  EXPECT_GT(paintedRed.count, 1000);
  EXPECT_GT(paintedBlue.meanX, paintedRed.meanX + 15) << "blue (patient left) on the right";

  // A drag across the whole width turns the scene half round: the blue ball moves to the left.
  auto send = [&view](QEvent::Type type, QPointF at, Qt::MouseButtons buttons) {
    QMouseEvent event(type, at, view.mapToGlobal(at), Qt::LeftButton, buttons, Qt::NoModifier);
    QApplication::sendEvent(&view, &event);
  };
  send(QEvent::MouseButtonPress, {0, 100}, Qt::LeftButton);
  send(QEvent::MouseMove, {100, 100}, Qt::LeftButton);
  send(QEvent::MouseMove, {200, 100}, Qt::LeftButton);
  send(QEvent::MouseButtonRelease, {200, 100}, Qt::NoButton);
  const QImage turned = view.renderToImage(200, 200);
  const ColourStats turnedBlue = stats(turned, isBlue), turnedRed = stats(turned, isRed);
  EXPECT_LT(turnedBlue.meanX, turnedRed.meanX - 15) << "posterior view: blue on the left";

  // Wheel forward zooms in: the red ball covers more pixels.
  QWheelEvent wheel({100, 100}, view.mapToGlobal(QPointF(100, 100)), {}, {0, 5 * 120}, Qt::NoButton,
                    Qt::NoModifier, Qt::NoScrollPhase, false);
  QApplication::sendEvent(&view, &wheel);
  const ColourStats zoomed = stats(view.renderToImage(200, 200), isRed);
  EXPECT_GT(zoomed.count, turnedRed.count * 3 / 2);

  // resetCamera returns to the anterior view.
  view.resetCamera();
  const QImage again = view.renderToImage(200, 200);
  EXPECT_GT(stats(again, isBlue).meanX, stats(again, isRed).meanX + 15);
}

TEST(SurfaceView3D, TotalSegmentatorMapSurfacesAndFrame) {
  ASSERT_TRUE(SurfaceView3D::available());
  const auto path = dataDir() / "nifti_totalseg" / "example_seg.nii.gz";
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  const Segmentation segmentation = LabelmapFileIO::read(path).segmentation;
  ASSERT_GE(segmentation.segmentCount(), 20u);
  const ImageGeometry& g = segmentation.geometry();
  std::cout << "label map: " << segmentation.segmentCount() << " segments on " << g.size[0] << " x "
            << g.size[1] << " x " << g.size[2] << " voxels of " << g.spacing[0] << " x "
            << g.spacing[1] << " x " << g.spacing[2] << " mm\n";

  // Serial extraction on one thread: the cost of the surfaces themselves.
  auto start = Clock::now();
  SegmentSurfaces serial;
  serial.rebuildAll(segmentation);
  const double serialMs = msSince(start);
  ASSERT_EQ(serial.entries().size(), segmentation.segmentCount());

  // The liver (label 5): surface volume against its voxels.
  const Segment* liver = nullptr;
  for (std::size_t p = 0; p < segmentation.segmentCount(); ++p) {
    if (segmentation.segmentAt(p).labelValue == 5) liver = &segmentation.segmentAt(p);
  }
  ASSERT_NE(liver, nullptr);
  const double voxelVolume = g.spacing[0] * g.spacing[1] * g.spacing[2];
  const double voxels = segmentation.mask(liver->id).count() * voxelVolume;
  const double liverVolume = volumeOf(serial.find(liver->id)->surface);
  std::cout << "liver: surface " << liverVolume / 1000 << " ml, voxels " << voxels / 1000
            << " ml\n";
  EXPECT_NEAR(liverVolume, voxels, 0.05 * voxels);

  // The view: extraction on the thread pool, then frames.
  SurfaceView3D view;
  start = Clock::now();
  view.setSegmentation(segmentation);
  const double setMs = msSince(start);
  view.waitForSurfaces();
  const double viewMs = msSince(start);
  ASSERT_EQ(view.surfaces().entries().size(), segmentation.segmentCount());

  start = Clock::now();
  const QImage first = view.renderToImage(512, 512);
  const double firstMs = msSince(start);
  ASSERT_EQ(first.size(), QSize(512, 512));
  if (const char* dir = std::getenv("ANNOTRACE_SCREENSHOT_DIR"); dir != nullptr && *dir != 0) {
    first.save(QString::fromLocal8Bit(dir) + "/view3d-totalseg.png");
  }
  constexpr int kFrames = 10;
  start = Clock::now();
  for (int f = 0; f < kFrames; ++f) {
    view.rotate(3.0, 0.0);
    view.renderToImage(512, 512);
  }
  const double frameMs = msSince(start) / kFrames;
  const ColourStats background = stats(first, isBackground);
  const int coloured = 512 * 512 - background.count;
  std::cout << "TotalSegmentator map: surfaces " << serialMs << " ms serial, " << viewMs
            << " ms in the view (setSegmentation returned after " << setMs
            << " ms); 512x512 frame: first " << firstMs << " ms, then " << frameMs << " ms each; "
            << coloured << " coloured pixels\n";
  EXPECT_GT(coloured, 512 * 512 / 8);
  EXPECT_LT(setMs, 1000) << "setSegmentation must not wait for the extraction";
}

/// The same map nearest-neighbour upsampled 3x per axis (1 mm voxels, 366 x 303 x 90): the
/// scale of a clinical CT, for the timing that matters in use.
TEST(SurfaceView3D, TotalSegmentatorMapAtOneMillimetreTimings) {
  ASSERT_TRUE(SurfaceView3D::available());
  const auto path = dataDir() / "nifti_totalseg" / "example_seg.nii.gz";
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  const Segmentation source = LabelmapFileIO::read(path).segmentation;
  constexpr std::size_t f = 3;
  ImageGeometry g = source.geometry();
  for (int a = 0; a < 3; ++a) {
    g.size[a] *= f;
    g.spacing[a] /= f;
  }
  Segmentation fine(g);
  for (std::size_t p = 0; p < source.segmentCount(); ++p) {
    const Segment& segment = fine.insertSegment(p, source.segmentAt(p), SparseMask(g.size));
    SparseMask& mask = fine.mask(segment.id);
    source.maskAt(p).forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t n) {
      for (std::size_t kk = k * f; kk < (k + 1) * f; ++kk) {
        for (std::size_t jj = j * f; jj < (j + 1) * f; ++jj) {
          for (std::size_t ii = i * f; ii < (i + n) * f; ++ii) mask.assign(ii, jj, kk, true);
        }
      }
    });
  }

  SurfaceView3D view;
  auto start = Clock::now();
  view.setSegmentation(fine);
  const double setMs = msSince(start);
  view.waitForSurfaces();
  const double viewMs = msSince(start);
  ASSERT_EQ(view.surfaces().entries().size(), fine.segmentCount());
  vtkIdType triangles = 0;
  for (const auto& entry : view.surfaces().entries())
    triangles += entry.surface->GetNumberOfCells();

  // One segment rebuilt after an edit: the liver, the largest.
  SegmentId liver = 0;
  for (std::size_t p = 0; p < fine.segmentCount(); ++p) {
    if (fine.segmentAt(p).labelValue == 5) liver = fine.segmentAt(p).id;
  }
  ASSERT_NE(liver, 0u);
  start = Clock::now();
  view.updateSegment(fine, liver);
  view.waitForSurfaces();
  const double liverMs = msSince(start);
  const double voxels = fine.mask(liver).count() * g.spacing[0] * g.spacing[1] * g.spacing[2];
  EXPECT_NEAR(volumeOf(view.surfaces().find(liver)->surface), voxels, 0.05 * voxels);

  view.renderToImage(512, 512);  // first frame compiles the shaders
  constexpr int kFrames = 10;
  start = Clock::now();
  for (int frame = 0; frame < kFrames; ++frame) {
    view.rotate(3.0, 0.0);
    view.renderToImage(512, 512);
  }
  const double frameMs = msSince(start) / kFrames;
  std::cout << "1 mm map (" << g.size[0] << " x " << g.size[1] << " x " << g.size[2]
            << "): surfaces " << viewMs << " ms in the view (setSegmentation returned after "
            << setMs << " ms), " << triangles << " triangles; liver alone " << liverMs
            << " ms; 512x512 frame " << frameMs << " ms\n";
  EXPECT_LT(setMs, 2000) << "setSegmentation must not wait for the extraction";
}

// --- without a display ----------------------------------------------------------------------

TEST(NoDisplay, ViewSaysSoKeepsSurfacesAndDoesNotCrash) {
  // Run with DISPLAY empty, or naming a display nobody serves: both must be refused.
  EXPECT_FALSE(SurfaceView3D::available());
  BallScene scene = ballScene();
  SurfaceView3D view;
  view.resize(300, 200);
  view.setSegmentation(scene.segmentation);
  view.waitForSurfaces();
  ASSERT_EQ(view.surfaces().entries().size(), 1u);  // extraction needs no display
  view.rotate(30, 10);
  view.zoom(1.5);
  view.resetCamera();
  EXPECT_TRUE(view.renderToImage(128, 128).isNull());
  const QImage painted = view.grab().toImage();
  ASSERT_EQ(painted.size(), QSize(300, 200));
  // The message is drawn in light grey over the background.
  int text = 0;
  for (int y = 0; y < painted.height(); ++y) {
    for (int x = 0; x < painted.width(); ++x) text += qGray(painted.pixel(x, y)) > 120;
  }
  EXPECT_GT(text, 50) << "no message drawn";
}

}  // namespace
}  // namespace annotrace

int main(int argc, char** argv) {
  // Widgets need an application; the platform is xcb under Xvfb, offscreen without a display.
  QApplication app(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
