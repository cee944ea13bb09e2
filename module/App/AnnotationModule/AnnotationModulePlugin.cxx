#include "AnnotationModulePlugin.h"

#include <QApplication>
#include <QMessageBox>

#include <array>
#include <map>
#include <memory>
#include <tuple>

#include "AnnotationSession.h"
#include "AnnotationWidget.h"
#include "VaultOpenDialog.h"
#include "VaultSaveDialog.h"
#ifdef ANNOTRACE_HAVE_VIEW3D
#include "SurfaceView3D.h"
#endif

namespace annotrace {

AnnotationModulePlugin::AnnotationModulePlugin() : session_(new AnnotationSession(this)) {}

QString AnnotationModulePlugin::name() const {
  return QStringLiteral("Annotation");
}

QString AnnotationModulePlugin::help() const {
  return tr(
      "Draw segments slice by slice on the axial, coronal and sagittal views, then fill "
      "the slices between with Interpolate (I) or carry a slice through the image with "
      "Propagate (G); both show a preview to accept (Ctrl+Return) or discard. Tools: "
      "V navigate, P polygon, D freehand, B brush, E eraser, S scissors, F fill; [ ] "
      "brush radius; Ctrl+Z / Ctrl+Shift+Z undo and redo; L switches 1x1 / 2x2. Wheel "
      "scrolls slices, Ctrl+wheel zooms, middle-drag pans, right-drag sets window/level.");
}

QWidget* AnnotationModulePlugin::createWidget(QWidget* parent) {
  if (!widget_) {
    widget_ = new AnnotationWidget(session_, parent);
#ifdef ANNOTRACE_HAVE_VIEW3D
    if (SurfaceView3D::available()) {
      auto* view3d = new SurfaceView3D(widget_);
      widget_->setFourthPane(view3d);
      // A new study shows everything and frames it; an edit rebuilds only the segments it
      // changed (voxel count, visibility or colour), so the camera stays where the user put it.
      auto shown = std::make_shared<
          std::map<SegmentId, std::tuple<std::size_t, bool, std::array<std::uint8_t, 3>>>>();
      auto snapshot = [this] {
        std::map<SegmentId, std::tuple<std::size_t, bool, std::array<std::uint8_t, 3>>> state;
        const Segmentation& seg = session_->segmentation();
        for (std::size_t p = 0; p < seg.segmentCount(); ++p) {
          const Segment& s = seg.segmentAt(p);
          state[s.id] = {seg.maskAt(p).count(), s.visible, s.color};
        }
        return state;
      };
      QObject::connect(session_, &AnnotationSession::studyChanged, view3d,
                       [this, view3d, shown, snapshot] {
                         if (!session_->hasStudy()) return;
                         view3d->setSegmentation(session_->segmentation());
                         *shown = snapshot();
                       });
      QObject::connect(session_, &AnnotationSession::segmentationChanged, view3d,
                       [this, view3d, shown, snapshot] {
                         if (!session_->hasStudy()) return;
                         auto now = snapshot();
                         for (const auto& [id, state] : now) {
                           const auto before = shown->find(id);
                           if (before == shown->end() || before->second != state) {
                             view3d->updateSegment(session_->segmentation(), id);
                           }
                         }
                         for (const auto& [id, state] : *shown) {
                           if (!now.count(id)) view3d->removeSegment(id);
                         }
                         *shown = std::move(now);
                       });
    }
#endif
  }
  return widget_;
}

QObject* AnnotationModulePlugin::logic() {
  return session_;
}

bool AnnotationModulePlugin::openStudy(const QString& path) {
  if (widget_) {
    widget_->openStudy(path);
  } else {
    session_->open(path);
  }
  return true;
}

bool AnnotationModulePlugin::openLabels(const QString& path) {
  return session_->openLabels(path);
}

bool AnnotationModulePlugin::saveLabels(const QString& path) {
  return session_->saveLabels(path);
}

QString AnnotationModulePlugin::saveToVault(QWidget* parent) {
  if (!session_->hasStudy()) return {};
  VaultSaveDialog dialog(parent);
  while (dialog.exec() == QDialog::Accepted) {
    QString problem;
    const auto connection =
        QObject::connect(session_, &AnnotationSession::failed,
                         [&problem](const QString& message) { problem = message; });
    QApplication::setOverrideCursor(Qt::WaitCursor);  // the unlock takes about 0.4 s (scrypt)
    const QString id = session_->saveToVault(dialog.vaultFolder(), dialog.member(),
                                             dialog.passphrase(), dialog.submit());
    QApplication::restoreOverrideCursor();
    QObject::disconnect(connection);
    if (!id.isEmpty()) {
      dialog.remember();
      return id;
    }
    QMessageBox::warning(parent, QObject::tr("Not saved"), problem);
  }
  return {};
}

bool AnnotationModulePlugin::openFromVault(QWidget* parent) {
  if (!session_->hasStudy()) return false;
  VaultOpenDialog dialog(*session_, parent);
  while (dialog.exec() == QDialog::Accepted) {
    if (dialog.recordId().isEmpty()) continue;
    QString problem;
    const auto connection =
        QObject::connect(session_, &AnnotationSession::failed,
                         [&problem](const QString& message) { problem = message; });
    QApplication::setOverrideCursor(Qt::WaitCursor);  // the unlock takes about 0.4 s (scrypt)
    const bool opened = session_->openFromVault(dialog.vaultFolder(), dialog.member(),
                                                dialog.passphrase(), dialog.recordId());
    QApplication::restoreOverrideCursor();
    QObject::disconnect(connection);
    if (opened) return true;
    QMessageBox::warning(parent, QObject::tr("Not opened"), problem);
  }
  return false;
}

bool AnnotationModulePlugin::hasUnsavedChanges() const {
  return session_->hasUnsavedChanges();
}

}  // namespace annotrace
