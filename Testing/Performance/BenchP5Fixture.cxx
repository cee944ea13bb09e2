// The fixture of benchmark P5 (see BenchP5Fixture.h).

#include "BenchP5Fixture.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <numbers>
#include <utility>

#include "Segmentation/Segment.h"
#include "Segmentation/SliceProvenance.h"
#include "Segmentation/SparseMask.h"

namespace annotrace::bench::p5 {
namespace {

constexpr double kPi = std::numbers::pi;

/// A deterministic hash in [-1, 1] (the splitmix64 finaliser over a mix of the arguments).
double hashUnit(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  std::uint64_t x = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E5Full) * 0xC2B2AE3D27D4EB4Full ^
                    (c + 0x165667B19E3779F9ull) * 0x94D049BB133111EBull;
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return double(x >> 11) / double(1ull << 52) - 1.0;
}

/// One organ: an approximate signed distance in mm (negative inside) and a bounding box in mm.
struct Organ {
  std::string name;
  std::string code;  ///< SNOMED CT
  std::array<std::uint8_t, 3> color{};
  std::array<double, 3> lo{}, hi{};
  std::function<double(double, double, double)> distance;
};

/// A lobulated ellipsoid: the radial distance to a surface whose radius varies by a few percent
/// with the direction (low harmonics, so lobes rather than noise).
Organ ellipsoid(std::string name, std::string code, std::array<std::uint8_t, 3> color,
                std::array<double, 3> c, std::array<double, 3> semi, double lobes, double phase) {
  Organ o{std::move(name), std::move(code), color, {}, {}, {}};
  for (int d = 0; d < 3; ++d) {
    o.lo[d] = c[d] - semi[d] * (1 + lobes) - 2;
    o.hi[d] = c[d] + semi[d] * (1 + lobes) + 2;
  }
  o.distance = [=](double x, double y, double z) {
    const double u = (x - c[0]) / semi[0], v = (y - c[1]) / semi[1], w = (z - c[2]) / semi[2];
    const double q = std::sqrt(u * u + v * v + w * w);
    const double rho =
        std::sqrt((x - c[0]) * (x - c[0]) + (y - c[1]) * (y - c[1]) + (z - c[2]) * (z - c[2]));
    if (q < 1e-9) return -1e3;
    const double theta = std::atan2(v, u);
    const double cosPolar = w / q;
    const double lobe = lobes * (std::sin(3 * theta + phase) * (1 - cosPolar * cosPolar) +
                                 0.6 * std::cos(2 * theta - 2 * phase) * cosPolar +
                                 0.4 * std::sin(5 * theta + 4 * cosPolar + phase));
    return (q - 1 - lobe) * rho / q;
  };
  return o;
}

/// The fixture's organs, in label order; each excludes the voxels of those before it, so the
/// ones that meet (liver, gallbladder, stomach, spleen, kidneys, adrenal) touch without overlap.
std::vector<Organ> makeOrgans() {
  std::vector<Organ> organs;
  organs.push_back(
      ellipsoid("Liver", "10200004", {221, 130, 101}, {-60, -10, 300}, {85, 65, 65}, 0.07, 0.4));
  organs.push_back(
      ellipsoid("Spleen", "78961009", {157, 108, 162}, {78, 32, 300}, {26, 45, 44}, 0.06, 1.1));
  organs.push_back(
      ellipsoid("Stomach", "69695003", {216, 132, 105}, {32, -38, 312}, {46, 36, 54}, 0.08, 2.0));
  organs.push_back(ellipsoid("Right kidney", "9846003", {185, 102, 83}, {-72, 48, 238},
                             {28, 25, 55}, 0.04, 0.7));
  organs.push_back(
      ellipsoid("Left kidney", "18639004", {185, 102, 83}, {72, 50, 250}, {28, 25, 55}, 0.04, 2.9));
  organs.push_back(ellipsoid("Gallbladder", "28231008", {139, 150, 98}, {-38, -52, 252},
                             {15, 15, 35}, 0.05, 0.2));
  organs.push_back(ellipsoid("Urinary bladder", "89837001", {222, 154, 132}, {0, -30, 60},
                             {50, 40, 40}, 0.05, 1.7));
  organs.push_back(ellipsoid("Left adrenal gland", "23451007", {249, 186, 150}, {52, 34, 292},
                             {7, 11, 21}, 0.10, 0.9));
  {
    // Aorta: a tube along z, wandering a little, tapering from 11 to 9 mm.
    Organ o{"Aorta", "15825003", {224, 97, 76}, {-12, 8, 118}, {22, 42, 422}, {}};
    o.distance = [](double x, double y, double z) {
      if (z < 120 || z > 420) return std::max(120 - z, z - 420);
      const double cx = 5 + 3 * std::sin(z / 60), cy = 25 + 4 * std::cos(z / 80);
      const double r = 11 - 2 * (420 - z) / 300;
      return std::hypot(x - cx, y - cy) - r;
    };
    organs.push_back(std::move(o));
  }
  {
    // Pancreas: thin and irregular, a curved tube across the abdomen (in front of the aorta,
    // below the liver and the stomach) whose radius swings from a few mm to ~15 mm, with lobules.
    Organ o{"Pancreas", "15776009", {249, 180, 111}, {-48, -20, 204}, {93, 24, 260}, {}};
    o.distance = [](double x, double y, double z) {
      const double xs = std::clamp(x, -30.0, 75.0);
      const double cy = 5 - 6 * std::sin((xs + 30) / 105 * kPi);
      const double cz = 232 + 8 * std::sin(xs / 25);
      const double r =
          10 + 3.5 * std::sin(xs / 9) + 2 * std::cos(xs / 4.3 + 1) - 3 * (xs + 30) / 105;
      return std::sqrt((x - xs) * (x - xs) + (y - cy) * (y - cy) + (z - cz) * (z - cz)) - r;
    };
    organs.push_back(std::move(o));
  }
  return organs;
}

/// The row-wise ragged edge of a manual or threshold segmentation: each end of each row moves
/// by up to ~1 voxel, independently.
bool insideOrgan(const std::vector<Organ>& organs, std::size_t p, double x, double y, double z,
                 std::size_t j, std::size_t k) {
  const Organ& o = organs[p];
  const double jitter = 0.9 * hashUnit(p * 2 + (x > 0.5 * (o.lo[0] + o.hi[0]) ? 1 : 0), j, k);
  return o.distance(x, y, z) < jitter;
}

SparseMask rasterize(const std::vector<Organ>& organs, std::size_t p, const ImageGeometry& g) {
  SparseMask mask(g.size);
  const Organ& o = organs[p];
  auto range = [&](int d) {
    const double step = g.spacing[d];
    const auto first = static_cast<std::ptrdiff_t>(std::ceil((o.lo[d] - g.origin[d]) / step));
    const auto last = static_cast<std::ptrdiff_t>(std::floor((o.hi[d] - g.origin[d]) / step));
    return std::pair<std::size_t, std::size_t>(
        std::size_t(std::max<std::ptrdiff_t>(0, first)),
        std::size_t(std::min<std::ptrdiff_t>(std::ptrdiff_t(g.size[d]) - 1, last)) + 1);
  };
  const auto [i0, i1] = range(0);
  const auto [j0, j1] = range(1);
  const auto [k0, k1] = range(2);
  for (std::size_t k = k0; k < k1; ++k) {
    const double z = g.origin[2] + double(k) * g.spacing[2];
    for (std::size_t j = j0; j < j1; ++j) {
      const double y = g.origin[1] + double(j) * g.spacing[1];
      std::size_t runStart = 0, runLength = 0;
      for (std::size_t i = i0; i <= i1; ++i) {
        bool in = false;
        if (i < i1) {
          const double x = g.origin[0] + double(i) * g.spacing[0];
          in = insideOrgan(organs, p, x, y, z, j, k);
          for (std::size_t q = 0; in && q < p; ++q) {
            const Organ& other = organs[q];
            if (x >= other.lo[0] && x <= other.hi[0] && y >= other.lo[1] && y <= other.hi[1] &&
                z >= other.lo[2] && z <= other.hi[2] && insideOrgan(organs, q, x, y, z, j, k)) {
              in = false;
            }
          }
        }
        if (in) {
          if (runLength == 0) runStart = i;
          ++runLength;
        } else if (runLength != 0) {
          mask.setRun(runStart, j, k, runLength);
          runLength = 0;
        }
      }
    }
  }
  return mask;
}

/// Per-slice provenance on a few slices: a drawn/interpolated axial stack for the liver,
/// propagated and drawn axial slices for the pancreas, two drawn coronal slices for a kidney.
SliceProvenance provenanceFor(std::size_t p, const SparseMask& mask) {
  SliceProvenance prov(kSize);
  const auto box = mask.bounds();
  if (!box) return prov;
  const std::size_t kLo = box->lo[2], kHi = box->hi[2] - 1;  // hi is exclusive
  if (p == 0) {  // liver: key slices every 8, interpolated between
    for (std::size_t k = kLo; k <= kHi; ++k) {
      prov.set(SliceOrientation::Axial, k,
               (k - kLo) % 8 == 0 ? SliceSource::Drawn : SliceSource::Interpolated);
    }
  } else if (p == 9) {  // pancreas: three drawn, the rest propagated
    const std::size_t mid = (kLo + kHi) / 2;
    for (std::size_t k = kLo; k <= kHi; ++k) {
      prov.set(SliceOrientation::Axial, k,
               k == kLo || k == mid || k == kHi ? SliceSource::Drawn : SliceSource::Propagated);
    }
  } else if (p == 3) {  // right kidney: two coronal key slices
    const std::size_t jMid = (box->lo[1] + box->hi[1]) / 2;
    prov.set(SliceOrientation::Coronal, jMid - 5, SliceSource::Drawn);
    prov.set(SliceOrientation::Coronal, jMid + 5, SliceSource::Drawn);
  }
  return prov;
}

Segment segmentFor(const Organ& organ, std::size_t p) {
  Segment s;
  s.id = static_cast<SegmentId>(p + 1);
  s.name = organ.name;
  s.color = organ.color;
  s.labelValue = static_cast<std::uint16_t>(p + 1);
  s.terminology.category = {"123037004", "SCT", "Anatomical Structure"};
  s.terminology.type = {organ.code, "SCT", organ.name};
  s.status = p % 3 == 0 ? SegmentStatus::Completed : SegmentStatus::InProgress;
  return s;
}

}  // namespace

