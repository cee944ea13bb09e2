#include "MainWindow.h"

#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPluginLoader>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QToolBar>

#include "WorkstationModule.h"

namespace annotrace {

namespace {
constexpr int kRecentCount = 10;
}

MainWindow::MainWindow(const QStringList& pluginFolders, QWidget* parent)
    : QMainWindow(parent), stack_(new QStackedWidget(this)), chooser_(new QComboBox(this)) {
  setWindowTitle(tr("Annotrace"));
  setCentralWidget(stack_);
  auto* bar = addToolBar(tr("Modules"));
  bar->setObjectName(QStringLiteral("modulesToolbar"));
  bar->addWidget(new QLabel(tr(" Module: "), this));
  bar->addWidget(chooser_);
  loadPlugins(pluginFolders);
  buildMenus();
  connect(chooser_, &QComboBox::currentIndexChanged, this, &MainWindow::selectModule);
  QSettings settings;
  restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
  restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
  const int last = chooser_->findText(settings.value(QStringLiteral("module/last")).toString());
  if (!modules_.empty()) {
    chooser_->setCurrentIndex(last >= 0 ? last : 0);
    selectModule(chooser_->currentIndex());
  } else {
    stack_->addWidget(new QLabel(tr("No module plugin was found in: %1\n%2")
                                     .arg(pluginFolders.join(QStringLiteral(", ")),
                                          pluginErrors_.join(QStringLiteral("\n"))),
                                 this));
  }
}

MainWindow::~MainWindow() = default;

void MainWindow::loadPlugins(const QStringList& folders) {
  QStringList names;
  for (const QString& folder : folders) {
    const QDir dir(folder);
    for (const QString& file : dir.entryList(QDir::Files)) {
      if (!QLibrary::isLibrary(file)) continue;
      auto* loader = new QPluginLoader(dir.absoluteFilePath(file), this);
      QObject* instance = loader->instance();
      auto* module = qobject_cast<WorkstationModule*>(instance);
      if (!module) {
        pluginErrors_ << tr("%1: %2").arg(file, loader->errorString());
        continue;
      }
      if (names.contains(module->name())) continue;  // an earlier folder's copy wins
      names << module->name();
      modules_.push_back(module);
      chooser_->addItem(module->name());
      stack_->addWidget(module->createWidget(stack_));
    }
  }
}

void MainWindow::selectModule(int index) {
  if (index < 0 || index >= int(modules_.size())) return;
  current_ = modules_[std::size_t(index)];
  stack_->setCurrentIndex(index);
  QSettings().setValue(QStringLiteral("module/last"), current_->name());
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("Open DICOM &folder…"), QKeySequence(QStringLiteral("Ctrl+Shift+O")), this,
                  [this] {
                    const QString folder = QFileDialog::getExistingDirectory(
                        this, tr("Open a DICOM folder"),
                        QSettings().value(QStringLiteral("paths/open")).toString());
                    if (!folder.isEmpty()) openStudy(folder);
                  });
  file->addAction(tr("&Open file…"), QKeySequence::Open, this, [this] {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open an image"), QSettings().value(QStringLiteral("paths/open")).toString(),
        tr("Images (*.nii *.nii.gz *.nrrd *.nhdr *.dcm);;All files (*)"));
    if (!path.isEmpty()) openStudy(path);
  });
  recent_ = file->addMenu(tr("Recent studies"));
  rebuildRecentMenu();
  file->addSeparator();
  file->addAction(tr("Open &labels…"), this, [this] {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open a label map"), QString(), tr("Label maps (*.nii *.nii.gz *.nrrd *.nhdr)"));
    if (!path.isEmpty() && current_) current_->openLabels(path);
  });
  file->addAction(tr("&Save labels…"), QKeySequence::Save, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Save the label map"), QString(),
                                                      tr("Label maps (*.nii.gz *.nrrd)"));
    if (!path.isEmpty() && current_ && current_->saveLabels(path)) {
      statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
    }
  });
  file->addAction(tr("Open labels from v&ault…"), this, [this] {
    if (current_ && current_->openFromVault(this)) {
      statusBar()->showMessage(tr("Opened the record's labels (decryption audited)"), 8000);
    }
  });
  file->addAction(tr("Save labels to &vault…"), QKeySequence(tr("Ctrl+Shift+S")), this, [this] {
    if (!current_) return;
    const QString id = current_->saveToVault(this);
    if (!id.isEmpty()) {
      statusBar()->showMessage(tr("Saved record %1 (signed, encrypted, audited)").arg(id.left(16)),
                               8000);
    }
  });
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("This module"), this, [this] {
    if (current_) QMessageBox::information(this, current_->name(), current_->help());
  });
  help->addAction(tr("Modules"), this, [this] {
    QStringList lines;
    for (WorkstationModule* m : modules_) lines << m->name();
    QMessageBox::information(
        this, tr("Modules"),
        tr("Loaded: %1\n%2")
            .arg(lines.join(QStringLiteral(", ")), pluginErrors_.join(QStringLiteral("\n"))));
  });
}

void MainWindow::openStudy(const QString& path) {
  if (!current_) return;
  QSettings().setValue(QStringLiteral("paths/open"), QFileInfo(path).absolutePath());
  rememberRecent(QFileInfo(path).absoluteFilePath());
  setWindowTitle(tr("Annotrace — %1").arg(QFileInfo(path).fileName()));
  current_->openStudy(path);
}

void MainWindow::rememberRecent(const QString& path) {
  QSettings settings;
  QStringList list = settings.value(QStringLiteral("recent")).toStringList();
  list.removeAll(path);
  list.prepend(path);
  while (list.size() > kRecentCount) list.removeLast();
  settings.setValue(QStringLiteral("recent"), list);
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  recent_->clear();
  const QStringList list = QSettings().value(QStringLiteral("recent")).toStringList();
  for (const QString& path : list) {
    recent_->addAction(path, this, [this, path] { openStudy(path); });
  }
  recent_->setEnabled(!list.isEmpty());
}

void MainWindow::closeEvent(QCloseEvent* event) {
  for (WorkstationModule* m : modules_) {
    if (!m->hasUnsavedChanges()) continue;
    const auto answer = QMessageBox::question(
        this, tr("Unsaved labels"),
        tr("The %1 module has edits that are not saved. Save them?").arg(m->name()),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Cancel) {
      event->ignore();
      return;
    }
    if (answer == QMessageBox::Save) {
      const QString path = QFileDialog::getSaveFileName(this, tr("Save the label map"), QString(),
                                                        tr("Label maps (*.nii.gz *.nrrd)"));
      if (path.isEmpty() || !m->saveLabels(path)) {
        event->ignore();
        return;
      }
    }
  }
  QSettings settings;
  settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
  settings.setValue(QStringLiteral("window/state"), saveState());
  event->accept();
}

}  // namespace annotrace
