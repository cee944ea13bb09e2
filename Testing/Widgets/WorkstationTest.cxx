// The annotation panel driven by real mouse and key events on Qt's offscreen platform, on a
// real CT: a polygon drawn on the axial view gives the voxels the Logic rasteriser gives for the
// same points; a brush stroke, Ctrl+Z and Ctrl+Shift+Z; a window preset changes the rendered
// pixels as the DICOM linear window says; a click in one view moves the other two to the
// clicked voxel; loading in the background reports bad input and can be cancelled.
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "AnnotationSession.h"
#include "AnnotationWidget.h"
#include "IO/VolumeReader.h"
#include "Records/RecordStore.h"
#include "Records/SegmentationPayload.h"
#include "Records/SourceIdentity.h"
#include "Records/VaultVerifier.h"
#include "SegmentTableWidget.h"
#include "SeriesBrowserDialog.h"
#include "SliceView.h"
#include "VaultOpenDialog.h"

using namespace annotrace;

namespace {

std::filesystem::path dataRoot() {
  const char* env = std::getenv("ANNOTRACE_DATA");
  return env && *env ? std::filesystem::path(env) : std::filesystem::path(ANNOTRACE_TEST_DATA_DIR);
}

std::filesystem::path dataPath(const char* relative) {
  const auto path = dataRoot() / relative;
  if (!std::filesystem::exists(path)) {
    qFatal("test data missing: %s (set ANNOTRACE_DATA)", path.string().c_str());
  }
  return path;
}

const Volume& realCt() {
  static const Volume volume =
      VolumeReader::read(dataPath("ct_siemens_j2k_totalseg/example_ct_dicom"));
  return volume;
}

/// The panel on the real CT with one segment "Liver", shown at a fixed size.
struct Panel {
  AnnotationSession session;
  AnnotationWidget widget{&session};
  Panel() {
    session.setStudy(realCt());
    widget.resize(1200, 800);
    widget.show();
    widget.activateWindow();
    QApplication::setActiveWindow(&widget);
    if (!QTest::qWaitForWindowExposed(&widget)) qWarning("window not exposed");
    widget.segmentTable()->addSegment(QStringLiteral("Liver"));
  }
  SliceView* axial() const { return widget.view(SliceOrientation::Axial); }
  const SparseMask& liver() const {
    return session.segmentation().mask(session.segmentation().findSegmentByName("Liver")->id);
  }
};

QPoint at(const SliceView* view, double u, double v) {
  return view->widgetPoint(u, v).toPoint();
}

}  // namespace

class WorkstationTest : public QObject {
  Q_OBJECT
 private slots:
  void polygonOnTheAxialViewMatchesTheRasteriser();
  void brushUndoRedoWithKeys();
  void windowPresetChangesPixelsAsComputed();
  void crosshairLinksTheViews();
  void loadingReportsBadInputAndCancels();
  void interpolationPreviewIsShownThenAcceptedOrDiscarded();
  void seriesBrowserListsStacksWithWarningsAndOpensTheChosenOne();
  void scissorsEraseOutsideAndTheEditableArea();
  void savingToAndOpeningFromAVault();
};

