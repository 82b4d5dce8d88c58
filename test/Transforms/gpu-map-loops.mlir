// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-gpu-map-loops))' --verify-diagnostics | FileCheck %s
// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-gpu-map-loops{block-size=128}))' --verify-diagnostics | FileCheck %s --check-prefix=BS128

// One linearized launch over the whole 2-D space: the trip counts and the
// grid are computed on the host, the launch is skipped when the space is
// empty, and each thread delinearizes its id row-major (j fastest).
// CHECK-LABEL: func.func @copy2d
// CHECK-SAME: (%[[A:.*]]: memref<?x8xf32>, %[[B:.*]]: memref<?x8xf32>)
// CHECK: %[[N:.*]] = memref.dim %[[A]]
// CHECK: %[[C256:.*]] = arith.constant 256 : index
// CHECK: %[[GRID:.*]] = arith.ceildivsi %[[TOTAL:.*]], %[[C256]] : index
// CHECK: %[[NONEMPTY:.*]] = arith.cmpi sgt, %[[TOTAL]], %{{.*}} : index
// CHECK: scf.if %[[NONEMPTY]] {
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[GRID]], %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C256]],
// CHECK: %[[MUL:.*]] = arith.muli %[[BX]], %[[C256]] : index
// CHECK: %[[ID:.*]] = arith.addi %[[MUL]], %[[TX]] : index
// CHECK: %[[INSIDE:.*]] = arith.cmpi slt, %[[ID]], %[[TOTAL]] : index
// CHECK: scf.if %[[INSIDE]] {
// CHECK: %[[J:.*]] = arith.remsi %[[ID]], %{{.*}} : index
// CHECK: %[[I:.*]] = arith.divsi %[[ID]], %{{.*}} : index
// CHECK: memref.load %[[A]][%{{.*}}, %{{.*}}] : memref<?x8xf32>
// CHECK: memref.store %{{.*}}, %[[B]][%{{.*}}, %{{.*}}] : memref<?x8xf32>
// CHECK: gpu.terminator
// CHECK-NOT: scf.parallel
// BS128-LABEL: func.func @copy2d
// BS128: arith.constant 128 : index
// BS128: gpu.launch
func.func @copy2d(%a: memref<?x8xf32>, %b: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %a, %c0 : memref<?x8xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c8) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<?x8xf32>
    memref.store %x, %b[%i, %j] : memref<?x8xf32>
    scf.reduce
  }
  return
}

// -----

// Loops nested in a parallel loop (a reduction over k) run inside the
// thread; a scalar loaded from device memory that only the kernel uses is
// loaded in the kernel.
// CHECK-LABEL: func.func @rowsum
// CHECK-NOT: memref.load
// CHECK: gpu.launch
// CHECK: memref.load %{{.*}}[] : memref<f32>
// CHECK: scf.for
// CHECK: gpu.terminator
func.func @rowsum(%a: memref<4x16xf32>, %init: memref<f32>, %out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %start = memref.load %init[] : memref<f32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %s = scf.for %k = %c0 to %c16 step %c1 iter_args(%acc = %start) -> (f32) {
      %x = memref.load %a[%i, %k] : memref<4x16xf32>
      %y = arith.addf %acc, %x : f32
      scf.yield %y : f32
    }
    memref.store %s, %out[%i] : memref<4xf32>
    scf.reduce
  }
  return
}

// -----

// Host code on device memory outside any loop (copies of rank-0 tensors)
// runs in a one-thread launch.
// CHECK-LABEL: func.func @scalar
// CHECK: %[[ONE:.*]] = arith.constant 1 : index
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]]) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]])
// CHECK-NEXT: memref.load
// CHECK-NEXT: memref.store
// CHECK-NEXT: gpu.terminator
// CHECK: return
func.func @scalar(%a: memref<f32>, %b: memref<f32>) {
  %x = memref.load %a[] : memref<f32>
  memref.store %x, %b[] : memref<f32>
  return
}

// -----

// Shape buffers (`index` elements) are host memory: no launch.
// CHECK-LABEL: func.func @shape
// CHECK-NOT: gpu.launch
// CHECK: memref.store
func.func @shape(%s: memref<2xindex>, %n: index) {
  %c0 = arith.constant 0 : index
  memref.store %n, %s[%c0] : memref<2xindex>
  return
}

// -----

func.func @host_reads_device(%a: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @below {{the host would read device memory here (a value computed from tensor data is used outside a kernel)}}
  %x = memref.load %a[%c0] : memref<4xf32>
  return %x : f32
}

// -----

func.func @reduction(%a: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @below {{parallel loops with reductions are not mapped to the GPU}}
  %s = scf.parallel (%i) = (%c0) to (%c4) step (%c1) init (%zero) -> f32 {
    %x = memref.load %a[%i] : memref<4xf32>
    scf.reduce(%x : f32) {
    ^bb0(%l: f32, %r: f32):
      %t = arith.addf %l, %r : f32
      scf.reduce.return %t : f32
    }
  }
  return
}
