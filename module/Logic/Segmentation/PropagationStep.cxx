#include "Segmentation/PropagationStep.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "Segmentation/DistanceMap2D.h"
#include "Segmentation/IntensityEvidence.h"
#include "Segmentation/LevelSetEvolution.h"

// The method, its parameters, their measured effect and the references: Docs/Propagation.md.

namespace annotrace {

namespace {

using Rect = PropagationStep::Rect;

// --- Parameters of one step (SlicePropagator.cxx holds those of the set-up) -------------------

// Intensity model
constexpr double kStartBlend = 0.75;  // share of the start slice in the inside model
// Level set
constexpr double kPriorWeight = 0.6;      // pull towards the carried shape, against the image
constexpr double kCurvatureWeight = 0.5;  // smoothing of the contour
// Slice-to-slice shift
constexpr double kShiftPenalty = 0.05;       // NCC given up for the longest shift
constexpr std::size_t kShiftSamples = 2500;  // template pixels sampled
// Clean-up
constexpr double kMinComponent = 0.08;  // pieces below this share of the largest are dropped
// Stopping
constexpr double kVanishFraction = 0.05;    // area below this share of the start: gone
constexpr double kCollapseFraction = 0.15;  // ... below this share and
constexpr double kCollapseStep = 0.6;       // ... below this share of the previous slice: ended
constexpr double kGrowthFactor = 2.0;       // more than this x the previous area (+ slack): leak
constexpr double kGrowthSlackPx = 25;
constexpr double kMinEvidence = 0.1;  // mean image evidence of the result below this: diverged
constexpr std::size_t kMinAreaPx = 3;

/// The rectangle r of a full-slice mask.
std::vector<std::uint8_t> cropMask(const SliceMask& mask, const Rect& r) {
  std::vector<std::uint8_t> out(r.area());
  for (int v = r.v0; v < r.v1; ++v) {
    std::copy_n(mask.pixels.data() + v * mask.width + r.u0, r.width(),
                out.data() + static_cast<std::size_t>(v - r.v0) * r.width());
  }
  return out;
}

// --- Raster helpers on a w x h rectangle (row-major) -------------------------------------------

/// Separable Gaussian smoothing with clamped borders: the intensity model sees tissue rather than
/// noise, and the shift search a smoother score.
void smooth(std::vector<float>& img, int w, int h, double sigmaU, double sigmaV) {
  auto pass = [&](double sigma, bool alongU) {
    const int radius = static_cast<int>(std::ceil(2.5 * sigma));
    std::vector<float> kernel(2 * radius + 1);
    double sum = 0;
    for (int t = -radius; t <= radius; ++t) {
      kernel[t + radius] = static_cast<float>(std::exp(-0.5 * t * t / (sigma * sigma)));
      sum += kernel[t + radius];
    }
    for (float& k : kernel) k = static_cast<float>(k / sum);
    const int n = alongU ? w : h;
    const int lines = alongU ? h : w;
    const std::size_t step = alongU ? 1 : static_cast<std::size_t>(w);
    std::vector<float> line(n);
    for (int l = 0; l < lines; ++l) {
      float* first = img.data() + (alongU ? static_cast<std::size_t>(l) * w : l);
      for (int p = 0; p < n; ++p) line[p] = first[p * step];
      for (int p = 0; p < n; ++p) {
        float acc = 0;
        for (int t = -radius; t <= radius; ++t) {
          acc += kernel[t + radius] * line[std::clamp(p + t, 0, n - 1)];
        }
        first[p * step] = acc;
      }
    }
  };
  pass(sigmaU, true);
  pass(sigmaV, false);
}

/// Signed distance to the mask's boundary (negative inside) in units of the finer pixel spacing.
std::vector<float> signedDistance(const std::vector<std::uint8_t>& mask, int w, int h, double su,
                                  double sv) {
  const DistanceMap2D map(mask, static_cast<std::size_t>(w), static_cast<std::size_t>(h), su, sv);
  std::vector<float> phi(mask.size());
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) phi[static_cast<std::size_t>(y) * w + x] = map.at(x, y);
  }
  return phi;
}