void WorkstationTest::polygonOnTheAxialViewMatchesTheRasteriser() {
  Panel p;
  QCOMPARE(p.widget.tools().segment, std::string("Liver"));
  QTest::keyClick(&p.widget, Qt::Key_P);  // the polygon tool's shortcut
  QCOMPARE(int(p.widget.tools().mode), int(ToolState::Mode::Polygon));
  SliceView* view = p.axial();
  view->setSlice(10);
  const std::vector<std::array<double, 2>> corners{{150, 180}, {330, 170}, {360, 330}, {200, 360}};
  std::vector<Vec3> world;
  for (const auto& [u, v] : corners) {
    const QPoint point = at(view, u, v);
    QTest::mouseClick(view, Qt::LeftButton, Qt::NoModifier, point);
    world.push_back(view->worldAt(QPointF(point)));
  }
  QTest::keyClick(view, Qt::Key_Return);
  QVERIFY2(p.liver().count() > 0, qPrintable(p.widget.statusText()));

  // The same polygon through the Qt-free editor.
  SegmentEditorLogic reference(realCt(), Segmentation(realCt().geometry()));
  EditOperation add;
  add.tool = EditTool::AddSegment;
  add.segmentFields = {{"name", "Liver"}};
  reference.apply(add);
  EditOperation polygon;
  polygon.tool = EditTool::Polygon;
  polygon.segment = "Liver";
  polygon.plane = SliceOrientation::Axial;
  polygon.slice = 10;
  polygon.points = world;
  reference.apply(polygon);
  const SparseMask& expected =
      reference.segmentation().mask(reference.segmentation().findSegmentByName("Liver")->id);
  QCOMPARE(p.liver().count(), expected.count());
  QVERIFY(p.liver() == expected);
  // The quadrilateral's area in pixels (shoelace), within its perimeter.
  double area = 0;
  for (std::size_t n = 0; n < corners.size(); ++n) {
    const auto& a = corners[n];
    const auto& b = corners[(n + 1) % corners.size()];
    area += a[0] * b[1] - b[0] * a[1];
  }
  area = std::abs(area) / 2;
  QVERIFY2(std::abs(double(expected.count()) - area) < 700,
           qPrintable(
               QStringLiteral("%1 voxels for a %2-pixel polygon").arg(expected.count()).arg(area)));
  // Only slice 10 holds it, and the view shows the segment's colour inside.
  const auto bounds = p.liver().bounds();
  QVERIFY(bounds && bounds->lo[2] == 10 && bounds->hi[2] == 11);
  // The clicks landed where the slice pixels are: axial u, v are the grid's i, j.
  QVERIFY(p.liver().test(250, 260, 10));
  QVERIFY(!p.liver().test(100, 100, 10) && !p.liver().test(400, 400, 10));
  view->repaint();
  const auto [x, y] = view->display().sliceToScreen(250, 260);
  const std::uint32_t pixel = view->image().at(std::size_t(x), std::size_t(y));
  const int r = (pixel >> 16) & 0xff, g = (pixel >> 8) & 0xff, b = pixel & 0xff;
  QVERIFY2(!(r == g && g == b), "the polygon's inside is drawn in grey only");
}