ImageGeometry makeGeometry() {
  ImageGeometry g;
  g.size = kSize;
  g.spacing = {kPixelMm, kPixelMm, kSliceMm};
  // LPS, identity direction: x to the patient's left, y posterior, z = k * 1.5 mm superior.
  const double half = 0.5 * double(kSize[0] - 1) * kPixelMm;
  g.origin = {-half, -half, 0.0};
  return g;
}

std::vector<Fixture> makeFixtures(const ImageGeometry& g) {
  const std::vector<Organ> organs = makeOrgans();
  Segmentation organsMap(g);
  for (std::size_t p = 0; p < organs.size(); ++p) {
    SparseMask mask = rasterize(organs, p, g);
    SliceProvenance prov = provenanceFor(p, mask);
    organsMap.insertSegment(p, segmentFor(organs[p], p), std::move(mask), std::move(prov));
  }
  organsMap.setNextSegmentId(static_cast<SegmentId>(organs.size() + 1));
  Segmentation oneSegment(g);
  oneSegment.insertSegment(0, organsMap.segmentAt(0), organsMap.maskAt(0),
                           organsMap.provenance(organsMap.segmentAt(0).id));
  oneSegment.setNextSegmentId(2);
  Segmentation emptyMap(g);

  std::vector<Fixture> fixtures;
  fixtures.push_back({"10 organs", std::move(organsMap), {}, 0, 0});
  fixtures.push_back({"1 segment", std::move(oneSegment), {}, 0, 0});
  fixtures.push_back({"empty", std::move(emptyMap), {}, 0, 0});
  return fixtures;
}

}  // namespace annotrace::bench::p5
