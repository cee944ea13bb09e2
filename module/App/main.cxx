// annotrace-workstation [STUDY] [--labels LABELMAP] [--screenshot PNG] [--plugins DIR]
// Opens the workstation; with a study it is loaded at once (and a label map onto it); with
// --screenshot the window is saved as PNG once everything is loaded, and the program exits
// (the screenshot test and the user guide's pictures).
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QScreen>
#include <QTimer>

#include <cstdio>

#include "MainWindow.h"
#include "WorkstationModule.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("Annotrace"));
  QApplication::setApplicationName(QStringLiteral("Annotrace"));
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("Annotrace workstation"));
  parser.addHelpOption();
  parser.addPositionalArgument(QStringLiteral("study"),
                               QStringLiteral("DICOM folder or file, NIfTI or NRRD"));
  const QCommandLineOption labels(QStringLiteral("labels"),
                                  QStringLiteral("Label map to open on the study"),
                                  QStringLiteral("file"));
  const QCommandLineOption screenshot(
      QStringLiteral("screenshot"), QStringLiteral("Save the window as PNG when loaded, then exit"),
      QStringLiteral("png"));
  const QCommandLineOption plugins(QStringLiteral("plugins"),
                                   QStringLiteral("Module plugin folder"), QStringLiteral("dir"));
  const QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Window size WxH"),
                                QStringLiteral("size"), QStringLiteral("1400x900"));
  parser.addOptions({labels, screenshot, plugins, size});
  parser.process(app);

  QStringList folders;
  if (parser.isSet(plugins)) folders << parser.value(plugins);
  if (const QByteArray env = qgetenv("ANNOTRACE_PLUGIN_PATH"); !env.isEmpty())
    folders << QString::fromLocal8Bit(env);
  const QString appDir = QCoreApplication::applicationDirPath();
  folders << appDir + QStringLiteral("/../plugins") << appDir + QStringLiteral("/plugins")
          << appDir + QStringLiteral("/../lib/annotrace/plugins");

  annotrace::MainWindow window(folders);
  const QStringList wh = parser.value(size).split(QLatin1Char('x'));
  if (wh.size() == 2) window.resize(wh[0].toInt(), wh[1].toInt());
  window.show();
  annotrace::WorkstationModule* module = window.module();
  if (!module) {
    std::fprintf(stderr, "annotrace-workstation: no module plugin found in %s\n",
                 qPrintable(folders.join(QStringLiteral(", "))));
    for (const QString& e : window.pluginErrors()) std::fprintf(stderr, "  %s\n", qPrintable(e));
    if (parser.isSet(screenshot)) return 1;
  }
  const QStringList args = parser.positionalArguments();
  if (module && !args.isEmpty()) {
    QObject* logic = module->logic();
    const QString labelPath = parser.value(labels);
    const QString shot = parser.value(screenshot);
    // Screenshot mode ends when loading fails (the module shows why in its panel); a user's
    // session never ends on a failed edit.
    if (!shot.isEmpty()) QObject::connect(logic, SIGNAL(failed(QString)), &app, SLOT(quit()));
    // Once the study is in: the labels, then the screenshot.
    auto* onLoaded = new QObject(&app);
    QObject::connect(logic, SIGNAL(studyChanged()), onLoaded, SLOT(deleteLater()));
    QObject::connect(onLoaded, &QObject::destroyed, &app, [module, labelPath, shot, &window] {
      if (!labelPath.isEmpty() && !module->openLabels(labelPath)) {
        std::fprintf(stderr, "annotrace-workstation: could not open %s\n", qPrintable(labelPath));
      }
      if (shot.isEmpty()) return;
      QTimer::singleShot(300, &window, [&window, shot] {
        const bool saved = window.grab().save(shot);
        std::fprintf(saved ? stdout : stderr, "%s %s\n", saved ? "Wrote" : "Could not write",
                     qPrintable(shot));
        QCoreApplication::exit(saved ? 0 : 1);
      });
    });
    window.openStudy(QDir::current().absoluteFilePath(args.first()));
  }
  const int code = app.exec();
  if (parser.isSet(screenshot) && !QFileInfo::exists(parser.value(screenshot))) {
    std::fprintf(stderr, "annotrace-workstation: the study did not load; no screenshot written\n");
    return 1;
  }
  return code;
}
