// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-elide-self-copies))' | FileCheck %s

// The bufferized KV-cache concat: the copy of the past into the first rows
// of present runs only when they are not the same memory (pointer, offset,
// strides); the write of the new rows (computed into a temporary) is
// untouched.
// CHECK-LABEL: func.func @attnc_main
// CHECK-SAME: (%[[PAST:.*]]: memref<?x4x?x16xf32, strided<[?, ?, 16, 1]>>, %[[NEW:.*]]: memref<?x4x?x16xf32>, %[[PRES:.*]]: memref
// CHECK: %[[HEAD:.*]] = memref.subview %[[PRES]][0, 0, 0, 0]
// CHECK: %{{.*}}, %[[OFF_A:.*]], %{{.*}}:4, %[[STR_A:.*]]:4 = memref.extract_strided_metadata %[[PAST]]
// CHECK: %{{.*}}, %[[OFF_B:.*]], %{{.*}}:4, %[[STR_B:.*]]:4 = memref.extract_strided_metadata %[[HEAD]]
// CHECK: %[[PA:.*]] = memref.extract_aligned_pointer_as_index %[[PAST]]
// CHECK: %[[PB:.*]] = memref.extract_aligned_pointer_as_index %[[HEAD]]
// CHECK: arith.cmpi ne, %[[PA]], %[[PB]]
// CHECK: arith.cmpi ne, %[[OFF_A]], %[[OFF_B]]
// CHECK: arith.cmpi ne, %[[STR_A]]#0, %[[STR_B]]#0
// CHECK: arith.cmpi ne, %[[STR_A]]#3, %[[STR_B]]#3
// CHECK: %[[DIFFER:.*]] = arith.ori
// CHECK: scf.if %[[DIFFER]] {
// CHECK-NEXT: linalg.copy ins(%[[PAST]] {{.*}} outs(%[[HEAD]]
// CHECK-NEXT: }
// CHECK: %[[TAIL:.*]] = memref.subview %[[PRES]]
// CHECK-NOT: scf.if
// CHECK: memref.copy %[[TMP:.*]], %[[TAIL]]
func.func @attnc_main(%past: memref<?x4x?x16xf32, strided<[?, ?, 16, 1]>>, %new: memref<?x4x?x16xf32>,
                      %present: memref<?x4x?x16xf32, strided<[?, ?, 16, 1]>> {attnc.output}) -> i32 {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %b = memref.dim %past, %c0 : memref<?x4x?x16xf32, strided<[?, ?, 16, 1]>>
  %p = memref.dim %past, %c2 : memref<?x4x?x16xf32, strided<[?, ?, 16, 1]>>
  %s = memref.dim %new, %c2 : memref<?x4x?x16xf32>
  %head = memref.subview %present[0, 0, 0, 0] [%b, 4, %p, 16] [1, 1, 1, 1] : memref<?x4x?x16xf32, strided<[?, ?, 16, 1]>> to memref<?x4x?x16xf32, strided<[?, ?, 16, 1]>>
  linalg.copy ins(%past : memref<?x4x?x16xf32, strided<[?, ?, 16, 1]>>) outs(%head : memref<?x4x?x16xf32, strided<[?, ?, 16, 1]>>)
  %tail = memref.subview %present[0, 0, %p, 0] [%b, 4, %s, 16] [1, 1, 1, 1] : memref<?x4x?x16xf32, strided<[?, ?, 16, 1]>> to memref<?x4x?x16xf32, strided<[?, ?, 16, 1], offset: ?>>
  %tmp = memref.alloc(%b, %s) : memref<?x4x?x16xf32>
  linalg.copy ins(%new : memref<?x4x?x16xf32>) outs(%tmp : memref<?x4x?x16xf32>)
  memref.copy %tmp, %tail : memref<?x4x?x16xf32> to memref<?x4x?x16xf32, strided<[?, ?, 16, 1], offset: ?>>
  memref.dealloc %tmp : memref<?x4x?x16xf32>
  %r = arith.constant 0 : i32
  return %r : i32
}

// -----

// Not guarded: copies between temporaries, from an output, into an input
// view, and a memref.copy whose source is a temporary. Guarded: a
// memref.copy from an input straight into an output.
// CHECK-LABEL: func.func @attnc_main
// CHECK: memref.copy %[[X:.*]], %[[T:.*]] :
// CHECK-NEXT: memref.copy %{{.*}}, %{{.*}} :
// CHECK-NEXT: memref.copy %{{.*}}, %{{.*}} :
// CHECK-NEXT: memref.copy %{{.*}}, %{{.*}} :
// CHECK: scf.if
// CHECK-NEXT: memref.copy %arg0, %arg2
// CHECK-NOT: scf.if
func.func @attnc_main(%in: memref<8xf32>, %in2: memref<8xf32>, %out: memref<8xf32> {attnc.output}) -> i32 {
  %t = memref.alloc() : memref<8xf32>
  %u = memref.alloc() : memref<8xf32>
  memref.copy %t, %u : memref<8xf32> to memref<8xf32>
  memref.copy %out, %t : memref<8xf32> to memref<8xf32>
  memref.copy %in2, %in : memref<8xf32> to memref<8xf32>
  memref.copy %u, %out : memref<8xf32> to memref<8xf32>
  memref.copy %in, %out : memref<8xf32> to memref<8xf32>
  memref.dealloc %t : memref<8xf32>
  memref.dealloc %u : memref<8xf32>
  %r = arith.constant 0 : i32
  return %r : i32
}