/// Connected components of the pixels equal to `value` (8-connected, else 4-connected): a label
/// per pixel (0 for the other pixels, components from 1 on); returns the component count.
int labelComponents(const std::vector<std::uint8_t>& mask, std::uint8_t value, bool eight, int w,
                    int h, std::vector<int>& labels) {
  labels.assign(mask.size(), 0);
  std::vector<int> stack;
  int count = 0;
  for (int start = 0; start < w * h; ++start) {
    if (mask[start] != value || labels[start] != 0) continue;
    labels[start] = ++count;
    stack.assign(1, start);
    while (!stack.empty()) {
      const int p = stack.back();
      stack.pop_back();
      const int x = p % w;
      const int y = p / w;
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
          if ((dx == 0 && dy == 0) || (!eight && dx != 0 && dy != 0)) continue;
          const int nx = x + dx;
          const int ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          const int q = ny * w + nx;
          if (mask[q] == value && labels[q] == 0) {
            labels[q] = count;
            stack.push_back(q);
          }
        }
      }
    }
  }
  return count;
}

/// Keeps the pieces of `mask` that grew from the carried shape `prior` and are not much smaller
/// than the largest (vessels and neighbours pinched off the structure), and fills the holes the
/// carried shape did not have (mostly inside `prior`), so that holes the user drew survive.
void cleanUp(std::vector<std::uint8_t>& mask, const std::vector<std::uint8_t>& prior, int w,
             int h) {
  std::vector<int> labels;
  const int count = labelComponents(mask, 1, true, w, h, labels);
  std::vector<std::size_t> area(count + 1, 0);
  std::vector<std::uint8_t> seeded(count + 1, 0);
  for (std::size_t p = 0; p < mask.size(); ++p) {
    area[labels[p]] += 1;
    if (prior[p]) seeded[labels[p]] = 1;
  }
  std::size_t largest = 0;
  for (int l = 1; l <= count; ++l) {
    if (seeded[l]) largest = std::max(largest, area[l]);
  }
  std::vector<std::uint8_t> keep(count + 1, 0);
  for (int l = 1; l <= count; ++l) keep[l] = seeded[l] && area[l] >= kMinComponent * largest;
  for (std::size_t p = 0; p < mask.size(); ++p) mask[p] = keep[labels[p]];

  const int holes = labelComponents(mask, 0, false, w, h, labels);
  std::vector<std::size_t> size(holes + 1, 0);
  std::vector<std::size_t> inPrior(holes + 1, 0);
  std::vector<std::uint8_t> open(holes + 1, 0);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const std::size_t p = static_cast<std::size_t>(y) * w + x;
      size[labels[p]] += 1;
      inPrior[labels[p]] += prior[p];
      if (x == 0 || y == 0 || x == w - 1 || y == h - 1) open[labels[p]] = 1;
    }
  }
  for (std::size_t p = 0; p < mask.size(); ++p) {
    const int l = labels[p];
    if (l != 0 && !open[l] && 2 * inPrior[l] > size[l]) mask[p] = 1;
  }
}

// --- Slice-to-slice shift ----------------------------------------------------------------------

struct Shift {
  int du = 0;
  int dv = 0;
};

