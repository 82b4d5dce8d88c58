// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-vectorize-copies))' | FileCheck %s
// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-vectorize-copies{vector-bytes=32}))' | FileCheck %s --check-prefix=AVX2

// A slice of a fused QKV projection: rows of 64 floats, a static multiple of
// the 16-lane vector, so every access is in bounds.
// CHECK-LABEL: func.func @qkv_slice
// CHECK-SAME: (%[[SRC:.*]]: memref<?x64xf32, strided<[192, 1], offset: ?>>, %[[DST:.*]]: memref<?x64xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG: %[[ROWS:.*]] = memref.dim %[[SRC]], %[[C0]]
// CHECK: scf.for %[[I:.*]] = %[[C0]] to %[[ROWS]]
// CHECK: scf.for %[[J:.*]] = %[[C0]] to %{{.*}} step %[[C16]]
// CHECK: %[[V:.*]] = vector.transfer_read %[[SRC]][%[[I]], %[[J]]], %{{.*}} {in_bounds = [true]} : memref<?x64xf32, strided<[192, 1], offset: ?>>, vector<16xf32>
// CHECK: vector.transfer_write %[[V]], %[[DST]][%[[I]], %[[J]]] {in_bounds = [true]} : vector<16xf32>, memref<?x64xf32>
// CHECK-NOT: linalg.copy
// AVX2-LABEL: func.func @qkv_slice
// AVX2: vector.transfer_read {{.*}} vector<8xf32>
func.func @qkv_slice(%src: memref<?x64xf32, strided<[192, 1], offset: ?>>, %dst: memref<?x64xf32>) {
  linalg.copy ins(%src : memref<?x64xf32, strided<[192, 1], offset: ?>>) outs(%dst : memref<?x64xf32>)
  return
}

// -----

// The past KV cache into present, 4-D; an innermost size of 40 is not a
// multiple of 16, so the accesses may run past a row and are masked.
// CHECK-LABEL: func.func @kv_cache
// CHECK-COUNT-4: scf.for
// CHECK: vector.transfer_read %{{[^{]*}} : memref<?x4x?x40xf32, strided<[?, ?, 40, 1]>>, vector<16xf32>
// CHECK: vector.transfer_write %{{[^{]*}} : vector<16xf32>, memref<?x4x?x40xf32, strided<[?, ?, 40, 1], offset: ?>>
func.func @kv_cache(%past: memref<?x4x?x40xf32, strided<[?, ?, 40, 1]>>, %head: memref<?x4x?x40xf32, strided<[?, ?, 40, 1], offset: ?>>) {
  linalg.copy ins(%past : memref<?x4x?x40xf32, strided<[?, ?, 40, 1]>>) outs(%head : memref<?x4x?x40xf32, strided<[?, ?, 40, 1], offset: ?>>)
  return
}

// -----

// i64 elements: 8 per 64-byte vector; a dynamic innermost size is masked.
// CHECK-LABEL: func.func @dynamic_rows_i64
// CHECK: vector.transfer_read %{{[^{]*}} : memref<?x?xi64, strided<[?, 1], offset: ?>>, vector<8xi64>
func.func @dynamic_rows_i64(%src: memref<?x?xi64, strided<[?, 1], offset: ?>>, %dst: memref<?x?xi64>) {
  linalg.copy ins(%src : memref<?x?xi64, strided<[?, 1], offset: ?>>) outs(%dst : memref<?x?xi64>)
  return
}

// -----

// Rows of 4 floats, shorter than a vector: 4-lane steps, in bounds, not a
// mostly masked 16-lane vector per row.
// CHECK-LABEL: func.func @short_rows
// CHECK: vector.transfer_read %{{.*}} {in_bounds = [true]} : memref<?x4xf32, strided<[8, 1], offset: ?>>, vector<4xf32>
// CHECK: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<4xf32>, memref<?x4xf32>
func.func @short_rows(%src: memref<?x4xf32, strided<[8, 1], offset: ?>>, %dst: memref<?x4xf32>) {
  linalg.copy ins(%src : memref<?x4xf32, strided<[8, 1], offset: ?>>) outs(%dst : memref<?x4xf32>)
  return
}

// -----

// Left as linalg.copy: a transposing view (innermost stride not 1) and a
// copy on tensors.
// CHECK-LABEL: func.func @not_vectorized
// CHECK: linalg.copy ins(%{{.*}} : memref<8x4xf32, strided<[1, 8]>>)
// CHECK: linalg.copy ins(%{{.*}} : tensor<4xf32>)
func.func @not_vectorized(%src: memref<8x4xf32, strided<[1, 8]>>, %dst: memref<8x4xf32>, %t: tensor<4xf32>, %u: tensor<4xf32>) -> tensor<4xf32> {
  linalg.copy ins(%src : memref<8x4xf32, strided<[1, 8]>>) outs(%dst : memref<8x4xf32>)
  %r = linalg.copy ins(%t : tensor<4xf32>) outs(%u : tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}
