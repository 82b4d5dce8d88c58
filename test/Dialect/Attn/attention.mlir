// RUN: attnc-opt %s -split-input-file | attnc-opt | FileCheck %s

// CHECK-LABEL: func.func @masks
// CHECK: attn.attention %arg0, %arg1, %arg2 keep %arg3 bias %arg4 {mask_fill = -1.000000e+04 : f32, scale = 1.250000e-01 : f32} : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<1x1x?x?xi1>, tensor<?x1x1x?xf32>) -> tensor<?x12x?x64xf32>
func.func @masks(%q: tensor<?x12x?x64xf32>, %k: tensor<?x12x?x64xf32>, %v: tensor<?x12x?x64xf32>, %keep: tensor<1x1x?x?xi1>, %bias: tensor<?x1x1x?xf32>) -> tensor<?x12x?x64xf32> {
  %0 = attn.attention %q, %k, %v keep %keep bias %bias {scale = 0.125 : f32, mask_fill = -1.0e4 : f32} : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<1x1x?x?xi1>, tensor<?x1x1x?xf32>) -> tensor<?x12x?x64xf32>
  return %0 : tensor<?x12x?x64xf32>
}

// -----

// Grouped-query attention (8 query heads, 2 kv heads), rank 3 without masks;
// the default mask_fill (-inf) is not printed.
// CHECK-LABEL: func.func @gqa
// CHECK: attn.attention %arg0, %arg1, %arg2 {scale = 1.250000e-01 : f32} : (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x32xf32>) -> tensor<1x8x?x32xf32>
// CHECK: attn.attention %arg3, %arg3, %arg3 {scale = 1.000000e+00 : f32} : (tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
func.func @gqa(%q: tensor<1x8x?x64xf32>, %k: tensor<1x2x?x64xf32>, %v: tensor<1x2x?x32xf32>, %x: tensor<?x?x16xf32>) -> (tensor<1x8x?x32xf32>, tensor<?x?x16xf32>) {
  %0 = attn.attention %q, %k, %v {scale = 0.125 : f32} : (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x32xf32>) -> tensor<1x8x?x32xf32>
  %1 = attn.attention %x, %x, %x {scale = 1.0 : f32} : (tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  return %0, %1 : tensor<1x8x?x32xf32>, tensor<?x?x16xf32>
}
