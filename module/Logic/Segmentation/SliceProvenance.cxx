#include "Segmentation/SliceProvenance.h"

#include <stdexcept>
#include <string>

namespace annotrace {

namespace {

std::size_t family(SliceOrientation orientation) {
  return static_cast<std::size_t>(orientation);
}

}  // namespace

std::string_view sliceSourceName(SliceSource source) {
  switch (source) {
    case SliceSource::None:
      return "none";
    case SliceSource::Drawn:
      return "drawn";
    case SliceSource::Interpolated:
      return "interpolated";
    case SliceSource::Propagated:
      return "propagated";
  }
  return "none";
}

std::optional<SliceSource> sliceSourceFromName(std::string_view name) {
  for (SliceSource s : {SliceSource::None, SliceSource::Drawn, SliceSource::Interpolated,
                        SliceSource::Propagated}) {
    if (sliceSourceName(s) == name) return s;
  }
  return std::nullopt;
}

SliceProvenance::SliceProvenance(const std::array<std::size_t, 3>& gridSize) {
  for (SliceOrientation o :
       {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal}) {
    slices_[family(o)].assign(gridSize[SliceSpec{o, 0}.axes()[2]], SliceSource::None);
  }
}

SliceSource SliceProvenance::at(SliceOrientation orientation, std::size_t slice) const {
  const auto& list = slices_[family(orientation)];
  return slice < list.size() ? list[slice] : SliceSource::None;
}

void SliceProvenance::set(SliceOrientation orientation, std::size_t slice, SliceSource source) {
  auto& list = slices_[family(orientation)];
  if (slice >= list.size()) {
    throw std::out_of_range("slice " + std::to_string(slice) + " is outside the " +
                            std::string(orientationName(orientation)) + " range");
  }
  list[slice] = source;
}

std::vector<std::size_t> SliceProvenance::slicesWith(SliceOrientation orientation,
                                                     SliceSource source) const {
  std::vector<std::size_t> out;
  const auto& list = slices_[family(orientation)];
  for (std::size_t s = 0; s < list.size(); ++s) {
    if (list[s] == source) out.push_back(s);
  }
  return out;
}

std::size_t SliceProvenance::sliceCount(SliceOrientation orientation) const {
  return slices_[family(orientation)].size();
}

bool SliceProvenance::empty() const {
  for (const auto& list : slices_) {
    for (SliceSource s : list) {
      if (s != SliceSource::None) return false;
    }
  }
  return true;
}

}  // namespace annotrace
