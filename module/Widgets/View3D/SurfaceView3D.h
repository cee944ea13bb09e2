#pragma once

#include <map>
#include <memory>
#include <optional>

#include <QImage>
#include <QPoint>
#include <QWidget>

#include "SegmentSurfaces.h"
#include "Segmentation/Segment.h"
#include "Volume/ImageGeometry.h"

namespace annotrace {

class Segmentation;

/// The 3D view of the segments' surfaces.
///
/// VTK renders into an offscreen window and the widget draws the resulting image: Debian's VTK
/// Qt module is built for Qt5 (never linked here) and QOpenGLWidget does not run on Qt's
/// offscreen platform. Surfaces are extracted on Qt's thread pool so an edit never blocks
/// drawing; VTK rendering stays on the GUI thread, where its OpenGL context lives.
/// Without a usable X display the view creates no VTK window at all and says so.
class SurfaceView3D : public QWidget {
  Q_OBJECT

 public:
  explicit SurfaceView3D(QWidget* parent = nullptr, SurfaceOptions options = {});
  ~SurfaceView3D() override;

  /// Whether an X display with GLX can be opened (DISPLAY set and reachable): VTK on Debian
  /// renders through GLX only, and aborts the process without it. Checked once.
  static bool available();

  /// Shows the visible segments of `segmentation` (their masks are copied; the caller may
  /// change it afterwards) and frames them. Extraction runs in the background.
  void setSegmentation(const Segmentation& segmentation);
  /// After an edit, a visibility or colour change of one segment: rebuilds (or drops) it.
  void updateSegment(const Segmentation& segmentation, SegmentId id);
  void removeSegment(SegmentId id);
  void clear();

  /// Anterior view (patient's left on the right, superior up) framing the segments.
  void resetCamera();
  void rotate(double azimuthDegrees, double elevationDegrees);
  /// > 1 moves closer.
  void zoom(double factor);

  /// Blocks until every running extraction is done and shown (tests, screenshots).
  void waitForSurfaces();
  bool hasPendingSurfaces() const { return !jobs_.empty(); }
  /// The surfaces on display, by segment id.
  const SegmentSurfaces& surfaces() const { return surfaces_; }

  /// Renders the current scene at w x h pixels; a null image when !available().
  QImage renderToImage(int width, int height);

 signals:
  /// Every surface asked for so far is on display.
  void surfacesReady();

 protected:
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;

 private:
  struct Vtk;  // VTK scene objects, created only when a display is available
  struct Job;

  bool ensureVtk();
  void startJob(const Segmentation& segmentation, const Segment& segment);
  void finishJob(SegmentId id, std::uint64_t generation);
  void install(SegmentId id, const std::array<std::uint8_t, 3>& color,
               vtkSmartPointer<vtkPolyData> surface);
  void showActor(SegmentId id, const std::array<std::uint8_t, 3>& color, vtkPolyData* surface);
  void dropActor(SegmentId id);
  void applyCameraBounds();
  void invalidateFrame();

  SurfaceOptions options_;
  SegmentSurfaces surfaces_;
  std::unique_ptr<Vtk> vtk_;
  std::map<SegmentId, std::unique_ptr<Job>> jobs_;
  std::uint64_t nextGeneration_ = 1;
  /// World bounds of the segments' voxels (from their index boxes, known before any surface).
  std::optional<std::array<double, 6>> sceneBounds_;
  QImage frame_;
  bool frameDirty_ = true;
  QPoint lastMouse_;
  bool dragging_ = false;
};

}  // namespace annotrace
