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

# add_attnc_tool(name sources... [LINK_LIBS libs...])
function(add_attnc_tool name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBS" ${ARGN})
  add_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS})
  install(TARGETS ${name} RUNTIME DESTINATION bin)
endfunction()
