// RUN: attnc-opt %s -split-input-file --attnc-lower-strided-copies | FileCheck %s

// CHECK-LABEL: func @strided_source
// CHECK-SAME: (%[[SRC:.*]]: memref<?x8xf32, strided<[24, 1], offset: ?>>, %[[DST:.*]]: memref<?x8xf32>)
// CHECK: linalg.copy ins(%[[SRC]] : memref<?x8xf32, strided<[24, 1], offset: ?>>) outs(%[[DST]] : memref<?x8xf32>)
// CHECK-NOT: memref.copy
func.func @strided_source(%src: memref<?x8xf32, strided<[24, 1], offset: ?>>, %dst: memref<?x8xf32>) {
  memref.copy %src, %dst : memref<?x8xf32, strided<[24, 1], offset: ?>> to memref<?x8xf32>
  return
}

// -----

// Contiguous copies stay memref.copy (llvm.memcpy).
// CHECK-LABEL: func @contiguous
// CHECK: memref.copy
// CHECK-NOT: linalg.copy
func.func @contiguous(%src: memref<4x8xf32>, %dst: memref<4x8xf32>) {
  memref.copy %src, %dst : memref<4x8xf32> to memref<4x8xf32>
  return
}
