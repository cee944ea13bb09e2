#pragma once

// Small helpers shared by the programs that write project-made DICOM files (the sample phantom
// and the P1 benchmark series).

#include <dcmtk/dcmdata/dcuid.h>

#include <cstdio>
#include <string>

namespace annotrace::tools {

/// A new, globally unique UID under DCMTK's root for the given kind (e.g. SITE_SERIES_UID_ROOT).
inline std::string newUid(const char* root) {
  char uid[100];
  return dcmGenerateUniqueIdentifier(uid, root);
}

/// A Decimal String value (at most 16 characters) with the given significant digits.
inline std::string decimalString(double value, int significantDigits) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*g", significantDigits, value);
  return buffer;
}

}  // namespace annotrace::tools
