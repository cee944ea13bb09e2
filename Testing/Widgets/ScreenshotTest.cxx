// Under Xvfb (a real X server): the annotation panel in a main window with a real CT and its
// real TotalSegmentator label map. The window is grabbed from the screen; where the axial view
// shows a voxel inside a segment (away from its outline) the screen pixel has the segment's
// colour blended over the grey, where no segment is it is grey. The PNG is kept as a test
// artefact (and illustrates Docs/UserGuide.md).
#include <QApplication>
#include <QDir>
#include <QMainWindow>
#include <QScreen>
#include <QTest>
#include <QWindow>

#include <cstdlib>
#include <filesystem>

#include "AnnotationSession.h"
#include "AnnotationWidget.h"
#include "IO/VolumeReader.h"
#include "Segmentation/LabelmapFileIO.h"
#include "SliceView.h"

using namespace annotrace;

namespace {

std::filesystem::path dataPath(const char* relative) {
  const char* env = std::getenv("ANNOTRACE_DATA");
  const auto root =
      env && *env ? std::filesystem::path(env) : std::filesystem::path(ANNOTRACE_TEST_DATA_DIR);
  const auto path = root / relative;
  if (!std::filesystem::exists(path)) qFatal("test data missing: %s", path.string().c_str());
  return path;
}

}  // namespace

class ScreenshotTest : public QObject {
  Q_OBJECT
 private slots:
  void overlayPixelsAreWhereTheLabelsAre();
};

void ScreenshotTest::overlayPixelsAreWhereTheLabelsAre() {
  QVERIFY2(QGuiApplication::platformName() == QStringLiteral("xcb"),
           qPrintable(QStringLiteral("needs an X server (xvfb-run), platform is ") +
                      QGuiApplication::platformName()));
  Volume ct = VolumeReader::read(dataPath("nifti_totalseg/example_ct_sm.nii.gz"));
  LabelmapBundle labels =
      LabelmapFileIO::read(dataPath("nifti_totalseg/example_seg.nii.gz"), &ct.geometry());
  AnnotationSession session;
  session.setStudy(std::move(ct), std::move(labels));
  QMainWindow window;
  auto* panel = new AnnotationWidget(&session, &window);
  window.setCentralWidget(panel);
  window.resize(1400, 900);
  window.show();
  QVERIFY(QTest::qWaitForWindowExposed(&window));
  panel->applyWindowPreset(QStringLiteral("Soft tissue"));
  SliceView* axial = panel->view(SliceOrientation::Axial);
  axial->setSlice(16);
  QTest::qWait(200);
  QApplication::processEvents();
  const QImage shot =
      window.screen()->grabWindow(window.winId()).toImage().convertToFormat(QImage::Format_RGB32);
  QVERIFY(!shot.isNull());
  const QString artefacts = QStringLiteral(ANNOTRACE_ARTEFACT_DIR);
  QDir().mkpath(artefacts);
  QVERIFY(shot.save(artefacts + QStringLiteral("/workstation.png")));

  const Segmentation& seg = session.segmentation();
  const double ratio = shot.devicePixelRatio();
  int coloured = 0, grey = 0, checked = 0;
  for (std::size_t j = 2; j + 2 < seg.geometry().size[1]; j += 3) {
    for (std::size_t i = 2; i + 2 < seg.geometry().size[0]; i += 3) {
      // Which segments hold the voxel and its 5 x 5 neighbourhood (so no outline is near).
      int holder = -1;
      bool uniform = true;
      for (std::size_t p = 0; p < seg.segmentCount() && uniform; ++p) {
        int inside = 0;
        for (int dj = -2; dj <= 2; ++dj)
          for (int di = -2; di <= 2; ++di) inside += seg.maskAt(p).test(i + di, j + dj, 16);
        if (inside == 25) holder = int(p);
        if (inside != 0 && inside != 25) uniform = false;
      }
      if (!uniform) continue;
      const QPoint inView = axial->widgetPoint(double(i), double(j)).toPoint();
      // Away from the letters, the slice ruler and the scale bar drawn over the image.
      if (!axial->rect().adjusted(40, 40, -40, -40).contains(inView)) continue;
      const QPoint at = axial->mapTo(&window, inView);
      const QRgb pixel = shot.pixel(QPoint(int(at.x() * ratio), int(at.y() * ratio)));
      const int r = qRed(pixel), g = qGreen(pixel), b = qBlue(pixel);
      ++checked;
      if (holder < 0) {
        QVERIFY2(r == g && g == b,
                 qPrintable(QStringLiteral("voxel (%1, %2) has no label but shows %3,%4,%5")
                                .arg(i)
                                .arg(j)
                                .arg(r)
                                .arg(g)
                                .arg(b)));
        ++grey;
        continue;
      }
      // 40 % of the segment's colour over the grey: each channel moves towards the colour.
      const auto& c = seg.segmentAt(std::size_t(holder)).color;
      const int lo = std::min({r, g, b}), hi = std::max({r, g, b});
      QVERIFY2(hi - lo >= 10,
               qPrintable(QStringLiteral("voxel (%1, %2) of %3 shows grey %4")
                              .arg(i)
                              .arg(j)
                              .arg(QString::fromStdString(seg.segmentAt(std::size_t(holder)).name))
                              .arg(r)));
      const int strongest = c[0] >= c[1] && c[0] >= c[2] ? 0 : (c[1] >= c[2] ? 1 : 2);
      const std::array<int, 3> channel{r, g, b};
      QVERIFY2(channel[std::size_t(strongest)] == hi,
               "the blend does not lean to the segment's colour");
      ++coloured;
    }
  }
  QVERIFY2(coloured > 50 && grey > 50,
           qPrintable(
               QStringLiteral("%1 coloured, %2 grey of %3").arg(coloured).arg(grey).arg(checked)));
}

QTEST_MAIN(ScreenshotTest)
#include "ScreenshotTest.moc"
