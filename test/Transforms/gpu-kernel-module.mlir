// RUN: attnc-opt %s -split-input-file --attnc-gpu-kernel-module --verify-diagnostics | FileCheck %s

// Every outlined kernel moves into one gpu.module @attnc_kernels (one PTX,
// one fatbin); kernels with the same name are renamed and the launches
// follow.
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK: func.func @attnc_main
// CHECK: gpu.launch_func  @attnc_kernels::@attnc_main_kernel blocks
// CHECK: gpu.launch_func  @attnc_kernels::@[[RENAMED:attnc_main_kernel_[0-9]+]] blocks
// CHECK: gpu.launch_func  @attnc_kernels::@other blocks
// CHECK: gpu.module @attnc_kernels [#nvvm.target<chip = "sm_80">] {
// CHECK: gpu.func @attnc_main_kernel(%{{.*}}: memref<4xf32>) kernel
// CHECK: gpu.func @[[RENAMED]](%{{.*}}: memref<4xf32>) kernel
// CHECK: gpu.func @other(%{{.*}}: memref<4xf32>) kernel
// CHECK-NOT: gpu.module
module attributes {gpu.container_module} {
  func.func @attnc_main(%a: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @attnc_main_kernel::@attnc_main_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @attnc_main_kernel_0::@attnc_main_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @second::@other blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    return
  }
  gpu.module @attnc_main_kernel [#nvvm.target<chip = "sm_80">] {
    gpu.func @attnc_main_kernel(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @attnc_main_kernel_0 [#nvvm.target<chip = "sm_80">] {
    gpu.func @attnc_main_kernel(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @second [#nvvm.target<chip = "sm_80">] {
    gpu.func @other(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// A model without kernels is left alone.
// CHECK-LABEL: func.func @no_kernels
// CHECK-NOT: gpu.module
func.func @no_kernels() {
  return
}

// -----

module attributes {gpu.container_module} {
  gpu.module @a [#nvvm.target<chip = "sm_80">] {
    gpu.func @k() kernel {
      gpu.return
    }
  }
  // expected-error @below {{kernel modules with different targets}}
  gpu.module @b [#nvvm.target<chip = "sm_90">] {
    gpu.func @k() kernel {
      gpu.return
    }
  }
}
