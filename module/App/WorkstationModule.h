#pragma once

#include <QString>
#include <QStringList>
#include <QtPlugin>

class QObject;
class QWidget;

namespace annotrace {

/// What the workstation host knows of a module, in the spirit of Slicer's loadable modules:
/// a name, help, the module's panel and its logic object. Modules are Qt plugins found in the
/// plugins folder; the annotation module is the first.
class WorkstationModule {
 public:
  virtual ~WorkstationModule() = default;
  virtual QString name() const = 0;
  virtual QString help() const = 0;
  /// The module's panel, created once and owned by `parent`.
  virtual QWidget* createWidget(QWidget* parent) = 0;
  /// The module's logic (Qt object façade over the Qt-free Logic), for other modules.
  virtual QObject* logic() = 0;
  /// Opens a study (DICOM folder or file, NIfTI, NRRD) in the background; false if the module
  /// does not open studies.
  virtual bool openStudy(const QString& path) = 0;
  /// Opens or saves a label map of the open study.
  virtual bool openLabels(const QString& path) = 0;
  virtual bool saveLabels(const QString& path) = 0;
  /// Saves the labels as a record in a vault, asking the user where and as whom (a dialog
  /// parented to `parent`); the record id, or an empty string when cancelled or refused (the
  /// module reports why). Modules without labels keep the default.
  virtual QString saveToVault(QWidget* parent) {
    (void)parent;
    return {};
  }
  /// Opens the labels of a record from a vault onto the open study, asking which record and
  /// as whom; false when cancelled or refused (the module reports why).
  virtual bool openFromVault(QWidget* parent) {
    (void)parent;
    return false;
  }
  /// Whether there are edits since the last open or save (the host asks before closing).
  virtual bool hasUnsavedChanges() const { return false; }
};

}  // namespace annotrace

#define AnnotraceWorkstationModule_iid "org.annotrace.WorkstationModule/1.0"
Q_DECLARE_INTERFACE(annotrace::WorkstationModule, AnnotraceWorkstationModule_iid)
