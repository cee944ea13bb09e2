#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace annotrace::records {

/// The bytes that are hashed and signed: sorted keys (nlohmann's object is a std::map), no
/// whitespace, UTF-8 as is. Strict: text that is not UTF-8 has no canonical form and throws
/// nlohmann::json::type_error.
inline std::string canonicalJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false);
}

}  // namespace annotrace::records