/// The integer translation of the structure from `prev` to `next` (w x h each): the shift of the
/// template (structure plus ring) that maximises normalised cross-correlation, less a small
/// penalty on its length so that a featureless neighbourhood keeps the structure in place.
/// Intensities are clamped to [lo, hi] so that bone or air next to the structure cannot dominate.
Shift findShift(const std::vector<float>& prev, const std::vector<float>& next,
                const std::vector<std::uint8_t>& templ, std::size_t templCount, int w, int h,
                int radius, float lo, float hi) {
  struct Sample {
    int x, y;
    float a;
  };
  const int stride =
      std::max(1, static_cast<int>(std::sqrt(static_cast<double>(templCount) / kShiftSamples)));
  std::vector<Sample> samples;
  for (int y = 0; y < h; y += stride) {
    for (int x = 0; x < w; x += stride) {
      const std::size_t p = static_cast<std::size_t>(y) * w + x;
      if (templ[p]) samples.push_back({x, y, std::clamp(prev[p], lo, hi)});
    }
  }
  const double norm = static_cast<double>(std::max(radius, 1)) * std::max(radius, 1);
  auto score = [&](const Shift& s) {
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    std::size_t n = 0;
    for (const Sample& q : samples) {
      const int x = q.x + s.du;
      const int y = q.y + s.dv;
      if (x < 0 || y < 0 || x >= w || y >= h) continue;
      const double b = std::clamp(next[static_cast<std::size_t>(y) * w + x], lo, hi);
      sa += q.a;
      sb += b;
      saa += static_cast<double>(q.a) * q.a;
      sbb += b * b;
      sab += q.a * b;
      ++n;
    }
    if (n < samples.size() / 2 || n < 8) return -std::numeric_limits<double>::infinity();
    const double va = saa - sa * sa / n;
    const double vb = sbb - sb * sb / n;
    const double ncc = va > 0 && vb > 0 ? (sab - sa * sb / n) / std::sqrt(va * vb) : 0.0;
    return ncc - kShiftPenalty * (s.du * s.du + s.dv * s.dv) / norm;
  };
  // Coarse to fine: every second shift, then the neighbours of the best. Candidates go in order
  // of length, so that a tie keeps the shorter shift.
  double bestScore = -std::numeric_limits<double>::infinity();
  auto search = [&](const Shift& centre, int reach, int lattice, Shift best) {
    std::vector<Shift> order;
    for (int dv = -reach; dv <= reach; dv += lattice) {
      for (int du = -reach; du <= reach; du += lattice) {
        const Shift s{centre.du + du, centre.dv + dv};
        if (std::abs(s.du) <= radius && std::abs(s.dv) <= radius) order.push_back(s);
      }
    }
    std::stable_sort(order.begin(), order.end(), [](const Shift& a, const Shift& b) {
      return a.du * a.du + a.dv * a.dv < b.du * b.du + b.dv * b.dv;
    });
    for (const Shift& s : order) {
      const double value = score(s);
      if (value > bestScore) {
        bestScore = value;
        best = s;
      }
    }
    return best;
  };
  const int lattice = radius >= 3 ? 2 : 1;
  Shift best = search({0, 0}, radius, lattice, {});
  if (lattice > 1) best = search(best, 1, 1, best);
  return best;
}

/// The inside (level < 0) of a working-resolution level set at full resolution, by bilinear
/// interpolation (fw x fh pixels, scale s).
std::vector<std::uint8_t> insideAtFullResolution(const std::vector<float>& level, int w, int h,
                                                 int s, int fw, int fh) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(fw) * fh);
  auto at = [&](int x, int y) { return level[static_cast<std::size_t>(y) * w + x]; };
  for (int y = 0; y < fh; ++y) {
    const double cy = std::clamp((y + 0.5) / s - 0.5, 0.0, h - 1.0);
    const int y0 = static_cast<int>(cy);
    const int y1 = std::min(y0 + 1, h - 1);
    const double ty = cy - y0;
    for (int x = 0; x < fw; ++x) {
      const double cx = std::clamp((x + 0.5) / s - 0.5, 0.0, w - 1.0);
      const int x0 = static_cast<int>(cx);
      const int x1 = std::min(x0 + 1, w - 1);
      const double tx = cx - x0;
      const double value = (1 - ty) * ((1 - tx) * at(x0, y0) + tx * at(x1, y0)) +
                           ty * ((1 - tx) * at(x0, y1) + tx * at(x1, y1));
      out[static_cast<std::size_t>(y) * fw + x] = value < 0 ? 1 : 0;
    }
  }
  return out;
}

}  // namespace

// --- Working resolution ------------------------------------------------------------------------

PropagationStep::Rect PropagationStep::workingRect(const Rect& box, int margin, const Context& c) {
  const int s = c.scale;
  Rect r{std::max(0, box.u0 - margin * s), std::max(0, box.v0 - margin * s),
         std::min(c.frame.width, box.u1 + margin * s),
         std::min(c.frame.height, box.v1 + margin * s)};
  auto fit = [s](int& lo, int& hi, int limit) {
    const int want = (hi - lo + s - 1) / s * s;
    hi = std::min(limit, lo + want);
    lo = std::max(0, hi - want);
    hi = lo + (hi - lo) / s * s;
  };
  fit(r.u0, r.u1, c.frame.width);
  fit(r.v0, r.v1, c.frame.height);
  return r;
}

