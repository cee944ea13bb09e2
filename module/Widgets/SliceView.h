#pragma once

#include <QImage>
#include <QPointF>
#include <QWidget>

#include <optional>
#include <vector>

#include "Core/Vec3.h"
#include "Render/SliceDisplay.h"
#include "Render/SliceRenderer.h"
#include "ToolState.h"

namespace annotrace {

class AnnotationSession;

/// One slice view (axial, coronal or sagittal) of the open study with the label overlay:
/// wheel and arrow keys scroll, Ctrl+wheel zooms, middle-drag pans, right-drag changes
/// window/level, a left click in Navigate mode moves the linked crosshair, and the drawing
/// tools turn mouse strokes into edit operations in world millimetres.
class SliceView : public QWidget {
  Q_OBJECT
 public:
  SliceView(AnnotationSession* session, const ToolState* tools, SliceOrientation family,
            QWidget* parent = nullptr);

  SliceOrientation family() const { return display_.family; }
  const SliceDisplay& display() const { return display_; }
  std::size_t slice() const { return slice_; }
  void setSlice(std::size_t slice);
  const WindowLevel& window() const { return window_; }
  void setWindow(const WindowLevel& window);
  OverlayStyle& overlay() { return overlay_; }
  void setCrosshair(const Vec3& world);  ///< shows it and moves to the slice holding it
  double zoom() const { return zoom_; }

  /// Widget position of a slice pixel centre (u, v), and the reverse; for tests and tools.
  QPointF widgetPoint(double u, double v) const;
  /// World point (LPS mm) under a widget position on the current slice.
  Vec3 worldAt(const QPointF& position) const;
  /// The last rendered image (screen layout, before scaling to the widget).
  const SliceImage& image() const { return image_; }
  /// Milliseconds the last render took (slice, window and overlay).
  double lastRenderMs() const { return lastRenderMs_; }

 public slots:
  void refresh();  ///< the study, segmentation or preview changed: render again
  void studyChanged();

 signals:
  void sliceChanged(std::size_t slice);
  void crosshairMoved(const Vec3& world);
  void windowChanged(const WindowLevel& window);
  /// Value under the cursor with its unit, and the world position, as text for the status bar.
  void cursorInfo(const QString& text);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;

 private:
  void renderIfNeeded();
  /// Image-pixel scale and offset that fit the slice (with its pixel aspect) in the widget.
  QTransform imageToWidget() const;
  QPointF toImage(const QPointF& widgetPosition) const;
  void finishStroke();
  void applyContour(EditTool tool);
  void applyStroke(EditTool tool);
  void updateCursorInfo(const QPointF& position);
  double pixelsPerMm() const;

  AnnotationSession* session_;
  const ToolState* tools_;
  SliceDisplay display_;
  std::size_t slice_ = 0;
  WindowLevel window_{"Soft tissue", 400, 40};
  OverlayStyle overlay_;
  SliceRenderer renderer_;
  SliceImage image_;
  bool dirty_ = true;
  double lastRenderMs_ = 0;
  double zoom_ = 1;
  QPointF pan_{0, 0};
  std::optional<Vec3> crosshair_;
  // Interaction
  enum class Drag { None, Pan, Window, Stroke };
  Drag drag_ = Drag::None;
  QPointF dragStart_;
  WindowLevel dragWindow_;
  QPointF panStart_;
  std::vector<QPointF> stroke_;  ///< image coordinates of the stroke or polygon being drawn
  QPointF hover_{-1, -1};
};

}  // namespace annotrace
