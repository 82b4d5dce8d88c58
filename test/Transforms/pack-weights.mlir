// RUN: attnc-opt %s -split-input-file --attnc-pack-weights="panel-width=8 min-elements=1" | FileCheck %s
// RUN: attnc-opt %s -split-input-file --attnc-pack-weights="panel-width=8 min-elements=1" --attnc-cpu-tile-and-vectorize="vector-bits=128 vector-registers=16 parallel=false" | FileCheck %s --check-prefix=CODEGEN
// RUN: not attnc-opt %s -split-input-file --attnc-pack-weights="panel-width=0" 2>&1 | FileCheck %s --check-prefix=BADOPT

// A [K=3, N=20] weight in panels of 8 columns: 3 panels, the last one
// zero-padded; the result is collapsed back and sliced to N. The packed
// data is the weight's columns 0-7, 8-15, 16-19 (+ 4 zeros) row by row.

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @padded
// CHECK-NOT: dense<
// CHECK: %[[P:.*]] = arith.constant dense_resource<packed> : tensor<3x3x8xf32>
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x3x8xf32>
// CHECK: %[[Z:.*]] = linalg.fill {{.*}} outs(%[[E]] : tensor<?x3x8xf32>)
// CHECK: %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%{{.*}}, %[[P]] : tensor<?x3xf32>, tensor<3x3x8xf32>) outs(%[[Z]] : tensor<?x3x8xf32>)
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[R]] {{\[}}[0], [1, 2]] : tensor<?x3x8xf32> into tensor<?x24xf32>
// CHECK: %[[S:.*]] = tensor.extract_slice %[[C]][0, 0] [%{{.*}}, 20] [1, 1] : tensor<?x24xf32> to tensor<?x20xf32>
// CHECK: return %[[S]]
// CHECK: packed: "0x40000000000000000000803F0000004000004040000080400000A0400000C0400000E0400000A041
// Each register tile streams one panel: a 1x8 row of it per K step. Rows
// past the last full 6-row tile (dynamic M) are split off and run one at a
// time over all three panels (independent accumulators, up to four
// panels), with their accumulators in registers across K too.
// CODEGEN-LABEL: func.func @padded
// CODEGEN: scf.for {{.*}} -> (vector<6x8xf32>)
// CODEGEN-COUNT-6: vector.fma {{.*}} : vector<8xf32>
// CODEGEN: scf.for {{.*}} -> (vector<1x8xf32>, vector<1x8xf32>, vector<1x8xf32>)
// CODEGEN-COUNT-3: vector.fma {{.*}} : vector<8xf32>
func.func @padded(%a: tensor<?x3xf32>) -> tensor<?x20xf32> {
  %cst = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %b = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0], [20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0], [40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0]]> : tensor<3x20xf32>
  %d = tensor.dim %a, %c0 : tensor<?x3xf32>
  %e = tensor.empty(%d) : tensor<?x20xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<?x20xf32>) -> tensor<?x20xf32>
  %r = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<?x3xf32>, tensor<3x20xf32>) outs(%c : tensor<?x20xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x20xf32>
  return %r : tensor<?x20xf32>
}

// -----

// A transposed weight W[N=8, K=2] (Gemm transB / torch Linear) in a
// batched x[b, s, k]: one panel, no slice. P[0, k, n] = W[n, k].

