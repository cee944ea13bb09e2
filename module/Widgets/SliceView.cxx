#include "SliceView.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QWheelEvent>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "AnnotationSession.h"

namespace annotrace {

namespace {

QColor colourOf(const Segment& s, int alpha = 255) {
  return QColor(s.color[0], s.color[1], s.color[2], alpha);
}

}  // namespace

SliceView::SliceView(AnnotationSession* session, const ToolState* tools, SliceOrientation family,
                     QWidget* parent)
    : QWidget(parent), session_(session), tools_(tools) {
  display_.family = family;
  setFocusPolicy(Qt::StrongFocus);
  setMouseTracking(true);
  setMinimumSize(160, 160);
  setAttribute(Qt::WA_OpaquePaintEvent);
  connect(session_, &AnnotationSession::studyChanged, this, &SliceView::studyChanged);
  connect(session_, &AnnotationSession::segmentationChanged, this, &SliceView::refresh);
  connect(session_, &AnnotationSession::previewChanged, this, &SliceView::refresh);
  if (session_->hasStudy()) studyChanged();
}

void SliceView::studyChanged() {
  if (!session_->hasStudy()) return;
  display_ = SliceDisplay::of(session_->volume().geometry(), display_.family);
  slice_ = display_.sliceCount / 2;
  window_ = session_->volume().defaultWindow();
  zoom_ = 1;
  pan_ = {0, 0};
  stroke_.clear();
  refresh();
  emit sliceChanged(slice_);
}

void SliceView::refresh() {
  dirty_ = true;
  update();
}

void SliceView::setSlice(std::size_t slice) {
  if (display_.sliceCount == 0) return;
  slice = std::min(slice, display_.sliceCount - 1);
  if (slice == slice_) return;
  slice_ = slice;
  stroke_.clear();
  refresh();
  emit sliceChanged(slice_);
}

void SliceView::setWindow(const WindowLevel& window) {
  if (window.width == window_.width && window.center == window_.center) return;
  window_ = window;
  refresh();
}

void SliceView::setCrosshair(const Vec3& world) {
  crosshair_ = world;
  if (session_->hasStudy()) {
    const Vec3 index = session_->volume().geometry().worldToIndex(world);
    const double s = std::round(index[display_.axes[2]]);
    if (s >= 0 && s < double(display_.sliceCount)) setSlice(static_cast<std::size_t>(s));
  }
  update();
}

void SliceView::renderIfNeeded() {
  if (!dirty_ || !session_->hasStudy()) return;
  const auto start = std::chrono::steady_clock::now();
  renderer_.render(session_->volume(), &session_->segmentation(), display_, slice_, window_,
                   overlay_, session_->preview(), image_);
  lastRenderMs_ =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  dirty_ = false;
}

double SliceView::pixelsPerMm() const {
  const double w = double(display_.width) * display_.pixelWidthMm;
  const double h = double(display_.height) * display_.pixelHeightMm;
  if (w <= 0 || h <= 0) return 1;
  return std::min(double(width()) / w, double(height()) / h) * zoom_;
}

QTransform SliceView::imageToWidget() const {
  const double s = pixelsPerMm();
  QTransform t;
  t.translate(width() / 2.0 + pan_.x(), height() / 2.0 + pan_.y());
  t.scale(s * display_.pixelWidthMm, s * display_.pixelHeightMm);
  t.translate(-double(display_.width) / 2, -double(display_.height) / 2);
  return t;
}

QPointF SliceView::toImage(const QPointF& widgetPosition) const {
  return imageToWidget().inverted().map(widgetPosition);
}

QPointF SliceView::widgetPoint(double u, double v) const {
  const auto [x, y] = display_.sliceToScreen(u, v);
  return imageToWidget().map(QPointF(x, y));
}

Vec3 SliceView::worldAt(const QPointF& position) const {
  const QPointF p = toImage(position);
  return session_->volume().geometry().indexToWorld(
      display_.screenToIndex(p.x(), p.y(), double(slice_)));
}

void SliceView::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.fillRect(rect(), Qt::black);
  if (!session_->hasStudy()) {
    painter.setPen(Qt::gray);
    painter.drawText(rect(), Qt::AlignCenter, tr("Open a study (File > Open)"));
    return;
  }
  renderIfNeeded();
  const QImage frame(reinterpret_cast<const uchar*>(image_.pixels.data()), int(image_.width),
                     int(image_.height), int(image_.width * 4), QImage::Format_RGB32);
  painter.setTransform(imageToWidget());
  painter.drawImage(QPointF(0, 0), frame);

