// RUN: attnc-opt %s -split-input-file --attnc-gpu-device-buffers --verify-diagnostics | FileCheck %s

// Inputs are copied to device buffers at entry, outputs (attnc.output) are
// computed in device buffers and copied back before the return; every
// staging buffer is freed there. Data allocations and contiguous copies
// move to the device; `index` shape buffers stay on the host.
// CHECK-LABEL: func.func @attnc_main
// CHECK-SAME: (%[[IN:.*]]: memref<?x8xf32>, %[[OUT:.*]]: memref<?x8xf32> {attnc.output})
// CHECK: %[[N:.*]] = memref.dim %[[IN]], %{{.*}} : memref<?x8xf32>
// CHECK: %[[DIN:.*]] = gpu.alloc  (%[[N]]) : memref<?x8xf32>
// CHECK: gpu.memcpy  %[[DIN]], %[[IN]] : memref<?x8xf32>, memref<?x8xf32>
// CHECK: %[[M:.*]] = memref.dim %[[OUT]], %{{.*}} : memref<?x8xf32>
// CHECK: %[[DOUT:.*]] = gpu.alloc  (%[[M]]) : memref<?x8xf32>
// CHECK-NOT: gpu.memcpy
// The model's own uses of the argument read the device buffer.
// CHECK: %[[ND:.*]] = memref.dim %[[DIN]], %{{.*}} : memref<?x8xf32>
// CHECK: %[[SHAPE:.*]] = memref.alloc() : memref<2xindex>
// CHECK: %[[T:.*]] = gpu.alloc  (%[[ND]]) : memref<?x8xf32>
// CHECK: gpu.memcpy  %[[T]], %[[DIN]] : memref<?x8xf32>, memref<?x8xf32>
// CHECK: gpu.memcpy  %[[DOUT]], %[[T]] : memref<?x8xf32>, memref<?x8xf32>
// CHECK: gpu.dealloc  %[[T]] : memref<?x8xf32>
// CHECK: memref.dealloc %[[SHAPE]] : memref<2xindex>
// CHECK: gpu.dealloc  %[[DIN]] : memref<?x8xf32>
// CHECK: gpu.memcpy  %[[OUT]], %[[DOUT]] : memref<?x8xf32>, memref<?x8xf32>
// CHECK: gpu.dealloc  %[[DOUT]] : memref<?x8xf32>
// CHECK: return
func.func @attnc_main(%in: memref<?x8xf32>, %out: memref<?x8xf32> {attnc.output}) -> i32 {
  %c0 = arith.constant 0 : index
  %n = memref.dim %in, %c0 : memref<?x8xf32>
  %shape = memref.alloc() : memref<2xindex>
  %t = memref.alloc(%n) : memref<?x8xf32>
  memref.copy %in, %t : memref<?x8xf32> to memref<?x8xf32>
  memref.copy %t, %out : memref<?x8xf32> to memref<?x8xf32>
  memref.dealloc %t : memref<?x8xf32>
  memref.dealloc %shape : memref<2xindex>
  %ok = arith.constant 0 : i32
  return %ok : i32
}

// -----

// Strided copies are left to attnc-lower-strided-copies (they become
// kernels); only contiguous copies are one device-to-device memcpy.
// CHECK-LABEL: func.func @attnc_main
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<4x8xf32, strided<[16, 1]>> to memref<4x8xf32>
func.func @attnc_main(%in: memref<4x16xf32>, %out: memref<4x8xf32> {attnc.output}) -> i32 {
  %v = memref.subview %in[0, 0] [4, 8] [1, 1] : memref<4x16xf32> to memref<4x8xf32, strided<[16, 1]>>
  memref.copy %v, %out : memref<4x8xf32, strided<[16, 1]>> to memref<4x8xf32>
  %ok = arith.constant 0 : i32
  return %ok : i32
}

// -----

// expected-error @below {{argument 0 is not a contiguous memref}}
func.func @attnc_main(%in: memref<4x8xf32, strided<[16, 1]>>, %out: memref<4x8xf32> {attnc.output}) -> i32 {
  %ok = arith.constant 0 : i32
  return %ok : i32
}

// -----

func.func @attnc_main(%out: memref<4x8xf32> {attnc.output}) -> i32 {
  // expected-error @below {{device buffers need the identity layout}}
  %t = memref.alloc() : memref<4x8xf32, strided<[16, 1]>>
  %ok = arith.constant 0 : i32
  return %ok : i32
}

// -----

// expected-error @below {{no entry function @attnc_main (run attnc-entry-abi first)}}
module {
  func.func @main(%x: memref<4xf32>) {
    return
  }
}
