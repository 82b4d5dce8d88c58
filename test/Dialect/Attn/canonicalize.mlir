// RUN: attnc-opt %s -split-input-file -canonicalize | FileCheck %s

// CHECK-LABEL: func @add_zero
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK-NOT: attn.add
// CHECK: return %[[X]]
func.func @add_zero(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %z = attn.constant dense<0.0> : tensor<4xf32>
  %0 = attn.add %z, %x : (tensor<4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A zero that broadcasts x to a bigger shape must stay.
// CHECK-LABEL: func @add_zero_broadcasting
// CHECK: attn.add
func.func @add_zero_broadcasting(%x: tensor<4xf32>) -> tensor<2x4xf32> {
  %z = attn.constant dense<0.0> : tensor<2x4xf32>
  %0 = attn.add %x, %z : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func @mul_div_one
// CHECK-NOT: attn.mul
// CHECK-NOT: attn.div
func.func @mul_div_one(%x: tensor<3xf32>) -> tensor<3xf32> {
  %one = attn.constant dense<1.0> : tensor<f32>
  %0 = attn.mul %x, %one : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %1 = attn.div %0, %one : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  return %1 : tensor<3xf32>
}

// -----

// Division by a non-one constant is kept.
// CHECK-LABEL: func @div_two
// CHECK: attn.div
func.func @div_two(%x: tensor<3xf32>) -> tensor<3xf32> {
  %two = attn.constant dense<2.0> : tensor<f32>
  %0 = attn.div %x, %two : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// CHECK-LABEL: func @transpose_identity
// CHECK-NOT: attn.transpose
func.func @transpose_identity(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = attn.transpose %x [0, 1] : tensor<?x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Two transposes compose into one; [0,2,1] twice is the identity.
// CHECK-LABEL: func @transpose_compose
// CHECK: attn.transpose %{{.*}} [2, 0, 1]
// CHECK-NOT: attn.transpose
func.func @transpose_compose(%x: tensor<2x3x4xf32>) -> (tensor<4x2x3xf32>, tensor<2x3x4xf32>) {
  %0 = attn.transpose %x [0, 2, 1] : tensor<2x3x4xf32> -> tensor<2x4x3xf32>
  %1 = attn.transpose %0 [1, 0, 2] : tensor<2x4x3xf32> -> tensor<4x2x3xf32>
  %2 = attn.transpose %0 [0, 2, 1] : tensor<2x4x3xf32> -> tensor<2x3x4xf32>
  return %1, %2 : tensor<4x2x3xf32>, tensor<2x3x4xf32>
}

// -----

// Scalar graph arithmetic folds: the GPT-2 attention scale
// Pow(Cast(head_dim), 0.5) becomes one constant.
// CHECK-LABEL: func @fold_scale
// CHECK: %[[C:.*]] = attn.constant dense<4.000000e+00> : tensor<f32>
// CHECK-NOT: attn.pow
// CHECK-NOT: attn.cast
// CHECK: attn.div %arg0, %[[C]]
func.func @fold_scale(%x: tensor<3xf32>) -> tensor<3xf32> {
  %d = attn.constant dense<16> : tensor<i64>
  %half = attn.constant dense<0.5> : tensor<f32>
  %f = attn.cast %d : tensor<i64> -> tensor<f32>
  %s = attn.pow %f, %half : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %0 = attn.div %x, %s : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Unary folds and integer shape arithmetic; division by zero is kept.
// CHECK-LABEL: func @fold_unary_int
// CHECK-DAG: attn.constant dense<2.000000e+00> : tensor<f32>
// CHECK-DAG: attn.constant dense<-5.000000e-01> : tensor<f32>
// CHECK-DAG: attn.constant dense<14> : tensor<1xi64>
// CHECK: attn.div %{{.*}}, %{{.*}} : (tensor<i64>, tensor<i64>) -> tensor<i64>
func.func @fold_unary_int() -> (tensor<f32>, tensor<f32>, tensor<1xi64>, tensor<i64>) {
  %four = attn.constant dense<4.0> : tensor<f32>
  %two = attn.constant dense<2.0> : tensor<f32>
  %s = attn.sqrt %four : tensor<f32>
  %r = attn.reciprocal %two : tensor<f32>
  %n = attn.neg %r : tensor<f32>
  %a = attn.constant dense<3> : tensor<1xi64>
  %b = attn.constant dense<4> : tensor<1xi64>
  %c = attn.mul %a, %b : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %two_i = attn.constant dense<2> : tensor<1xi64>
  %d = attn.add %c, %two_i : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %z = attn.constant dense<0> : tensor<i64>
  %one = attn.constant dense<1> : tensor<i64>
  %q = attn.div %one, %z : (tensor<i64>, tensor<i64>) -> tensor<i64>
  return %s, %n, %d, %q : tensor<f32>, tensor<f32>, tensor<1xi64>, tensor<i64>
}
