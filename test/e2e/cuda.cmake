# CUDA target tests (label `cuda`; docs/targets.md). Included from
# test/e2e/CMakeLists.txt before any model is registered; the model
# functions of CMakeLists.txt and models.cmake call attnc_add_cuda_test for
# every tiny graph:
#
#   cuda.<graph>.compile  attnc <graph>.onnx --target=cuda
#                         --gpu-arch=sm_80,sm_90 -o <graph>-cuda.so: runs
#                         ptxas on every kernel for both architectures, so
#                         this checks the GPU code on any machine with the
#                         CUDA toolkit, GPU or not.
#   cuda.<graph>.run      attnc-run <graph>-cuda.so --test-data <graph>/
#                         --rtol 1e-3 --atol 1e-4 against ONNX Runtime's
#                         outputs; skipped (exit 77) without a GPU.
#   cuda.<graph>.compile-tiled, cuda.<graph>.run-tiled
#                         the same with --gpu-tile-min-rows=1: the test sets
#                         have few rows (batch x tokens < 16), so only this
#                         build runs every GEMM through the shared-memory
#                         tiled kernel (attnc-gpu-tile-contractions), partial
#                         tiles included; the default build runs them one
#                         thread per output.
#
# The tolerances are wider than the CPU's: the GPU kernels reduce in another
# order and the driver's JIT may contract multiply-adds differently.
#
# Without the CUDA toolkit (ptxas and fatbinary) every cuda test is
# registered but skips, saying so, instead of passing silently.

# The toolkit is found by cmake/AttncCudaToolkit.cmake (test/CMakeLists.txt).

# attnc_add_cuda_test(<graph> <onnx> <data> <fixture>): the tests above;
# <fixture> generates <onnx> and its test data <data>.
function(attnc_add_cuda_test graph onnx data fixture)
  set(prefix cuda.${graph})
  if(NOT ATTNC_CUDA_TOOLKIT_FOUND)
    foreach(step compile run compile-tiled run-tiled)
      add_test(NAME ${prefix}.${step}
        COMMAND sh -c "echo 'CUDA toolkit not found (ptxas, fatbinary): install it under /usr/local/cuda or set CUDA_PATH, then re-run cmake'; exit 77")
      set_tests_properties(${prefix}.${step} PROPERTIES
        LABELS cuda SKIP_RETURN_CODE 77)
    endforeach()
    return()
  endif()
  get_filename_component(work ${onnx} DIRECTORY)
  foreach(variant "" "-tiled")
    set(so ${work}/${graph}-cuda${variant}.so)
    set(extra)
    if(variant)
      set(extra --gpu-tile-min-rows=1)
    endif()
    add_test(NAME ${prefix}.compile${variant}
      COMMAND $<TARGET_FILE:attnc> ${onnx} --target=cuda
              --gpu-arch=${ATTNC_CUDA_TEST_ARCHS} ${ATTNC_CUDA_TOOLKIT_ARGS}
              ${extra} -o ${so})
    set_tests_properties(${prefix}.compile${variant} PROPERTIES
      LABELS cuda FIXTURES_REQUIRED "${fixture}"
      FIXTURES_SETUP ${prefix}${variant}.so TIMEOUT 300)
    add_test(NAME ${prefix}.run${variant}
      COMMAND $<TARGET_FILE:attnc-run> ${so} --test-data ${data}
              --rtol 1e-3 --atol 1e-4)
    set_tests_properties(${prefix}.run${variant} PROPERTIES
      LABELS cuda FIXTURES_REQUIRED "${fixture};${prefix}${variant}.so"
      SKIP_RETURN_CODE 77 TIMEOUT 300)
  endforeach()
endfunction()