  // The stroke or polygon being drawn, in image coordinates.
  const Segment* target =
      tools_ ? session_->segmentation().findSegmentByName(tools_->segment) : nullptr;
  const QColor ink = target ? colourOf(*target) : QColor(Qt::yellow);
  if (!stroke_.empty()) {
    const bool brush =
        tools_->mode == ToolState::Mode::Brush || tools_->mode == ToolState::Mode::Eraser;
    if (brush) {
      QPen pen(QColor(ink.red(), ink.green(), ink.blue(), 110),
               2 * tools_->radiusMm / display_.pixelWidthMm, Qt::SolidLine, Qt::RoundCap,
               Qt::RoundJoin);
      painter.setPen(pen);
      if (stroke_.size() == 1) {
        painter.drawPoint(stroke_.front());
      } else {
        painter.drawPolyline(stroke_.data(), int(stroke_.size()));
      }
    } else {
      painter.setPen(QPen(ink, 0));
      painter.drawPolyline(stroke_.data(), int(stroke_.size()));
      if (tools_->mode == ToolState::Mode::Polygon && hover_.x() >= 0) {
        painter.setPen(QPen(ink, 0, Qt::DashLine));
        painter.drawLine(stroke_.back(), hover_);
      }
    }
  }
  painter.resetTransform();

  // Crosshair.
  if (crosshair_) {
    const Vec3 index = session_->volume().geometry().worldToIndex(*crosshair_);
    const QPointF c = widgetPoint(index[display_.axes[0]], index[display_.axes[1]]);
    painter.setPen(QPen(QColor(255, 200, 0, 160), 1));
    painter.drawLine(QPointF(0, c.y()), QPointF(width(), c.y()));
    painter.drawLine(QPointF(c.x(), 0), QPointF(c.x(), height()));
  }
  // Brush outline at the cursor.
  if (tools_ &&
      (tools_->mode == ToolState::Mode::Brush || tools_->mode == ToolState::Mode::Eraser) &&
      hover_.x() >= 0) {
    const double r = tools_->radiusMm * pixelsPerMm();
    painter.setPen(QPen(ink, 1));
    painter.drawEllipse(imageToWidget().map(hover_), r, r);
  }

