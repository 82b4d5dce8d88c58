# The installed CMake package: `cmake --install build --prefix P` puts
#   P/bin/attnc, P/bin/attnc-run
#   P/lib/libattnc_runtime.so*, P/include/attnc-c/runtime.h
#   P/lib/cmake/attnc/{attncConfig,attncConfigVersion,attncTargets*,AttncModel}.cmake
# so that another project does
#   find_package(attnc REQUIRED)              # -Dattnc_DIR=P/lib/cmake/attnc
#   attnc_add_model(my_model model.onnx)      # or CMAKE_PREFIX_PATH=P
#   target_link_libraries(app PRIVATE my_model)
# Targets: attnc::attnc (the compiler), attnc::attnc-run, attnc::runtime.

include(CMakePackageConfigHelpers)

set(ATTNC_PACKAGE_DIR lib/cmake/attnc)
set(_package_build_dir ${CMAKE_BINARY_DIR}/cmake-package)

install(EXPORT attncTargets NAMESPACE attnc::
  DESTINATION ${ATTNC_PACKAGE_DIR})
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/attncConfig.cmake.in
  ${_package_build_dir}/attncConfig.cmake
  INSTALL_DESTINATION ${ATTNC_PACKAGE_DIR})
# 0.x releases: only the same minor version is compatible (the model ABI and
# the generated header may change between them).
write_basic_package_version_file(
  ${_package_build_dir}/attncConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES
  ${_package_build_dir}/attncConfig.cmake
  ${_package_build_dir}/attncConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/AttncModel.cmake
  DESTINATION ${ATTNC_PACKAGE_DIR})

# attnc_add_model also works inside this project (examples), with the
# in-tree attnc and runtime.
include(AttncModel)
