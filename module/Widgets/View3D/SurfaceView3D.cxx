#include "SurfaceView3D.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <mutex>

#include <QFutureWatcher>
#include <QMouseEvent>
#include <QPainter>
#include <QResizeEvent>
#include <QWheelEvent>
#include <QtConcurrent/QtConcurrentRun>

#include <vtkActor.h>
#include <vtkCamera.h>
#include <vtkImageData.h>
#include <vtkNew.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkSmartPointer.h>
#include <vtkUnsignedCharArray.h>
#include <vtkWindowToImageFilter.h>

#include "Segmentation/Segmentation.h"

namespace annotrace {

namespace {

bool xDisplayWithGlx();  // at the end of the file: Xlib's macros must not meet Qt's headers

constexpr double kBackground[3] = {0.10, 0.11, 0.13};

std::array<double, 6> emptyBounds() {
  constexpr double big = std::numeric_limits<double>::max();
  return {big, -big, big, -big, big, -big};
}

/// World bounds of a segment's voxels: the corners of its index box (voxel edges, not
/// centres) through the grid's index-to-world mapping.
void uniteBounds(std::array<double, 6>& bounds, const IndexBox& box,
                 const ImageGeometry& geometry) {
  for (int corner = 0; corner < 8; ++corner) {
    Vec3 index{};
    for (int a = 0; a < 3; ++a) {
      index[a] = ((corner >> a) & 1) ? static_cast<double>(box.hi[a]) - 0.5
                                     : static_cast<double>(box.lo[a]) - 0.5;
    }
    const Vec3 world = geometry.indexToWorld(index);
    for (int a = 0; a < 3; ++a) {
      bounds[2 * a] = std::min(bounds[2 * a], world[a]);
      bounds[2 * a + 1] = std::max(bounds[2 * a + 1], world[a]);
    }
  }
}

}  // namespace

struct SurfaceView3D::Vtk {
  vtkNew<vtkRenderer> renderer;
  vtkNew<vtkRenderWindow> window;
  std::map<SegmentId, vtkSmartPointer<vtkActor>> actors;
};

struct SurfaceView3D::Job {
  std::uint64_t generation = 0;
  std::array<std::uint8_t, 3> color{};
  QFuture<vtkSmartPointer<vtkPolyData>> future;
  QFutureWatcher<vtkSmartPointer<vtkPolyData>> watcher;
};

SurfaceView3D::SurfaceView3D(QWidget* parent, SurfaceOptions options)
    : QWidget(parent), options_(options), surfaces_(options) {
  setMinimumSize(64, 64);
  setFocusPolicy(Qt::StrongFocus);
  // The whole widget is painted from the frame: Qt need not clear it first.
  setAttribute(Qt::WA_OpaquePaintEvent);
}

// Running extractions own copies of their inputs; their results are simply dropped.
SurfaceView3D::~SurfaceView3D() = default;

bool SurfaceView3D::available() {
  static std::once_flag once;
  static bool result = false;
  std::call_once(once, [] { result = xDisplayWithGlx(); });
  return result;
}

bool SurfaceView3D::ensureVtk() {
  if (vtk_) return true;
  if (!available()) return false;
  vtk_ = std::make_unique<Vtk>();
  vtk_->window->SetOffScreenRendering(1);
  vtk_->window->SetMultiSamples(0);  // llvmpipe: multisampling costs more than it shows
  vtk_->window->AddRenderer(vtk_->renderer);
  vtk_->renderer->SetBackground(kBackground[0], kBackground[1], kBackground[2]);
  for (const auto& entry : surfaces_.entries()) showActor(entry.id, entry.color, entry.surface);
  applyCameraBounds();
  return true;
}

void SurfaceView3D::setSegmentation(const Segmentation& segmentation) {
  clear();
  auto bounds = emptyBounds();
  bool any = false;
  for (std::size_t p = 0; p < segmentation.segmentCount(); ++p) {
    const Segment& segment = segmentation.segmentAt(p);
    if (!segment.visible) continue;
    if (const auto box = segmentation.maskAt(p).bounds(); box && !box->empty()) {
      uniteBounds(bounds, *box, segmentation.geometry());
      any = true;
    }
    startJob(segmentation, segment);
  }
  if (any) sceneBounds_ = bounds;
  resetCamera();
}

void SurfaceView3D::updateSegment(const Segmentation& segmentation, SegmentId id) {
  const Segment* segment = segmentation.findSegment(id);
  if (segment == nullptr || !segment->visible) {
    removeSegment(id);
    return;
  }
  // Grow the framing bounds (never shrink them: the camera does not jump after an edit).
  if (const auto box = segmentation.mask(id).bounds(); box && !box->empty()) {
    auto bounds = sceneBounds_.value_or(emptyBounds());
    uniteBounds(bounds, *box, segmentation.geometry());
    sceneBounds_ = bounds;
  }
  startJob(segmentation, *segment);
}

void SurfaceView3D::removeSegment(SegmentId id) {
  jobs_.erase(id);
  surfaces_.dropSegment(id);
  dropActor(id);
  invalidateFrame();
}

void SurfaceView3D::clear() {
  jobs_.clear();
  surfaces_.clear();
  if (vtk_) {
    for (const auto& [id, actor] : vtk_->actors) vtk_->renderer->RemoveActor(actor);
    vtk_->actors.clear();
  }
  sceneBounds_.reset();
  invalidateFrame();
}

void SurfaceView3D::startJob(const Segmentation& segmentation, const Segment& segment) {
  // The worker gets its own copies: the caller's segmentation may change at once.
  auto mask = std::make_shared<const SparseMask>(segmentation.mask(segment.id));
  auto job = std::make_unique<Job>();
  job->generation = nextGeneration_++;
  job->color = segment.color;
  job->future = QtConcurrent::run([mask, geometry = segmentation.geometry(), options = options_] {
    return buildSegmentSurface(*mask, geometry, options);
  });
  const SegmentId id = segment.id;
  const std::uint64_t generation = job->generation;
  connect(&job->watcher, &QFutureWatcherBase::finished, this,
          [this, id, generation] { finishJob(id, generation); });
  job->watcher.setFuture(job->future);
  // Replacing an older job of the same segment drops its watcher, so its result is ignored.
  jobs_[id] = std::move(job);
}

void SurfaceView3D::finishJob(SegmentId id, std::uint64_t generation) {
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second->generation != generation) return;  // superseded
  const std::unique_ptr<Job> job = std::move(it->second);
  jobs_.erase(it);
  install(id, job->color, job->future.result());
  if (jobs_.empty()) emit surfacesReady();
}

