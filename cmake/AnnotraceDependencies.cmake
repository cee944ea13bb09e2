# Every dependency comes from Debian 12 packages (see Scripts in README.md).
find_package(Threads REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(GDCM REQUIRED)
find_package(DCMTK REQUIRED CONFIG)
# Only the IO modules and the level sets propagation uses: keeps ITK template instantiation (and
# compile time) small.
if(ANNOTRACE_BUILD_FUZZERS)
  return()  # the fuzzers do not use ITK (see Testing/Fuzz/CMakeLists.txt)
endif()
find_package(ITK 5.2 REQUIRED COMPONENTS ITKCommon ITKIOImageBase ITKIONIFTI ITKIONRRD ITKIOGDCM
  ITKLevelSets)
include(${ITK_USE_FILE})
