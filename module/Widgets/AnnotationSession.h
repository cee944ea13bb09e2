#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include <memory>
#include <optional>
#include <vector>

#include "Core/Progress.h"
#include "Records/RecordStore.h"
#include "Segmentation/EditOperation.h"
#include "Segmentation/LabelmapFileIO.h"
#include "Segmentation/SegmentEditorLogic.h"
#include "Segmentation/SegmentationPreview.h"
#include "Volume/Volume.h"

namespace annotrace {

/// The study open in the workstation and its editor: the one place the views and panels go
/// through to read and change the segmentation (Logic does the work; this turns its results
/// and errors into signals). Long work (loading, interpolation, propagation) runs on a worker
/// thread with progress and cancel; the GUI thread only hands results over.
class AnnotationSession : public QObject {
  Q_OBJECT
 public:
  explicit AnnotationSession(QObject* parent = nullptr);
  ~AnnotationSession() override;

  /// Opens a volume (DICOM folder or file, NIfTI, NRRD) in the background; studyChanged() or
  /// failed() follows. A second call cancels the first.
  void open(const QString& path, const QString& seriesId = {});
  /// Takes an already loaded volume (tests, the host's own loaders).
  void setStudy(Volume volume, std::optional<LabelmapBundle> labels = std::nullopt);
  /// Loads a label map onto the open volume's grid (must match it).
  bool openLabels(const QString& path);
  /// Saves the segmentation with its history and edit log.
  bool saveLabels(const QString& path);
  /// Saves the segmentation as a label record in a vault (Docs/Vault.md): unlocks `member`
  /// with `passphrase` (about 0.4 s, scrypt), encrypts, signs and commits the record with its
  /// audit entry, tied to the open series. Returns the record id, or an empty string after
  /// failed() (wrong passphrase, not a member, not a vault, ...). `parent` may name the record
  /// this one revises.
  QString saveToVault(const QString& vaultFolder, const QString& member, const QString& passphrase,
                      bool submit, const QString& parent = {});
  /// The records of a vault, for a chooser (headers and log only: no passphrase). Empty after
  /// failed() when the folder is not a vault.
  std::vector<records::RecordSummary> vaultRecords(const QString& vaultFolder);
  /// Decrypts a record (audited) and loads its labels onto the open study; the record must
  /// have been made on this series and grid. false after failed() (wrong passphrase, removed
  /// member, another series, a record that fails verification, ...).
  bool openFromVault(const QString& vaultFolder, const QString& member, const QString& passphrase,
                     const QString& recordId);

  bool hasStudy() const { return editor_ != nullptr; }
  /// True when the segmentation differs from what was last opened or saved.
  bool hasUnsavedChanges() const;
  const Volume& volume() const { return *volume_; }
  const Segmentation& segmentation() const { return editor_->segmentation(); }
  const SegmentEditorLogic& editor() const { return *editor_; }
  QString studyPath() const { return studyPath_; }

  /// Applies an edit; on error emits failed() with Logic's message and returns false.
  bool apply(const EditOperation& operation);
  bool undo();
  bool redo();
  QString undoName() const;
  QString redoName() const;

  /// Interpolation or propagation as a preview, computed in the background.
  void computePreview(const EditOperation& operation);
  const SegmentationPreview* preview() const { return preview_ ? &*preview_ : nullptr; }
  bool acceptPreview();
  void discardPreview();

  bool busy() const { return busy_; }
  /// Cancels the running background work (loading or a preview).
  void cancel();

 signals:
  void studyChanged();
  void segmentationChanged();
  void previewChanged();
  void progress(const QString& stage, double fraction);
  void busyChanged(bool busy);
  void failed(const QString& message);
  void stepDone(const QString& stepName);

 private:
  void setBusy(bool busy);
  /// Replaces the labels of the open study (same volume, new editor and history).
  void takeLabels(LabelmapBundle bundle);
  /// Runs work(progress) on the thread pool; deliver(session, result) or failed() follow on the
  /// GUI thread. Starting new work cancels the running one.
  template <typename Work, typename Deliver>
  void runInBackground(Work work, Deliver deliver, const QString& cancelled);
  std::shared_ptr<Progress> newProgress();

  std::unique_ptr<Volume> volume_;
  std::unique_ptr<SegmentEditorLogic> editor_;
  std::optional<SegmentationPreview> preview_;
  EditOperation previewOperation_;
  QString studyPath_;
  std::uint64_t savedDigest_ = 0;  ///< Segmentation::contentDigest() when last opened or saved
  std::shared_ptr<Progress> running_;
  bool busy_ = false;
  QFutureWatcher<void> watcher_;
};

}  // namespace annotrace