  // Orientation letters, slice number, scale bar and the slice ruler.
  painter.setPen(QColor(230, 230, 120));
  QFont font = painter.font();
  font.setBold(true);
  painter.setFont(font);
  const auto& l = display_.letters;
  painter.drawText(QRect(4, 0, 20, height()), Qt::AlignVCenter | Qt::AlignLeft,
                   QString(QChar(l[0])));
  painter.drawText(QRect(width() - 40, 0, 20, height()), Qt::AlignVCenter | Qt::AlignRight,
                   QString(QChar(l[1])));
  painter.drawText(QRect(0, 2, width(), 20), Qt::AlignHCenter | Qt::AlignTop, QString(QChar(l[2])));
  painter.drawText(QRect(0, height() - 22, width(), 20), Qt::AlignHCenter | Qt::AlignBottom,
                   QString(QChar(l[3])));
  painter.setPen(Qt::white);
  QString title = QStringLiteral("%1 %2/%3")
                      .arg(QString::fromLatin1(orientationName(display_.family).data()))
                      .arg(slice_ + 1)
                      .arg(display_.sliceCount);
  if (target) {
    static const char* kSources[] = {"", "drawn", "interpolated", "propagated"};
    const SliceSource source =
        session_->segmentation().provenance(target->id).at(display_.family, slice_);
    if (source != SliceSource::None)
      title += QStringLiteral("  [%1]").arg(QLatin1String(kSources[int(source)]));
  }
  painter.drawText(QPoint(6, 16), title);
  painter.drawText(
      QPoint(6, 32),
      QStringLiteral("W %1 L %2").arg(window_.width, 0, 'f', 0).arg(window_.center, 0, 'f', 0));
  // Scale bar: a round length near a fifth of the width.
  const double mmPerPixel = 1.0 / pixelsPerMm();
  double length = 1;
  for (double candidate : {1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0}) {
    if (candidate / mmPerPixel <= width() / 5.0) length = candidate;
  }
  const double barPixels = length / mmPerPixel;
  const QPointF barEnd(width() - 30, height() - 28);
  painter.drawLine(barEnd - QPointF(barPixels, 0), barEnd);
  painter.drawText(QPointF(barEnd.x() - barPixels, barEnd.y() - 4),
                   QStringLiteral("%1 mm").arg(length));
  // Slice ruler on the right edge: key (drawn) slices of the target segment as ticks.
  if (display_.sliceCount > 1) {
    const double top = 40, bottom = height() - 50, x = width() - 10;
    auto yOf = [&](std::size_t s) {
      return bottom - (bottom - top) * double(s) / double(display_.sliceCount - 1);
    };
    painter.setPen(QColor(120, 120, 120));
    painter.drawLine(QPointF(x, top), QPointF(x, bottom));
    if (target) {
      const SliceProvenance& p = session_->segmentation().provenance(target->id);
      painter.setPen(QPen(colourOf(*target), 2));
      for (std::size_t s : p.slicesWith(display_.family, SliceSource::Drawn)) {
        painter.drawLine(QPointF(x - 6, yOf(s)), QPointF(x + 4, yOf(s)));
      }
      painter.setPen(QPen(colourOf(*target, 120), 1));
      for (SliceSource source : {SliceSource::Interpolated, SliceSource::Propagated}) {
        for (std::size_t s : p.slicesWith(display_.family, source)) {
          painter.drawLine(QPointF(x - 3, yOf(s)), QPointF(x + 1, yOf(s)));
        }
      }
    }
    painter.setPen(QPen(Qt::white, 2));
    painter.drawLine(QPointF(x - 8, yOf(slice_)), QPointF(x + 6, yOf(slice_)));
  }
}

void SliceView::mousePressEvent(QMouseEvent* event) {
  if (!session_->hasStudy()) return;
  const QPointF image = toImage(event->position());
  dragStart_ = event->position();
  if (event->button() == Qt::MiddleButton) {
    drag_ = Drag::Pan;
    panStart_ = pan_;
    return;
  }
  if (event->button() == Qt::RightButton) {
    drag_ = Drag::Window;
    dragWindow_ = window_;
    return;
  }
  if (event->button() != Qt::LeftButton) return;
  using Mode = ToolState::Mode;
  switch (tools_ ? tools_->mode : Mode::Navigate) {
    case Mode::Navigate: {
      const Vec3 world = worldAt(event->position());
      crosshair_ = world;
      update();
      emit crosshairMoved(world);
      drag_ = Drag::Stroke;
      return;
    }
    case Mode::Polygon:
      stroke_.push_back(image);
      update();
      return;
    case Mode::Fill: {
      EditOperation op;
      op.tool = EditTool::Fill;
      op.segment = tools_->segment;
      op.plane = display_.family;
      op.slice = slice_;
      op.points = {worldAt(event->position())};
      op.constraints = tools_->constraints;
      session_->apply(op);
      return;
    }
    default:
      stroke_ = {image};
      drag_ = Drag::Stroke;
      update();
  }
}

void SliceView::mouseMoveEvent(QMouseEvent* event) {
  hover_ = toImage(event->position());
  updateCursorInfo(event->position());
  switch (drag_) {
    case Drag::Pan:
      pan_ = panStart_ + (event->position() - dragStart_);
      update();
      return;
    case Drag::Window: {
      const QPointF d = event->position() - dragStart_;
      const double step = std::max(1.0, dragWindow_.width / 256.0);
      WindowLevel w = dragWindow_;
      w.name = "Custom";
      w.width = std::max(1.0, dragWindow_.width + d.x() * step);
      w.center = dragWindow_.center - d.y() * step;
      setWindow(w);
      emit windowChanged(window_);
      return;
    }
    case Drag::Stroke:
      if (tools_ && tools_->mode == ToolState::Mode::Navigate) {
        const Vec3 world = worldAt(event->position());
        crosshair_ = world;
        emit crosshairMoved(world);
      } else {
        stroke_.push_back(hover_);
      }
      update();
      return;
    default:
      if (tools_ && tools_->mode != ToolState::Mode::Navigate)
        update();  // brush cursor, rubber band
  }
}

