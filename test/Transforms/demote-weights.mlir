// RUN: attnc-opt %s -split-input-file --attnc-demote-weights="min-elements=4" --verify-diagnostics | FileCheck %s

// A weight read by a contraction is stored as f16 and extended where the
// body reads it: 1.0 -> 0x3C00, -2.0 -> 0xC000, 65520 rounds to +inf
// (0x7C00), 1/3 rounds to 0x3555.
// CHECK-LABEL: func.func @contraction
// CHECK: %[[W:.*]] = arith.constant dense_resource<weight.f16> : tensor<2x2xf16>
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[W]] : tensor<3x2xf32>, tensor<2x2xf16>)
// CHECK: ^bb0(%{{.*}}: f32, %[[B:.*]]: f16, %{{.*}}: f32):
// CHECK-NEXT: %[[E:.*]] = arith.extf %[[B]] : f16 to f32
// CHECK: arith.mulf %{{.*}}, %[[E]] : f32
// Little-endian halves after the 4-byte alignment header:
// CHECK: weight.f16: "0x40000000003C00C0007C5535"
func.func @contraction(%x: tensor<3x2xf32>, %acc: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, -2.0], [65520.0, 0.333333333]]> : tensor<2x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<3x2xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

// -----

// An embedding gathered with tensor.extract in a body reads f16 too.
// CHECK-LABEL: func.func @gather
// CHECK: %[[T:.*]] = arith.constant dense_resource<weight.f16> : tensor<4x2xf16>
// CHECK: %[[X:.*]] = tensor.extract %[[T]]
// CHECK: arith.extf %[[X]] : f16 to f32
func.func @gather(%ids: tensor<3xindex>, %init: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]> : tensor<4x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xindex>) outs(%init : tensor<3x2xf32>) {
  ^bb0(%id: index, %o: f32):
    %j = linalg.index 1 : index
    %v = tensor.extract %table[%id, %j] : tensor<4x2xf32>
    linalg.yield %v : f32
  } -> tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

// -----

// A constant something else reads (here: returned) stays f32.
// CHECK-LABEL: func.func @other_use
// CHECK: arith.constant dense<{{.*}}> : tensor<2x2xf32>
// CHECK-NOT: f16
func.func @other_use() -> tensor<2x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  return %w : tensor<2x2xf32>
}
