#include "VaultSaveDialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>

namespace annotrace {

VaultSaveDialog::VaultSaveDialog(QWidget* parent)
    : QDialog(parent),
      folder_(new QLineEdit(this)),
      member_(new QLineEdit(this)),
      passphrase_(new QLineEdit(this)),
      submit_(new QCheckBox(tr("Submit for review"), this)) {
  setWindowTitle(tr("Save labels to a vault"));
  const QSettings settings;
  folder_->setText(settings.value("vault/folder").toString());
  member_->setText(settings.value("vault/member").toString());
  passphrase_->setEchoMode(QLineEdit::Password);
  auto* browse = new QPushButton(tr("Browse…"), this);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString folder =
        QFileDialog::getExistingDirectory(this, tr("Vault folder"), folder_->text());
    if (!folder.isEmpty()) folder_->setText(folder);
  });
  auto* folderRow = new QHBoxLayout;
  folderRow->addWidget(folder_);
  folderRow->addWidget(browse);
  auto* form = new QFormLayout(this);
  form->addRow(tr("Vault"), folderRow);
  form->addRow(tr("Member"), member_);
  form->addRow(tr("Passphrase"), passphrase_);
  form->addRow(QString(), submit_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  form->addRow(buttons);
  if (!member_->text().isEmpty()) passphrase_->setFocus();
}

QString VaultSaveDialog::vaultFolder() const {
  return folder_->text();
}
QString VaultSaveDialog::member() const {
  return member_->text().trimmed();
}
QString VaultSaveDialog::passphrase() const {
  return passphrase_->text();
}
bool VaultSaveDialog::submit() const {
  return submit_->isChecked();
}

void VaultSaveDialog::remember() const {
  QSettings settings;
  settings.setValue("vault/folder", vaultFolder());
  settings.setValue("vault/member", member());
}

}  // namespace annotrace
