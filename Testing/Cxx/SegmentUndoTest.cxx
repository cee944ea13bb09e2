// Undo and redo as a property: random edits of every tool, on every plane, with every option,
// undone all the way give the initial segmentation bit for bit and redone give the forward
// result; history limits, the binary history form and its damage handling.

#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "SegmentEditorTestSupport.h"

using namespace annotrace;
using namespace annotrace::test;

namespace {

class RandomEdits {
 public:
  RandomEdits(const ImageGeometry& g, unsigned seed) : g_(g), random_(seed) {}

  EditOperation next(const Segmentation& segmentation) {
    std::vector<std::string> names;
    for (std::size_t p = 0; p < segmentation.segmentCount(); ++p) {
      names.push_back(segmentation.segmentAt(p).name);
    }
    const int kind = uniform(0, 99);
    if (names.size() < 2 || kind < 4) {
      return addSegment("S" + std::to_string(created_++));
    }
    const std::string segment = names[uniform(0, int(names.size()) - 1)];
    if (kind < 6 && names.size() > 3) {
      EditOperation op;
      op.tool = EditTool::RemoveSegment;
      op.segment = segment;
      return op;
    }
    if (kind < 8) {
      EditOperation op;
      op.tool = EditTool::UpdateSegment;
      op.segment = segment;
      op.segmentFields = {{"color", {uniform(0, 255), uniform(0, 255), uniform(0, 255)}},
                          {"status", uniform(0, 1) ? "in_progress" : "completed"}};
      return op;
    }
    EditOperation op;
    op.segment = segment;
    op.plane = static_cast<SliceOrientation>(uniform(0, 2));
    const auto axes = SliceSpec{op.plane, 0}.axes();
    const std::size_t slice = uniform(0, int(g_.size[axes[2]]) - 1);
    auto point = [&] {
      Vec3 index{};
      index[axes[0]] = real(-3, double(g_.size[axes[0]]) + 2);
      index[axes[1]] = real(-3, double(g_.size[axes[1]]) + 2);
      index[axes[2]] = double(slice);
      return g_.indexToWorld(index);
    };
    const int tool = uniform(0, 5);
    const int points = tool <= 1 ? uniform(1, 6) : uniform(3, 12);
    for (int n = 0; n < points; ++n) op.points.push_back(point());
    switch (tool) {
      case 0:
      case 1:
        op.tool = tool == 0 ? EditTool::Brush : EditTool::Eraser;
        op.erase = tool == 1;
        op.radiusMm = real(0.5, 6);
        op.shape = uniform(0, 3) == 0 ? BrushShape::Sphere : BrushShape::Circle;
        break;
      case 2:
      case 3:
        op.tool = tool == 2 ? EditTool::Polygon : EditTool::Freehand;
        op.erase = uniform(0, 3) == 0;
        break;
      case 4: {
        op.tool = EditTool::Scissors;
        op.scissors = static_cast<ScissorsAction>(uniform(0, 3));
        const int first = uniform(0, int(g_.size[axes[2]]) - 1);
        op.slab =
            std::pair<std::size_t, std::size_t>(first, uniform(first, int(g_.size[axes[2]]) - 1));
        op.slice = slice;
        break;
      }
      default:
        op.tool = EditTool::Fill;
        op.fill = FillMode::Holes;
        op.slice = slice;
        break;
    }
    if (uniform(0, 3) == 0) op.constraints.intensityRange = IntensityRange{-50, real(-50, 400)};
    const int area = uniform(0, 5);
    if (area == 0) op.constraints.editableArea.kind = EditableArea::Kind::OutsideAllSegments;
    if (area == 1) {
      op.constraints.editableArea = {EditableArea::Kind::InsideSegment,
                                     names[uniform(0, int(names.size()) - 1)]};
    }
    if (uniform(0, 2) == 0) op.constraints.overlap = OverlapPolicy::Allow;
    return op;
  }

 private:
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(random_); }
  double real(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(random_);
  }
  const ImageGeometry& g_;
  std::mt19937 random_;
  int created_ = 0;
};

