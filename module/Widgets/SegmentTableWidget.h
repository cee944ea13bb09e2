#pragma once

#include <QWidget>

class QJsonValue;
class QTableWidget;
class QPushButton;

namespace annotrace {

class AnnotationSession;

/// The segment table: colour, name, visibility, lock, status and volume of every segment, with
/// add (from the terminology catalog or a free name), delete and colour. Every change is an
/// edit operation through the session, so it can be undone.
class SegmentTableWidget : public QWidget {
  Q_OBJECT
 public:
  explicit SegmentTableWidget(AnnotationSession* session, QWidget* parent = nullptr);
  QString currentSegment() const;
  void setCurrentSegment(const QString& name);
  /// Adds a segment without a dialog (terminology name when the catalog knows it).
  void addSegment(const QString& name);
  QTableWidget* table() const { return table_; }

 signals:
  void currentSegmentChanged(const QString& name);

 private slots:
  void rebuild();
  void cellChanged(int row, int column);
  void cellClicked(int row, int column);
  void addFromDialog();
  void removeCurrent();

 private:
  void update(const QString& segment, const char* member, const QJsonValue& value);
  AnnotationSession* session_;
  QTableWidget* table_;
  QPushButton* remove_;
  bool rebuilding_ = false;
  QString current_;
  QString announced_;  ///< the last current segment signalled
};

}  // namespace annotrace
