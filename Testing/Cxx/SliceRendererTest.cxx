// Slice layout on screen (radiological convention from the direction cosines) and the slice
// renderer's pixels: window/level as DICOM's linear function, segment fill and outline,
// hidden segments, provenance patterns and previews, against values computed here.
#include <gtest/gtest.h>

#include <random>

#include "Render/SliceDisplay.h"
#include "Render/SliceRenderer.h"

using namespace annotrace;

namespace {

ImageGeometry grid(std::array<std::size_t, 3> size, Mat3 direction = identityMatrix()) {
  ImageGeometry g;
  g.size = size;
  g.spacing = {0.8, 0.9, 2.5};
  g.direction = direction;
  return g;
}

std::string letters(const SliceDisplay& d) {
  return {d.letters[0], d.letters[1], d.letters[2], d.letters[3]};
}

std::uint32_t rgb(int r, int g, int b) {
  return 0xff000000U | std::uint32_t(r << 16 | g << 8 | b);
}

std::uint32_t greyPixel(int level) {
  return rgb(level, level, level);
}

/// 40 % of a colour over a grey level, as the renderer blends (alpha 102 / 256).
std::uint32_t fill(int level, const std::array<std::uint8_t, 3>& c, int alpha = 102) {
  auto mix = [&](int channel) { return (level * (256 - alpha) + channel * alpha) >> 8; };
  return rgb(mix(c[0]), mix(c[1]), mix(c[2]));
}

}  // namespace

TEST(SliceDisplay, StandardGridIsShownRadiologically) {
  const ImageGeometry g = grid({40, 30, 20});
  const SliceDisplay axial = SliceDisplay::of(g, SliceOrientation::Axial);
  EXPECT_EQ(letters(axial), "RLAP");
  EXPECT_FALSE(axial.transpose || axial.flipX || axial.flipY);
  EXPECT_EQ(axial.width, 40u);
  EXPECT_EQ(axial.height, 30u);
  EXPECT_STREQ(axial.plane, "axial");
  const SliceDisplay coronal = SliceDisplay::of(g, SliceOrientation::Coronal);
  EXPECT_EQ(letters(coronal), "RLSI");
  EXPECT_TRUE(coronal.flipY);
  EXPECT_FALSE(coronal.transpose || coronal.flipX);
  EXPECT_DOUBLE_EQ(coronal.pixelHeightMm, 2.5);
  const SliceDisplay sagittal = SliceDisplay::of(g, SliceOrientation::Sagittal);
  EXPECT_EQ(letters(sagittal), "APSI");
  EXPECT_TRUE(sagittal.flipY);
  EXPECT_FALSE(sagittal.transpose || sagittal.flipX);
  EXPECT_EQ(sagittal.width, 30u);
}

TEST(SliceDisplay, GridsStoredOtherwiseAreTurnedUpright) {
  // Stored right-to-left and anterior-to-posterior reversed (RAS order): flipped both ways.
  const SliceDisplay ras = SliceDisplay::of(
      grid({40, 30, 20}, {{{-1, 0, 0}, {0, -1, 0}, {0, 0, 1}}}), SliceOrientation::Axial);
  EXPECT_TRUE(ras.flipX && ras.flipY);
  EXPECT_EQ(letters(ras), "RLAP");
  // A sagittal acquisition: i runs posterior, j inferior, k left. Its "axial" index family shows
  // sagittal anatomy, its "coronal" family (fixed j) axial anatomy with u and v swapped.
  Mat3 sag{};
  setColumn(sag, 0, {0, 1, 0});
  setColumn(sag, 1, {0, 0, -1});
  setColumn(sag, 2, {1, 0, 0});
  const ImageGeometry g = grid({40, 30, 20}, sag);
  const SliceDisplay k = SliceDisplay::of(g, SliceOrientation::Axial);
  EXPECT_STREQ(k.plane, "sagittal");
  EXPECT_EQ(letters(k), "APSI");
  EXPECT_FALSE(k.transpose || k.flipX || k.flipY);
  const SliceDisplay j = SliceDisplay::of(g, SliceOrientation::Coronal);
  EXPECT_STREQ(j.plane, "axial");
  EXPECT_TRUE(j.transpose);
  EXPECT_EQ(letters(j), "RLAP");
  EXPECT_EQ(j.width, 20u);  // along k (left-right)
  EXPECT_EQ(j.height, 40u);
}

TEST(SliceDisplay, ScreenAndSliceCoordinatesRoundTrip) {
  std::mt19937 random(4);
  std::uniform_real_distribution<double> at(0, 1);
  Mat3 sag{};
  setColumn(sag, 0, {0, 1, 0});
  setColumn(sag, 1, {0, 0, -1});
  setColumn(sag, 2, {1, 0, 0});
  for (const Mat3& m : {identityMatrix(), Mat3{{{-1, 0, 0}, {0, -1, 0}, {0, 0, 1}}}, sag}) {
    for (SliceOrientation f :
         {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal}) {
      const SliceDisplay d = SliceDisplay::of(grid({40, 30, 20}, m), f);
      for (int n = 0; n < 50; ++n) {
        const double x = at(random) * double(d.width), y = at(random) * double(d.height);
        const auto [u, v] = d.screenToSlice(x, y);
        const auto [x2, y2] = d.sliceToScreen(u, v);
        EXPECT_NEAR(x2, x, 1e-9);
        EXPECT_NEAR(y2, y, 1e-9);
        const auto [pu, pv] = d.slicePixel(std::size_t(x), std::size_t(y));
        EXPECT_EQ(pu, std::size_t(std::floor(u + 0.5)));
        EXPECT_EQ(pv, std::size_t(std::floor(v + 0.5)));
      }
    }
  }
}

