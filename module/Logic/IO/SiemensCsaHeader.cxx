#include "IO/SiemensCsaHeader.h"

#include <algorithm>
#include <cstring>

namespace annotrace {

namespace {

class ByteCursor {
 public:
  explicit ByteCursor(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool has(std::size_t n) const { return position_ + n <= bytes_.size(); }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    if (has(4)) {
      v = std::uint32_t(bytes_[position_]) | std::uint32_t(bytes_[position_ + 1]) << 8 |
          std::uint32_t(bytes_[position_ + 2]) << 16 | std::uint32_t(bytes_[position_ + 3]) << 24;
    }
    position_ += 4;
    return v;
  }
  std::string text(std::size_t n) {
    std::string s;
    if (has(n)) {
      const auto* begin = reinterpret_cast<const char*>(bytes_.data() + position_);
      s.assign(begin, strnlen(begin, n));
    }
    position_ += n;
    return s;
  }
  void skip(std::size_t n) { position_ += n; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t position_ = 0;
};

}  // namespace

SiemensCsaHeader::SiemensCsaHeader(std::span<const std::uint8_t> bytes) {
  constexpr std::uint32_t kMaxTags = 1024, kMaxItems = 4096;
  ByteCursor cursor(bytes);
  if (!cursor.has(16) || cursor.text(4) != "SV10") return;  // only the CSA2 layout
  cursor.skip(4);
  const std::uint32_t tagCount = cursor.u32();
  cursor.skip(4);
  if (tagCount > kMaxTags) return;
  for (std::uint32_t t = 0; t < tagCount && cursor.has(84); ++t) {
    std::string name = cursor.text(64);
    cursor.skip(4 + 4 + 4);  // VM, VR, SyngoDT
    const std::uint32_t itemCount = cursor.u32();
    cursor.skip(4);
    if (itemCount > kMaxItems) return;
    std::vector<std::string> values;
    for (std::uint32_t i = 0; i < itemCount; ++i) {
      if (!cursor.has(16)) return;
      cursor.skip(4);
      const std::uint32_t length = cursor.u32();
      cursor.skip(8);
      if (!cursor.has(length)) return;
      std::string value = cursor.text(length);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\0')) value.pop_back();
      if (!value.empty()) values.push_back(std::move(value));
      cursor.skip((4 - length % 4) % 4);
    }
    elements_[std::move(name)] = std::move(values);
  }
}

std::vector<double> SiemensCsaHeader::numbers(const std::string& name) const {
  std::vector<double> result;
  const auto it = elements_.find(name);
  if (it == elements_.end()) return result;
  for (const std::string& v : it->second) {
    try {
      result.push_back(std::stod(v));
    } catch (const std::exception&) {
      return {};
    }
  }
  return result;
}

}  // namespace annotrace
