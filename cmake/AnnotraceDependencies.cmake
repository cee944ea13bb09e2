# Every dependency comes from Debian 12 packages (see Scripts in README.md).
find_package(Threads REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
if(NOT (ANNOTRACE_BUILD_FUZZERS AND ANNOTRACE_FUZZ_RECORDS_ONLY))  # record fuzzers: no DICOM
  find_package(GDCM REQUIRED)
  find_package(DCMTK REQUIRED CONFIG)
endif()
find_package(OpenSSL 3 REQUIRED)  # label records: AES-256-GCM, Ed25519, SHA-256
# Only the IO modules and the level sets propagation uses: keeps ITK template instantiation (and
# compile time) small.
if(ANNOTRACE_BUILD_FUZZERS)
  return()  # the fuzzers do not use ITK (see Testing/Fuzz/CMakeLists.txt)
endif()
find_package(ITK 5.2 REQUIRED COMPONENTS ITKCommon ITKIOImageBase ITKIONIFTI ITKIONRRD ITKIOGDCM
  ITKLevelSets)
include(${ITK_USE_FILE})

# The workstation: Qt6 only. Debian's VTK Qt module is built for Qt5 and is never linked; the 3D
# view renders VTK offscreen (module/Widgets/View3D).
if(ANNOTRACE_BUILD_GUI)
  find_package(Qt6 6.4 REQUIRED COMPONENTS Widgets Concurrent Test)
endif()
