// RUN: attnc-opt %s -split-input-file --attnc-fuse-attention --canonicalize | FileCheck %s

// GPT-2 (HF, opset 17): K^T from a [B,T,H,D] transpose, Div scale, causal
// Where with the float minimum, additive padding mask.
// CHECK-LABEL: func.func @gpt2
// CHECK-SAME: (%[[Q:.*]]: tensor<?x4x?x16xf32>, %[[KBTHD:.*]]: tensor<?x?x4x16xf32>, %[[V:.*]]: tensor<?x4x?x16xf32>, %[[CAUSAL:.*]]: tensor<1x1x?x?xi1>, %[[PAD:.*]]: tensor<?x1x1x?xf32>)
// CHECK: %[[K:.*]] = attn.transpose %[[KBTHD]] [0, 2, 1, 3]
// CHECK: %[[O:.*]] = attn.attention %[[Q]], %[[K]], %[[V]] keep %[[CAUSAL]] bias %[[PAD]] {mask_fill = -3.40282347E+38 : f32, scale = 2.500000e-01 : f32}
// CHECK-NOT: attn.softmax
// CHECK: return %[[O]]
func.func @gpt2(%q: tensor<?x4x?x16xf32>, %k: tensor<?x?x4x16xf32>, %v: tensor<?x4x?x16xf32>, %causal: tensor<1x1x?x?xi1>, %pad: tensor<?x1x1x?xf32>) -> tensor<?x4x?x16xf32> {
  %c4 = attn.constant dense<4.0> : tensor<f32>
  %min = attn.constant dense<-3.40282347E+38> : tensor<f32>
  %kt = attn.transpose %k [0, 2, 3, 1] : tensor<?x?x4x16xf32> -> tensor<?x4x16x?xf32>
  %s = attn.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %d = attn.div %s, %c4 : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %w = attn.where %causal, %d, %min : (tensor<1x1x?x?xi1>, tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %a = attn.add %w, %pad : (tensor<?x4x?x?xf32>, tensor<?x1x1x?xf32>) -> tensor<?x4x?x?xf32>
  %p = attn.softmax %a {axis = 3 : i64} : tensor<?x4x?x?xf32>
  %o = attn.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// nn.MultiheadAttention (rank 3): q pre-divided by sqrt(d), K^T as a
// transpose of [T, B*H, D]; no mask.
// CHECK-LABEL: func.func @torch_mha
// CHECK: %[[K:.*]] = attn.transpose %{{.*}} [1, 0, 2]
// CHECK: attn.attention %{{.*}}, %[[K]], %{{.*}} {scale = 0.353553{{[0-9]*}} : f32}
// CHECK-NOT: attn.div
func.func @torch_mha(%q: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %c = attn.constant dense<2.82842708> : tensor<f32>
  %qs = attn.div %q, %c : (tensor<?x?x8xf32>, tensor<f32>) -> tensor<?x?x8xf32>
  %kt = attn.transpose %k [1, 2, 0] : tensor<?x?x8xf32> -> tensor<?x8x?xf32>
  %s = attn.matmul %qs, %kt : (tensor<?x?x8xf32>, tensor<?x8x?xf32>) -> tensor<?x?x?xf32>
  %p = attn.softmax %s {axis = 2 : i64} : tensor<?x?x?xf32>
  %o = attn.matmul %p, %v : (tensor<?x?x?xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %o : tensor<?x?x8xf32>
}

// -----

// Where(cond, fill, scores) keeps where cond is false; a scale after the
// mask also scales the fill value.
// CHECK-LABEL: func.func @inverted_mask_then_scale
// CHECK: %[[KEEP:.*]] = attn.not %arg3
// CHECK: attn.attention %arg0, %arg1, %arg2 keep %[[KEEP]] {mask_fill = -5.000000e+03 : f32, scale = 5.000000e-01 : f32}
func.func @inverted_mask_then_scale(%q: tensor<2x3x4xf32>, %k: tensor<2x5x4xf32>, %v: tensor<2x5x4xf32>, %masked: tensor<2x3x5xi1>) -> tensor<2x3x4xf32> {
  %neg = attn.constant dense<-10000.0> : tensor<f32>
  %half = attn.constant dense<0.5> : tensor<f32>
  %kt = attn.transpose %k [0, 2, 1] : tensor<2x5x4xf32> -> tensor<2x4x5xf32>
  %s = attn.matmul %q, %kt : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  %w = attn.where %masked, %neg, %s : (tensor<2x3x5xi1>, tensor<f32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %m = attn.mul %w, %half : (tensor<2x3x5xf32>, tensor<f32>) -> tensor<2x3x5xf32>
  %p = attn.softmax %m {axis = 2 : i64} : tensor<2x3x5xf32>
  %o = attn.matmul %p, %v : (tensor<2x3x5xf32>, tensor<2x5x4xf32>) -> tensor<2x3x4xf32>
  return %o : tensor<2x3x4xf32>
}

// -----

// Marian: rank-3 bmm, reshaped to [B, H, Tq, Tk] for the mask and back;
// the attention is formed at rank 4 from the 4-D sources of q, k and v.
// CHECK-LABEL: func.func @marian_raised
// CHECK: %[[O:.*]] = attn.attention %arg0, %arg1, %arg2 bias %arg3 {scale = 1.000000e+00 : f32} : (tensor<2x4x3x16xf32>, tensor<2x4x5x16xf32>, tensor<2x4x5x16xf32>, tensor<2x1x3x5xf32>) -> tensor<2x4x3x16xf32>
// CHECK-NOT: attn.softmax
func.func @marian_raised(%q4: tensor<2x4x3x16xf32>, %k4: tensor<2x4x5x16xf32>, %v4: tensor<2x4x5x16xf32>, %mask: tensor<2x1x3x5xf32>) -> tensor<8x3x16xf32> {
  %q = attn.reshape %q4 : tensor<2x4x3x16xf32> -> tensor<8x3x16xf32>
  %k = attn.reshape %k4 : tensor<2x4x5x16xf32> -> tensor<8x5x16xf32>
  %v = attn.reshape %v4 : tensor<2x4x5x16xf32> -> tensor<8x5x16xf32>
  %kt = attn.transpose %k [0, 2, 1] : tensor<8x5x16xf32> -> tensor<8x16x5xf32>
  %s = attn.matmul %q, %kt : (tensor<8x3x16xf32>, tensor<8x16x5xf32>) -> tensor<8x3x5xf32>
  %s4 = attn.reshape %s : tensor<8x3x5xf32> -> tensor<2x4x3x5xf32>
  %a = attn.add %s4, %mask : (tensor<2x4x3x5xf32>, tensor<2x1x3x5xf32>) -> tensor<2x4x3x5xf32>
  %s3 = attn.reshape %a : tensor<2x4x3x5xf32> -> tensor<8x3x5xf32>
  %p = attn.softmax %s3 {axis = 2 : i64} : tensor<8x3x5xf32>
  %o = attn.matmul %p, %v : (tensor<8x3x5xf32>, tensor<8x5x16xf32>) -> tensor<8x3x16xf32>
  return %o : tensor<8x3x16xf32>
}

// -----

// Near miss: softmax over the query axis is not attention.
// CHECK-LABEL: func.func @wrong_axis
// CHECK-NOT: attn.attention
// CHECK: attn.softmax
func.func @wrong_axis(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %s = attn.matmul %q, %kt : (tensor<2x3x4xf32>, tensor<2x4x3xf32>) -> tensor<2x3x3xf32>
  %p = attn.softmax %s {axis = 1 : i64} : tensor<2x3x3xf32>
  %o = attn.matmul %p, %v : (tensor<2x3x3xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %o : tensor<2x3x4xf32>
}

// -----

// Near miss: the mask value is a tensor, not a scalar constant.
// CHECK-LABEL: func.func @tensor_fill
// CHECK-NOT: attn.attention
func.func @tensor_fill(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x5xf32>, %v: tensor<2x5x4xf32>, %c: tensor<2x3x5xi1>, %f: tensor<2x3x5xf32>) -> tensor<2x3x4xf32> {
  %s = attn.matmul %q, %kt : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  %w = attn.where %c, %s, %f : (tensor<2x3x5xi1>, tensor<2x3x5xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %p = attn.softmax %w {axis = 2 : i64} : tensor<2x3x5xf32>
  %o = attn.matmul %p, %v : (tensor<2x3x5xf32>, tensor<2x5x4xf32>) -> tensor<2x3x4xf32>
  return %o : tensor<2x3x4xf32>
}

// -----

// Near miss: the probabilities are also returned (output_attentions).
// CHECK-LABEL: func.func @probs_returned
// CHECK-NOT: attn.attention
func.func @probs_returned(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x5xf32>, %v: tensor<2x5x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x3x5xf32>) {
  %s = attn.matmul %q, %kt : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  %p = attn.softmax %s {axis = 2 : i64} : tensor<2x3x5xf32>
  %o = attn.matmul %p, %v : (tensor<2x3x5xf32>, tensor<2x5x4xf32>) -> tensor<2x3x4xf32>
  return %o, %p : tensor<2x3x4xf32>, tensor<2x3x5xf32>
}

// -----

// Near miss: a scale applied after the additive mask would scale the mask.
// CHECK-LABEL: func.func @scale_after_bias
// CHECK-NOT: attn.attention
func.func @scale_after_bias(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x5xf32>, %v: tensor<2x5x4xf32>, %b: tensor<2x1x5xf32>) -> tensor<2x3x4xf32> {
  %c = attn.constant dense<0.5> : tensor<f32>
  %s = attn.matmul %q, %kt : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  %a = attn.add %s, %b : (tensor<2x3x5xf32>, tensor<2x1x5xf32>) -> tensor<2x3x5xf32>
  %m = attn.mul %a, %c : (tensor<2x3x5xf32>, tensor<f32>) -> tensor<2x3x5xf32>
  %p = attn.softmax %m {axis = 2 : i64} : tensor<2x3x5xf32>
  %o = attn.matmul %p, %v : (tensor<2x3x5xf32>, tensor<2x5x4xf32>) -> tensor<2x3x4xf32>
  return %o : tensor<2x3x4xf32>
}

// -----

// Llama grouped-query attention: K and V go through HF's repeat_kv
// (Unsqueeze, Expand, Reshape); the fused op reads the 2 kv heads directly.
// CHECK-LABEL: func.func @llama_gqa
// CHECK: attn.attention %arg0, %arg1, %arg2 keep %arg3 {mask_fill = -3.40282347E+38 : f32, scale = 2.500000e-01 : f32} : (tensor<1x4x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x1x?x?xi1>) -> tensor<1x4x?x16xf32>
func.func @llama_gqa(%q: tensor<1x4x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x16xf32>, %keep: tensor<1x1x?x?xi1>, %t: index) -> tensor<1x4x?x16xf32> {
  %c4 = attn.constant dense<4.0> : tensor<f32>
  %min = attn.constant dense<-3.40282347E+38> : tensor<f32>
  %k5 = attn.reshape %k[%t] : tensor<1x2x?x16xf32> -> tensor<1x2x1x?x16xf32>
  %ke = attn.expand %k5[%t] : tensor<1x2x1x?x16xf32> -> tensor<1x2x2x?x16xf32>
  %kr = attn.reshape %ke[%t] : tensor<1x2x2x?x16xf32> -> tensor<1x4x?x16xf32>
  %v5 = attn.reshape %v[%t] : tensor<1x2x?x16xf32> -> tensor<1x2x1x?x16xf32>
  %ve = attn.expand %v5[%t] : tensor<1x2x1x?x16xf32> -> tensor<1x2x2x?x16xf32>
  %vr = attn.reshape %ve[%t] : tensor<1x2x2x?x16xf32> -> tensor<1x4x?x16xf32>
  %kt = attn.transpose %kr [0, 1, 3, 2] : tensor<1x4x?x16xf32> -> tensor<1x4x16x?xf32>
  %s = attn.matmul %q, %kt : (tensor<1x4x?x16xf32>, tensor<1x4x16x?xf32>) -> tensor<1x4x?x?xf32>
  %d = attn.div %s, %c4 : (tensor<1x4x?x?xf32>, tensor<f32>) -> tensor<1x4x?x?xf32>
  %w = attn.where %keep, %d, %min : (tensor<1x1x?x?xi1>, tensor<1x4x?x?xf32>, tensor<f32>) -> tensor<1x4x?x?xf32>
  %p = attn.softmax %w {axis = 3 : i64} : tensor<1x4x?x?xf32>
  %o = attn.matmul %p, %vr : (tensor<1x4x?x?xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  return %o : tensor<1x4x?x16xf32>
}

// -----

// A full-size additive mask on the left of the Add (mask + scores): the
// scores are the operand computed from Q·Kᵀ.
// CHECK-LABEL: func.func @full_mask_first
// CHECK: attn.attention %arg0, %arg1, %arg2 bias %arg3 {scale = 1.000000e+00 : f32}
func.func @full_mask_first(%q: tensor<2x3x4xf32>, %k: tensor<2x5x4xf32>, %v: tensor<2x5x4xf32>, %mask: tensor<2x3x5xf32>) -> tensor<2x3x4xf32> {
  %kt = attn.transpose %k [0, 2, 1] : tensor<2x5x4xf32> -> tensor<2x4x5xf32>
  %s = attn.matmul %q, %kt : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  %a = attn.add %mask, %s : (tensor<2x3x5xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %p = attn.softmax %a {axis = 2 : i64} : tensor<2x3x5xf32>
  %o = attn.matmul %p, %v : (tensor<2x3x5xf32>, tensor<2x5x4xf32>) -> tensor<2x3x4xf32>
  return %o : tensor<2x3x4xf32>
}
