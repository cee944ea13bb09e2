#pragma once

#include <QObject>

#include "WorkstationModule.h"

namespace annotrace {

class AnnotationSession;
class AnnotationWidget;

/// The annotation module as a plugin: slice views, drawing tools, interpolation and
/// propagation over the Qt-free segment editor logic.
class AnnotationModulePlugin : public QObject, public WorkstationModule {
  Q_OBJECT
  Q_PLUGIN_METADATA(IID AnnotraceWorkstationModule_iid FILE "annotation.json")
  Q_INTERFACES(annotrace::WorkstationModule)
 public:
  AnnotationModulePlugin();
  QString name() const override;
  QString help() const override;
  QWidget* createWidget(QWidget* parent) override;
  QObject* logic() override;
  bool openStudy(const QString& path) override;
  bool openLabels(const QString& path) override;
  bool saveLabels(const QString& path) override;
  QString saveToVault(QWidget* parent) override;
  bool openFromVault(QWidget* parent) override;
  bool hasUnsavedChanges() const override;

 private:
  AnnotationSession* session_;
  AnnotationWidget* widget_ = nullptr;
};

}  // namespace annotrace