std::vector<float> PropagationStep::workingImage(const Context& c, int slice, const Rect& r) {
  std::vector<float> fine =
      readSliceRect(c.volume, c.orientation, static_cast<std::size_t>(slice),
                    static_cast<std::size_t>(r.u0), static_cast<std::size_t>(r.v0),
                    static_cast<std::size_t>(r.width()), static_cast<std::size_t>(r.height()));
  const int s = c.scale;
  const int w = r.width() / s;
  const int h = r.height() / s;
  std::vector<float> img;
  if (s == 1) {
    img = std::move(fine);
  } else {
    img.assign(static_cast<std::size_t>(w) * h, 0.F);
    const float norm = 1.F / static_cast<float>(s * s);
    for (int y = 0; y < h * s; ++y) {
      for (int x = 0; x < w * s; ++x) {
        img[static_cast<std::size_t>(y / s) * w + x / s] +=
            norm * fine[static_cast<std::size_t>(y) * r.width() + x];
      }
    }
  }
  smooth(img, w, h, c.sigmaU, c.sigmaV);
  return img;
}

std::vector<std::uint8_t> PropagationStep::workingMask(const SliceMask& mask, const Rect& r,
                                                       int s) {
  std::vector<std::uint8_t> fine = cropMask(mask, r);
  if (s == 1) return fine;
  const int w = r.width() / s;
  const int h = r.height() / s;
  std::vector<int> count(static_cast<std::size_t>(w) * h, 0);
  for (int y = 0; y < h * s; ++y) {
    for (int x = 0; x < w * s; ++x) {
      count[static_cast<std::size_t>(y / s) * w + x / s] +=
          fine[static_cast<std::size_t>(y) * r.width() + x];
    }
  }
  std::vector<std::uint8_t> out(count.size());
  for (std::size_t p = 0; p < out.size(); ++p) out[p] = 2 * count[p] >= s * s ? 1 : 0;
  return out;
}

// --- Step --------------------------------------------------------------------------------------

