# Thin wrappers over the MLIR/LLVM CMake helpers so that every attnc library
# and tool is declared the same way.

# The compiler libraries all link the shared libMLIR/libLLVM.
set(ATTNC_MLIR_LIBS MLIR LLVM)

# add_attnc_library(name sources... [DEPENDS tgt...] [LINK_LIBS libs...])
function(add_attnc_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS} ${ATTNC_MLIR_LIBS})
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# add_attnc_tool(name sources... [LINK_LIBS libs...] [EXPORT])
# EXPORT: also part of the installed CMake package (attnc::<name>,
# cmake/AttncPackage.cmake).
function(add_attnc_tool name)
  cmake_parse_arguments(ARG "EXPORT" "" "LINK_LIBS" ${ARGN})
  add_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS})
  # Installed tools keep the rpath to Debian's LLVM/MLIR libraries, which
  # are outside the default library path.
  set_target_properties(${name} PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
  if(ARG_EXPORT)
    install(TARGETS ${name} EXPORT attncTargets RUNTIME DESTINATION bin)
  else()
    install(TARGETS ${name} RUNTIME DESTINATION bin)
  endif()
endfunction()
