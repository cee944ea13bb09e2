#include "AnnotationSession.h"

#include <QMetaObject>
#include <QPointer>
#include <QtConcurrent/QtConcurrentRun>

#include "IO/VolumeReader.h"
#include "Records/RecordStore.h"
#include "Records/SegmentationPayload.h"
#include "Records/SourceIdentity.h"
#include "Segmentation/TerminologyCatalog.h"

namespace annotrace {

AnnotationSession::AnnotationSession(QObject* parent) : QObject(parent) {}

AnnotationSession::~AnnotationSession() {
  cancel();
  watcher_.waitForFinished();
}

void AnnotationSession::setBusy(bool busy) {
  if (busy_ == busy) return;
  busy_ = busy;
  emit busyChanged(busy);
}

std::shared_ptr<Progress> AnnotationSession::newProgress() {
  cancel();
  watcher_.waitForFinished();
  QPointer<AnnotationSession> self(this);
  // Reports come from the worker: queued to the GUI thread.
  running_ = std::make_shared<Progress>([self](std::string_view stage, double fraction) {
    const QString text = QString::fromUtf8(stage.data(), qsizetype(stage.size()));
    QMetaObject::invokeMethod(
        self.data(),
        [self, text, fraction] {
          if (self) emit self->progress(text, fraction);
        },
        Qt::QueuedConnection);
  });
  return running_;
}

void AnnotationSession::cancel() {
  if (running_) running_->cancel();
}

template <typename Work, typename Deliver>
void AnnotationSession::runInBackground(Work work, Deliver deliver, const QString& cancelled) {
  const auto progress = newProgress();
  setBusy(true);
  QPointer<AnnotationSession> self(this);
  watcher_.setFuture(QtConcurrent::run([self, progress, work, deliver, cancelled] {
    // Results and errors are handed to the GUI thread; the session may be gone by then.
    auto onGuiThread = [self](auto fn) {
      QMetaObject::invokeMethod(
          self.data(),
          [self, fn] {
            if (!self) return;
            self->setBusy(false);
            fn(*self);
          },
          Qt::QueuedConnection);
    };
    try {
      auto result = std::make_shared<decltype(work(*progress))>(work(*progress));
      onGuiThread(
          [deliver, result](AnnotationSession& session) { deliver(session, std::move(*result)); });
    } catch (const std::exception& e) {
      const QString message = dynamic_cast<const OperationCancelled*>(&e)
                                  ? cancelled
                                  : QString::fromStdString(e.what());
      onGuiThread([message](AnnotationSession& session) { emit session.failed(message); });
    }
  }));
}

void AnnotationSession::open(const QString& path, const QString& seriesId) {
  VolumeReader::Options options;
  options.seriesId = seriesId.toStdString();
  const std::string file = path.toStdString();
  runInBackground(
      [file, options](const Progress& progress) {
        return VolumeReader::read(file, options, &progress);
      },
      [path](AnnotationSession& session, Volume volume) {
        session.studyPath_ = path;
        session.setStudy(std::move(volume));
      },
      QStringLiteral("Loading cancelled; nothing was opened."));
}

void AnnotationSession::setStudy(Volume volume, std::optional<LabelmapBundle> labels) {
  preview_.reset();
  editor_.reset();
  volume_ = std::make_unique<Volume>(std::move(volume));
  if (labels) {
    editor_ = std::make_unique<SegmentEditorLogic>(*volume_, std::move(labels->segmentation),
                                                   std::move(labels->history),
                                                   std::move(labels->operationLog));
  } else {
    editor_ = std::make_unique<SegmentEditorLogic>(*volume_, Segmentation(volume_->geometry()));
  }
  editor_->setTerminologyLookup([catalog = std::optional<TerminologyCatalog>()](
                                    std::string_view name, Segment& segment) mutable {
    if (!catalog) catalog = TerminologyCatalog::loadDefault();
    const auto* entry = catalog->find(name);
    if (!entry) return false;
    TerminologyCatalog::applyTo(*entry, segment);
    return true;
  });
  savedDigest_ = editor_->segmentation().contentDigest();
  emit studyChanged();
  emit segmentationChanged();
}

bool AnnotationSession::hasUnsavedChanges() const {
  return hasStudy() && editor_->segmentation().contentDigest() != savedDigest_;
}

void AnnotationSession::takeLabels(LabelmapBundle bundle) {
  Volume volume = std::move(*volume_);
  setStudy(std::move(volume), std::move(bundle));
}

bool AnnotationSession::openLabels(const QString& path) {
  if (!hasStudy()) return false;
  try {
    LabelmapBundle bundle = LabelmapFileIO::read(path.toStdString(), &volume_->geometry());
    takeLabels(std::move(bundle));
    return true;
  } catch (const std::exception& e) {
    emit failed(QString::fromStdString(e.what()));
    return false;
  }
}

bool AnnotationSession::saveLabels(const QString& path) {
  if (!hasStudy()) return false;
  try {
    LabelmapFileIO::write(editor_->segmentation(), path.toStdString(), &editor_->history(),
                          editor_->operationLog());
    savedDigest_ = editor_->segmentation().contentDigest();
    return true;
  } catch (const std::exception& e) {
    emit failed(QString::fromStdString(e.what()));
    return false;
  }
}

QString AnnotationSession::saveToVault(const QString& vaultFolder, const QString& member,
                                       const QString& passphrase, bool submit,
                                       const QString& parent) {
  if (!hasStudy()) return {};
  try {
    records::Vault vault = records::Vault::open(vaultFolder.toStdString());
    records::RecordInfo info;
    info.state = submit ? "submitted" : "draft";
    info.source = records::sourceIdentity(*volume_);
    if (!parent.isEmpty()) info.parents = {parent.toStdString()};
    const auto payload =
        records::SegmentationPayload::encode(editor_->segmentation(), editor_->operationLog());
    const records::UnlockedMember author =
        vault.unlock(member.toStdString(), passphrase.toStdString());
    records::RecordStore store(vault);
    const records::SavedRecord saved = store.save(author, info, payload);
    savedDigest_ = editor_->segmentation().contentDigest();
    return QString::fromStdString(saved.id);
  } catch (const std::exception& e) {
    emit failed(QString::fromStdString(e.what()));
    return {};
  }
}

std::vector<records::RecordSummary> AnnotationSession::vaultRecords(const QString& vaultFolder) {
  try {
    records::Vault vault = records::Vault::open(vaultFolder.toStdString());
    return records::RecordStore(vault).list();
  } catch (const std::exception& e) {
    emit failed(QString::fromStdString(e.what()));
    return {};
  }
}

bool AnnotationSession::openFromVault(const QString& vaultFolder, const QString& member,
                                      const QString& passphrase, const QString& recordId) {
  if (!hasStudy()) return false;
  try {
    records::Vault vault = records::Vault::open(vaultFolder.toStdString());
    const records::UnlockedMember reader =
        vault.unlock(member.toStdString(), passphrase.toStdString());
    records::RecordStore store(vault);
    const records::OpenedRecord opened = store.open(reader, recordId.toStdString());
    const std::string mismatch =
        records::sourceMismatch(opened.header.header.value("source", nlohmann::json()), *volume_);
    LabelmapBundle bundle = records::SegmentationPayload::decode(opened.plaintext);
    if (!mismatch.empty() || bundle.segmentation.geometry().size != volume_->geometry().size) {
      throw std::runtime_error("record " + opened.header.id.substr(0, 16) + ": " +
                               (mismatch.empty() ? "its grid is not this study's" : mismatch));
    }
    takeLabels(std::move(bundle));
    return true;
  } catch (const std::exception& e) {
    emit failed(QString::fromStdString(e.what()));
    return false;
  }
}

bool AnnotationSession::apply(const EditOperation& operation) {
  if (!hasStudy()) return false;
  if (busy_) {
    emit failed(tr("still working on the last request; wait for it or cancel it"));
    return false;
  }
  try {
    const EditResult result = editor_->apply(operation);
    if (result.changed) {
      emit segmentationChanged();
      emit stepDone(QString::fromStdString(result.stepName));
    }
    return true;
  } catch (const std::exception& e) {
    emit failed(QString::fromStdString(e.what()));
    return false;
  }
}

bool AnnotationSession::undo() {
  if (!hasStudy() || busy_ || !editor_->history().canUndo()) return false;
  const EditResult result = editor_->undo();
  emit segmentationChanged();
  emit stepDone(QStringLiteral("Undo: ") + QString::fromStdString(result.stepName));
  return true;
}

bool AnnotationSession::redo() {
  if (!hasStudy() || busy_ || !editor_->history().canRedo()) return false;
  const EditResult result = editor_->redo();
  emit segmentationChanged();
  emit stepDone(QStringLiteral("Redo: ") + QString::fromStdString(result.stepName));
  return true;
}

QString AnnotationSession::undoName() const {
  return hasStudy() ? QString::fromStdString(editor_->history().undoName()) : QString();
}

QString AnnotationSession::redoName() const {
  return hasStudy() ? QString::fromStdString(editor_->history().redoName()) : QString();
}

void AnnotationSession::computePreview(const EditOperation& operation) {
  if (!hasStudy()) return;
  discardPreview();
  previewOperation_ = operation;
  // The editor is only read while the preview is computed; edits wait (busy).
  const SegmentEditorLogic* editor = editor_.get();
  runInBackground([editor, operation](
                      const Progress& progress) { return editor->preview(operation, &progress); },
                  [](AnnotationSession& session, SegmentationPreview preview) {
                    session.preview_ = std::move(preview);
                    emit session.previewChanged();
                  },
                  QStringLiteral("Cancelled; nothing was changed."));
}

bool AnnotationSession::acceptPreview() {
  if (!preview_ || busy_) return false;
  try {
    const EditResult result = editor_->accept(*preview_, previewOperation_);
    preview_.reset();
    emit previewChanged();
    emit segmentationChanged();
    if (result.changed) emit stepDone(QString::fromStdString(result.stepName));
    return true;
  } catch (const std::exception& e) {
    emit failed(QString::fromStdString(e.what()));
    return false;
  }
}

void AnnotationSession::discardPreview() {
  if (!preview_) return;
  preview_.reset();
  emit previewChanged();
}

}  // namespace annotrace
