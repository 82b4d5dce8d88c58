# attnc_add_model(<target> <model.onnx>
#                 [NAME <c-name>] [OPTIONS <attnc options>...]
#                 [DEPENDS <files>...])
#
# Compiles <model.onnx> with attnc at build time into
#   <binary dir>/attnc_models/<target>/<c-name>.so
# with the typed C header
#   <binary dir>/attnc_models/<target>/include/<c-name>.h
# (`attnc --emit-header`: <c-name>_load/_run/_outputs_destroy/_destroy,
# structs <c-name>_inputs/_outputs with one field per ONNX input/output,
# and <C-NAME>_* macros for their dtypes, ranks and static dims), and makes
# <target> an INTERFACE library carrying the header's folder and
# attnc::runtime, so that an app does
#
#   attnc_add_model(gpt2 gpt2.onnx OPTIONS -O3)
#   target_link_libraries(app PRIVATE gpt2)      # then #include "gpt2.h"
#
# The .so is built before anything that links <target>, and its path is
# both the header's default (<C-NAME>_MODEL_PATH) and the target property
# ATTNC_MODEL_LIBRARY (to install it; then pass the installed path to
# <c-name>_load or define <C-NAME>_MODEL_PATH). ATTNC_MODEL_HEADER holds
# the header's path.
#
#   NAME     C prefix and file name (default: <target>; must be a C
#            identifier)
#   OPTIONS  extra attnc options (-O2, --mcpu=..., --mattr=...)
#   DEPENDS  more files whose change recompiles (external weight data)

function(attnc_add_model target model)
  cmake_parse_arguments(PARSE_ARGV 2 ARG "" "NAME" "OPTIONS;DEPENDS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "attnc_add_model(${target}): unexpected arguments "
                        "'${ARG_UNPARSED_ARGUMENTS}'")
  endif()
  if(NOT ARG_NAME)
    set(ARG_NAME ${target})
  endif()
  if(NOT ARG_NAME MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "attnc_add_model(${target}): '${ARG_NAME}' is not a "
                        "C identifier; give one with NAME")
  endif()
  # The compiler: the installed package's, or this project's own target.
  if(TARGET attnc::attnc)
    set(compiler attnc::attnc)
  elseif(TARGET attnc)
    set(compiler attnc)
  else()
    message(FATAL_ERROR "attnc_add_model: no attnc compiler target "
                        "(find_package(attnc) first)")
  endif()

  get_filename_component(model "${model}" ABSOLUTE
                         BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/attnc_models/${target})
  set(so ${dir}/${ARG_NAME}.so)
  set(header ${dir}/include/${ARG_NAME}.h)
  add_custom_command(
    OUTPUT ${so} ${header}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}/include
    COMMAND ${compiler} ${model} -o ${so} --emit-header=${header}
            --model-name=${ARG_NAME} ${ARG_OPTIONS}
    DEPENDS ${model} $<TARGET_FILE:${compiler}> ${ARG_DEPENDS}
    COMMENT "attnc: compiling ${model}"
    VERBATIM)
  add_custom_target(${target}_attnc DEPENDS ${so} ${header})

  add_library(${target} INTERFACE)
  target_include_directories(${target} INTERFACE ${dir}/include)
  target_link_libraries(${target} INTERFACE attnc::runtime)
  # Dependencies of an INTERFACE library apply to whatever links it.
  add_dependencies(${target} ${target}_attnc)
  set_target_properties(${target} PROPERTIES
    ATTNC_MODEL_LIBRARY ${so}
    ATTNC_MODEL_HEADER ${header})
endfunction()
