// RUN: attnc-opt %s -split-input-file | attnc-opt | FileCheck %s
// Round trip of the unary, comparison, logic, select, cast, reduction and
// normalization ops.

// CHECK-LABEL: func @unary
func.func @unary(%x: tensor<?x4xf32>, %i: tensor<3xi32>, %b: tensor<2xi1>) -> (tensor<?x4xf32>, tensor<3xi32>, tensor<2xi1>) {
  // CHECK: attn.sqrt %{{.*}} : tensor<?x4xf32>
  %0 = attn.sqrt %x : tensor<?x4xf32>
  // CHECK: attn.reciprocal
  %1 = attn.reciprocal %0 : tensor<?x4xf32>
  // CHECK: attn.exp
  %2 = attn.exp %1 : tensor<?x4xf32>
  // CHECK: attn.log
  %3 = attn.log %2 : tensor<?x4xf32>
  // CHECK: attn.erf
  %4 = attn.erf %3 : tensor<?x4xf32>
  // CHECK: attn.tanh
  %5 = attn.tanh %4 : tensor<?x4xf32>
  // CHECK: attn.cos
  %c = attn.cos %5 : tensor<?x4xf32>
  // CHECK: attn.sin
  %s = attn.sin %c : tensor<?x4xf32>
  // CHECK: attn.sigmoid
  %6 = attn.sigmoid %s : tensor<?x4xf32>
  // CHECK: attn.relu %{{.*}} : tensor<?x4xf32>
  %7 = attn.relu %6 : tensor<?x4xf32>
  // CHECK: attn.neg %{{.*}} : tensor<3xi32>
  %8 = attn.neg %i : tensor<3xi32>
  // CHECK: attn.abs %{{.*}} : tensor<3xi32>
  %9 = attn.abs %8 : tensor<3xi32>
  // CHECK: attn.not %{{.*}} : tensor<2xi1>
  %10 = attn.not %b : tensor<2xi1>
  return %7, %9, %10 : tensor<?x4xf32>, tensor<3xi32>, tensor<2xi1>
}

// -----

// The default approximation is not printed.
// CHECK-LABEL: func @gelu
// CHECK: attn.gelu %{{.*}} : tensor<?x8xf32>
// CHECK: attn.gelu %{{.*}} approximate = tanh : tensor<?x8xf32>
func.func @gelu(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = attn.gelu %x : tensor<?x8xf32>
  %1 = attn.gelu %0 approximate = tanh : tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func @binary
func.func @binary(%a: tensor<?x4xf32>, %b: tensor<4xf32>, %m: tensor<1x4xi1>, %u: tensor<4xi8>) -> (tensor<?x4xf32>, tensor<?x4xi1>, tensor<4xi8>) {
  // CHECK: attn.pow %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %0 = attn.pow %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  // CHECK: attn.compare ge, %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
  %1 = attn.compare ge, %0, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
  // CHECK: attn.compare lt, %{{.*}}, %{{.*}} {is_unsigned} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi1>
  %2 = attn.compare lt, %u, %u {is_unsigned} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi1>
  // CHECK: attn.and
  %3 = attn.and %1, %m : (tensor<?x4xi1>, tensor<1x4xi1>) -> tensor<?x4xi1>
  // CHECK: attn.or
  %4 = attn.or %3, %2 : (tensor<?x4xi1>, tensor<4xi1>) -> tensor<?x4xi1>
  // CHECK: attn.xor
  %5 = attn.xor %4, %m : (tensor<?x4xi1>, tensor<1x4xi1>) -> tensor<?x4xi1>
  // CHECK: attn.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x4xi1>, tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %6 = attn.where %5, %0, %b : (tensor<?x4xi1>, tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  // CHECK: attn.div %{{.*}}, %{{.*}} {is_unsigned} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  %7 = attn.div %u, %u {is_unsigned} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  return %6, %5, %7 : tensor<?x4xf32>, tensor<?x4xi1>, tensor<4xi8>
}

// -----

// CHECK-LABEL: func @cast
func.func @cast(%x: tensor<?x4xi8>, %f: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xi16>, tensor<?x4xi1>) {
  // CHECK: attn.cast %{{.*}} {input_unsigned} : tensor<?x4xi8> -> tensor<?x4xf32>
  %0 = attn.cast %x {input_unsigned} : tensor<?x4xi8> -> tensor<?x4xf32>
  // CHECK: attn.cast %{{.*}} {output_unsigned} : tensor<?x4xf32> -> tensor<?x4xi16>
  %1 = attn.cast %f {output_unsigned} : tensor<?x4xf32> -> tensor<?x4xi16>
  // CHECK: attn.cast %{{.*}} : tensor<?x4xf32> -> tensor<?x4xi1>
  %2 = attn.cast %f : tensor<?x4xf32> -> tensor<?x4xi1>
  return %0, %1, %2 : tensor<?x4xf32>, tensor<?x4xi16>, tensor<?x4xi1>
}

// -----

// CHECK-LABEL: func @reduce
func.func @reduce(%x: tensor<?x?x8xf32>, %i: tensor<2x3xi32>) -> (tensor<?x?x1xf32>, tensor<8xf32>, tensor<2xi32>) {
  // CHECK: attn.reduce mean %{{.*}} [2] keepdims : tensor<?x?x8xf32> -> tensor<?x?x1xf32>
  %0 = attn.reduce mean %x [2] keepdims : tensor<?x?x8xf32> -> tensor<?x?x1xf32>
  // CHECK: attn.reduce sum %{{.*}} [0, 1] : tensor<?x?x8xf32> -> tensor<8xf32>
  %1 = attn.reduce sum %x [0, 1] : tensor<?x?x8xf32> -> tensor<8xf32>
  // CHECK: attn.reduce max %{{.*}} [1] {is_unsigned} : tensor<2x3xi32> -> tensor<2xi32>
  %2 = attn.reduce max %i [1] {is_unsigned} : tensor<2x3xi32> -> tensor<2xi32>
  return %0, %1, %2 : tensor<?x?x1xf32>, tensor<8xf32>, tensor<2xi32>
}

// -----

// CHECK-LABEL: func @nn
func.func @nn(%x: tensor<?x?x8xf32>, %g: tensor<8xf32>, %a: tensor<?x8xf32>, %w: tensor<4x8xf32>, %c: tensor<4xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  // CHECK: attn.log_softmax %{{.*}} {axis = 2 : i64} : tensor<?x?x8xf32>
  %0 = attn.log_softmax %x {axis = 2 : i64} : tensor<?x?x8xf32>
  // CHECK: attn.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %1 = attn.layer_norm %x, %g, %g {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  // CHECK: attn.layer_norm %{{.*}}, %{{.*}} {axis = 2 : i64, epsilon = 0.000000e+00 : f32} : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %2 = attn.layer_norm %x, %g {axis = 2 : i64, epsilon = 0.0 : f32} : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  // CHECK: attn.gemm %{{.*}}, %{{.*}}, %{{.*}} {alpha = 5.000000e-01 : f32, trans_b} : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %3 = attn.gemm %a, %w, %c {alpha = 0.5 : f32, trans_b} : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  // CHECK: attn.gemm %{{.*}}, %{{.*}} {trans_b} : (tensor<?x8xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  %4 = attn.gemm %a, %w {trans_b} : (tensor<?x8xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %0, %1, %2, %3, %4 : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}
