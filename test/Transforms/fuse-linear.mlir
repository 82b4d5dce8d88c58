// RUN: attnc-opt %s -split-input-file --attnc-fuse-linear | FileCheck %s

// BERT intermediate: MatMul by a constant weight, bias Add, GELU.
// CHECK-LABEL: func.func @bert_intermediate
// CHECK: %[[W:.*]] = attn.constant
// CHECK: %[[B:.*]] = attn.constant
// CHECK: %[[Y:.*]] = attn.linear %arg0, %[[W]] bias %[[B]] activation = gelu : (tensor<?x?x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<?x?x16xf32>
// CHECK-NEXT: return %[[Y]]
func.func @bert_intermediate(%x: tensor<?x?x8xf32>) -> tensor<?x?x16xf32> {
  %w = attn.constant dense<0.5> : tensor<8x16xf32>
  %b = attn.constant dense<0.25> : tensor<16xf32>
  %m = attn.matmul %x, %w : (tensor<?x?x8xf32>, tensor<8x16xf32>) -> tensor<?x?x16xf32>
  %a = attn.add %b, %m : (tensor<16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  %g = attn.gelu %a : tensor<?x?x16xf32>
  return %g : tensor<?x?x16xf32>
}

// -----

// BERT output: bias Add then the residual Add.
// CHECK-LABEL: func.func @bert_output
// CHECK: attn.linear %arg0, %{{.*}} bias %{{.*}} residual %arg1 : (tensor<?x?x16xf32>, tensor<16x8xf32>, tensor<8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
func.func @bert_output(%x: tensor<?x?x16xf32>, %r: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %w = attn.constant dense<0.5> : tensor<16x8xf32>
  %b = attn.constant dense<0.25> : tensor<8xf32>
  %m = attn.matmul %x, %w : (tensor<?x?x16xf32>, tensor<16x8xf32>) -> tensor<?x?x8xf32>
  %a = attn.add %m, %b : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %y = attn.add %a, %r : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// Gemm with transB (nn.Linear) and C becomes a linear with a transposed
// weight.
// CHECK-LABEL: func.func @gemm_trans_b
// CHECK: attn.linear %arg0, %{{.*}} bias %{{.*}} activation = relu {transpose_weight}
func.func @gemm_trans_b(%x: tensor<?x8xf32>) -> tensor<?x4xf32> {
  %w = attn.constant dense<0.5> : tensor<4x8xf32>
  %b = attn.constant dense<0.25> : tensor<4xf32>
  %y = attn.gemm %x, %w, %b {trans_b} : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %r = attn.relu %y : tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// Near misses: a weight that is a graph input, a bias that is not a
// vector, and a Gemm with alpha != 1 stay as they are.
// CHECK-LABEL: func.func @not_linear
// CHECK-NOT: attn.linear
func.func @not_linear(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>, %b: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %m = attn.matmul %x, %w : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %c = attn.constant dense<0.5> : tensor<8x4xf32>
  %g = attn.gemm %x, %c {alpha = 2.0 : f32} : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  return %m, %g : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// A matrix addend is not a bias; having the result's type, it is the
// residual.
// CHECK-LABEL: func.func @matrix_bias
// CHECK: attn.linear %arg0, %{{.*}} residual %arg1 : (tensor<4x8xf32>, tensor<8x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
// CHECK-NOT: attn.add
func.func @matrix_bias(%x: tensor<4x8xf32>, %b: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %c = attn.constant dense<0.5> : tensor<8x4xf32>
  %m = attn.matmul %x, %c : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %a = attn.add %m, %b : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %a : tensor<4x4xf32>
}
