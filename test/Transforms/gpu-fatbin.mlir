// REQUIRES: ptxas
// RUN: attnc-opt %s -split-input-file --attnc-gpu-fatbin="archs=sm_80,sm_90" --verify-diagnostics | FileCheck %s
// RUN: attnc-opt %s -split-input-file --attnc-gpu-fatbin --verify-diagnostics | FileCheck %s

// The PTX object (gpu-module-to-binary format=isa) becomes one fatbin with
// SASS for sm_80 and sm_90 (the default) plus the PTX (a fatbin is the
// object's default format: no keyword; it starts with the magic 0xBA55ED50).
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK: gpu.binary @attnc_kernels  [#gpu.object<#nvvm.target<chip = "sm_80">, "P\EDU\BA{{.*}}">]
// CHECK-NOT: assembly
module attributes {gpu.container_module} {
  gpu.binary @attnc_kernels [#gpu.object<#nvvm.target<chip = "sm_80">, assembly = ".version 8.0\0A.target sm_80\0A.address_size 64\0A\0A.visible .entry k(.param .u64 p)\0A{\0A\09.reg .b64 %rd<2>;\0A\09ld.param.u64 %rd1, [p];\0A\09ret;\0A}\0A">]
}

// -----

// Nothing to assemble: no gpu.binary.
// CHECK-LABEL: func.func @host_only
func.func @host_only() {
  return
}

// -----

module attributes {gpu.container_module} {
  // expected-error @below {{kernels rejected for sm_80: ptxas failed}}
  gpu.binary @attnc_kernels [#gpu.object<#nvvm.target<chip = "sm_80">, assembly = ".version 8.0\0A.target sm_80\0A.address_size 64\0A\0A.visible .entry k(.param .u64 p)\0A{\0A\09.reg .b64 %rd<2>;\0A\09ld.param.u64 %rd1, [nosuchparam];\0A\09ret;\0A}\0A">]
}

// -----

module attributes {gpu.container_module} {
  // expected-error @below {{expected PTX (gpu-module-to-binary format=isa)}}
  gpu.binary @attnc_kernels [#gpu.object<#nvvm.target<chip = "sm_80">, bin = "\7FELF">]
}
