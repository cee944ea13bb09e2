#include "AnnotationWidget.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSlider>
#include <QSplitter>
#include <QToolBar>
#include <QVBoxLayout>

#include "AnnotationSession.h"
#include "SegmentTableWidget.h"
#include "SeriesBrowserDialog.h"
#include "SliceView.h"

namespace annotrace {

namespace {

struct ToolEntry {
  ToolState::Mode mode;
  const char* name;
  const char* shortcut;
  const char* help;
};

constexpr std::array<ToolEntry, 7> kTools{{
    {ToolState::Mode::Navigate, "Navigate", "V", "Click to move the crosshair"},
    {ToolState::Mode::Polygon, "Polygon", "P", "Click vertices; double-click or Enter closes"},
    {ToolState::Mode::Freehand, "Freehand", "D", "Draw a closed contour"},
    {ToolState::Mode::Brush, "Brush", "B", "Paint; [ and ] change the radius"},
    {ToolState::Mode::Eraser, "Eraser", "E", "Erase; [ and ] change the radius"},
    {ToolState::Mode::Scissors, "Scissors", "S", "Erase inside a drawn contour"},
    {ToolState::Mode::Fill, "Fill", "F", "Fill the enclosed region under the click"},
}};

}  // namespace

AnnotationWidget::AnnotationWidget(AnnotationSession* session, QWidget* parent)
    : QWidget(parent), session_(session) {
  auto* viewsArea = new QWidget(this);
  grid_ = new QGridLayout(viewsArea);
  grid_->setContentsMargins(0, 0, 0, 0);
  grid_->setSpacing(2);
  for (SliceOrientation family :
       {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal}) {
    auto* view = new SliceView(session_, &tools_, family, viewsArea);
    view->setObjectName(
        QStringLiteral("view_%1").arg(QLatin1String(orientationName(family).data())));
    views_[std::size_t(family)] = view;
    connect(view, &SliceView::crosshairMoved, this, [this](const Vec3& world) {
      for (SliceView* v : views_) v->setCrosshair(world);
    });
    connect(view, &SliceView::windowChanged, this, [this, view](const WindowLevel& w) {
      for (SliceView* v : views_) {
        if (v != view) v->setWindow(w);
      }
    });
    connect(view, &SliceView::cursorInfo, this,
            [this](const QString& text) { cursor_->setText(text); });
  }
  setSingleLayout(false);
  // Interpolate and propagate work on the view the user last worked in (the button takes the
  // focus when clicked, so the last focused view is remembered).
  connect(qApp, &QApplication::focusChanged, this, [this](QWidget*, QWidget* now) {
    for (SliceView* v : views_) {
      if (now == v) lastFamily_ = v->family();
    }
  });

  auto* panel = new QWidget(this);
  buildTools(panel);
  auto* splitter = new QSplitter(this);
  splitter->addWidget(viewsArea);
  splitter->addWidget(panel);
  splitter->setStretchFactor(0, 4);
  splitter->setStretchFactor(1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(splitter);

  connect(session_, &AnnotationSession::studyChanged, this, [this] {
    refreshWindowPresets();
    refreshUndoActions();
  });
  connect(session_, &AnnotationSession::segmentationChanged, this,
          &AnnotationWidget::refreshUndoActions);
  connect(session_, &AnnotationSession::stepDone, this,
          [this](const QString& step) { status_->setText(step); });
  connect(session_, &AnnotationSession::failed, this,
          [this](const QString& message) { status_->setText(tr("Not done: %1").arg(message)); });
  connect(session_, &AnnotationSession::busyChanged, this, [this](bool busy) {
    progress_->setVisible(busy);
    cancel_->setVisible(busy);
    if (busy) progress_->setValue(0);
  });
  connect(session_, &AnnotationSession::progress, this,
          [this](const QString& stage, double fraction) {
            progress_->setFormat(stage + QStringLiteral(" %p%"));
            progress_->setValue(int(fraction * 100));
          });
  connect(session_, &AnnotationSession::previewChanged, this, [this] {
    const bool has = session_->preview() != nullptr;
    accept_->setEnabled(has);
    discard_->setEnabled(has);
    if (has) {
      status_->setText(
          tr("Preview: %1 slices, %2 voxels — accept (Ctrl+Return) or discard (Ctrl+Backspace)")
              .arg(session_->preview()->patches.size())
              .arg(session_->preview()->voxelCount()));
    }
  });
  if (session_->hasStudy()) refreshWindowPresets();
}

void AnnotationWidget::buildTools(QWidget* panel) {
  auto* layout = new QVBoxLayout(panel);
  layout->setContentsMargins(4, 0, 0, 0);
  segments_ = new SegmentTableWidget(session_, panel);
  connect(segments_, &SegmentTableWidget::currentSegmentChanged, this, [this](const QString& name) {
    tools_.segment = name.toStdString();
    for (SliceView* v : views_) v->update();
  });
  layout->addWidget(segments_, 2);

  // Tools: one checkable action each, with its shortcut.
  auto* toolbar = new QToolBar(panel);
  auto* group = new QActionGroup(this);
  for (const ToolEntry& entry : kTools) {
    auto* action = toolbar->addAction(tr(entry.name));
    action->setObjectName(QStringLiteral("tool_%1").arg(QLatin1String(entry.name)));
    action->setCheckable(true);
    action->setShortcut(QKeySequence(QLatin1String(entry.shortcut)));
    action->setShortcutContext(Qt::WindowShortcut);
    action->setToolTip(QStringLiteral("%1 (%2): %3")
                           .arg(tr(entry.name), QLatin1String(entry.shortcut), tr(entry.help)));
    action->setChecked(entry.mode == ToolState::Mode::Navigate);
    group->addAction(action);
    const ToolState::Mode mode = entry.mode;
    connect(action, &QAction::triggered, this, [this, mode] { setTool(mode); });
  }
  layout->addWidget(toolbar);

  auto* form = new QFormLayout;
  radius_ = new QDoubleSpinBox(panel);
  radius_->setRange(0.5, 100);
  radius_->setSuffix(QStringLiteral(" mm"));
  radius_->setValue(tools_.radiusMm);
  connect(radius_, &QDoubleSpinBox::valueChanged, this, [this](double mm) {
    tools_.radiusMm = mm;
    for (SliceView* v : views_) v->update();
  });
  sphere_ = new QCheckBox(tr("sphere (3D)"), panel);
  connect(sphere_, &QCheckBox::toggled, this,
          [this](bool on) { tools_.shape = on ? BrushShape::Sphere : BrushShape::Circle; });
  auto* radiusRow = new QHBoxLayout;
  radiusRow->addWidget(radius_);
  radiusRow->addWidget(sphere_);
  form->addRow(tr("Brush radius"), radiusRow);
  for (auto [key, factor] : {std::pair{"[", 1 / 1.25}, std::pair{"]", 1.25}}) {
    auto* action = new QAction(this);
    action->setShortcut(QKeySequence(QLatin1String(key)));
    connect(action, &QAction::triggered, this,
            [this, f = factor] { setBrushRadius(tools_.radiusMm * f); });
    addAction(action);
  }

  rangeOn_ = new QCheckBox(tr("only"), panel);
  rangeMin_ = new QDoubleSpinBox(panel);
  rangeMax_ = new QDoubleSpinBox(panel);
  for (QDoubleSpinBox* box : {rangeMin_, rangeMax_}) box->setRange(-100000, 100000);
  rangeMin_->setValue(-100);
  rangeMax_->setValue(300);
  auto updateRange = [this] {
    if (rangeOn_->isChecked()) {
      tools_.constraints.intensityRange = IntensityRange{rangeMin_->value(), rangeMax_->value()};
    } else {
      tools_.constraints.intensityRange.reset();
    }
  };
  connect(rangeOn_, &QCheckBox::toggled, this, updateRange);
  connect(rangeMin_, &QDoubleSpinBox::valueChanged, this, updateRange);
  connect(rangeMax_, &QDoubleSpinBox::valueChanged, this, updateRange);
  auto* rangeRow = new QHBoxLayout;
  rangeRow->addWidget(rangeOn_);
  rangeRow->addWidget(rangeMin_);
  rangeRow->addWidget(rangeMax_);
  form->addRow(tr("Intensity"), rangeRow);

  area_ = new QComboBox(panel);
  area_->setObjectName(QStringLiteral("editableArea"));
  auto refreshAreas = [this] {
    const QString keep = area_->currentText();
    area_->blockSignals(true);
    area_->clear();
    area_->addItems({tr("Everywhere"), tr("Outside all segments")});
    if (session_->hasStudy()) {
      const Segmentation& seg = session_->segmentation();
      for (std::size_t p = 0; p < seg.segmentCount(); ++p) {
        area_->addItem(tr("Inside %1").arg(QString::fromStdString(seg.segmentAt(p).name)),
                       QString::fromStdString(seg.segmentAt(p).name));
      }
    }
    const int again = area_->findText(keep);
    area_->setCurrentIndex(again >= 0 ? again : 0);
    area_->blockSignals(false);
  };
  connect(session_, &AnnotationSession::segmentationChanged, this, refreshAreas);
  connect(area_, &QComboBox::currentIndexChanged, this, [this](int index) {
    EditableArea& area = tools_.constraints.editableArea;
    area.kind = index == 1   ? EditableArea::Kind::OutsideAllSegments
                : index >= 2 ? EditableArea::Kind::InsideSegment
                             : EditableArea::Kind::Everywhere;
    area.segment = index >= 2 ? area_->itemData(index).toString().toStdString() : std::string();
  });
  form->addRow(tr("Editable area"), area_);
  refreshAreas();

  auto* scissors = new QComboBox(panel);
  scissors->setObjectName(QStringLiteral("scissorsAction"));
  scissors->addItems(
      {tr("Erase inside"), tr("Erase outside"), tr("Fill inside"), tr("Fill outside")});
  connect(scissors, &QComboBox::currentIndexChanged, this, [this](int index) {
    static constexpr std::array<ScissorsAction, 4> kActions{
        ScissorsAction::EraseInside, ScissorsAction::EraseOutside, ScissorsAction::FillInside,
        ScissorsAction::FillOutside};
    tools_.scissors = kActions[std::size_t(std::max(0, index))];
  });
  form->addRow(tr("Scissors"), scissors);

  presets_ = new QComboBox(panel);
  presets_->setObjectName(QStringLiteral("windowPresets"));
  connect(presets_, &QComboBox::textActivated, this,
          [this](const QString& name) { applyWindowPreset(name); });
  form->addRow(tr("Window"), presets_);
  // 1-5: the CT presets in their order, 0: automatic.
  for (int key = 0; key <= 5; ++key) {
    auto* action = new QAction(this);
    action->setShortcut(QKeySequence(QString::number(key)));
    connect(action, &QAction::triggered, this, [this, key] {
      const auto presets = ctWindowPresets();
      if (key == 0) {
        applyWindowPreset(QStringLiteral("Automatic"));
      } else if (std::size_t(key) <= presets.size()) {
        applyWindowPreset(QString::fromStdString(presets[std::size_t(key - 1)].name));
      }
    });
    addAction(action);
  }

  opacity_ = new QSlider(Qt::Horizontal, panel);
  opacity_->setRange(0, 100);
  opacity_->setValue(40);
  connect(opacity_, &QSlider::valueChanged, this, [this](int value) {
    for (SliceView* v : views_) {
      v->overlay().fillOpacity = value / 100.0;
      v->refresh();
    }
  });
  auto* outline = new QCheckBox(tr("outline"), panel);
  outline->setChecked(true);
  connect(outline, &QCheckBox::toggled, this, [this](bool on) {
    for (SliceView* v : views_) {
      v->overlay().outline = on;
      v->refresh();
    }
  });
  auto* overlayRow = new QHBoxLayout;
  overlayRow->addWidget(opacity_);
  overlayRow->addWidget(outline);
  form->addRow(tr("Overlay"), overlayRow);
  layout->addLayout(form);

  // Undo / redo, layout.
  undo_ = new QAction(tr("Undo"), this);
  undo_->setObjectName(QStringLiteral("undo"));
  undo_->setShortcut(QKeySequence(QStringLiteral("Ctrl+Z")));
  redo_ = new QAction(tr("Redo"), this);
  redo_->setObjectName(QStringLiteral("redo"));
  redo_->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+Z")));
  connect(undo_, &QAction::triggered, session_, &AnnotationSession::undo);
  connect(redo_, &QAction::triggered, session_, &AnnotationSession::redo);
  auto* layoutToggle = new QAction(tr("1x1 / 2x2"), this);
  layoutToggle->setShortcut(QKeySequence(QStringLiteral("L")));
  connect(layoutToggle, &QAction::triggered, this,
          [this] { setSingleLayout(!single_, lastFamily_); });
  auto* edits = new QToolBar(panel);
  edits->addAction(undo_);
  edits->addAction(redo_);
  edits->addAction(layoutToggle);
  layout->addWidget(edits);

  // Interpolation and propagation previews.
  auto* propagation = new QGroupBox(tr("Fill slices"), panel);
  auto* grid = new QGridLayout(propagation);
  auto* interpolateButton = new QPushButton(tr("Interpolate (I)"), propagation);
  auto* propagateButton = new QPushButton(tr("Propagate (G)"), propagation);
  accept_ = new QPushButton(tr("Accept"), propagation);
  accept_->setObjectName(QStringLiteral("acceptPreview"));
  discard_ = new QPushButton(tr("Discard"), propagation);
  accept_->setEnabled(false);
  discard_->setEnabled(false);
  // Shortcuts as window actions, so they work whichever view has the focus.
  for (auto [button, keys] :
       {std::pair{accept_, "Ctrl+Return"}, std::pair{discard_, "Ctrl+Backspace"},
        std::pair{interpolateButton, "I"}, std::pair{propagateButton, "G"}}) {
    auto* action = new QAction(this);
    action->setShortcut(QKeySequence(QLatin1String(keys)));
    connect(action, &QAction::triggered, button, [button] {
      if (button->isEnabled()) button->click();
    });
    addAction(action);
  }
  grid->addWidget(interpolateButton, 0, 0);
  grid->addWidget(propagateButton, 0, 1);
  grid->addWidget(accept_, 1, 0);
  grid->addWidget(discard_, 1, 1);
  connect(interpolateButton, &QPushButton::clicked, this, &AnnotationWidget::interpolate);
  connect(propagateButton, &QPushButton::clicked, this, &AnnotationWidget::propagate);
  connect(accept_, &QPushButton::clicked, session_, &AnnotationSession::acceptPreview);
  connect(discard_, &QPushButton::clicked, session_, &AnnotationSession::discardPreview);
  layout->addWidget(propagation);

  progress_ = new QProgressBar(panel);
  progress_->setVisible(false);
  cancel_ = new QPushButton(tr("Cancel"), panel);
  cancel_->setVisible(false);
  connect(cancel_, &QPushButton::clicked, session_, &AnnotationSession::cancel);
  auto* progressRow = new QHBoxLayout;
  progressRow->addWidget(progress_);
  progressRow->addWidget(cancel_);
  layout->addLayout(progressRow);
  status_ = new QLabel(panel);
  status_->setObjectName(QStringLiteral("status"));
  status_->setWordWrap(true);
  cursor_ = new QLabel(panel);
  cursor_->setWordWrap(true);
  layout->addWidget(status_);
  layout->addWidget(cursor_);
  layout->addStretch(1);
}

void AnnotationWidget::setTool(ToolState::Mode mode) {
  tools_.mode = mode;
  for (QAction* a : findChildren<QAction*>()) {
    for (const ToolEntry& entry : kTools) {
      if (entry.mode == mode &&
          a->objectName() == QStringLiteral("tool_%1").arg(QLatin1String(entry.name))) {
        a->setChecked(true);
      }
    }
  }
  for (SliceView* v : views_) v->update();
}

void AnnotationWidget::setBrushRadius(double mm) {
  radius_->setValue(mm);
}

void AnnotationWidget::refreshWindowPresets() {
  presets_->clear();
  if (!session_->hasStudy()) return;
  const Volume& v = session_->volume();
  for (const WindowLevel& w : v.windowsFromFile)
    presets_->addItem(QString::fromStdString(w.name.empty() ? "File" : w.name));
  if (v.identity.modality == "CT" || v.units == "HU") {
    for (const WindowLevel& w : ctWindowPresets())
      presets_->addItem(QString::fromStdString(w.name));
  }
  presets_->addItem(QStringLiteral("Automatic"));
  presets_->setCurrentText(QString::fromStdString(v.defaultWindow().name));
}

bool AnnotationWidget::applyWindowPreset(const QString& name) {
  if (!session_->hasStudy()) return false;
  const Volume& v = session_->volume();
  std::optional<WindowLevel> chosen;
  for (const WindowLevel& w : ctWindowPresets()) {
    if (QString::fromStdString(w.name) == name) chosen = w;
  }
  for (const WindowLevel& w : v.windowsFromFile) {
    if (QString::fromStdString(w.name.empty() ? "File" : w.name) == name) chosen = w;
  }
  if (name == QStringLiteral("Automatic")) chosen = automaticWindow(v);
  if (!chosen) return false;
  for (SliceView* view : views_) view->setWindow(*chosen);
  presets_->setCurrentText(name);
  return true;
}

void AnnotationWidget::refreshUndoActions() {
  const QString u = session_->undoName(), r = session_->redoName();
  undo_->setEnabled(!u.isEmpty());
  redo_->setEnabled(!r.isEmpty());
  undo_->setText(u.isEmpty() ? tr("Undo") : tr("Undo %1").arg(u));
  redo_->setText(r.isEmpty() ? tr("Redo") : tr("Redo %1").arg(r));
}

void AnnotationWidget::setSingleLayout(bool single, SliceOrientation family) {
  single_ = single;
  lastFamily_ = family;
  for (SliceView* v : views_) grid_->removeWidget(v);
  if (fourth_) grid_->removeWidget(fourth_);
  if (single) {
    for (SliceView* v : views_) v->setVisible(v->family() == family);
    if (fourth_) fourth_->setVisible(false);
    grid_->addWidget(view(family), 0, 0);
    return;
  }
  grid_->addWidget(view(SliceOrientation::Axial), 0, 0);
  grid_->addWidget(view(SliceOrientation::Sagittal), 0, 1);
  grid_->addWidget(view(SliceOrientation::Coronal), 1, 0);
  if (fourth_) grid_->addWidget(fourth_, 1, 1);
  for (SliceView* v : views_) v->setVisible(true);
  if (fourth_) fourth_->setVisible(true);
}

void AnnotationWidget::setFourthPane(QWidget* pane) {
  fourth_ = pane;
  setSingleLayout(single_, lastFamily_);
}

QString AnnotationWidget::statusText() const {
  return status_->text();
}

void AnnotationWidget::interpolate() {
  if (tools_.segment.empty()) return;
  EditOperation op;
  op.tool = EditTool::Interpolate;
  op.plane = lastFamily_;
  op.segments = {tools_.segment};
  session_->computePreview(op);
}

void AnnotationWidget::propagate() {
  if (tools_.segment.empty()) return;
  EditOperation op;
  op.tool = EditTool::Propagate;
  op.segment = tools_.segment;
  op.plane = lastFamily_;
  op.slice = view(lastFamily_)->slice();
  session_->computePreview(op);
}

}  // namespace annotrace

namespace annotrace {

void AnnotationWidget::openStudy(const QString& path) {
  if (!QFileInfo(path).isDir()) {
    session_->open(path);
    return;
  }
  auto* browser = new SeriesBrowserDialog(path, this);
  browser->setAttribute(Qt::WA_DeleteOnClose);
  browser->setAcceptSingleStack(true);
  connect(browser, &QDialog::accepted, this,
          [this, browser, path] { session_->open(path, browser->chosenSeries()); });
  browser->open();
}

}  // namespace annotrace
