// RUN: attnc-opt %s -split-input-file --convert-attn-to-linalg | FileCheck %s

// The reference lowering: Q·Kᵀ as a contraction, scale and masks as one
// elementwise pass each, softmax (max, exp-sum, divide), then ·V.
// CHECK-LABEL: func.func @masked
// CHECK-NOT: attn.
// CHECK: linalg.transpose
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK: arith.mulf
// CHECK: arith.select
// CHECK: arith.addf
// CHECK: math.exp
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
func.func @masked(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>, %keep: tensor<1x1x?x?xi1>, %bias: tensor<?x1x1x?xf32>) -> tensor<?x4x?x16xf32> {
  %0 = attn.attention %q, %k, %v keep %keep bias %bias {scale = 0.25 : f32, mask_fill = -1.0e4 : f32} : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<1x1x?x?xi1>, tensor<?x1x1x?xf32>) -> tensor<?x4x?x16xf32>
  return %0 : tensor<?x4x?x16xf32>
}

// -----

// Grouped-query attention repeats each kv head for its query heads.
// CHECK-LABEL: func.func @gqa
// CHECK-NOT: attn.
// CHECK: tensor.reshape %arg1{{.*}} -> tensor<1x2x1x5x16xf32>
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x4x5x16xf32>)
// CHECK: tensor.reshape {{.*}} -> tensor<1x8x5x16xf32>
func.func @gqa(%q: tensor<1x8x3x16xf32>, %k: tensor<1x2x5x16xf32>, %v: tensor<1x2x5x16xf32>) -> tensor<1x8x3x16xf32> {
  %0 = attn.attention %q, %k, %v {scale = 0.25 : f32} : (tensor<1x8x3x16xf32>, tensor<1x2x5x16xf32>, tensor<1x2x5x16xf32>) -> tensor<1x8x3x16xf32>
  return %0 : tensor<1x8x3x16xf32>
}
