// RUN: attnc-opt %s -split-input-file -verify-diagnostics

func.func @sqrt_int(%a: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = attn.sqrt %a : tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

func.func @not_float(%a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{must be ranked tensor of 1-bit signless integer values}}
  %0 = attn.not %a : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @gelu_bad_approximation(%a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'approximate' [none, tanh]}}
  %0 = attn.gelu %a approximate = fast : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @compare_result_type(%a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{result #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = attn.compare eq, %a, %a : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @compare_element_types(%a: tensor<3xf32>, %b: tensor<3xf16>) -> tensor<3xi1> {
  // expected-error @+1 {{failed to verify that all of {lhs, rhs} have same element type}}
  %0 = attn.compare eq, %a, %b : (tensor<3xf32>, tensor<3xf16>) -> tensor<3xi1>
  return %0 : tensor<3xi1>
}

// -----

func.func @where_shapes(%c: tensor<2xi1>, %a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{operands don't have broadcast-compatible shapes}}
  %0 = attn.where %c, %a, %a : (tensor<2xi1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @where_condition(%c: tensor<3xf32>, %a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = attn.where %c, %a, %a : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @cast_shape(%a: tensor<3xf32>) -> tensor<4xi32> {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = attn.cast %a : tensor<3xf32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @pow_int(%a: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = attn.pow %a, %a : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

func.func @reduce_empty_axes(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{axes must not be empty}}
  %0 = attn.reduce sum %a [] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @reduce_axis_range(%a: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{axis 2 is out of range [0, 2)}}
  %0 = attn.reduce sum %a [2] : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @reduce_unsorted(%a: tensor<2x3xf32>) -> tensor<f32> {
  // expected-error @+1 {{axes must be sorted and unique}}
  %0 = attn.reduce sum %a [1, 0] : tensor<2x3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @reduce_keepdims_shape(%a: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{result rank 1 must be 2}}
  %0 = attn.reduce max %a [1] keepdims : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @reduce_result_dim(%a: tensor<2x3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{result dim 0 is 3, expected 2}}
  %0 = attn.reduce mean %a [1] : tensor<2x3xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @reduce_bool(%a: tensor<2x3xi1>) -> tensor<2xi1> {
  // expected-error @+1 {{cannot reduce bool tensors}}
  %0 = attn.reduce sum %a [1] : tensor<2x3xi1> -> tensor<2xi1>
  return %0 : tensor<2xi1>
}

// -----

func.func @log_softmax_axis(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{axis -1 is out of range [0, 2)}}
  %0 = attn.log_softmax %a {axis = -1 : i64} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @layer_norm_scale(%x: tensor<2x8xf32>, %g: tensor<4xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{scale dim 0 is 4, which does not broadcast to 8}}
  %0 = attn.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<4xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @layer_norm_scale_rank(%x: tensor<2x8xf32>, %g: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{scale has rank 2, more than the 1 dims it broadcasts to}}
  %0 = attn.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @layer_norm_axis(%x: tensor<2x8xf32>, %g: tensor<8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{axis 2 is out of range [0, 2)}}
  %0 = attn.layer_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @layer_norm_bias_type(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf16>) -> tensor<2x8xf32> {
  // expected-error @+1 {{bias element type must match the input}}
  %0 = attn.layer_norm %x, %g, %b {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf16>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @gemm_contraction(%a: tensor<2x8xf32>, %b: tensor<4x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{contraction dims differ: op(a) has 8, op(b) has 4}}
  %0 = attn.gemm %a, %b : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @gemm_rank(%a: tensor<2x2x8xf32>, %b: tensor<8x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{a, b and the result must be matrices, got ranks 3, 2 and 2}}
  %0 = attn.gemm %a, %b : (tensor<2x2x8xf32>, tensor<8x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @gemm_c(%a: tensor<2x8xf32>, %b: tensor<8x4xf32>, %c: tensor<3xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{c dim 0 is 3, which does not broadcast to 4}}
  %0 = attn.gemm %a, %b, %c : (tensor<2x8xf32>, tensor<8x4xf32>, tensor<3xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @gemm_result(%a: tensor<2x8xf32>, %b: tensor<8x4xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{does not match [M, N] = [2, 4]}}
  %0 = attn.gemm %a, %b : (tensor<2x8xf32>, tensor<8x4xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}