void SurfaceView3D::waitForSurfaces() {
  while (!jobs_.empty()) {
    auto it = jobs_.begin();
    it->second->future.waitForFinished();
    finishJob(it->first, it->second->generation);
  }
}

void SurfaceView3D::install(SegmentId id, const std::array<std::uint8_t, 3>& color,
                            vtkSmartPointer<vtkPolyData> surface) {
  surfaces_.setSurface(id, color, surface);
  showActor(id, color, surface);
  invalidateFrame();
}

void SurfaceView3D::showActor(SegmentId id, const std::array<std::uint8_t, 3>& color,
                              vtkPolyData* surface) {
  if (!vtk_) return;  // no display: the surfaces are kept, nothing is drawn
  if (surface == nullptr) {
    dropActor(id);
    return;
  }
  auto& actor = vtk_->actors[id];
  if (actor == nullptr) {
    actor = vtkSmartPointer<vtkActor>::New();
    vtkNew<vtkPolyDataMapper> mapper;
    mapper->ScalarVisibilityOff();
    actor->SetMapper(mapper);
    actor->GetProperty()->SetAmbient(0.1);
    actor->GetProperty()->SetDiffuse(0.9);
    actor->GetProperty()->SetSpecular(0.1);
    actor->GetProperty()->SetSpecularPower(20);
    vtk_->renderer->AddActor(actor);
  }
  static_cast<vtkPolyDataMapper*>(actor->GetMapper())->SetInputData(surface);
  actor->GetProperty()->SetColor(color[0] / 255.0, color[1] / 255.0, color[2] / 255.0);
}

void SurfaceView3D::dropActor(SegmentId id) {
  if (!vtk_) return;
  if (auto it = vtk_->actors.find(id); it != vtk_->actors.end()) {
    vtk_->renderer->RemoveActor(it->second);
    vtk_->actors.erase(it);
  }
}

void SurfaceView3D::resetCamera() {
  if (ensureVtk()) applyCameraBounds();
  invalidateFrame();
}

void SurfaceView3D::applyCameraBounds() {
  vtkCamera* camera = vtk_->renderer->GetActiveCamera();
  // LPS: anterior is -y and superior +z, so looking along +y with +z up puts the patient's
  // left (+x) on the right of the screen, as in an anterior view.
  camera->SetFocalPoint(0, 0, 0);
  camera->SetPosition(0, -1, 0);
  camera->SetViewUp(0, 0, 1);
  if (sceneBounds_) {
    double bounds[6];
    std::copy(sceneBounds_->begin(), sceneBounds_->end(), bounds);
    vtk_->renderer->ResetCamera(bounds);
  } else {
    vtk_->renderer->ResetCamera();
  }
}

