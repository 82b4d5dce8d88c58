# Finds the CUDA toolkit's ptxas and fatbinary for the tests of the CUDA
# target (label `cuda`, the lit feature `ptxas` is found by lit.cfg.py the
# same way): where attnc-gpu-fatbin looks, $ATTNC_CUDA_PATH, $CUDA_PATH,
# /usr/local/cuda, then PATH. Sets ATTNC_CUDA_TOOLKIT_FOUND and
# ATTNC_CUDA_TOOLKIT_ARGS (attnc's --cuda-path for the folder found).

set(ATTNC_CUDA_TEST_ARCHS "sm_80,sm_90" CACHE STRING
    "GPU architectures the `cuda` tests compile for")
set(_cuda_hints)
foreach(var ATTNC_CUDA_PATH CUDA_PATH)
  if(DEFINED ENV{${var}})
    list(APPEND _cuda_hints "$ENV{${var}}/bin")
  endif()
endforeach()
list(APPEND _cuda_hints /usr/local/cuda/bin)
find_program(ATTNC_PTXAS ptxas HINTS ${_cuda_hints})
find_program(ATTNC_FATBINARY fatbinary HINTS ${_cuda_hints})

set(ATTNC_CUDA_TOOLKIT_ARGS)
if(ATTNC_PTXAS AND ATTNC_FATBINARY)
  # The toolkit folder CMake found is the one attnc uses (--cuda-path).
  get_filename_component(_ptxas_bin ${ATTNC_PTXAS} DIRECTORY)
  get_filename_component(_fatbinary_bin ${ATTNC_FATBINARY} DIRECTORY)
  if(_ptxas_bin STREQUAL _fatbinary_bin)
    get_filename_component(_cuda_root ${_ptxas_bin} DIRECTORY)
    set(ATTNC_CUDA_TOOLKIT_ARGS --cuda-path=${_cuda_root})
  endif()
  set(ATTNC_CUDA_TOOLKIT_FOUND TRUE)
  message(STATUS "cuda tests: ptxas ${ATTNC_PTXAS}, archs ${ATTNC_CUDA_TEST_ARCHS}")
else()
  set(ATTNC_CUDA_TOOLKIT_FOUND FALSE)
  message(STATUS "cuda tests: the CUDA toolkit (ptxas, fatbinary) was not "
                 "found; the `cuda` tests will skip (install it under "
                 "/usr/local/cuda or set CUDA_PATH)")
endif()
