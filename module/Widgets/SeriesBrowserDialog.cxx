#include "SeriesBrowserDialog.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QMetaObject>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include "IO/DicomFolderScanner.h"

namespace annotrace {

namespace {
enum Column { kNumber, kDescription, kModality, kSlices, kMatrix, kWarnings, kColumns };
}

SeriesBrowserDialog::SeriesBrowserDialog(const QString& folder, QWidget* parent)
    : QDialog(parent),
      folder_(folder),
      tree_(new QTreeWidget(this)),
      bar_(new QProgressBar(this)),
      summary_(new QLabel(this)) {
  setWindowTitle(tr("Series in %1").arg(folder));
  tree_->setColumnCount(kColumns);
  tree_->setHeaderLabels(
      {tr("#"), tr("Description"), tr("Modality"), tr("Slices"), tr("Matrix"), tr("Warnings")});
  tree_->header()->setSectionResizeMode(kWarnings, QHeaderView::Stretch);
  tree_->setRootIsDecorated(false);
  tree_->setWordWrap(true);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Open | QDialogButtonBox::Cancel, this);
  buttons->button(QDialogButtonBox::Open)->setEnabled(false);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, [this] {
    if (progress_) progress_->cancel();
    reject();
  });
  connect(tree_, &QTreeWidget::itemSelectionChanged, this, [this, buttons] {
    buttons->button(QDialogButtonBox::Open)->setEnabled(!chosenSeries().isEmpty());
  });
  connect(tree_, &QTreeWidget::itemDoubleClicked, this, [this] {
    if (!chosenSeries().isEmpty()) accept();
  });
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(tree_);
  layout->addWidget(bar_);
  layout->addWidget(summary_);
  layout->addWidget(buttons);
  resize(900, 420);
}

SeriesBrowserDialog::~SeriesBrowserDialog() {
  if (progress_) progress_->cancel();
  watcher_.waitForFinished();
}

void SeriesBrowserDialog::scanNow() {
  result_ = DicomFolderScanner::scan(folder_.toStdString());
  scanned_ = true;
  fill();
}

void SeriesBrowserDialog::showEvent(QShowEvent* event) {
  QDialog::showEvent(event);
  if (scanned_ || watcher_.isRunning()) return;
  QPointer<SeriesBrowserDialog> self(this);
  progress_ = std::make_shared<Progress>([self](std::string_view, double fraction) {
    QMetaObject::invokeMethod(
        self.data(),
        [self, fraction] {
          if (self) self->bar_->setValue(int(fraction * 100));
        },
        Qt::QueuedConnection);
  });
  const std::string folder = folder_.toStdString();
  auto progress = progress_;
  watcher_.setFuture(QtConcurrent::run([self, folder, progress] {
    auto result = std::make_shared<DicomScanResult>();
    QString error;
    try {
      *result = DicomFolderScanner::scan(folder, progress.get());
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    }
    QMetaObject::invokeMethod(
        self.data(),
        [self, result, error] {
          if (!self) return;
          self->bar_->hide();
          if (!error.isEmpty()) {
            self->summary_->setText(tr("Could not read the folder: %1").arg(error));
            return;
          }
          self->result_ = std::move(*result);
          self->scanned_ = true;
          self->fill();
        },
        Qt::QueuedConnection);
  }));
}

void SeriesBrowserDialog::fill() {
  bar_->hide();
  tree_->clear();
  images_ = result_.imageSeries();
  for (const DicomSeries& s : result_.series) {
    auto* item = new QTreeWidgetItem(tree_);
    item->setText(kNumber, QString::fromStdString(s.identity.seriesNumber));
    item->setText(kDescription, QString::fromStdString(s.identity.seriesDescription.empty()
                                                           ? s.id
                                                           : s.identity.seriesDescription));
    item->setText(kModality, QString::fromStdString(s.identity.modality));
    item->setText(kSlices, QString::number(s.sliceCount()));
    if (!s.frames.empty()) {
      item->setText(
          kMatrix,
          QStringLiteral("%1 x %2").arg(s.frames.front().columns).arg(s.frames.front().rows));
    }
    QStringList warnings;
    for (const LoadWarning& w : s.warnings) warnings << QString::fromStdString(w.message);
    if (s.kind != DicomSeriesKind::Image) {
      warnings.prepend(tr("%1: not an image, cannot be opened here")
                           .arg(QString::fromLatin1(seriesKindName(s.kind).data())));
      item->setFlags(Qt::NoItemFlags);
    }
    item->setText(kWarnings, warnings.join(QStringLiteral("; ")));
    item->setToolTip(kWarnings, warnings.join(QStringLiteral("\n")));
    item->setData(kNumber, Qt::UserRole, QString::fromStdString(s.id));
  }
  summary_->setText(tr("%1 files examined, %2 image stacks, %3 files not readable as DICOM")
                        .arg(result_.filesExamined)
                        .arg(images_.size())
                        .arg(result_.unreadableFiles.size()));
  int openable = 0;
  for (int n = tree_->topLevelItemCount() - 1; n >= 0; --n) {
    if (tree_->topLevelItem(n)->flags() & Qt::ItemIsEnabled) {
      tree_->setCurrentItem(tree_->topLevelItem(n));
      ++openable;
    }
  }
  if (acceptSingle_ && openable == 1 && isVisible()) {
    QMetaObject::invokeMethod(this, &QDialog::accept, Qt::QueuedConnection);
  }
}

QString SeriesBrowserDialog::chosenSeries() const {
  const QTreeWidgetItem* item = tree_->currentItem();
  if (!item || !(item->flags() & Qt::ItemIsEnabled)) return {};
  return item->data(kNumber, Qt::UserRole).toString();
}

}  // namespace annotrace