ImageGeometry testGrid() {
  return grid({36, 30, 24}, {0.8, 1.1, 1.7}, rotation({0.3, 1, 0.2}, 17), {5, -7, 12});
}

Volume testVolume(const ImageGeometry& g) {
  return makeVolume(g, [](std::size_t i, std::size_t j, std::size_t k) {
    return int((i * 29 + j * 13 + k * 7) % 500) - 100;
  });
}

}  // namespace

TEST(SegmentUndo, RandomEditsUndoToTheStartAndRedoToTheEndBitForBit) {
  const ImageGeometry g = testGrid();
  const Volume volume = testVolume(g);
  for (unsigned seed : {1u, 2u, 3u}) {
    SegmentEditorLogic editor(volume, Segmentation(g));
    RandomEdits edits(g, seed);
    const Segmentation initial = editor.segmentation();
    std::vector<Segmentation> snapshots{initial};  // state after each step
    std::size_t changing = 0, rejected = 0;
    while (changing < 150) {
      const EditOperation op = edits.next(editor.segmentation());
      const std::uint64_t before = editor.segmentation().contentDigest();
      try {
        const EditResult r = editor.apply(op);
        if (!r.changed) {
          EXPECT_EQ(editor.segmentation().contentDigest(), before) << "no-op changed voxels";
          continue;
        }
      } catch (const std::invalid_argument&) {
        ++rejected;  // e.g. an open fill, a locked segment: must change nothing
        EXPECT_EQ(editor.segmentation().contentDigest(), before);
        EXPECT_EQ(editor.segmentation(), snapshots.back());
        continue;
      }
      ++changing;
      snapshots.push_back(editor.segmentation());
    }
    const Segmentation forward = editor.segmentation();
    ASSERT_EQ(editor.history().undoSteps().size(), 150u) << "at least 100 steps are kept";
    std::size_t voxelsChanged = 0;
    for (const UndoStep& s : editor.history().undoSteps()) voxelsChanged += s.changedVoxels();
    EXPECT_GT(voxelsChanged, 10000u) << "the random edits must really edit";

    for (std::size_t n = snapshots.size() - 1; n > 0; --n) {
      editor.undo();
      ASSERT_EQ(editor.segmentation(), snapshots[n - 1]) << "seed " << seed << " undo to " << n - 1;
    }
    EXPECT_EQ(editor.segmentation(), initial);
    EXPECT_FALSE(editor.history().canUndo());
    while (editor.history().canRedo()) editor.redo();
    EXPECT_EQ(editor.segmentation(), forward);
    EXPECT_EQ(editor.segmentation().contentDigest(), forward.contentDigest());

    // The edit log replays to the same result on a fresh editor.
    SegmentEditorLogic replay(volume, Segmentation(g));
    for (const auto& op : editor.operationLog()) replay.apply(EditOperation::fromJson(op));
    EXPECT_EQ(replay.segmentation(), forward) << "seed " << seed;
    (void)rejected;
  }
}

TEST(SegmentUndo, StepsHoldOnlyTheChangedVoxels) {
  const ImageGeometry g = grid({256, 256, 64}, {0.7, 0.7, 1.0}, identityMatrix());
  const Volume volume = blankVolume(g);
  SegmentEditorLogic editor(volume, Segmentation(g));
  editor.apply(addSegment("Liver"));
  for (SliceOrientation plane :
       {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal}) {
    const auto axes = SliceSpec{plane, 0}.axes();
    std::vector<Vec3> stroke;
    for (int n = 0; n <= 50; ++n) {
      Vec3 index{};
      index[axes[0]] = 40 + 2.0 * n;
      index[axes[1]] = 30 + 0.5 * n;
      index[axes[2]] = 32;
      stroke.push_back(g.indexToWorld(index));
    }
    const EditResult r = editor.apply(brush("Liver", plane, stroke, 10.0));
    const UndoStep& step = editor.history().undoSteps().back();
    EXPECT_GT(r.changedVoxels, 2000u);
    EXPECT_LE(step.memoryBytes(), 2 * r.changedVoxels) << orientationName(plane);
  }
}