bool PropagationStep::carry(const Context& c, Track& track, int from, int to) {
  const SliceFrame& f = c.frame;
  const int s = c.scale;
  const int growth = static_cast<int>(std::ceil(2 * c.motionPx)) + 2;
  const Rect roi = workingRect(track.box, c.ringPx + c.shiftRadius + growth, c);
  const int w = roi.width() / s;
  const int h = roi.height() / s;
  const std::size_t n = static_cast<std::size_t>(w) * h;

  const std::vector<float> prev = workingImage(c, from, roi);
  const std::vector<float> next = workingImage(c, to, roi);
  const std::vector<std::uint8_t> prevMask = workingMask(track.mask, roi, s);

  // The previous slice's structure (inside model, blended with the start slice) and the ring of
  // tissue around it (outside model); together they are the shift search's template.
  const std::vector<float> prevPhi = signedDistance(prevMask, w, h, f.scaleU, f.scaleV);
  std::vector<std::uint8_t> ring(n);
  std::vector<std::uint8_t> templ(n);
  std::size_t templCount = 0;
  for (std::size_t p = 0; p < n; ++p) {
    ring[p] = prevPhi[p] > 0 && prevPhi[p] <= c.ringPx ? 1 : 0;
    templ[p] = prevPhi[p] <= c.ringPx ? 1 : 0;
    templCount += templ[p];
  }
  IntensityHistogram inside = histogramOf(prev, prevMask, c.range);
  for (int b = 0; b < kIntensityBins; ++b) {
    inside[b] = (1 - kStartBlend) * inside[b] + kStartBlend * c.startInside[b];
  }
  const EvidenceTable evidence = evidenceTable(inside, histogramOf(prev, ring, c.range));

  const auto lo = static_cast<float>(c.range.lo - kIntensityBins * c.range.binWidth);
  const auto hi = static_cast<float>(c.range.lo + 2 * kIntensityBins * c.range.binWidth);
  const Shift shift = findShift(prev, next, templ, templCount, w, h, c.shiftRadius, lo, hi);

  // The shifted previous shape is the prior and the level set's start; its signed distance is
  // the previous one shifted (the rectangle's margin keeps its edge far from the contour).
  std::vector<float> phi(n);
  std::vector<std::uint8_t> prior(n);
  for (int y = 0; y < h; ++y) {
    const int sy = std::clamp(y - shift.dv, 0, h - 1);
    for (int x = 0; x < w; ++x) {
      const std::size_t p = static_cast<std::size_t>(y) * w + x;
      phi[p] = prevPhi[static_cast<std::size_t>(sy) * w + std::clamp(x - shift.du, 0, w - 1)];
      prior[p] = phi[p] < 0 ? 1 : 0;
    }
  }

  // Speed: the new slice's image evidence plus a pull towards the carried shape that grows with
  // the distance from its contour, so that ambiguous tissue keeps the previous outline.
  std::vector<float> speed(n);
  std::vector<float> pixelEvidence(n);
  for (std::size_t p = 0; p < n; ++p) {
    const int b = c.range.bin(next[p]);
    pixelEvidence[p] = b < 0 ? -1.F : evidence[b];
    const double pull = std::clamp(-phi[p] / c.motionPx, -1.0, 1.0);
    speed[p] = static_cast<float>(pixelEvidence[p] + kPriorWeight * pull);
  }
  std::vector<float> level = LevelSetEvolution::evolve(phi, speed, w, h, f.scaleU, f.scaleV,
                                                       kCurvatureWeight, c.iterations);

  std::vector<std::uint8_t> kept(n);
  for (std::size_t p = 0; p < n; ++p) kept[p] = level[p] < 0 ? 1 : 0;
  cleanUp(kept, prior, w, h);
  const int fw = roi.width();
  const int fh = roi.height();
  std::vector<std::uint8_t> result;
  if (s == 1) {
    result = std::move(kept);
  } else {
    // Dropped pieces and filled holes go into the level set before it is interpolated.
    for (std::size_t p = 0; p < n; ++p) {
      if (kept[p] != (level[p] < 0 ? 1 : 0)) level[p] = kept[p] ? -1.F : 1.F;
    }
    result = insideAtFullResolution(level, w, h, s, fw, fh);
  }

  // Stop where the structure ends: its area vanishes or collapses, the contour leaked into a
  // neighbour, or the image no longer looks like the structure.
  std::size_t area = 0;
  double evidenceSum = 0;
  Rect box{roi.u1, roi.v1, roi.u0, roi.v0};
  for (int y = 0; y < fh; ++y) {
    for (int x = 0; x < fw; ++x) {
      if (!result[static_cast<std::size_t>(y) * fw + x]) continue;
      ++area;
      evidenceSum += pixelEvidence[static_cast<std::size_t>(std::min(y / s, h - 1)) * w +
                                   std::min(x / s, w - 1)];
      box = {std::min(box.u0, roi.u0 + x), std::min(box.v0, roi.v0 + y),
             std::max(box.u1, roi.u0 + x + 1), std::max(box.v1, roi.v0 + y + 1)};
    }
  }
  const auto a = static_cast<double>(area);
  if (area < kMinAreaPx || a < kVanishFraction * c.startArea) return false;
  if (a < kCollapseFraction * c.startArea && a < kCollapseStep * track.area) return false;
  if (a > kGrowthFactor * track.area + kGrowthSlackPx) return false;
  if (evidenceSum / a < kMinEvidence) return false;

  SliceMask mask(static_cast<std::size_t>(f.width), static_cast<std::size_t>(f.height));
  for (int y = 0; y < fh; ++y) {
    std::copy_n(result.data() + static_cast<std::size_t>(y) * fw, fw,
                mask.pixels.data() + static_cast<std::size_t>(roi.v0 + y) * mask.width + roi.u0);
  }
  track = Track{std::move(mask), box, area};
  return true;
}

}  // namespace annotrace
