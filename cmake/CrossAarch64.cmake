# The aarch64 cross-build of the runtime side (docs/targets.md).
#
# ATTNC_CROSS_AARCH64=AUTO (default) builds libattnc_runtime, attnc-run and
# the runtime unit tests for aarch64 (runtime/cross with the toolchain file
# cmake/aarch64-linux-gnu.cmake) into <build>/aarch64 when qemu-aarch64 and
# Debian's cross libc/libstdc++ are installed, and registers the `aarch64`
# test label (test/aarch64); ON requires them; OFF skips both.
#
# Defines ATTNC_AARCH64_ENABLED, ATTNC_AARCH64_BINARY_DIR,
# ATTNC_AARCH64_ATTNC_RUN (the aarch64 attnc-run) and ATTNC_AARCH64_RUNNER
# (the qemu command line that runs aarch64 programs).

set(ATTNC_CROSS_AARCH64 AUTO CACHE STRING
    "Cross-build the runtime for aarch64 and test under qemu (AUTO, ON, OFF)")
set_property(CACHE ATTNC_CROSS_AARCH64 PROPERTY STRINGS AUTO ON OFF)
set(ATTNC_AARCH64_SYSROOT /usr/aarch64-linux-gnu CACHE PATH
    "aarch64 libc/libstdc++ folder (Debian's cross packages)")

set(ATTNC_AARCH64_ENABLED OFF)
if(NOT ATTNC_CROSS_AARCH64 STREQUAL "OFF")
  find_program(ATTNC_QEMU_AARCH64 qemu-aarch64)
  set(_missing)
  if(NOT ATTNC_QEMU_AARCH64)
    list(APPEND _missing "qemu-aarch64 (apt: qemu-user)")
  endif()
  if(NOT EXISTS ${ATTNC_AARCH64_SYSROOT}/lib/libc.so)
    list(APPEND _missing "the aarch64 libc (apt: libc6-dev-arm64-cross)")
  endif()
  if(NOT EXISTS ${ATTNC_AARCH64_SYSROOT}/lib/libstdc++.so.6)
    list(APPEND _missing
         "the aarch64 libstdc++ (apt: libstdc++-12-dev-arm64-cross)")
  endif()
  if(NOT EXISTS /usr/src/googletest/CMakeLists.txt)
    list(APPEND _missing "GoogleTest sources (apt: libgtest-dev)")
  endif()
  if(_missing)
    string(JOIN ", " _missing ${_missing})
    if(ATTNC_CROSS_AARCH64 STREQUAL "ON")
      message(FATAL_ERROR "ATTNC_CROSS_AARCH64=ON but missing: ${_missing}")
    endif()
    message(STATUS "aarch64 cross-build and qemu tests: OFF (missing "
                   "${_missing}; tools/setup.sh installs them)")
  else()
    set(ATTNC_AARCH64_ENABLED ON)
  endif()
else()
  message(STATUS "aarch64 cross-build and qemu tests: OFF (ATTNC_CROSS_AARCH64=OFF)")
endif()

if(ATTNC_AARCH64_ENABLED)
  include(ExternalProject)
  set(ATTNC_AARCH64_BINARY_DIR ${CMAKE_BINARY_DIR}/aarch64)
  set(ATTNC_AARCH64_ATTNC_RUN ${ATTNC_AARCH64_BINARY_DIR}/bin/attnc-run)
  set(ATTNC_AARCH64_RUNNER ${ATTNC_QEMU_AARCH64} -L ${ATTNC_AARCH64_SYSROOT})
  set(_launcher)
  if(CCACHE_PROGRAM)
    set(_launcher -DCMAKE_C_COMPILER_LAUNCHER=${CCACHE_PROGRAM}
                  -DCMAKE_CXX_COMPILER_LAUNCHER=${CCACHE_PROGRAM})
  endif()
  # BUILD_ALWAYS: the sub-build's own Ninja decides what is out of date
  # (a no-op build takes well under a second).
  ExternalProject_Add(attnc-aarch64
    SOURCE_DIR ${ATTNC_SOURCE_DIR}/runtime/cross
    BINARY_DIR ${ATTNC_AARCH64_BINARY_DIR}
    CMAKE_ARGS
      -DCMAKE_TOOLCHAIN_FILE=${ATTNC_SOURCE_DIR}/cmake/aarch64-linux-gnu.cmake
      -DCMAKE_BUILD_TYPE=Release
      ${_launcher}
    BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR>
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    BUILD_BYPRODUCTS ${ATTNC_AARCH64_ATTNC_RUN})
  message(STATUS "aarch64 cross-build: ON (runtime, attnc-run and unit tests "
                 "in ${ATTNC_AARCH64_BINARY_DIR}; tests label `aarch64` run "
                 "under ${ATTNC_QEMU_AARCH64})")
endif()

# The e2e drivers' arguments for an aarch64 run (test/e2e/run_model_test.py,
# run_models_test.py): compile with --target, run the aarch64 attnc-run
# under qemu. Stands in for `--attnc-run $<TARGET_FILE:attnc-run>`.
set(ATTNC_AARCH64_TARGET aarch64-linux-gnu)
if(ATTNC_AARCH64_ENABLED)
  string(JOIN " " _runner ${ATTNC_AARCH64_RUNNER})
  set(ATTNC_AARCH64_DRIVER_ARGS --target ${ATTNC_AARCH64_TARGET}
      --attnc-run ${ATTNC_AARCH64_ATTNC_RUN} --runner "${_runner}")
endif()

# attnc_add_aarch64_test(<name> [WILL_FAIL] [FIXTURES_REQUIRED f...]
#                        [TIMEOUT s] COMMAND args...)
# Registers an aarch64 test (label `aarch64`) when the cross-build is on;
# does nothing otherwise, so callers need no checks of their own.
function(attnc_add_aarch64_test name)
  if(NOT ATTNC_AARCH64_ENABLED)
    return()
  endif()
  cmake_parse_arguments(ARG "WILL_FAIL" "TIMEOUT" "FIXTURES_REQUIRED;COMMAND"
                        ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_test(NAME ${name} COMMAND ${ARG_COMMAND})
  set_tests_properties(${name} PROPERTIES LABELS aarch64 TIMEOUT ${ARG_TIMEOUT})
  if(ARG_FIXTURES_REQUIRED)
    set_tests_properties(${name} PROPERTIES
      FIXTURES_REQUIRED "${ARG_FIXTURES_REQUIRED}")
  endif()
  if(ARG_WILL_FAIL)
    set_tests_properties(${name} PROPERTIES WILL_FAIL TRUE)
  endif()
endfunction()
