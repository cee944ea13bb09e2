#pragma once

#include <QDialog>

class QCheckBox;
class QLineEdit;

namespace annotrace {

/// Asks where and as whom to save the labels as a record: the vault folder, the member id,
/// the passphrase (never shown, never stored) and whether to submit the record for review.
/// The vault folder and the member are remembered between sessions (QSettings).
class VaultSaveDialog : public QDialog {
  Q_OBJECT
 public:
  explicit VaultSaveDialog(QWidget* parent = nullptr);

  QString vaultFolder() const;
  QString member() const;
  QString passphrase() const;
  bool submit() const;
  /// Keeps the folder and member for next time (call after a successful save).
  void remember() const;

 private:
  QLineEdit* folder_;
  QLineEdit* member_;
  QLineEdit* passphrase_;
  QCheckBox* submit_;
};

}  // namespace annotrace
