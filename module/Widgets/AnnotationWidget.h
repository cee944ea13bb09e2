#pragma once

#include <QWidget>

#include <array>

#include "ToolState.h"

class QAction;
class QComboBox;
class QDoubleSpinBox;
class QGridLayout;
class QLabel;
class QProgressBar;
class QPushButton;
class QCheckBox;
class QSlider;

namespace annotrace {

class AnnotationSession;
class SegmentTableWidget;
class SliceView;

/// The annotation module's panel: three linked slice views (1x1 or 2x2 with the 3D view), the
/// segment table, the tools with their shortcuts, window/level presets, undo/redo with the step
/// name, and interpolation/propagation previews to accept or discard while long work runs in
/// the background with progress and cancel.
class AnnotationWidget : public QWidget {
  Q_OBJECT
 public:
  explicit AnnotationWidget(AnnotationSession* session, QWidget* parent = nullptr);

  AnnotationSession* session() const { return session_; }
  SliceView* view(SliceOrientation family) const { return views_[std::size_t(family)]; }
  SegmentTableWidget* segmentTable() const { return segments_; }
  const ToolState& tools() const { return tools_; }
  void setTool(ToolState::Mode mode);
  void setBrushRadius(double mm);
  /// Applies a window preset by name ("Soft tissue", "Lung", ..., "Automatic") to every view.
  bool applyWindowPreset(const QString& name);
  /// 1x1 (the given view alone) or 2x2.
  void setSingleLayout(bool single, SliceOrientation family = SliceOrientation::Axial);
  QString statusText() const;
  /// Adds a widget as the fourth pane of the 2x2 layout (the 3D view).
  void setFourthPane(QWidget* pane);
  /// Opens a study: a folder goes through the series browser (skipped when it holds a single
  /// image stack), a file is loaded directly; both in the background.
  void openStudy(const QString& path);

 public slots:
  void interpolate();
  void propagate();

 private:
  void buildTools(QWidget* panel);
  void refreshWindowPresets();
  void refreshUndoActions();

  AnnotationSession* session_;
  ToolState tools_;
  std::array<SliceView*, 3> views_{};
  QWidget* fourth_ = nullptr;
  QGridLayout* grid_ = nullptr;
  SegmentTableWidget* segments_ = nullptr;
  QComboBox* presets_ = nullptr;
  QDoubleSpinBox* radius_ = nullptr;
  QCheckBox* sphere_ = nullptr;
  QCheckBox* rangeOn_ = nullptr;
  QDoubleSpinBox* rangeMin_ = nullptr;
  QDoubleSpinBox* rangeMax_ = nullptr;
  QComboBox* area_ = nullptr;
  QSlider* opacity_ = nullptr;
  QAction* undo_ = nullptr;
  QAction* redo_ = nullptr;
  QPushButton* accept_ = nullptr;
  QPushButton* discard_ = nullptr;
  QPushButton* cancel_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* status_ = nullptr;
  QLabel* cursor_ = nullptr;
  SliceOrientation lastFamily_ = SliceOrientation::Axial;
  bool single_ = false;
};

}  // namespace annotrace
