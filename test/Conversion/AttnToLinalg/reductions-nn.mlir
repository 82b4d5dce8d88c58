// RUN: attnc-opt %s -split-input-file --convert-attn-to-linalg | FileCheck %s

// mean over the trailing dims with keepdims: one reduction generic, a
// division by the static count, then expand_shape back to rank 3.
// CHECK-DAG: #[[IN:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func @reduce_mean_keepdims
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?xf32>)
// CHECK: %[[S:.*]] = linalg.generic {indexing_maps = [#[[IN]], #[[ROW]]], iterator_types = ["parallel", "reduction", "reduction"]}
// CHECK-SAME: outs(%[[F]] : tensor<?xf32>)
// CHECK: arith.addf
// CHECK: %[[N:.*]] = arith.constant 32 : index
// CHECK: %[[M:.*]] = linalg.generic
// CHECK: arith.divf
// CHECK: tensor.expand_shape %[[M]] {{\[\[}}0, 1, 2]] output_shape [%{{.*}}, 1, 1] : tensor<?xf32> into tensor<?x1x1xf32>
func.func @reduce_mean_keepdims(%x: tensor<?x4x8xf32>) -> tensor<?x1x1xf32> {
  %0 = attn.reduce mean %x [1, 2] keepdims : tensor<?x4x8xf32> -> tensor<?x1x1xf32>
  return %0 : tensor<?x1x1xf32>
}

// -----

// max starts from -inf (floats) or the smallest integer (signed/unsigned).
// CHECK-LABEL: func @reduce_max
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: arith.maximumf
// CHECK: arith.constant -2147483648 : i32
// CHECK: arith.maxsi
// CHECK: arith.constant 0 : i32
// CHECK: arith.maxui
func.func @reduce_max(%x: tensor<2x3xf32>, %i: tensor<2x3xi32>) -> (tensor<3xf32>, tensor<2xi32>, tensor<2xi32>) {
  %0 = attn.reduce max %x [0] : tensor<2x3xf32> -> tensor<3xf32>
  %1 = attn.reduce max %i [1] : tensor<2x3xi32> -> tensor<2xi32>
  %2 = attn.reduce max %i [1] {is_unsigned} : tensor<2x3xi32> -> tensor<2xi32>
  return %0, %1, %2 : tensor<3xf32>, tensor<2xi32>, tensor<2xi32>
}

// -----

// Reducing every dim with keepdims expands from a rank-0 tensor.
// CHECK-LABEL: func @reduce_sum_all
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK: tensor.expand_shape %{{.*}} [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
func.func @reduce_sum_all(%x: tensor<2x3xf32>) -> tensor<1x1xf32> {
  %0 = attn.reduce sum %x [0, 1] keepdims : tensor<2x3xf32> -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}

// -----

// CHECK-LABEL: func @log_softmax
// CHECK: arith.maximumf
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: %[[D:.*]] = arith.subf
// CHECK: %[[L:.*]] = math.log
// CHECK: arith.subf %[[D]], %[[L]]
func.func @log_softmax(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = attn.log_softmax %x {axis = 1 : i64} : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Two-pass LayerNorm of f16 in f32: sum, sum of squared deviations, then
// normalize; the count comes from the dynamic dim.
// CHECK-LABEL: func @layer_norm_f16
// CHECK: %[[D:.*]] = tensor.dim %{{.*}}, %c1 : tensor<2x?xf16>
// CHECK: %[[CI:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK: %[[CNT:.*]] = arith.sitofp %[[CI]] : i64 to f32
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: %[[SQ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]{{.*}} ins(%{{.*}}, %[[SUM]] :
// CHECK: arith.divf %{{.*}}, %[[CNT]] : f32
// CHECK: arith.mulf
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]{{.*}} ins(%{{.*}}, %[[SUM]], %[[SQ]], %{{.*}}, %{{.*}} : tensor<2x?xf16>, tensor<2xf32>, tensor<2xf32>, tensor<?xf16>, tensor<?xf16>)
// CHECK: math.sqrt
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @layer_norm_f16(%x: tensor<2x?xf16>, %g: tensor<?xf16>, %b: tensor<?xf16>) -> tensor<2x?xf16> {
  %0 = attn.layer_norm %x, %g, %b {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x?xf16>, tensor<?xf16>, tensor<?xf16>) -> tensor<2x?xf16>
  return %0 : tensor<2x?xf16>
}

// -----

// transB reads b as (n, k); alpha and c are applied in an epilogue.
// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[BT:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[BIAS:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @gemm
// CHECK: %[[ACC:.*]] = linalg.generic {indexing_maps = [#[[A]], #[[BT]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[BIAS]], #{{.*}}]{{.*}} ins(%[[ACC]], %{{.*}} : tensor<?x4xf32>, tensor<4xf32>)
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: arith.addf
func.func @gemm(%a: tensor<?x8xf32>, %w: tensor<4x8xf32>, %c: tensor<4xf32>) -> tensor<?x4xf32> {
  %0 = attn.gemm %a, %w, %c {alpha = 0.5 : f32, trans_b} : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// Without c and alpha = 1 the contraction is the result.
// CHECK-DAG: #[[AT:.+]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-LABEL: func @gemm_plain
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[AT]],
// CHECK-NEXT: ^bb0
// CHECK: return %[[R]]
func.func @gemm_plain(%a: tensor<8x2xf32>, %b: tensor<8x4xf32>) -> tensor<2x4xf32> {
  %0 = attn.gemm %a, %b {trans_a} : (tensor<8x2xf32>, tensor<8x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// RMSNorm: a sum of squares per row, then one elementwise pass.
// CHECK-LABEL: func.func @rms_norm
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: math.sqrt
func.func @rms_norm(%x: tensor<?x32xf32>, %w: tensor<32xf32>) -> tensor<?x32xf32> {
  %0 = attn.rms_norm %x, %w {axis = 1 : i64, epsilon = 1.0e-6 : f32} : (tensor<?x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}
