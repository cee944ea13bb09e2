#pragma once

#include <QMainWindow>
#include <QStringList>

#include <vector>

class QComboBox;
class QMenu;
class QStackedWidget;

namespace annotrace {

class WorkstationModule;

/// The workstation host: finds module plugins, shows the chosen module's panel, opens studies
/// and label maps through it, keeps recent studies and the window layout in QSettings.
class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  /// `pluginFolders`: where to look for module plugins, first match wins per module name.
  explicit MainWindow(const QStringList& pluginFolders, QWidget* parent = nullptr);
  ~MainWindow() override;

  WorkstationModule* module() const { return current_; }
  const std::vector<WorkstationModule*>& modules() const { return modules_; }
  /// Why plugins that were found could not be loaded (shown in Help > Modules).
  const QStringList& pluginErrors() const { return pluginErrors_; }
  void openStudy(const QString& path);

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void loadPlugins(const QStringList& folders);
  void buildMenus();
  void rememberRecent(const QString& path);
  void rebuildRecentMenu();
  void selectModule(int index);

  std::vector<WorkstationModule*> modules_;
  WorkstationModule* current_ = nullptr;
  QStringList pluginErrors_;
  QStackedWidget* stack_;
  QComboBox* chooser_;
  QMenu* recent_ = nullptr;
};

}  // namespace annotrace
