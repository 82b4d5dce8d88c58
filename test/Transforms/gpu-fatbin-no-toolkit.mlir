// Without a CUDA toolkit anywhere, the pass says where it looked.
// UNSUPPORTED: ptxas
// RUN: attnc-opt %s --attnc-gpu-fatbin="toolkit=/nonexistent" --verify-diagnostics

// expected-error @below {{the CUDA target needs the CUDA toolkit's ptxas and fatbinary (searched /nonexistent, $ATTNC_CUDA_PATH, $CUDA_PATH, /usr/local/cuda and PATH)}}
module attributes {gpu.container_module} {
  gpu.binary @attnc_kernels [#gpu.object<#nvvm.target<chip = "sm_80">, assembly = ".version 8.0\0A.target sm_80\0A.address_size 64\0A\0A.visible .entry k(.param .u64 p)\0A{\0A\09.reg .b64 %rd<2>;\0A\09ld.param.u64 %rd1, [p];\0A\09ret;\0A}\0A">]
}