#bsk = affine_map<(b, s, n, k) -> (b, s, k)>
#nk = affine_map<(b, s, n, k) -> (n, k)>
#bsn = affine_map<(b, s, n, k) -> (b, s, n)>
// CHECK-LABEL: func.func @transposed
// CHECK: arith.constant dense_resource<packed> : tensor<1x2x8xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x?x2xf32>, tensor<1x2x8xf32>) outs(%{{.*}} : tensor<2x?x1x8xf32>)
// CHECK: tensor.collapse_shape {{.*}} {{\[}}[0], [1], [2, 3]] : tensor<2x?x1x8xf32> into tensor<2x?x8xf32>
// CHECK-NOT: tensor.extract_slice
// CHECK: packed: "0x400000000000000000000040000080400000C040000000410000204100004041000060410000803F000040400000A0400000E040
func.func @transposed(%a: tensor<2x?x2xf32>) -> tensor<2x?x8xf32> {
  %cst = arith.constant 0.0 : f32
  %c1 = arith.constant 1 : index
  %w = arith.constant dense<[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0], [8.0, 9.0], [10.0, 11.0], [12.0, 13.0], [14.0, 15.0]]> : tensor<8x2xf32>
  %d = tensor.dim %a, %c1 : tensor<2x?x2xf32>
  %e = tensor.empty(%d) : tensor<2x?x8xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<2x?x8xf32>) -> tensor<2x?x8xf32>
  %r = linalg.generic {indexing_maps = [#bsk, #nk, #bsn], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<2x?x2xf32>, tensor<8x2xf32>) outs(%c : tensor<2x?x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x?x8xf32>
  return %r : tensor<2x?x8xf32>
}

// -----

// An elementwise epilogue (bias, residual) that reads the result is moved
// into the packed shape: it reads the contraction directly, with the bias
// as [NB, nr] and the residual expanded the same way, and the collapse
// comes after it. attnc-cpu-tile-and-vectorize then applies it inside the
// GEMM's tiles, before each tile is stored.

// CHECK-LABEL: func.func @epilogue
// CHECK-DAG: %[[B:.*]] = arith.constant dense<{{\[}}[0.000000e+00, {{.*}}]]> : tensor<2x8xf32>
// CHECK-DAG: %[[P:.*]] = arith.constant dense_resource<packed> : tensor<2x2x8xf32>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[P]] : tensor<?x2xf32>, tensor<2x2x8xf32>) outs(%{{.*}} : tensor<?x2x8xf32>)
// CHECK: %[[RES:.*]] = tensor.expand_shape %arg1 {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 2, 8] : tensor<?x16xf32> into tensor<?x2x8xf32>
// CHECK: %[[E:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[R]], %[[B]], %[[RES]] : tensor<?x2x8xf32>, tensor<2x8xf32>, tensor<?x2x8xf32>)
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[E]] {{\[}}[0], [1, 2]] : tensor<?x2x8xf32> into tensor<?x16xf32>
// CHECK: return %[[C]]
// CODEGEN-LABEL: func.func @epilogue
// CODEGEN: scf.for {{.*}} -> (vector<6x8xf32>)
// CODEGEN: scf.for {{.*}} -> (vector<1x8xf32>, vector<1x8xf32>)
// CODEGEN: %[[T:.*]] = scf.for
// CODEGEN: vector.transfer_read %{{.*}} : tensor<2x8xf32>, vector<4xf32>
// CODEGEN: vector.transfer_write {{.*}} : vector<4xf32>, tensor<?x2x8xf32>
// CODEGEN: tensor.insert_slice %[[T]] into
// CODEGEN-NOT: linalg.generic
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
#row = affine_map<(m, n) -> (n)>
func.func @epilogue(%a: tensor<?x2xf32>, %res: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %cst = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %w = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0], [16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0]]> : tensor<2x16xf32>
  %bias = arith.constant dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]> : tensor<16xf32>
  %m = tensor.dim %a, %c0 : tensor<?x2xf32>
  %e = tensor.empty(%m) : tensor<?x16xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<?x16xf32>) -> tensor<?x16xf32>
  %r = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x2xf32>, tensor<2x16xf32>) outs(%c : tensor<?x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%r, %bias, %res : tensor<?x16xf32>, tensor<16xf32>, tensor<?x16xf32>) outs(%e : tensor<?x16xf32>) {
  ^bb0(%v: f32, %bv: f32, %rv: f32, %o: f32):
    %0 = arith.addf %v, %bv : f32
    %1 = arith.addf %0, %rv : f32
    linalg.yield %1 : f32
  } -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Not packed: a weight that is not a constant (attention's K), an
// accumulator that does not start at zero, a splat constant.

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @not_packed
// CHECK-NOT: dense_resource
// CHECK-NOT: tensor.collapse_shape
// CHECK-COUNT-3: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
func.func @not_packed(%a: tensor<4x2xf32>, %b: tensor<2x8xf32>, %acc: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %cst = arith.constant 0.0 : f32
  %w = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]]> : tensor<2x8xf32>
  %splat = arith.constant dense<1.0> : tensor<2x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %r0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<4x2xf32>, tensor<2x8xf32>) outs(%c : tensor<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %r1 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<4x2xf32>, tensor<2x8xf32>) outs(%acc : tensor<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %r2 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %splat : tensor<4x2xf32>, tensor<2x8xf32>) outs(%c : tensor<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  return %r0, %r1, %r2 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}


// BADOPT: error: attnc-pack-weights: panel-width must be > 0
