#include "SegmentTableWidget.h"

#include <QColorDialog>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QJsonArray>
#include <QJsonValue>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include "AnnotationSession.h"
#include "Segmentation/TerminologyCatalog.h"

namespace annotrace {

namespace {

enum Column { kColour, kName, kVisible, kLocked, kStatus, kVolume, kColumns };
constexpr std::array<SegmentStatus, 4> kStatuses{SegmentStatus::NotStarted,
                                                 SegmentStatus::InProgress,
                                                 SegmentStatus::Completed, SegmentStatus::Flagged};

nlohmann::json toJson(const QJsonValue& v) {
  if (v.isBool()) return v.toBool();
  if (v.isDouble()) return v.toDouble();
  if (v.isArray()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& x : v.toArray()) out.push_back(x.toInt());
    return out;
  }
  return v.toString().toStdString();
}

}  // namespace

SegmentTableWidget::SegmentTableWidget(AnnotationSession* session, QWidget* parent)
    : QWidget(parent), session_(session), table_(new QTableWidget(0, kColumns, this)) {
  table_->setHorizontalHeaderLabels(
      {"", tr("Segment"), tr("Show"), tr("Lock"), tr("Status"), tr("mL")});
  table_->horizontalHeader()->setSectionResizeMode(kName, QHeaderView::Stretch);
  table_->setColumnWidth(kColour, 24);
  table_->horizontalHeader()->setSectionResizeMode(kStatus, QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setSectionResizeMode(kVolume, QHeaderView::ResizeToContents);
  table_->setMinimumWidth(420);
  for (int column : {kVisible, kLocked}) table_->setColumnWidth(column, 44);
  table_->verticalHeader()->hide();
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  auto* add = new QPushButton(tr("Add…"), this);
  remove_ = new QPushButton(tr("Delete"), this);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(add);
  buttons->addWidget(remove_);
  buttons->addStretch();
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(table_);
  layout->addLayout(buttons);
  connect(add, &QPushButton::clicked, this, &SegmentTableWidget::addFromDialog);
  connect(remove_, &QPushButton::clicked, this, &SegmentTableWidget::removeCurrent);
  connect(table_, &QTableWidget::cellChanged, this, &SegmentTableWidget::cellChanged);
  connect(table_, &QTableWidget::cellClicked, this, &SegmentTableWidget::cellClicked);
  connect(table_, &QTableWidget::currentCellChanged, this, [this](int row) {
    if (rebuilding_ || row < 0 || !table_->item(row, kName)) return;
    current_ = table_->item(row, kName)->data(Qt::UserRole).toString();
    announced_ = current_;
    emit currentSegmentChanged(current_);
  });
  connect(session_, &AnnotationSession::segmentationChanged, this, &SegmentTableWidget::rebuild);
  connect(session_, &AnnotationSession::studyChanged, this, &SegmentTableWidget::rebuild);
}

QString SegmentTableWidget::currentSegment() const {
  return current_;
}

void SegmentTableWidget::setCurrentSegment(const QString& name) {
  for (int row = 0; row < table_->rowCount(); ++row) {
    if (table_->item(row, kName)->data(Qt::UserRole).toString() == name) {
      table_->setCurrentCell(row, kName);
      current_ = announced_ = name;
      emit currentSegmentChanged(name);
      return;
    }
  }
}

void SegmentTableWidget::rebuild() {
  if (!session_->hasStudy()) return;
  rebuilding_ = true;
  const Segmentation& seg = session_->segmentation();
  const ImageGeometry& g = seg.geometry();
  const double voxelMl = g.spacing[0] * g.spacing[1] * g.spacing[2] / 1000.0;
  table_->setRowCount(int(seg.segmentCount()));
  int currentRow = -1;
  for (std::size_t p = 0; p < seg.segmentCount(); ++p) {
    const Segment& s = seg.segmentAt(p);
    const int row = int(p);
    auto* colour = new QTableWidgetItem;
    colour->setBackground(QColor(s.color[0], s.color[1], s.color[2]));
    colour->setFlags(Qt::ItemIsEnabled);
    colour->setToolTip(tr("Click to change the colour"));
    table_->setItem(row, kColour, colour);
    auto* name = new QTableWidgetItem(QString::fromStdString(s.name));
    name->setData(Qt::UserRole, QString::fromStdString(s.name));
    if (!s.terminology.type.empty()) {
      name->setToolTip(QString::fromStdString(s.terminology.type.meaning + " (" +
                                              s.terminology.type.scheme + " " +
                                              s.terminology.type.value + ")"));
    }
    table_->setItem(row, kName, name);
    for (auto [column, on] : {std::pair{kVisible, s.visible}, std::pair{kLocked, s.locked}}) {
      auto* check = new QTableWidgetItem;
      check->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
      check->setCheckState(on ? Qt::Checked : Qt::Unchecked);
      table_->setItem(row, column, check);
    }
    auto* status = new QComboBox;
    for (SegmentStatus st : kStatuses)
      status->addItem(QString::fromLatin1(segmentStatusName(st).data()));
    status->setCurrentIndex(int(s.status));
    const QString segmentName = QString::fromStdString(s.name);
    connect(status, &QComboBox::currentIndexChanged, this, [this, segmentName](int index) {
      if (!rebuilding_) {
        update(segmentName, "status",
               QString::fromLatin1(segmentStatusName(kStatuses[std::size_t(index)]).data()));
      }
    });
    table_->setCellWidget(row, kStatus, status);
    auto* volume =
        new QTableWidgetItem(QString::number(double(seg.maskAt(p).count()) * voxelMl, 'f', 2));
    volume->setFlags(Qt::ItemIsEnabled);
    table_->setItem(row, kVolume, volume);
    if (segmentName == current_) currentRow = row;
  }
  if (currentRow < 0 && seg.segmentCount() > 0) {
    currentRow = 0;
    current_ = QString::fromStdString(seg.segmentAt(0).name);
  } else if (seg.segmentCount() == 0) {
    current_.clear();
  }
  if (currentRow >= 0) table_->setCurrentCell(currentRow, kName);
  remove_->setEnabled(seg.segmentCount() > 0);
  rebuilding_ = false;
  if (current_ != announced_) {
    announced_ = current_;
    emit currentSegmentChanged(current_);
  }
}

void SegmentTableWidget::update(const QString& segment, const char* member,
                                const QJsonValue& value) {
  EditOperation op;
  op.tool = EditTool::UpdateSegment;
  op.segment = segment.toStdString();
  op.segmentFields = nlohmann::json::object();
  op.segmentFields[member] = toJson(value);
  if (std::string(member) == "name") current_ = value.toString();
  if (!session_->apply(op)) rebuild();  // put the table back as it was
}

void SegmentTableWidget::cellChanged(int row, int column) {
  if (rebuilding_) return;
  auto* item = table_->item(row, column);
  const QString segment = table_->item(row, kName)->data(Qt::UserRole).toString();
  if (column == kName && item->text() != segment) update(segment, "name", item->text());
  if (column == kVisible) update(segment, "visible", item->checkState() == Qt::Checked);
  if (column == kLocked) update(segment, "locked", item->checkState() == Qt::Checked);
}

void SegmentTableWidget::cellClicked(int row, int column) {
  if (column != kColour) return;
  const QString segment = table_->item(row, kName)->data(Qt::UserRole).toString();
  const QColor chosen = QColorDialog::getColor(table_->item(row, kColour)->background().color(),
                                               this, tr("Colour of %1").arg(segment));
  if (chosen.isValid())
    update(segment, "color", QJsonArray{chosen.red(), chosen.green(), chosen.blue()});
}

void SegmentTableWidget::addSegment(const QString& name) {
  EditOperation op;
  op.tool = EditTool::AddSegment;
  op.segmentFields = nlohmann::json{{"name", name.toStdString()}};
  try {
    static const TerminologyCatalog catalog = TerminologyCatalog::loadDefault();
    if (catalog.find(name.toStdString())) op.segmentFields["terminology_name"] = name.toStdString();
  } catch (const std::exception&) {
    // Without a catalog the segment is added by name only.
  }
  current_ = name;
  session_->apply(op);
}

void SegmentTableWidget::addFromDialog() {
  QStringList names;
  try {
    const TerminologyCatalog catalog = TerminologyCatalog::loadDefault();
    for (const TerminologyEntry& e : catalog.entries()) names << QString::fromStdString(e.name);
  } catch (const std::exception& e) {
    names.clear();
  }
  bool ok = false;
  const QString name = QInputDialog::getItem(
      this, tr("Add segment"), tr("Structure (from the terminology list, or a new name):"), names,
      0, true, &ok);
  if (ok && !name.trimmed().isEmpty()) addSegment(name.trimmed());
}

void SegmentTableWidget::removeCurrent() {
  if (current_.isEmpty()) return;
  EditOperation op;
  op.tool = EditTool::RemoveSegment;
  op.segment = current_.toStdString();
  current_.clear();
  session_->apply(op);
}

}  // namespace annotrace
