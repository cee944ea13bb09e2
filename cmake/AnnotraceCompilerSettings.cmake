# Warnings, ccache and sanitizers shared by every target of the project.
find_program(ANNOTRACE_CCACHE ccache)
if(ANNOTRACE_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${ANNOTRACE_CCACHE}")
  set(CMAKE_C_COMPILER_LAUNCHER "${ANNOTRACE_CCACHE}")
endif()

add_library(annotrace_build_flags INTERFACE)
target_compile_options(annotrace_build_flags INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wno-unused-parameter
    # C++20 designated initialisers may leave members at their defaults on purpose.
    -Wno-missing-field-initializers>)

if(ANNOTRACE_SANITIZE)
  foreach(sanitizer IN LISTS ANNOTRACE_SANITIZE)
    if(NOT sanitizer MATCHES "^(address|undefined)$")
      message(FATAL_ERROR "ANNOTRACE_SANITIZE takes 'address' and/or 'undefined', not '${sanitizer}'")
    endif()
  endforeach()
  list(JOIN ANNOTRACE_SANITIZE "," sanitizer_list)
  target_compile_options(annotrace_build_flags INTERFACE
    -fsanitize=${sanitizer_list} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(annotrace_build_flags INTERFACE -fsanitize=${sanitizer_list})
endif()

# Fuzzers need coverage instrumentation in the library code they exercise.
if(ANNOTRACE_BUILD_FUZZERS)
  target_compile_options(annotrace_build_flags INTERFACE -fsanitize=fuzzer-no-link)
endif()
