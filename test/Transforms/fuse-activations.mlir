// RUN: attnc-opt %s -split-input-file --attnc-fuse-activations --canonicalize | FileCheck %s

// HF BERT: x * 0.5 * (1 + erf(x / sqrt(2))).
// CHECK-LABEL: func.func @bert_erf
// CHECK: %[[G:.*]] = attn.gelu %arg0 : tensor<?x?x256xf32>
// CHECK-NEXT: return %[[G]]
func.func @bert_erf(%x: tensor<?x?x256xf32>) -> tensor<?x?x256xf32> {
  %sqrt2 = attn.constant dense<1.41421354> : tensor<f32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %half = attn.constant dense<0.5> : tensor<f32>
  %a = attn.div %x, %sqrt2 : (tensor<?x?x256xf32>, tensor<f32>) -> tensor<?x?x256xf32>
  %e = attn.erf %a : tensor<?x?x256xf32>
  %b = attn.add %e, %one : (tensor<?x?x256xf32>, tensor<f32>) -> tensor<?x?x256xf32>
  %c = attn.mul %x, %b : (tensor<?x?x256xf32>, tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  %y = attn.mul %c, %half : (tensor<?x?x256xf32>, tensor<f32>) -> tensor<?x?x256xf32>
  return %y : tensor<?x?x256xf32>
}

// -----

// HF GPT-2 gelu_new: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))).
// CHECK-LABEL: func.func @gpt2_tanh
// CHECK: %[[G:.*]] = attn.gelu %arg0 approximate = tanh : tensor<4x256xf32>
// CHECK-NEXT: return %[[G]]
func.func @gpt2_tanh(%x: tensor<4x256xf32>) -> tensor<4x256xf32> {
  %half = attn.constant dense<0.5> : tensor<f32>
  %three = attn.constant dense<3.0> : tensor<f32>
  %c1 = attn.constant dense<0.044715> : tensor<f32>
  %c2 = attn.constant dense<0.797884583> : tensor<f32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %h = attn.mul %x, %half : (tensor<4x256xf32>, tensor<f32>) -> tensor<4x256xf32>
  %p = attn.pow %x, %three : (tensor<4x256xf32>, tensor<f32>) -> tensor<4x256xf32>
  %q = attn.mul %p, %c1 : (tensor<4x256xf32>, tensor<f32>) -> tensor<4x256xf32>
  %s = attn.add %x, %q : (tensor<4x256xf32>, tensor<4x256xf32>) -> tensor<4x256xf32>
  %t = attn.mul %s, %c2 : (tensor<4x256xf32>, tensor<f32>) -> tensor<4x256xf32>
  %th = attn.tanh %t : tensor<4x256xf32>
  %u = attn.add %th, %one : (tensor<4x256xf32>, tensor<f32>) -> tensor<4x256xf32>
  %y = attn.mul %h, %u : (tensor<4x256xf32>, tensor<4x256xf32>) -> tensor<4x256xf32>
  return %y : tensor<4x256xf32>
}

// -----

// The "fast" arrangement: x * (1 + 0.044715 * x * x) inside the tanh.
// CHECK-LABEL: func.func @fast_form
// CHECK: attn.gelu %arg0 approximate = tanh
func.func @fast_form(%x: tensor<8xf32>) -> tensor<8xf32> {
  %half = attn.constant dense<0.5> : tensor<f32>
  %c1 = attn.constant dense<0.044715> : tensor<f32>
  %c2 = attn.constant dense<0.797884583> : tensor<f32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %xx = attn.mul %x, %x : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %a = attn.mul %xx, %c1 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %b = attn.add %a, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %c = attn.mul %x, %c2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %d = attn.mul %c, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %t = attn.tanh %d : tensor<8xf32>
  %u = attn.add %t, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %h = attn.mul %x, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %y = attn.mul %h, %u : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// Near miss: 0.04 instead of 0.044715 is not a GELU.
// CHECK-LABEL: func.func @wrong_constant
// CHECK-NOT: attn.gelu
func.func @wrong_constant(%x: tensor<8xf32>) -> tensor<8xf32> {
  %half = attn.constant dense<0.5> : tensor<f32>
  %three = attn.constant dense<3.0> : tensor<f32>
  %c1 = attn.constant dense<0.04> : tensor<f32>
  %c2 = attn.constant dense<0.797884583> : tensor<f32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %h = attn.mul %x, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %p = attn.pow %x, %three : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %q = attn.mul %p, %c1 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %s = attn.add %x, %q : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %t = attn.mul %s, %c2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %th = attn.tanh %t : tensor<8xf32>
  %u = attn.add %th, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %y = attn.mul %h, %u : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// Near miss: the erf formula with a tanh is the wrong function (and the
// tanh formula with erf likewise).
// CHECK-LABEL: func.func @erf_formula_with_tanh
// CHECK-NOT: attn.gelu
func.func @erf_formula_with_tanh(%x: tensor<8xf32>) -> tensor<8xf32> {
  %sqrt2 = attn.constant dense<1.41421354> : tensor<f32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %half = attn.constant dense<0.5> : tensor<f32>
  %a = attn.div %x, %sqrt2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %e = attn.tanh %a : tensor<8xf32>
  %b = attn.add %e, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %c = attn.mul %x, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %y = attn.mul %c, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// Near miss: an interior value used elsewhere must stay; no fusion.
// CHECK-LABEL: func.func @shared_interior
// CHECK-NOT: attn.gelu
func.func @shared_interior(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %sqrt2 = attn.constant dense<1.41421354> : tensor<f32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %half = attn.constant dense<0.5> : tensor<f32>
  %a = attn.div %x, %sqrt2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %e = attn.erf %a : tensor<8xf32>
  %b = attn.add %e, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %c = attn.mul %x, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %y = attn.mul %c, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %y, %e : tensor<8xf32>, tensor<8xf32>
}

// -----

// SiLU as torch exports it (Marian, Llama MLPs).
// CHECK-LABEL: func.func @silu
// CHECK: %[[S:.*]] = attn.silu %arg0 : tensor<?x32xf32>
// CHECK-NEXT: return %[[S]]
func.func @silu(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %s = attn.sigmoid %x : tensor<?x32xf32>
  %y = attn.mul %x, %s : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// SiLU written with exp, rooted at a Div.
// CHECK-LABEL: func.func @silu_exp
// CHECK: attn.silu %arg0
func.func @silu_exp(%x: tensor<8xf32>) -> tensor<8xf32> {
  %one = attn.constant dense<1.0> : tensor<f32>
  %n = attn.neg %x : tensor<8xf32>
  %e = attn.exp %n : tensor<8xf32>
  %d = attn.add %e, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %y = attn.div %x, %d : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// Near miss: sigmoid(x) * x * 2 is not SiLU (the inner x * sigmoid(x) is,
// and fuses; the doubling stays).
// CHECK-LABEL: func.func @scaled_silu
// CHECK: %[[S:.*]] = attn.silu %arg0
// CHECK: attn.mul %[[S]]
func.func @scaled_silu(%x: tensor<8xf32>) -> tensor<8xf32> {
  %two = attn.constant dense<2.0> : tensor<f32>
  %s = attn.sigmoid %x : tensor<8xf32>
  %m = attn.mul %x, %s : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %y = attn.mul %m, %two : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}
