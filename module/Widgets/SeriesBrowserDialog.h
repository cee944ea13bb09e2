#pragma once

#include <QDialog>
#include <QFutureWatcher>

#include <memory>

#include "Core/Progress.h"
#include "IO/DicomSeries.h"

class QLabel;
class QProgressBar;
class QTreeWidget;

namespace annotrace {

/// What a DICOM folder holds, before anything is loaded: every stack the scanner found with its
/// description, modality, slices and the warnings the headers already give (tilt, gaps,
/// localizers, split series), non-image series (SEG, RTSTRUCT) greyed out, and the files that
/// are not DICOM. The headers are read in the background with progress and cancel.
class SeriesBrowserDialog : public QDialog {
  Q_OBJECT
 public:
  explicit SeriesBrowserDialog(const QString& folder, QWidget* parent = nullptr);
  ~SeriesBrowserDialog() override;

  /// Scans now, on the calling thread (tests); the dialog scans in the background when shown.
  void scanNow();
  /// The image stacks found, in the order listed.
  const std::vector<const DicomSeries*>& imageSeries() const { return images_; }
  /// The id (DicomSeries::id) of the chosen stack; empty when none.
  QString chosenSeries() const;
  QTreeWidget* tree() const { return tree_; }
  /// When the folder holds exactly one image stack, accept it without waiting for the user.
  void setAcceptSingleStack(bool on) { acceptSingle_ = on; }

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void fill();
  QString folder_;
  std::shared_ptr<Progress> progress_;
  QFutureWatcher<void> watcher_;
  DicomScanResult result_;
  std::vector<const DicomSeries*> images_;
  bool scanned_ = false;
  bool acceptSingle_ = false;
  QTreeWidget* tree_;
  QProgressBar* bar_;
  QLabel* summary_;
};

}  // namespace annotrace
