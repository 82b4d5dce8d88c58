// RUN: attnc-opt %s -split-input-file --convert-attn-to-linalg | FileCheck %s

// CHECK-LABEL: func @reshape
// CHECK-SAME: (%[[X:.*]]: tensor<?x32xf32>, %[[N:.*]]: index)
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK: %[[SHAPE:.*]] = tensor.from_elements %[[N]], %[[C4]], %[[C8]] : tensor<3xindex>
// CHECK: tensor.reshape %[[X]](%[[SHAPE]]) : (tensor<?x32xf32>, tensor<3xindex>) -> tensor<?x4x8xf32>
func.func @reshape(%x: tensor<?x32xf32>, %n: index) -> tensor<?x4x8xf32> {
  %0 = attn.reshape %x[%n] : tensor<?x32xf32> -> tensor<?x4x8xf32>
  return %0 : tensor<?x4x8xf32>
}

// -----

// CHECK-DAG: #[[IN:.+]] = affine_map<(d0, d1, d2) -> (0, 0, d2)>
// CHECK-LABEL: func @expand
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x4x8xi1>
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: outs(%[[E]] : tensor<?x4x8xi1>)
func.func @expand(%m: tensor<1x1x8xi1>, %b: index) -> tensor<?x4x8xi1> {
  %0 = attn.expand %m[%b] : tensor<1x1x8xi1> -> tensor<?x4x8xi1>
  return %0 : tensor<?x4x8xi1>
}

// -----

// Indices wrap when negative and are clamped to [0, dim - 1].
// CHECK-LABEL: func @gather
// CHECK-SAME: (%[[W:.*]]: tensor<16x8xf32>, %[[IDS:.*]]: tensor<?x?xi64>)
// CHECK: linalg.generic {{.*}} ins(%[[IDS]] : tensor<?x?xi64>)
// CHECK: arith.index_cast
// CHECK: arith.cmpi slt
// CHECK: arith.select
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract %[[W]]
func.func @gather(%w: tensor<16x8xf32>, %ids: tensor<?x?xi64>) -> tensor<?x?x8xf32> {
  %0 = attn.gather %w[%ids] {axis = 0 : i64} : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  return %0 : tensor<?x?x8xf32>
}

// -----

// gather_elements iterates over the indices; only dim `axis` of the data
// is read at the (wrapped, clamped) index, the others at the loop index.
// CHECK-LABEL: func @gather_elements
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[I:.*]]: tensor<?x3xi64>)
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %c1
// CHECK: linalg.generic {{.*}} ins(%[[I]] : tensor<?x3xi64>)
// CHECK: %[[IDX:.*]] = arith.index_cast
// CHECK: arith.cmpi slt
// CHECK: arith.addi %[[IDX]], %[[N]]
// CHECK: arith.maxsi
// CHECK: %[[C:.*]] = arith.minsi
// CHECK: %[[ROW:.*]] = linalg.index 0 : index
// CHECK: tensor.extract %[[X]][%[[ROW]], %[[C]]]
func.func @gather_elements(%x: tensor<?x8xf32>, %i: tensor<?x3xi64>) -> tensor<?x3xf32> {
  %0 = attn.gather_elements %x[%i] {axis = 1 : i64} : (tensor<?x8xf32>, tensor<?x3xi64>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func @range
// CHECK: %[[START:.*]] = tensor.extract %{{.*}}[] : tensor<i64>
// CHECK: %[[DELTA:.*]] = tensor.extract %{{.*}}[] : tensor<i64>
// CHECK: linalg.generic
// CHECK: %[[I:.*]] = linalg.index 0 : index
// CHECK: %[[X:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK: %[[M:.*]] = arith.muli %[[X]], %[[DELTA]]
// CHECK: arith.addi %[[START]], %[[M]]
func.func @range(%s: tensor<i64>, %d: tensor<i64>, %n: index) -> tensor<?xi64> {
  %0 = attn.range %s, %d[%n] : (tensor<i64>, tensor<i64>, index) -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

// -----

// Concatenation becomes insert_slices into one destination.
// CHECK-LABEL: func @concat
// CHECK-SAME: (%[[A:.*]]: tensor<?x2x?x8xf32>, %[[B:.*]]: tensor<?x2x?x8xf32>)
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}, %{{.*}}) : tensor<?x2x?x8xf32>
// CHECK: %[[I0:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0, %{{.*}}, 0]
// CHECK: tensor.insert_slice %[[B]] into %[[I0]][0, 0, %{{.*}}, 0]
// CHECK-NOT: tensor.concat
func.func @concat(%a: tensor<?x2x?x8xf32>, %b: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %0 = tensor.concat dim(2) %a, %b : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  return %0 : tensor<?x2x?x8xf32>
}

// -----

// CHECK-LABEL: func @splat
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x4xf32>
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<?x4xf32>)
func.func @splat(%v: f32, %n: index) -> tensor<?x4xf32> {
  %0 = tensor.splat %v[%n] : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A copy of the data (the loop's init) updated by scalar loops over the
// index tuples and the slice elements; indices wrap and are clamped.
// CHECK-LABEL: func @scatter_nd
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[I:.*]]: tensor<?x1xi64>, %[[U:.*]]: tensor<?x8xf32>)
// CHECK-DAG: %[[FX:.*]] = tensor.reshape %[[X]](%{{.*}}) : (tensor<?x8xf32>, tensor<1xindex>) -> tensor<?xf32>
// CHECK-DAG: %[[FI:.*]] = tensor.reshape %[[I]](%{{.*}}) : (tensor<?x1xi64>, tensor<1xindex>) -> tensor<?xi64>
// CHECK-DAG: %[[FU:.*]] = tensor.reshape %[[U]](%{{.*}}) : (tensor<?x8xf32>, tensor<1xindex>) -> tensor<?xf32>
// CHECK: %[[R:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[FX]]) -> (tensor<?xf32>)
// CHECK: tensor.extract %[[FI]]
// CHECK: arith.select
// CHECK: arith.minsi
// CHECK: arith.maxsi
// CHECK: scf.for %{{.*}} iter_args(%[[A:.*]] = %[[ACC]]) -> (tensor<?xf32>)
// CHECK: %[[UPD:.*]] = tensor.extract %[[FU]]
// CHECK: %[[OLD:.*]] = tensor.extract %[[A]]
// CHECK: %[[SUM:.*]] = arith.addf %[[OLD]], %[[UPD]] : f32
// CHECK: tensor.insert %[[SUM]] into %[[A]]
// CHECK: tensor.reshape %[[R]](%{{.*}}) : (tensor<?xf32>, tensor<2xindex>) -> tensor<?x8xf32>
func.func @scatter_nd(%x: tensor<?x8xf32>, %i: tensor<?x1xi64>, %u: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = attn.scatter_nd add %x[%i], %u : (tensor<?x8xf32>, tensor<?x1xi64>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
