#include "Volume/GeometryDifference.h"

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

namespace annotrace {

namespace {

std::string formatTriple(const std::array<double, 3>& v) {
  std::ostringstream out;
  out.precision(6);
  out << "(" << v[0] << ", " << v[1] << ", " << v[2] << ")";
  return out.str();
}

std::string formatSize(const std::array<std::size_t, 3>& s) {
  return std::to_string(s[0]) + " x " + std::to_string(s[1]) + " x " + std::to_string(s[2]);
}

}  // namespace

std::string geometryDifference(const ImageGeometry& actual, const ImageGeometry& expected,
                               double positionTolerance, double directionTolerance) {
  std::vector<std::string> problems;
  if (actual.size != expected.size) {
    problems.push_back("size " + formatSize(actual.size) + " instead of " +
                       formatSize(expected.size));
  }
  auto near = [](const Vec3& a, const Vec3& b, double tolerance) {
    for (int n = 0; n < 3; ++n) {
      if (!(std::abs(a[n] - b[n]) <= tolerance)) return false;
    }
    return true;
  };
  if (!near(actual.origin, expected.origin, positionTolerance)) {
    problems.push_back("origin " + formatTriple(actual.origin) + " mm instead of " +
                       formatTriple(expected.origin) + " mm");
  }
  if (!near(actual.spacing, expected.spacing, positionTolerance)) {
    problems.push_back("spacing " + formatTriple(actual.spacing) + " mm instead of " +
                       formatTriple(expected.spacing) + " mm");
  }
  for (int c = 0; c < 3; ++c) {
    if (!near(column(actual.direction, c), column(expected.direction, c), directionTolerance)) {
      problems.push_back("direction of index axis " + std::to_string(c) + " " +
                         formatTriple(column(actual.direction, c)) + " instead of " +
                         formatTriple(column(expected.direction, c)));
    }
  }
  std::string text;
  for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
  return text;
}

}  // namespace annotrace