void SliceView::mouseReleaseEvent(QMouseEvent* event) {
  const Drag was = drag_;
  drag_ = Drag::None;
  if (was == Drag::Stroke && event->button() == Qt::LeftButton) finishStroke();
}

void SliceView::mouseDoubleClickEvent(QMouseEvent* event) {
  if (tools_ && tools_->mode == ToolState::Mode::Polygon && event->button() == Qt::LeftButton) {
    applyContour(EditTool::Polygon);
  }
}

void SliceView::finishStroke() {
  if (!tools_ || stroke_.empty()) return;
  using Mode = ToolState::Mode;
  switch (tools_->mode) {
    case Mode::Brush:
    case Mode::Eraser:
      applyStroke(tools_->mode == Mode::Brush ? EditTool::Brush : EditTool::Eraser);
      return;
    case Mode::Freehand:
      applyContour(EditTool::Freehand);
      return;
    case Mode::Scissors:
      applyContour(EditTool::Scissors);
      return;
    default:
      return;
  }
}

void SliceView::applyContour(EditTool tool) {
  if (stroke_.size() < 3) {
    stroke_.clear();
    update();
    return;
  }
  applyStroke(tool);
}

void SliceView::applyStroke(EditTool tool) {
  // The stroke in world millimetres on this slice, with the tool bar's settings.
  EditOperation op;
  op.tool = tool;
  op.segment = tools_->segment;
  op.plane = display_.family;
  op.slice = slice_;
  op.radiusMm = tools_->radiusMm;
  op.shape = tools_->shape;
  op.scissors = tools_->scissors;
  op.constraints = tools_->constraints;
  const QTransform toWidget = imageToWidget();
  for (const QPointF& p : stroke_) op.points.push_back(worldAt(toWidget.map(p)));
  stroke_.clear();
  session_->apply(op);
  update();
}

void SliceView::wheelEvent(QWheelEvent* event) {
  const int steps = event->angleDelta().y() / 120;
  if (steps == 0) return;
  if (event->modifiers() & Qt::ControlModifier) {
    zoom_ = std::clamp(zoom_ * std::pow(1.15, steps), 0.2, 40.0);
    update();
    return;
  }
  const long next = std::clamp<long>(long(slice_) + steps, 0, long(display_.sliceCount) - 1);
  setSlice(std::size_t(std::max(0L, next)));
}

void SliceView::keyPressEvent(QKeyEvent* event) {
  switch (event->key()) {
    case Qt::Key_Up:
      setSlice(slice_ + 1);
      return;
    case Qt::Key_Down:
      setSlice(slice_ > 0 ? slice_ - 1 : 0);
      return;
    case Qt::Key_PageUp:
      setSlice(slice_ + 10);
      return;
    case Qt::Key_PageDown:
      setSlice(slice_ > 10 ? slice_ - 10 : 0);
      return;
    case Qt::Key_Return:
    case Qt::Key_Enter:
      if (tools_ && tools_->mode == ToolState::Mode::Polygon) applyContour(EditTool::Polygon);
      return;
    case Qt::Key_Escape:
      stroke_.clear();
      update();
      return;
    default:
      QWidget::keyPressEvent(event);
  }
}

void SliceView::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  update();
}

void SliceView::updateCursorInfo(const QPointF& position) {
  if (!session_->hasStudy()) return;
  const Volume& v = session_->volume();
  const Vec3 world = worldAt(position);
  std::array<std::int64_t, 3> index{};
  if (!v.geometry().worldToNearestVoxel(world, index)) {
    emit cursorInfo(QString());
    return;
  }
  const double value = v.value(std::size_t(index[0]), std::size_t(index[1]), std::size_t(index[2]));
  emit cursorInfo(QStringLiteral("%1 %2  at (%3, %4, %5) mm LPS  voxel [%6, %7, %8]")
                      .arg(value, 0, 'g', 6)
                      .arg(QString::fromStdString(v.units))
                      .arg(world[0], 0, 'f', 1)
                      .arg(world[1], 0, 'f', 1)
                      .arg(world[2], 0, 'f', 1)
                      .arg(index[0])
                      .arg(index[1])
                      .arg(index[2]));
}

}  // namespace annotrace
