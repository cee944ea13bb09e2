#pragma once

#include <QDialog>

class QLineEdit;
class QTreeWidget;

namespace annotrace {

class AnnotationSession;

/// Chooses a record of a vault to open onto the study: the vault folder, the records it holds
/// (id, author, time, status, decision; read through the session, no passphrase needed), the
/// member and the passphrase to decrypt with.
class VaultOpenDialog : public QDialog {
  Q_OBJECT
 public:
  explicit VaultOpenDialog(AnnotationSession& session, QWidget* parent = nullptr);

  QString vaultFolder() const;
  QString member() const;
  QString passphrase() const;
  QString recordId() const;  ///< the selected record's full id, or empty
  /// Re-reads the vault's records into the list.
  void refresh();

 private:
  AnnotationSession& session_;
  QLineEdit* folder_;
  QLineEdit* member_;
  QLineEdit* passphrase_;
  QTreeWidget* records_;
};

}  // namespace annotrace
