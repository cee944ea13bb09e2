#include "VaultOpenDialog.h"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QTreeWidget>

#include "AnnotationSession.h"

namespace annotrace {

VaultOpenDialog::VaultOpenDialog(AnnotationSession& session, QWidget* parent)
    : QDialog(parent),
      session_(session),
      folder_(new QLineEdit(this)),
      member_(new QLineEdit(this)),
      passphrase_(new QLineEdit(this)),
      records_(new QTreeWidget(this)) {
  setWindowTitle(tr("Open labels from a vault"));
  const QSettings settings;
  folder_->setText(settings.value("vault/folder").toString());
  member_->setText(settings.value("vault/member").toString());
  passphrase_->setEchoMode(QLineEdit::Password);
  records_->setHeaderLabels(
      {tr("Record"), tr("Author"), tr("Saved (UTC)"), tr("Status"), tr("Decision")});
  records_->setRootIsDecorated(false);
  records_->header()->setStretchLastSection(true);
  auto* browse = new QPushButton(tr("Browse…"), this);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString folder =
        QFileDialog::getExistingDirectory(this, tr("Vault folder"), folder_->text());
    if (!folder.isEmpty()) {
      folder_->setText(folder);
      refresh();
    }
  });
  connect(folder_, &QLineEdit::editingFinished, this, &VaultOpenDialog::refresh);
  auto* folderRow = new QHBoxLayout;
  folderRow->addWidget(folder_);
  folderRow->addWidget(browse);
  auto* form = new QFormLayout(this);
  form->addRow(tr("Vault"), folderRow);
  form->addRow(records_);
  form->addRow(tr("Member"), member_);
  form->addRow(tr("Passphrase"), passphrase_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Open | QDialogButtonBox::Cancel, this);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  form->addRow(buttons);
  resize(720, 420);
  if (!folder_->text().isEmpty()) refresh();
}

void VaultOpenDialog::refresh() {
  records_->clear();
  if (folder_->text().isEmpty()) return;
  for (const auto& record : session_.vaultRecords(folder_->text())) {
    QString decision;
    if (!record.lastReviewer.empty()) {
      decision = QString::fromStdString(record.lastReviewer + ": " + record.lastReason);
    }
    auto* item = new QTreeWidgetItem(
        records_, {QString::fromStdString(record.id.substr(0, 16)),
                   QString::fromStdString(record.author), QString::fromStdString(record.createdUtc),
                   QString::fromStdString(record.status), decision});
    item->setData(0, Qt::UserRole, QString::fromStdString(record.id));
  }
  if (records_->topLevelItemCount() > 0) {
    records_->setCurrentItem(records_->topLevelItem(records_->topLevelItemCount() - 1));
  }
}

QString VaultOpenDialog::vaultFolder() const {
  return folder_->text();
}
QString VaultOpenDialog::member() const {
  return member_->text().trimmed();
}
QString VaultOpenDialog::passphrase() const {
  return passphrase_->text();
}
QString VaultOpenDialog::recordId() const {
  const QTreeWidgetItem* item = records_->currentItem();
  return item ? item->data(0, Qt::UserRole).toString() : QString();
}

}  // namespace annotrace
