// RUN: attnc-opt %s -split-input-file --convert-attn-to-linalg | FileCheck %s

// CHECK-DAG: #[[ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @add_broadcast_bias
// CHECK-SAME: (%[[A:.*]]: tensor<?x4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[D:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x4xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<?x4xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[ROW]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<?x4xf32>, tensor<4xf32>) outs(%[[E]] : tensor<?x4xf32>)
// CHECK: arith.addf
func.func @add_broadcast_bias(%a: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %0 = attn.add %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A static size-1 dim that broadcasts is read at index 0.
// CHECK-DAG: #[[BCAST:.+]] = affine_map<(d0, d1, d2) -> (d0, 0, d2)>
// CHECK-LABEL: func @sub_size_one
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[BCAST]], #{{.*}}]
// CHECK: arith.subf
func.func @sub_size_one(%a: tensor<2x3x4xf32>, %b: tensor<2x1x4xf32>) -> tensor<2x3x4xf32> {
  %0 = attn.sub %a, %b : (tensor<2x3x4xf32>, tensor<2x1x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func @integer_ops
// CHECK: arith.muli
// CHECK: arith.divsi
func.func @integer_ops(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = attn.mul %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %1 = attn.div %0, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %1 : tensor<4xi32>
}

// -----

// Batch broadcast [?,1,4,8] x [3,8,?]: lhs reads batch dim 1 at 0.
// CHECK-DAG: #[[LHS:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d2, d4)>
// CHECK-DAG: #[[RHS:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func @matmul_batch_broadcast
// CHECK-SAME: (%[[A:.*]]: tensor<?x1x4x8xf32>, %[[B:.*]]: tensor<3x8x?xf32>)
// CHECK-DAG: %[[M:.*]] = tensor.dim %[[A]], %c0
// CHECK-DAG: %[[N:.*]] = tensor.dim %[[B]], %c2
// CHECK: %[[E:.*]] = tensor.empty(%[[M]], %[[N]]) : tensor<?x3x4x?xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]]
// CHECK: linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: outs(%[[F]]
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @matmul_batch_broadcast(%a: tensor<?x1x4x8xf32>, %b: tensor<3x8x?xf32>) -> tensor<?x3x4x?xf32> {
  %0 = attn.matmul %a, %b : (tensor<?x1x4x8xf32>, tensor<3x8x?xf32>) -> tensor<?x3x4x?xf32>
  return %0 : tensor<?x3x4x?xf32>
}

// -----

// CHECK-LABEL: func @transpose
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>)
// CHECK-DAG: %[[D0:.*]] = tensor.dim %[[X]], %c0
// CHECK-DAG: %[[D1:.*]] = tensor.dim %[[X]], %c1
// CHECK: %[[E:.*]] = tensor.empty(%[[D0]], %[[D1]]) : tensor<?x64x?xf32>
// CHECK: linalg.transpose ins(%[[X]] : tensor<?x?x64xf32>) outs(%[[E]] : tensor<?x64x?xf32>) permutation = [0, 2, 1]
func.func @transpose(%x: tensor<?x?x64xf32>) -> tensor<?x64x?xf32> {
  %0 = attn.transpose %x [0, 2, 1] : tensor<?x?x64xf32> -> tensor<?x64x?xf32>
  return %0 : tensor<?x64x?xf32>
}

// -----

// Stable softmax: max (from -inf), exp(x - max), sum, divide.
// CHECK-LABEL: func @softmax
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MAXINIT:.*]] = linalg.fill ins(%[[NEGINF]] : f32)
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]{{.*}} outs(%[[MAXINIT]]
// CHECK: arith.maximumf
// CHECK: %[[EXP:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[MAX]] :
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[EXP]]
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} ins(%[[EXP]], %[[SUM]] :
// CHECK: arith.divf
func.func @softmax(%x: tensor<?x5xf32>) -> tensor<?x5xf32> {
  %0 = attn.softmax %x {axis = 1 : i64} : tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

// CHECK-LABEL: func @constant
// CHECK: arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-NOT: attn.
func.func @constant() -> tensor<2xf32> {
  %0 = attn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// attn.linear: rows flattened, one contraction, then the bias, the
// activation and the residual (viewed as rows) on the [M, N] rows, so that
// nothing separates the epilogue from the contraction; the result takes
// its own shape last.
// CHECK-LABEL: func.func @linear_epilogue
// CHECK-NOT: attn.
// CHECK: tensor.reshape %arg0
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-NOT: tensor.reshape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins({{.*}}, %arg2 : tensor<?x16xf32>, tensor<16xf32>)
// CHECK-NOT: tensor.reshape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} : tensor<?x16xf32>)
// CHECK: %[[RES:.+]] = tensor.reshape %arg3({{.*}}) : (tensor<?x?x16xf32>, tensor<2xindex>) -> tensor<?x16xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins({{.*}}, %[[RES]] : tensor<?x16xf32>, tensor<?x16xf32>)
// CHECK: arith.addf
// CHECK: %[[OUT:.+]] = tensor.reshape {{.*}} -> tensor<?x?x16xf32>
// CHECK: return %[[OUT]]
func.func @linear_epilogue(%x: tensor<?x?x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>, %r: tensor<?x?x16xf32>) -> tensor<?x?x16xf32> {
  %0 = attn.linear %x, %w bias %b residual %r activation = gelu {transpose_weight} : (tensor<?x?x8xf32>, tensor<16x8xf32>, tensor<16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  return %0 : tensor<?x?x16xf32>
}
