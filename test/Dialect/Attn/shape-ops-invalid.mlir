// RUN: attnc-opt %s -split-input-file -verify-diagnostics

func.func @reshape_missing_size(%x: tensor<?x32xf32>) -> tensor<?x4x8xf32> {
  // expected-error @+1 {{expects 1 dynamic sizes for result type 'tensor<?x4x8xf32>', got 0}}
  %0 = attn.reshape %x : tensor<?x32xf32> -> tensor<?x4x8xf32>
  return %0 : tensor<?x4x8xf32>
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) -> tensor<7xf32> {
  // expected-error @+1 {{cannot reshape 6 elements into 'tensor<7xf32>'}}
  %0 = attn.reshape %x : tensor<2x3xf32> -> tensor<7xf32>
  return %0 : tensor<7xf32>
}

// -----

func.func @reshape_element_type(%x: tensor<6xf32>) -> tensor<6xi32> {
  // expected-error @+1 {{input and result element types differ}}
  %0 = attn.reshape %x : tensor<6xf32> -> tensor<6xi32>
  return %0 : tensor<6xi32>
}

// -----

func.func @expand_conflict(%x: tensor<3xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{input dim 0 of size 3 cannot expand to 4}}
  %0 = attn.expand %x : tensor<3xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @expand_rank(%x: tensor<2x3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{cannot expand rank 2 to rank 1}}
  %0 = attn.expand %x : tensor<2x3xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @gather_axis(%w: tensor<4x8xf32>, %i: tensor<2xi64>) -> tensor<4x2xf32> {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = attn.gather %w[%i] {axis = 2 : i64} : (tensor<4x8xf32>, tensor<2xi64>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @gather_rank(%w: tensor<4x8xf32>, %i: tensor<2xi64>) -> tensor<2xf32> {
  // expected-error @+1 {{result rank must be 2}}
  %0 = attn.gather %w[%i] {axis = 0 : i64} : (tensor<4x8xf32>, tensor<2xi64>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @range_scalar(%s: tensor<1xi64>, %d: tensor<i64>) -> tensor<4xi64> {
  // expected-error @+1 {{start and delta must be scalars (rank 0)}}
  %0 = attn.range %s, %d : (tensor<1xi64>, tensor<i64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @gather_elements_axis(%x: tensor<4x8xf32>, %i: tensor<4x2xi64>) -> tensor<4x2xf32> {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = attn.gather_elements %x[%i] {axis = 2 : i64} : (tensor<4x8xf32>, tensor<4x2xi64>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @gather_elements_rank(%x: tensor<4x8xf32>, %i: tensor<2xi64>) -> tensor<2xf32> {
  // expected-error @+1 {{indices must have the rank of the data (2), got 1}}
  %0 = attn.gather_elements %x[%i] {axis = 0 : i64} : (tensor<4x8xf32>, tensor<2xi64>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @gather_elements_shape(%x: tensor<4x8xf32>, %i: tensor<4x2xi64>) -> tensor<4x3xf32> {
  // expected-error @+1 {{result shape must be the shape of the indices}}
  %0 = attn.gather_elements %x[%i] {axis = 1 : i64} : (tensor<4x8xf32>, tensor<4x2xi64>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @scatter_nd_tuple(%x: tensor<4x8xf32>, %i: tensor<2x3xi64>, %u: tensor<2xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{the last dim of indices (3) must be in 1..2}}
  %0 = attn.scatter_nd none %x[%i], %u : (tensor<4x8xf32>, tensor<2x3xi64>, tensor<2xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @scatter_nd_updates(%x: tensor<4x8xf32>, %i: tensor<2x1xi64>, %u: tensor<2x7xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{updates must have shape indices.shape[:-1] ++ data.shape[1:]}}
  %0 = attn.scatter_nd add %x[%i], %u : (tensor<4x8xf32>, tensor<2x1xi64>, tensor<2x7xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @scatter_nd_result(%x: tensor<4x8xf32>, %i: tensor<2x1xi64>, %u: tensor<2x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{result type must be the data type}}
  %0 = attn.scatter_nd none %x[%i], %u : (tensor<4x8xf32>, tensor<2x1xi64>, tensor<2x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
