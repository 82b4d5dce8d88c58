// RUN: attnc-opt %s -split-input-file --attnc-gpu-constants-to-device | FileCheck %s

// Host code reads every weight through its device copy: the address of the
// global becomes __attnc_gpu_constant(host address, size in bytes). The
// kernels (gpu.module) and addresses of functions are left alone.
// CHECK-LABEL: llvm.func @attnc_main
// CHECK: %[[H:.*]] = llvm.mlir.addressof @__attnc_w0 : !llvm.ptr
// CHECK-NEXT: %[[N:.*]] = llvm.mlir.constant(64 : i64) : i64
// CHECK-NEXT: %[[D:.*]] = llvm.call @__attnc_gpu_constant(%[[H]], %[[N]]) : (!llvm.ptr, i64) -> !llvm.ptr
// CHECK-NEXT: llvm.call @use(%[[D]]) : (!llvm.ptr) -> ()
// CHECK: %[[H2:.*]] = llvm.mlir.addressof @__attnc_w1 : !llvm.ptr
// CHECK-NEXT: llvm.mlir.constant(6 : i64) : i64
// CHECK-NEXT: llvm.call @__attnc_gpu_constant(%[[H2]], %{{.*}})
// CHECK: %[[F:.*]] = llvm.mlir.addressof @use : !llvm.ptr
// CHECK-NEXT: llvm.call @use(%[[F]])
// CHECK: gpu.module @attnc_kernels
// CHECK: llvm.mlir.addressof @kernel_global
// CHECK-NOT: __attnc_gpu_constant
// CHECK: llvm.func @__attnc_gpu_constant(!llvm.ptr, i64) -> !llvm.ptr
module attributes {gpu.container_module} {
  llvm.mlir.global internal constant @__attnc_w0(dense<1.0> : tensor<16xf32>) : !llvm.array<16 x f32>
  llvm.mlir.global internal constant @__attnc_w1(dense<1> : tensor<3xi16>) : !llvm.array<3 x i16>
  llvm.func @use(!llvm.ptr)
  llvm.func @attnc_main() {
    %w0 = llvm.mlir.addressof @__attnc_w0 : !llvm.ptr
    llvm.call @use(%w0) : (!llvm.ptr) -> ()
    %w1 = llvm.mlir.addressof @__attnc_w1 : !llvm.ptr
    llvm.call @use(%w1) : (!llvm.ptr) -> ()
    %f = llvm.mlir.addressof @use : !llvm.ptr
    llvm.call @use(%f) : (!llvm.ptr) -> ()
    llvm.return
  }
  gpu.module @attnc_kernels {
    llvm.mlir.global internal constant @kernel_global(0 : i32) : i32
    llvm.func @k() {
      %g = llvm.mlir.addressof @kernel_global : !llvm.ptr
      llvm.return
    }
  }
}

// -----

// No weights: no declaration either.
// CHECK-LABEL: llvm.func @no_weights
// CHECK-NOT: __attnc_gpu_constant
llvm.func @no_weights() {
  llvm.return
}