void SurfaceView3D::rotate(double azimuthDegrees, double elevationDegrees) {
  if (!ensureVtk()) return;
  vtkCamera* camera = vtk_->renderer->GetActiveCamera();
  camera->Azimuth(azimuthDegrees);
  camera->Elevation(elevationDegrees);
  camera->OrthogonalizeViewUp();  // keeps Elevation from degenerating near the poles
  vtk_->renderer->ResetCameraClippingRange();
  invalidateFrame();
}

void SurfaceView3D::zoom(double factor) {
  if (!ensureVtk() || factor <= 0) return;
  vtk_->renderer->GetActiveCamera()->Dolly(factor);
  vtk_->renderer->ResetCameraClippingRange();
  invalidateFrame();
}

void SurfaceView3D::invalidateFrame() {
  frameDirty_ = true;
  update();
}

QImage SurfaceView3D::renderToImage(int width, int height) {
  if (width <= 0 || height <= 0 || !ensureVtk()) return {};
  vtk_->window->SetSize(width, height);
  vtk_->renderer->ResetCameraClippingRange();
  vtk_->window->Render();
  vtkNew<vtkWindowToImageFilter> grab;
  grab->SetInput(vtk_->window);
  grab->SetInputBufferTypeToRGB();
  grab->ReadFrontBufferOff();  // the frame just rendered, without a second render
  grab->ShouldRerenderOff();
  grab->Update();
  vtkImageData* pixels = grab->GetOutput();
  int dims[3];
  pixels->GetDimensions(dims);
  if (dims[0] != width || dims[1] != height) return {};
  QImage image(width, height, QImage::Format_RGB888);
  const auto* source = static_cast<const unsigned char*>(pixels->GetScalarPointer());
  // VTK's rows run bottom-up.
  for (int y = 0; y < height; ++y) {
    std::copy_n(source + static_cast<std::size_t>(height - 1 - y) * width * 3, width * 3,
                image.scanLine(y));
  }
  return image;
}

void SurfaceView3D::paintEvent(QPaintEvent* /*event*/) {
  QPainter painter(this);
  if (!available()) {
    painter.fillRect(rect(), QColor::fromRgbF(kBackground[0], kBackground[1], kBackground[2]));
    painter.setPen(Qt::lightGray);
    painter.drawText(rect(), Qt::AlignCenter, tr("3D view needs an X display"));
    return;
  }
  const qreal ratio = devicePixelRatioF();
  const QSize pixels = (QSizeF(size()) * ratio).toSize();
  if (frameDirty_ || frame_.size() != pixels) {
    frame_ = renderToImage(pixels.width(), pixels.height());
    frame_.setDevicePixelRatio(ratio);
    frameDirty_ = false;
  }
  if (frame_.isNull()) {
    painter.fillRect(rect(), Qt::black);
    return;
  }
  painter.drawImage(rect(), frame_);
}

void SurfaceView3D::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  invalidateFrame();
}

void SurfaceView3D::mousePressEvent(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton) return QWidget::mousePressEvent(event);
  dragging_ = true;
  lastMouse_ = event->position().toPoint();
}

void SurfaceView3D::mouseMoveEvent(QMouseEvent* event) {
  if (!dragging_) return QWidget::mouseMoveEvent(event);
  const QPoint at = event->position().toPoint();
  const QPoint delta = at - lastMouse_;
  lastMouse_ = at;
  // A drag across the whole widget turns the scene by 180 degrees, as VTK's trackball does.
  const double perPixelX = 180.0 / std::max(1, width());
  const double perPixelY = 180.0 / std::max(1, height());
  rotate(-delta.x() * perPixelX, delta.y() * perPixelY);
}

void SurfaceView3D::mouseReleaseEvent(QMouseEvent* event) {
  if (event->button() == Qt::LeftButton) dragging_ = false;
  QWidget::mouseReleaseEvent(event);
}

void SurfaceView3D::wheelEvent(QWheelEvent* event) {
  const double steps = event->angleDelta().y() / 120.0;
  if (steps != 0) zoom(std::pow(1.1, steps));
  event->accept();
}

}  // namespace annotrace

// Xlib defines None, Bool, Status, ... as macros: it comes after every other header.
#include <X11/Xlib.h>

namespace annotrace {
namespace {

bool xDisplayWithGlx() {
  const char* name = std::getenv("DISPLAY");
  if (name == nullptr || *name == '\0') return false;
  Display* display = XOpenDisplay(name);
  if (display == nullptr) return false;
  int opcode = 0, event = 0, error = 0;
  const bool glx = XQueryExtension(display, "GLX", &opcode, &event, &error) != 0;
  XCloseDisplay(display);
  return glx;
}

}  // namespace
}  // namespace annotrace
