// RUN: attnc-opt %s -split-input-file | attnc-opt | FileCheck %s
// Round trip of every attn op, with static and dynamic dims.

// CHECK-LABEL: func @constant
func.func @constant() -> (tensor<2xf32>, tensor<f32>) {
  // CHECK: attn.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %0 = attn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: attn.constant dense<5.000000e-01> : tensor<f32>
  %1 = attn.constant dense<0.5> : tensor<f32>
  return %0, %1 : tensor<2xf32>, tensor<f32>
}

// -----

// CHECK-LABEL: func @binary_broadcast
func.func @binary_broadcast(%a: tensor<?x?x32xf32>, %b: tensor<32xf32>, %c: tensor<?x1x32xf32>) -> tensor<?x?x32xf32> {
  // CHECK: attn.add %{{.*}}, %{{.*}} : (tensor<32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %0 = attn.add %b, %a : (tensor<32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  // CHECK: attn.sub
  %1 = attn.sub %0, %c : (tensor<?x?x32xf32>, tensor<?x1x32xf32>) -> tensor<?x?x32xf32>
  // CHECK: attn.mul
  %2 = attn.mul %1, %b : (tensor<?x?x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  // CHECK: attn.div
  %3 = attn.div %2, %b : (tensor<?x?x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %3 : tensor<?x?x32xf32>
}

// -----

// CHECK-LABEL: func @integer_arith
func.func @integer_arith(%a: tensor<4xi64>, %b: tensor<4xi64>) -> tensor<4xi64> {
  // CHECK: attn.div %{{.*}}, %{{.*}} : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %0 = attn.div %a, %b : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

// CHECK-LABEL: func @attention_slice
func.func @attention_slice(%q: tensor<?x?x64xf32>, %k: tensor<?x?x64xf32>, %v: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  // CHECK: attn.transpose %{{.*}} [0, 2, 1] : tensor<?x?x64xf32> -> tensor<?x64x?xf32>
  %kt = attn.transpose %k [0, 2, 1] : tensor<?x?x64xf32> -> tensor<?x64x?xf32>
  // CHECK: attn.matmul %{{.*}}, %{{.*}} : (tensor<?x?x64xf32>, tensor<?x64x?xf32>) -> tensor<?x?x?xf32>
  %s = attn.matmul %q, %kt : (tensor<?x?x64xf32>, tensor<?x64x?xf32>) -> tensor<?x?x?xf32>
  // CHECK: attn.softmax %{{.*}} {axis = 2 : i64} : tensor<?x?x?xf32>
  %p = attn.softmax %s {axis = 2 : i64} : tensor<?x?x?xf32>
  %o = attn.matmul %p, %v : (tensor<?x?x?xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %o : tensor<?x?x64xf32>
}

// -----

// Batch dims broadcast in matmul: [2,1,4,8] x [3,8,5] -> [2,3,4,5].
// CHECK-LABEL: func @matmul_batch_broadcast
func.func @matmul_batch_broadcast(%a: tensor<2x1x4x8xf32>, %b: tensor<3x8x5xf32>) -> tensor<2x3x4x5xf32> {
  // CHECK: attn.matmul {{.*}} -> tensor<2x3x4x5xf32>
  %0 = attn.matmul %a, %b : (tensor<2x1x4x8xf32>, tensor<3x8x5xf32>) -> tensor<2x3x4x5xf32>
  return %0 : tensor<2x3x4x5xf32>
}