TEST(SliceRenderer, WindowLevelFollowsTheLinearFunction) {
  const ImageGeometry g = grid({64, 48, 8});
  VoxelVector<std::int16_t> voxels(g.voxelCount());
  for (std::size_t p = 0; p < voxels.size(); ++p) voxels[p] = std::int16_t(int(p % 1000) - 500);
  const Volume volume(g, VoxelBuffer(std::move(voxels)));
  const WindowLevel window{"w", 300, 20};
  SliceRenderer renderer;
  SliceImage image;
  for (SliceOrientation f :
       {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal}) {
    const SliceDisplay d = SliceDisplay::of(g, f);
    renderer.render(volume, nullptr, d, 3, window, {}, nullptr, image);
    for (std::size_t y = 0; y < d.height; y += 5) {
      for (std::size_t x = 0; x < d.width; x += 3) {
        const auto [u, v] = d.slicePixel(x, y);
        std::array<std::size_t, 3> index{};
        index[std::size_t(d.axes[0])] = u;
        index[std::size_t(d.axes[1])] = v;
        index[std::size_t(d.axes[2])] = 3;
        const double value = volume.value(index[0], index[1], index[2]);
        const int level = int(std::lround(std::clamp((value - (20 - 150)) / 300, 0.0, 1.0) * 255));
        ASSERT_EQ(image.at(x, y), greyPixel(level)) << "value " << value;
      }
    }
  }
  // Float voxels take the same function.
  VoxelVector<float> floats(g.voxelCount(), 95.F);
  const Volume floatVolume(g, VoxelBuffer(std::move(floats)));
  renderer.render(floatVolume, nullptr, SliceDisplay::of(g, SliceOrientation::Axial), 0, window, {},
                  nullptr, image);
  EXPECT_EQ(image.at(10, 10), greyPixel(int(std::lround((95.0 - (20 - 150)) / 300 * 255))));
}

TEST(SliceRenderer, SegmentsAreFilledOutlinedHiddenAndMarkedByProvenance) {
  const ImageGeometry g = grid({32, 32, 4});
  const Volume volume(g, VoxelBuffer(VoxelVector<std::int16_t>(g.voxelCount(), 0)));
  const WindowLevel window{"w", 200, 0};  // value 0 -> grey 128
  Segmentation seg(g);
  Segment a;
  a.name = "A";
  a.color = {200, 40, 40};
  Segment b;
  b.name = "B";
  b.color = {30, 220, 60};
  const SegmentId ida = seg.addSegment(a).id, idb = seg.addSegment(b).id;
  for (std::size_t j = 8; j < 20; ++j)
    for (std::size_t i = 8; i < 20; ++i) seg.mask(ida).assign(i, j, 1, true);
  for (std::size_t j = 14; j < 26; ++j)
    for (std::size_t i = 14; i < 26; ++i) seg.mask(idb).assign(i, j, 1, true);
  const SliceDisplay d = SliceDisplay::of(g, SliceOrientation::Axial);
  SliceRenderer renderer;
  SliceImage image;
  renderer.render(volume, &seg, d, 1, window, {}, nullptr, image);
  EXPECT_EQ(image.at(2, 2), greyPixel(128));
  EXPECT_EQ(image.at(10, 10), fill(128, a.color));  // inside A only
  EXPECT_EQ(image.at(8, 12), rgb(200, 40, 40));     // A's edge
  EXPECT_EQ(image.at(17, 17), fill(128, b.color));  // the later segment shows on top
  EXPECT_EQ(image.at(25, 20), rgb(30, 220, 60));    // B's edge
  // Another slice holds nothing.
  renderer.render(volume, &seg, d, 2, window, {}, nullptr, image);
  EXPECT_EQ(image.at(10, 10), greyPixel(128));
  // Hidden B: A shows through where they overlap.
  Segment hidden = seg.segment(idb);
  hidden.visible = false;
  seg.updateSegment(hidden);
  renderer.render(volume, &seg, d, 1, window, {}, nullptr, image);
  EXPECT_EQ(image.at(17, 17), fill(128, a.color));
  EXPECT_EQ(image.at(22, 22), greyPixel(128));
  // An interpolated slice of A has a dotted outline: edge pixels alternate.
  seg.provenance(ida).set(SliceOrientation::Axial, 1, SliceSource::Interpolated);
  renderer.render(volume, &seg, d, 1, window, {}, nullptr, image);
  EXPECT_EQ(image.at(8, 12), rgb(200, 40, 40));    // (8 + 12) even: drawn
  EXPECT_EQ(image.at(8, 13), fill(128, a.color));  // odd: left as fill
  // A preview patch: half the fill under a dashed outline of the segment's colour.
  SegmentationPreview preview;
  SlicePatch patch;
  patch.segment = ida;
  patch.slice = {SliceOrientation::Axial, 2};
  patch.u0 = 4;
  patch.v0 = 4;
  patch.mask = SliceMask(10, 10);
  for (std::size_t v = 0; v < 10; ++v)
    for (std::size_t u = 0; u < 10; ++u) patch.mask.set(u, v);
  preview.patches.push_back(patch);
  renderer.render(volume, &seg, d, 2, window, {}, &preview, image);
  EXPECT_EQ(image.at(8, 8), fill(128, a.color, 51));
  EXPECT_EQ(image.at(4, 4), rgb(200, 40, 40));  // (4 + 4) % 4 < 2: dash
  EXPECT_EQ(image.at(20, 20), greyPixel(128));
  EXPECT_THROW(renderer.render(volume, &seg, d, 4, window, {}, nullptr, image), std::out_of_range);
}
