// RUN: attnc-opt %s -split-input-file --attnc-fuse-normalization --canonicalize | FileCheck %s

// torch.onnx (opset < 17): Pow(d, 2), Div by the root, gamma and beta.
// CHECK-LABEL: func.func @torch_decomposed
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>, %[[G:.*]]: tensor<64xf32>, %[[B:.*]]: tensor<64xf32>)
// CHECK: %[[Y:.*]] = attn.layer_norm %[[X]], %[[G]], %[[B]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
// CHECK-NEXT: return %[[Y]]
func.func @torch_decomposed(%x: tensor<?x?x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %two = attn.constant dense<2.0> : tensor<f32>
  %eps = attn.constant dense<9.99999974E-6> : tensor<f32>
  %m = attn.reduce mean %x [2] keepdims : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
  %d = attn.sub %x, %m : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %p = attn.pow %d, %two : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %v = attn.reduce mean %p [2] keepdims : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
  %e = attn.add %v, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %s = attn.sqrt %e : tensor<?x?x1xf32>
  %n = attn.div %d, %s : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %y = attn.mul %n, %g : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %z = attn.add %y, %b : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %z : tensor<?x?x64xf32>
}

// -----

// d * d, Mul by Reciprocal, no scale or shift (a constant of ones is used).
// CHECK-LABEL: func.func @reciprocal_no_affine
// CHECK: %[[ONES:.*]] = attn.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK: attn.layer_norm %arg0, %[[ONES]] {axis = 1 : i64, epsilon = 9.99999974E-6 : f32}
func.func @reciprocal_no_affine(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %eps = attn.constant dense<9.99999974E-6> : tensor<f32>
  %m = attn.reduce mean %x [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
  %d = attn.sub %x, %m : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %p = attn.mul %d, %d : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %v = attn.reduce mean %p [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
  %e = attn.add %eps, %v : (tensor<f32>, tensor<4x1xf32>) -> tensor<4x1xf32>
  %s = attn.sqrt %e : tensor<4x1xf32>
  %r = attn.reciprocal %s : tensor<4x1xf32>
  %n = attn.mul %d, %r : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}

// -----

// Near miss: the two means reduce different axes.
// CHECK-LABEL: func.func @different_axes
// CHECK-NOT: attn.layer_norm
func.func @different_axes(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %eps = attn.constant dense<9.99999974E-6> : tensor<f32>
  %two = attn.constant dense<2.0> : tensor<f32>
  %m = attn.reduce mean %x [0] keepdims : tensor<4x8xf32> -> tensor<1x8xf32>
  %d = attn.sub %x, %m : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  %p = attn.pow %d, %two : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %v = attn.reduce mean %p [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
  %e = attn.add %v, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %s = attn.sqrt %e : tensor<4x1xf32>
  %n = attn.div %d, %s : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}

// -----

// Near miss: Pow(d, 3) is not a variance.
// CHECK-LABEL: func.func @cube
// CHECK-NOT: attn.layer_norm
func.func @cube(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %eps = attn.constant dense<9.99999974E-6> : tensor<f32>
  %three = attn.constant dense<3.0> : tensor<f32>
  %m = attn.reduce mean %x [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
  %d = attn.sub %x, %m : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %p = attn.pow %d, %three : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %v = attn.reduce mean %p [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
  %e = attn.add %v, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %s = attn.sqrt %e : tensor<4x1xf32>
  %n = attn.div %d, %s : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}

// -----

// Llama RMSNorm as torch exports it: Pow, ReduceMean, Add eps, Sqrt,
// Div(1, .), Mul by x, Mul by the weight.
// CHECK-LABEL: func.func @llama_rms_norm
// CHECK: %[[Y:.*]] = attn.rms_norm %arg0, %arg1 {axis = 2 : i64, epsilon = 9.99999997E-7 : f32} : (tensor<?x?x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
// CHECK-NEXT: return %[[Y]]
func.func @llama_rms_norm(%x: tensor<?x?x32xf32>, %w: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %two = attn.constant dense<2.0> : tensor<f32>
  %eps = attn.constant dense<9.99999997E-7> : tensor<f32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %p = attn.pow %x, %two : (tensor<?x?x32xf32>, tensor<f32>) -> tensor<?x?x32xf32>
  %v = attn.reduce mean %p [2] keepdims : tensor<?x?x32xf32> -> tensor<?x?x1xf32>
  %e = attn.add %v, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %s = attn.sqrt %e : tensor<?x?x1xf32>
  %r = attn.div %one, %s : (tensor<f32>, tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %n = attn.mul %x, %r : (tensor<?x?x32xf32>, tensor<?x?x1xf32>) -> tensor<?x?x32xf32>
  %y = attn.mul %w, %n : (tensor<32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}

// -----

// Near miss: dividing by the root of the mean square plus eps, but of a
// different tensor than the one normalized.
// CHECK-LABEL: func.func @rms_other_tensor
// CHECK-NOT: attn.rms_norm
func.func @rms_other_tensor(%x: tensor<4x8xf32>, %z: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %two = attn.constant dense<2.0> : tensor<f32>
  %eps = attn.constant dense<9.99999997E-7> : tensor<f32>
  %p = attn.pow %z, %two : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %v = attn.reduce mean %p [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
  %e = attn.add %v, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %s = attn.sqrt %e : tensor<4x1xf32>
  %n = attn.div %x, %s : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}
