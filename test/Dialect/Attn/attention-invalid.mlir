// RUN: attnc-opt %s -split-input-file -verify-diagnostics

func.func @rank2(%q: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{query must have rank 3 or 4, got 2}}
  %0 = attn.attention %q, %q, %q {scale = 1.0 : f32} : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @head_size(%q: tensor<2x3x8xf32>, %k: tensor<2x5x4xf32>, %v: tensor<2x5x8xf32>) -> tensor<2x3x8xf32> {
  // expected-error @+1 {{query head size 8 differs from key head size 4}}
  %0 = attn.attention %q, %k, %v {scale = 1.0 : f32} : (tensor<2x3x8xf32>, tensor<2x5x4xf32>, tensor<2x5x8xf32>) -> tensor<2x3x8xf32>
  return %0 : tensor<2x3x8xf32>
}

// -----

func.func @kv_length(%q: tensor<2x3x8xf32>, %k: tensor<2x5x8xf32>, %v: tensor<2x6x8xf32>) -> tensor<2x3x8xf32> {
  // expected-error @+1 {{key length 5 differs from value length 6}}
  %0 = attn.attention %q, %k, %v {scale = 1.0 : f32} : (tensor<2x3x8xf32>, tensor<2x5x8xf32>, tensor<2x6x8xf32>) -> tensor<2x3x8xf32>
  return %0 : tensor<2x3x8xf32>
}

// -----

func.func @gqa_groups(%q: tensor<1x6x3x8xf32>, %k: tensor<1x4x5x8xf32>) -> tensor<1x6x3x8xf32> {
  // expected-error @+1 {{query heads (6) must be a multiple of key/value heads (4)}}
  %0 = attn.attention %q, %k, %k {scale = 1.0 : f32} : (tensor<1x6x3x8xf32>, tensor<1x4x5x8xf32>, tensor<1x4x5x8xf32>) -> tensor<1x6x3x8xf32>
  return %0 : tensor<1x6x3x8xf32>
}

// -----

func.func @result_shape(%q: tensor<2x3x8xf32>, %k: tensor<2x5x8xf32>, %v: tensor<2x5x4xf32>) -> tensor<2x3x8xf32> {
  // expected-error @+1 {{result dim 2 is 8, expected 4}}
  %0 = attn.attention %q, %k, %v {scale = 1.0 : f32} : (tensor<2x3x8xf32>, tensor<2x5x8xf32>, tensor<2x5x4xf32>) -> tensor<2x3x8xf32>
  return %0 : tensor<2x3x8xf32>
}

// -----

func.func @mask_shape(%q: tensor<2x3x8xf32>, %k: tensor<2x5x8xf32>, %m: tensor<2x3x4xi1>) -> tensor<2x3x8xf32> {
  // expected-error @+1 {{keep_mask dim 2 is 4, which does not broadcast to 5}}
  %0 = attn.attention %q, %k, %k keep %m {scale = 1.0 : f32} : (tensor<2x3x8xf32>, tensor<2x5x8xf32>, tensor<2x5x8xf32>, tensor<2x3x4xi1>) -> tensor<2x3x8xf32>
  return %0 : tensor<2x3x8xf32>
}

// -----

func.func @bias_type(%q: tensor<2x3x8xf32>, %k: tensor<2x5x8xf32>, %b: tensor<2x3x5xf16>) -> tensor<2x3x8xf32> {
  // expected-error @+1 {{bias_mask element type must match the query}}
  %0 = attn.attention %q, %k, %k bias %b {scale = 1.0 : f32} : (tensor<2x3x8xf32>, tensor<2x5x8xf32>, tensor<2x5x8xf32>, tensor<2x3x5xf16>) -> tensor<2x3x8xf32>
  return %0 : tensor<2x3x8xf32>
}