void WorkstationTest::brushUndoRedoWithKeys() {
  Panel p;
  QTest::keyClick(&p.widget, Qt::Key_B);
  QCOMPARE(int(p.widget.tools().mode), int(ToolState::Mode::Brush));
  p.widget.setBrushRadius(6);
  SliceView* view = p.axial();
  view->setSlice(5);
  QTest::mousePress(view, Qt::LeftButton, Qt::NoModifier, at(view, 200, 250));
  for (int step = 1; step <= 10; ++step) {
    QTest::mouseMove(view, at(view, 200 + 8 * step, 250 + 3 * step));
  }
  QTest::mouseRelease(view, Qt::LeftButton, Qt::NoModifier, at(view, 280, 280));
  const std::size_t painted = p.liver().count();
  // A 12 mm wide stroke about 85 mm long on 0.977 mm pixels: roughly 12 x 85 / 0.95 voxels.
  QVERIFY2(painted > 800 && painted < 1600, qPrintable(QString::number(painted)));
  const SparseMask afterBrush = p.liver();
  QVERIFY(p.session.hasUnsavedChanges());
  QVERIFY(p.widget.statusText().contains(QStringLiteral("Brush")));
  QTest::keyClick(&p.widget, Qt::Key_Z, Qt::ControlModifier);
  QCOMPARE(p.liver().count(), std::size_t(0));
  QVERIFY(p.widget.statusText().startsWith(QStringLiteral("Undo: Brush")));
  QTest::keyClick(&p.widget, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
  QVERIFY(p.liver() == afterBrush);
  QVERIFY(p.widget.statusText().startsWith(QStringLiteral("Redo: Brush")));
  // Saving clears the unsaved state; the saved file reopens with the same voxels.
  const QString saved = QDir::temp().filePath(QStringLiteral("annotrace-workstation-test.nii.gz"));
  QVERIFY(p.session.saveLabels(saved));
  QVERIFY(!p.session.hasUnsavedChanges());
  QVERIFY(p.session.openLabels(saved));
  QVERIFY(p.liver() == afterBrush);
  QVERIFY(!p.session.hasUnsavedChanges());
}

void WorkstationTest::windowPresetChangesPixelsAsComputed() {
  Panel p;
  SliceView* view = p.axial();
  view->setSlice(8);
  const SliceDisplay& d = view->display();
  auto expectGrey = [&](const char* preset, double width, double centre) {
    QVERIFY(p.widget.applyWindowPreset(QString::fromLatin1(preset)));
    view->repaint();
    int checked = 0;
    for (std::size_t y = 0; y < d.height; y += 37) {
      for (std::size_t x = 0; x < d.width; x += 41) {
        const auto [u, v] = d.slicePixel(x, y);
        std::array<std::size_t, 3> index{};
        index[std::size_t(d.axes[0])] = u;
        index[std::size_t(d.axes[1])] = v;
        index[std::size_t(d.axes[2])] = 8;
        const double value = realCt().value(index[0], index[1], index[2]);
        const double t = std::clamp((value - (centre - width / 2)) / width, 0.0, 1.0);
        const auto expected = std::uint32_t(std::lround(t * 255));
        QCOMPARE(view->image().at(x, y) & 0xff, expected);
        ++checked;
      }
    }
    QVERIFY(checked > 100);
  };
  expectGrey("Soft tissue", 400, 40);
  const std::uint32_t softTissue = view->image().at(200, 200);
  expectGrey("Lung", 1500, -600);
  expectGrey("Bone", 2500, 480);
  QVERIFY(view->image().at(200, 200) != softTissue);
  QTest::keyClick(&p.widget, Qt::Key_2);  // the second CT preset by its key
  QCOMPARE(view->window().name, std::string("Lung"));
  expectGrey("Lung", 1500, -600);
}

void WorkstationTest::crosshairLinksTheViews() {
  Panel p;
  SliceView* axial = p.axial();
  axial->setSlice(12);
  const QPoint click = at(axial, 300, 220);  // navigate is the default tool
  QTest::mouseClick(axial, Qt::LeftButton, Qt::NoModifier, click);
  const Vec3 index = realCt().geometry().worldToIndex(axial->worldAt(QPointF(click)));
  QCOMPARE(long(p.widget.view(SliceOrientation::Coronal)->slice()), std::lround(index[1]));
  QCOMPARE(long(p.widget.view(SliceOrientation::Sagittal)->slice()), std::lround(index[0]));
  QCOMPARE(axial->slice(), std::size_t(12));
  // The reverse: a click on the sagittal view moves the axial view to the clicked slice.
  SliceView* sagittal = p.widget.view(SliceOrientation::Sagittal);
  const QPoint second = at(sagittal, 240, 5);
  QTest::mouseClick(sagittal, Qt::LeftButton, Qt::NoModifier, second);
  const Vec3 index2 = realCt().geometry().worldToIndex(sagittal->worldAt(QPointF(second)));
  QCOMPARE(long(axial->slice()), std::lround(index2[2]));
  QCOMPARE(axial->slice(), std::size_t(5));
  // Wheel and arrow keys scroll.
  QTest::keyClick(axial, Qt::Key_Up);
  QCOMPARE(axial->slice(), std::size_t(6));
}

void WorkstationTest::loadingReportsBadInputAndCancels() {
  AnnotationSession session;
  QSignalSpy failed(&session, &AnnotationSession::failed);
  QSignalSpy loaded(&session, &AnnotationSession::studyChanged);
  session.open(QString::fromStdString((dataRoot() / "no_such_folder").string()));
  QVERIFY(failed.wait(10000));
  QVERIFY2(failed.front().front().toString().contains(QStringLiteral("no_such_folder")),
           qPrintable(failed.front().front().toString()));
  QVERIFY(!session.hasStudy());
  QSignalSpy progress(&session, &AnnotationSession::progress);
  session.open(
      QString::fromStdString(dataPath("ct_siemens_j2k_totalseg/example_ct_dicom").string()));
  QVERIFY(loaded.wait(30000));
  QVERIFY(session.hasStudy());
  QCOMPARE(session.volume().geometry().size[0], std::size_t(512));
  QVERIFY(!progress.isEmpty());
  // Cancelled at once: either the load stops with a message and the open study stays, or it
  // had already finished; never a half-loaded study.
  failed.clear();
  session.open(
      QString::fromStdString(dataPath("ct_siemens_j2k_totalseg/example_ct_dicom").string()));
  session.cancel();
  QTRY_VERIFY_WITH_TIMEOUT(!session.busy(), 30000);
  QVERIFY(session.hasStudy());
  if (!failed.isEmpty())
    QVERIFY(failed.front().front().toString().contains(QStringLiteral("cancelled")));
}

void WorkstationTest::interpolationPreviewIsShownThenAcceptedOrDiscarded() {
  Panel p;
  SliceView* view = p.axial();
  QTest::keyClick(&p.widget, Qt::Key_P);
  for (std::size_t slice : {4, 12}) {
    view->setSlice(slice);
    const double grow = slice == 4 ? 0 : 30;  // the shape grows between the key slices
    for (const auto& [u, v] : std::vector<std::array<double, 2>>{{200 - grow, 200 - grow},
                                                                 {300 + grow, 200 - grow},
                                                                 {300 + grow, 300 + grow},
                                                                 {200 - grow, 300 + grow}}) {
      QTest::mouseClick(view, Qt::LeftButton, Qt::NoModifier, at(view, u, v));
    }
    QTest::keyClick(view, Qt::Key_Return);
  }
  const SparseMask keysOnly = p.liver();
  const SegmentId id = p.session.segmentation().findSegmentByName("Liver")->id;
  QCOMPARE(p.session.segmentation().provenance(id).slicesWith(SliceOrientation::Axial,
                                                              SliceSource::Drawn),
           (std::vector<std::size_t>{4, 12}));

  // I: the preview is computed off the GUI thread, then drawn over slice 8 before any voxel.
  QSignalSpy previewed(&p.session, &AnnotationSession::previewChanged);
  QTest::keyClick(&p.widget, Qt::Key_I);
  QVERIFY(previewed.wait(20000));
  QVERIFY(p.session.preview() != nullptr);
  QVERIFY(p.liver() == keysOnly);
  view->setSlice(8);
  view->repaint();
  const auto [x, y] = view->display().sliceToScreen(250, 250);
  const std::uint32_t pixel = view->image().at(std::size_t(x), std::size_t(y));
  QVERIFY2(((pixel >> 16) & 0xff) != (pixel & 0xff), "the preview is not drawn on slice 8");
  QVERIFY(p.widget.statusText().startsWith(QStringLiteral("Preview")));

  // Discard leaves the labels as they were; a second preview is accepted with Ctrl+Return.
  p.session.discardPreview();
  QVERIFY(p.session.preview() == nullptr);
  QVERIFY(p.liver() == keysOnly);
  QTest::keyClick(&p.widget, Qt::Key_I);
  QVERIFY(previewed.wait(20000));
  QTest::keyClick(&p.widget, Qt::Key_Return, Qt::ControlModifier);
  QVERIFY(p.session.preview() == nullptr);
  QCOMPARE(p.session.segmentation().provenance(id).slicesWith(SliceOrientation::Axial,
                                                              SliceSource::Interpolated),
           (std::vector<std::size_t>{5, 6, 7, 8, 9, 10, 11}));
  QVERIFY(p.liver().test(250, 250, 8));
  // The middle slice lies between the key squares (100 and 160 pixels wide).
  std::size_t onEight = 0;
  for (std::size_t j = 150; j < 350; ++j)
    for (std::size_t i = 150; i < 350; ++i) onEight += p.liver().test(i, j, 8);
  QVERIFY2(onEight > 101 * 101 && onEight < 161 * 161, qPrintable(QString::number(onEight)));
  // One undo step takes it all back.
  QTest::keyClick(&p.widget, Qt::Key_Z, Qt::ControlModifier);
  QVERIFY(p.liver() == keysOnly);
}

void WorkstationTest::seriesBrowserListsStacksWithWarningsAndOpensTheChosenOne() {
  // The Philips phantom folder holds two tilted CT series (INDEX.md).
  const QString folder = QString::fromStdString(dataPath("ct_philips_phantom_tilt").string());
  SeriesBrowserDialog browser(folder);
  browser.scanNow();
  QVERIFY2(browser.imageSeries().size() >= 2,
           qPrintable(QString::number(browser.imageSeries().size())));
  QTreeWidget* tree = browser.tree();
  QCOMPARE(tree->topLevelItemCount(), int(browser.imageSeries().size()));
  bool tiltShown = false;
  for (int n = 0; n < tree->topLevelItemCount(); ++n) {
    tiltShown = tiltShown || tree->topLevelItem(n)->text(5).contains(QStringLiteral("tilt"),
                                                                     Qt::CaseInsensitive);
  }
  QVERIFY2(tiltShown, "no gantry tilt warning listed");
  // Choose the last stack and open it.
  QTreeWidgetItem* last = tree->topLevelItem(tree->topLevelItemCount() - 1);
  tree->setCurrentItem(last);
  const QString chosen = browser.chosenSeries();
  QVERIFY(!chosen.isEmpty());
  AnnotationSession session;
  QSignalSpy loaded(&session, &AnnotationSession::studyChanged);
  QSignalSpy failed(&session, &AnnotationSession::failed);
  session.open(folder);  // two stacks and none chosen: refused with a message
  QVERIFY(failed.wait(30000));
  session.open(folder, chosen);
  QVERIFY(loaded.wait(30000));
  QCOMPARE(QString::fromStdString(session.volume().identity.seriesInstanceUid).left(20),
           chosen.left(20));
  QCOMPARE(session.volume().sourceFrames.size(), std::size_t(last->text(3).toInt()));
}

void WorkstationTest::scissorsEraseOutsideAndTheEditableArea() {
  Panel p;
  SliceView* view = p.axial();
  view->setSlice(7);
  // A wide brush stroke, then scissors "Erase outside" around its middle part.
  QTest::keyClick(&p.widget, Qt::Key_B);
  p.widget.setBrushRadius(15);
  QTest::mousePress(view, Qt::LeftButton, Qt::NoModifier, at(view, 150, 250));
  for (int u = 160; u <= 350; u += 10) QTest::mouseMove(view, at(view, u, 250));
  QTest::mouseRelease(view, Qt::LeftButton, Qt::NoModifier, at(view, 350, 250));
  QVERIFY(p.liver().test(160, 250, 7) && p.liver().test(340, 250, 7));
  auto* scissors = p.widget.findChild<QComboBox*>(QStringLiteral("scissorsAction"));
  QVERIFY(scissors);
  scissors->setCurrentIndex(1);  // erase outside
  QTest::keyClick(&p.widget, Qt::Key_S);
  QTest::mousePress(view, Qt::LeftButton, Qt::NoModifier, at(view, 220, 200));
  for (const auto& [u, v] :
       std::vector<std::array<double, 2>>{{280, 200}, {280, 300}, {220, 300}}) {
    QTest::mouseMove(view, at(view, u, v));
  }
  QTest::mouseRelease(view, Qt::LeftButton, Qt::NoModifier, at(view, 220, 300));
  QVERIFY2(p.liver().test(250, 250, 7), qPrintable(p.widget.statusText()));
  QVERIFY(!p.liver().test(160, 250, 7) && !p.liver().test(340, 250, 7));
  const auto bounds = p.liver().bounds();
  QVERIFY(bounds && bounds->lo[0] >= 219 && bounds->hi[0] <= 282);

  // Editable area "inside Liver": a second segment painted across only lands inside Liver.
  p.widget.segmentTable()->addSegment(QStringLiteral("Tumour"));
  auto* area = p.widget.findChild<QComboBox*>(QStringLiteral("editableArea"));
  QVERIFY(area);
  const int inside = area->findText(QStringLiteral("Inside Liver"));
  QVERIFY(inside >= 2);
  area->setCurrentIndex(inside);
  p.widget.segmentTable()->setCurrentSegment(QStringLiteral("Tumour"));
  QTest::keyClick(&p.widget, Qt::Key_B);
  p.widget.setBrushRadius(5);
  QTest::mousePress(view, Qt::LeftButton, Qt::NoModifier, at(view, 150, 250));
  for (int u = 160; u <= 350; u += 10) QTest::mouseMove(view, at(view, u, 250));
  QTest::mouseRelease(view, Qt::LeftButton, Qt::NoModifier, at(view, 350, 250));
  const SparseMask& tumour =
      p.session.segmentation().mask(p.session.segmentation().findSegmentByName("Tumour")->id);
  QVERIFY(tumour.test(250, 250, 7));
  QVERIFY(!tumour.test(160, 250, 7) && !tumour.test(340, 250, 7));
}

void WorkstationTest::savingToAndOpeningFromAVault() {
  Panel p;
  QTest::keyClick(&p.widget, Qt::Key_P);
  SliceView* view = p.axial();
  view->setSlice(9);
  for (const auto& [u, v] :
       std::vector<std::array<double, 2>>{{160, 190}, {320, 180}, {300, 320}}) {
    QTest::mouseClick(view, Qt::LeftButton, Qt::NoModifier, at(view, u, v));
  }
  QTest::keyClick(view, Qt::Key_Return);
  QVERIFY(p.liver().count() > 100);
  QVERIFY(p.session.hasUnsavedChanges());

  QTemporaryDir temp;
  const std::filesystem::path folder = std::filesystem::path(temp.path().toStdString()) / "vault";
  records::VaultOptions fast;
  fast.scrypt = crypto::ScryptParameters::minimum();
  {
    records::Vault vault = records::Vault::init(folder, "ada", "ada pass", fast);
    const records::UnlockedMember ada = vault.unlock("ada", "ada pass");
    vault.addMember(ada, "ann", records::Role::Annotator, "ann pass");
  }
  const QString vaultPath = QString::fromStdString(folder.string());

  QSignalSpy failures(&p.session, &AnnotationSession::failed);
  QVERIFY(p.session.saveToVault(vaultPath, "ann", "not it", false).isEmpty());
  QCOMPARE(failures.count(), 1);
  QVERIFY2(failures.at(0).at(0).toString().contains("wrong passphrase for member ann"),
           qPrintable(failures.at(0).at(0).toString()));
  QVERIFY(p.session.hasUnsavedChanges());

  const QString id = p.session.saveToVault(vaultPath, "ann", "ann pass", true);
  QVERIFY2(!id.isEmpty(),
           qPrintable(failures.isEmpty() ? QString() : failures.last().at(0).toString()));
  QVERIFY(!p.session.hasUnsavedChanges());

  records::Vault vault = records::Vault::open(folder, fast);
  records::RecordStore store(vault);
  const auto list = store.list();
  QCOMPARE(int(list.size()), 1);
  QCOMPARE(QString::fromStdString(list[0].id), id);
  QCOMPARE(QString::fromStdString(list[0].author), QString("ann"));
  QCOMPARE(QString::fromStdString(list[0].status), QString("submitted"));
  QVERIFY(list[0].source["geometry_sha256"] ==
          records::sourceIdentity(realCt())["geometry_sha256"]);
  const records::UnlockedMember ada = vault.unlock("ada", "ada pass");
  const LabelmapBundle decoded =
      records::SegmentationPayload::decode(store.open(ada, id.toStdString()).plaintext);
  QVERIFY(decoded.segmentation == p.session.segmentation());
  const records::VaultReport report = records::VaultVerifier::verify(vault);
  QVERIFY2(report.ok(), report.ok() ? "" : report.problems.front().message.c_str());
  QCOMPARE(int(report.records), 1);
  // The failed unlock was audited by the next unlock.
  QCOMPARE(int(vault.auditLog().filter({.action = "unlock-failed"}).size()), 1);

  // Opening the record again brings back exactly what was saved, over later edits.
  const Segmentation saved = p.session.segmentation();
  QTest::keyClick(&p.widget, Qt::Key_B);
  QTest::mouseClick(view, Qt::LeftButton, Qt::NoModifier, at(view, 100, 100));
  QVERIFY(!(p.session.segmentation() == saved));
  QVERIFY(p.session.openFromVault(vaultPath, "ada", "ada pass", id));
  QVERIFY(p.session.segmentation() == saved);
  QVERIFY(!p.session.hasUnsavedChanges());
  QCOMPARE(int(vault.auditLog().filter({.action = "record-decrypted"}).size()), 2);

  // A record made on another grid is refused and changes nothing.
  {
    ImageGeometry other;
    other.size = {12, 10, 8};
    Segmentation small(other);
    const records::UnlockedMember ann = vault.unlock("ann", "ann pass");
    records::RecordInfo info;
    info.source = records::sourceIdentity(other);
    store.save(ann, info, records::SegmentationPayload::encode(small));
  }
  const auto records = p.session.vaultRecords(vaultPath);
  QCOMPARE(int(records.size()), 2);
  failures.clear();
  QVERIFY(!p.session.openFromVault(vaultPath, "ada", "ada pass",
                                   QString::fromStdString(records.back().id)));
  QVERIFY2(
      failures.count() == 1 && failures.at(0).at(0).toString().contains("another series or grid"),
      qPrintable(failures.isEmpty() ? QString() : failures.at(0).at(0).toString()));
  QVERIFY(p.session.segmentation() == saved);

  // The chooser lists the vault's records, newest selected, with their status.
  QCoreApplication::setOrganizationName("annotrace-workstation-test");
  QSettings settings;
  settings.setValue("vault/folder", vaultPath);
  {
    VaultOpenDialog dialog(p.session);
    QCOMPARE(dialog.recordId(), QString::fromStdString(records.back().id));
    const auto* list = dialog.findChild<QTreeWidget*>();
    QVERIFY(list && list->topLevelItemCount() == 2);
    QCOMPARE(list->topLevelItem(0)->text(3), QString("submitted"));
  }
  settings.clear();
}

QTEST_MAIN(WorkstationTest)
#include "WorkstationTest.moc"
