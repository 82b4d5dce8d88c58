# CMake toolchain file: aarch64 Linux (glibc) with clang-22 and lld, using
# Debian's cross packages (libc6-dev-arm64-cross, libgcc-12-dev-arm64-cross,
# libstdc++-12-dev-arm64-cross) as the target's libraries. Used by the
# runtime cross-build (cmake/CrossAarch64.cmake, docs/targets.md); works for
# any project:
#
#   cmake -G Ninja -S . -B build-a64 \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
#
# No CMAKE_SYSROOT: clang finds Debian's cross layout (/usr/aarch64-linux-gnu
# for libc, /usr/lib/gcc-cross/aarch64-linux-gnu for libgcc and libstdc++)
# by itself, and a sysroot would hide the gcc-cross folder.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(ATTNC_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER clang-22)
set(CMAKE_CXX_COMPILER clang++-22)
set(CMAKE_C_COMPILER_TARGET ${ATTNC_CROSS_TRIPLE})
set(CMAKE_CXX_COMPILER_TARGET ${ATTNC_CROSS_TRIPLE})
set(CMAKE_ASM_COMPILER_TARGET ${ATTNC_CROSS_TRIPLE})
foreach(kind EXE SHARED MODULE)
  set(CMAKE_${kind}_LINKER_FLAGS_INIT "-fuse-ld=lld")
endforeach()

# Look for the target's libraries and headers only in the cross folder;
# programs (python, qemu) come from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${ATTNC_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Target programs built here (tests, build-time generators) run under qemu.
find_program(ATTNC_QEMU_AARCH64 qemu-aarch64)
if(ATTNC_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR
      ${ATTNC_QEMU_AARCH64} -L /usr/${ATTNC_CROSS_TRIPLE})
endif()
