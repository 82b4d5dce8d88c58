// RUN: attnc-opt %s -split-input-file | attnc-opt | FileCheck %s
// RUN: attnc-opt %s -split-input-file -canonicalize | FileCheck %s --check-prefix=CANON

// CHECK-LABEL: func @shape_ops
// CHECK: attn.reshape %{{.*}}[%{{.*}}, %{{.*}}] : tensor<?x?x32xf32> -> tensor<?x?x4x8xf32>
// CHECK: attn.expand %{{.*}}[%{{.*}}] : tensor<1x1x8xi1> -> tensor<?x4x8xi1>
// CHECK: attn.gather %{{.*}}[%{{.*}}] {axis = 0 : i64} : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
// CHECK: attn.range %{{.*}}, %{{.*}}[%{{.*}}] : (tensor<i64>, tensor<i64>, index) -> tensor<?xi64>
func.func @shape_ops(%x: tensor<?x?x32xf32>, %b: index, %t: index, %m: tensor<1x1x8xi1>,
                     %w: tensor<16x8xf32>, %ids: tensor<?x?xi64>, %s: tensor<i64>, %d: tensor<i64>)
    -> (tensor<?x?x4x8xf32>, tensor<?x4x8xi1>, tensor<?x?x8xf32>, tensor<?xi64>) {
  %0 = attn.reshape %x[%b, %t] : tensor<?x?x32xf32> -> tensor<?x?x4x8xf32>
  %1 = attn.expand %m[%b] : tensor<1x1x8xi1> -> tensor<?x4x8xi1>
  %2 = attn.gather %w[%ids] {axis = 0 : i64} : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %3 = attn.range %s, %d[%t] : (tensor<i64>, tensor<i64>, index) -> tensor<?xi64>
  return %0, %1, %2, %3 : tensor<?x?x4x8xf32>, tensor<?x4x8xi1>, tensor<?x?x8xf32>, tensor<?xi64>
}

// -----

// A static reshape to the same type folds away.
// CANON-LABEL: func @reshape_identity
// CANON-NOT: attn.reshape
func.func @reshape_identity(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = attn.reshape %x : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @gather_elements
// CHECK: attn.gather_elements %{{.*}}[%{{.*}}] {axis = 1 : i64} : (tensor<?x8xf32>, tensor<?x3xi64>) -> tensor<?x3xf32>
func.func @gather_elements(%x: tensor<?x8xf32>, %i: tensor<?x3xi64>) -> tensor<?x3xf32> {
  %0 = attn.gather_elements %x[%i] {axis = 1 : i64} : (tensor<?x8xf32>, tensor<?x3xi64>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func @scatter_nd
// CHECK: attn.scatter_nd none %{{.*}}[%{{.*}}], %{{.*}} : (tensor<?x1x?x?xf32>, tensor<?x1x?x?x4xi64>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
// CHECK: attn.scatter_nd max %{{.*}}[%{{.*}}], %{{.*}} {is_unsigned} : (tensor<4x8xi8>, tensor<2x1xi64>, tensor<2x8xi8>) -> tensor<4x8xi8>
func.func @scatter_nd(%m: tensor<?x1x?x?xf32>, %i: tensor<?x1x?x?x4xi64>, %u: tensor<?x1x?x?xf32>,
                      %x: tensor<4x8xi8>, %j: tensor<2x1xi64>, %v: tensor<2x8xi8>)
    -> (tensor<?x1x?x?xf32>, tensor<4x8xi8>) {
  %0 = attn.scatter_nd none %m[%i], %u : (tensor<?x1x?x?xf32>, tensor<?x1x?x?x4xi64>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %1 = attn.scatter_nd max %x[%j], %v {is_unsigned} : (tensor<4x8xi8>, tensor<2x1xi64>, tensor<2x8xi8>) -> tensor<4x8xi8>
  return %0, %1 : tensor<?x1x?x?xf32>, tensor<4x8xi8>
}
