// RUN: attnc-opt %s -split-input-file -verify-diagnostics

func.func @matmul_rank1(%a: tensor<4xf32>, %b: tensor<4x3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{operands must have rank >= 2}}
  %0 = attn.matmul %a, %b : (tensor<4xf32>, tensor<4x3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @matmul_contraction(%a: tensor<2x4xf32>, %b: tensor<5x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{contraction dims differ: lhs has 4, rhs has 5}}
  %0 = attn.matmul %a, %b : (tensor<2x4xf32>, tensor<5x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @matmul_batch(%a: tensor<2x2x4xf32>, %b: tensor<3x4x3xf32>) -> tensor<2x2x3xf32> {
  // expected-error @+1 {{batch dim 0 does not broadcast: 2 vs 3}}
  %0 = attn.matmul %a, %b : (tensor<2x2x4xf32>, tensor<3x4x3xf32>) -> tensor<2x2x3xf32>
  return %0 : tensor<2x2x3xf32>
}

// -----

func.func @matmul_result(%a: tensor<2x4xf32>, %b: tensor<4x3xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{does not match [..., M, N] of the operands}}
  %0 = attn.matmul %a, %b : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @transpose_not_permutation(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{permutation is not a permutation of [0, 2)}}
  %0 = attn.transpose %a [1, 1] : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @transpose_wrong_result(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{result dim 0 is 2, expected input dim 1 of size 3}}
  %0 = attn.transpose %a [1, 0] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @softmax_axis(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{axis 2 is out of range [0, 2)}}
  %0 = attn.softmax %a {axis = 2 : i64} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @softmax_int(%a: tensor<2x3xi32>) -> tensor<2x3xi32> {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = attn.softmax %a {axis = 1 : i64} : tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// -----

func.func @add_incompatible(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{operands don't have broadcast-compatible shapes}}
  %0 = attn.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @add_element_types(%a: tensor<3xf32>, %b: tensor<3xf16>) -> tensor<3xf32> {
  // expected-error @+1 {{requires the same element type for all operands and results}}
  %0 = attn.add %a, %b : (tensor<3xf32>, tensor<3xf16>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @add_rank(%a: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<1x3xf32> {
  // expected-error @+1 {{result rank 2 must equal the largest operand rank 1}}
  %0 = attn.add %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}

// -----

func.func @constant_scalar() {
  // expected-error @+1 {{result #0 must be ranked tensor}}
  %0 = attn.constant 1.0 : f32
  return
}

// -----

func.func @rms_norm_scale(%x: tensor<4x8xf32>, %w: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{scale dim 0 is 4, which does not broadcast to 8}}
  %0 = attn.rms_norm %x, %w {axis = 1 : i64, epsilon = 1.0e-6 : f32} : (tensor<4x8xf32>, tensor<4xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @linear_features(%x: tensor<4x8xf32>, %w: tensor<6x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{input has 8 features, weight expects 6}}
  %0 = attn.linear %x, %w : (tensor<4x8xf32>, tensor<6x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @linear_bias(%x: tensor<4x8xf32>, %w: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{bias must be a vector of 4 elements}}
  %0 = attn.linear %x, %w bias %b {transpose_weight} : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}