TEST(SegmentUndo, RemovingASegmentIsUndoneWithItsVoxelsAndPlace) {
  const ImageGeometry g = testGrid();
  const Volume volume = testVolume(g);
  SegmentEditorLogic editor(volume, Segmentation(g));
  for (const char* name : {"A", "B", "C"}) editor.apply(addSegment(name));
  editor.apply(brush("B", SliceOrientation::Axial, {at(g, 10, 10, 5), at(g, 25, 20, 5)}, 4));
  const Segmentation before = editor.segmentation();
  EditOperation remove;
  remove.tool = EditTool::RemoveSegment;
  remove.segment = "B";
  EXPECT_EQ(editor.apply(remove).stepName, "Remove segment B");
  EXPECT_EQ(editor.segmentation().segmentCount(), 2u);
  editor.undo();
  EXPECT_EQ(editor.segmentation(), before);
  EXPECT_EQ(editor.segmentation().segmentAt(1).name, "B");
  editor.redo();
  editor.apply(addSegment("D"));
  EXPECT_EQ(editor.segmentation().findSegmentByName("D")->id, 4u) << "ids are never reused";
}

TEST(SegmentUndo, HistoryLimitsDropTheOldestSteps) {
  const ImageGeometry g = testGrid();
  const Volume volume = testVolume(g);
  UndoHistory::Limits limits;
  limits.maxSteps = 5;
  SegmentEditorLogic editor(volume, Segmentation(g), UndoHistory(limits));
  editor.apply(addSegment("A"));
  for (int n = 0; n < 9; ++n) {
    editor.apply(brush("A", SliceOrientation::Axial, {at(g, 3.0 * n + 2, 10, 5)}, 1.2));
  }
  ASSERT_EQ(editor.history().undoSteps().size(), 5u);
  for (int n = 0; n < 5; ++n) editor.undo();
  EXPECT_FALSE(editor.history().canUndo());
  EXPECT_THROW(editor.undo(), std::invalid_argument);
  EXPECT_EQ(editor.history().redoName(), "Brush 1.2 mm on A");
}

TEST(SegmentUndo, BinaryHistoryRoundTripsAndRefusesDamageOrOtherVoxels) {
  const ImageGeometry g = testGrid();
  const Volume volume = testVolume(g);
  SegmentEditorLogic editor(volume, Segmentation(g));
  RandomEdits edits(g, 9);
  int applied = 0;
  while (applied < 40) {
    try {
      applied += editor.apply(edits.next(editor.segmentation())).changed;
    } catch (const std::invalid_argument&) {
    }
  }
  editor.undo();
  editor.undo();  // two steps on the redo stack as well
  const std::uint64_t digest = editor.segmentation().contentDigest();
  std::stringstream file;
  editor.history().write(file, digest);
  const std::string bytes = file.str();

  std::istringstream in(bytes);
  UndoHistory reread = UndoHistory::read(in, digest);
  EXPECT_EQ(reread.undoSteps(), editor.history().undoSteps());
  EXPECT_EQ(reread.redoSteps(), editor.history().redoSteps());

  // Undo all and redo all with the re-read history, from the saved voxels.
  SegmentEditorLogic resumed(volume, editor.segmentation(), std::move(reread));
  while (resumed.history().canRedo()) resumed.redo();
  while (resumed.history().canUndo()) resumed.undo();
  SegmentEditorLogic original(volume, editor.segmentation(), editor.history());
  while (original.history().canRedo()) original.redo();
  while (original.history().canUndo()) original.undo();
  EXPECT_EQ(resumed.segmentation(), original.segmentation());

  auto error = [&](const std::string& data, std::uint64_t expected) {
    std::istringstream damaged(data);
    try {
      UndoHistory::read(damaged, expected);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(error(bytes, digest + 1).find("other voxels"), std::string::npos);
  EXPECT_NE(error(bytes.substr(0, bytes.size() - 10), digest).find("damaged"), std::string::npos);
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x5a;
  EXPECT_NE(error(flipped, digest).find("damaged"), std::string::npos);
  EXPECT_NE(error("not a history", digest).find("magic"), std::string::npos);
}
