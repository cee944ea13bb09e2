#pragma once

#include <string>

namespace annotrace {

/// Who and what a volume shows: the DICOM identity that records and exports must carry.
struct SeriesIdentity {
  std::string patientName;
  std::string patientId;
  std::string patientBirthDate;
  std::string patientSex;
  std::string studyInstanceUid;
  std::string studyId;
  std::string studyDate;
  std::string studyTime;
  std::string studyDescription;
  std::string accessionNumber;
  std::string seriesInstanceUid;
  std::string seriesNumber;
  std::string seriesDescription;
  std::string frameOfReferenceUid;
  std::string modality;
  std::string manufacturer;
  std::string manufacturerModelName;
  std::string bodyPartExamined;
};

}  // namespace annotrace
