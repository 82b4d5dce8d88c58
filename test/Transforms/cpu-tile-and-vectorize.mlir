// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-cpu-tile-and-vectorize{vector-bits=256 vector-registers=16}))' | FileCheck %s
// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-cpu-tile-and-vectorize{vector-bits=512 vector-registers=32 parallel=false}))' | FileCheck %s --check-prefix=AVX512
// A 64 KiB L2 bounds B panels (16 lanes x 4 B x kc) to 16 KiB: kc = 256.
// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-cpu-tile-and-vectorize{vector-bits=256 vector-registers=16 l2-cache-bytes=65536}))' | FileCheck %s --check-prefix=SMALLL2
// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-cpu-tile-and-vectorize{vector-bits=256 vector-registers=16 fuse-epilogues=false}))' | FileCheck %s --check-prefix=NOEPI

// A static GEMM: an scf.forall of cache tiles (N tiles outside M tiles, so
// threads split the columns), a K-block loop, register tiles (AVX2: 6x16,
// AVX-512: 8x32) as outer products on FMAs with the accumulator hoisted out
// of the K loop.

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @gemm
// CHECK: scf.forall (%[[N:.*]], %[[M:.*]]) = (0, 0) to (256, 128) step (64, 48)
// CHECK: tensor.extract_slice %{{.*}}[%[[M]], %[[N]]] [%{{.*}}, 64]
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} vector<6x16xf32>
// A panel of all of K (512 x 16 floats) fits a quarter of the default 1 MiB
// L2: no K blocks, the register tile's K loop runs over all of K.
// CHECK: scf.for %{{.*}} = %c0 to %c512 step %c1 {{.*}} -> (vector<6x16xf32>)
// CHECK-COUNT-6: vector.fma {{.*}} : vector<16xf32>
// CHECK: scf.yield {{.*}} : vector<6x16xf32>
// CHECK-NOT: linalg.generic
// AVX512-LABEL: func.func @gemm
// AVX512-NOT: scf.forall
// AVX512: scf.for {{.*}} -> (vector<8x32xf32>)
// AVX512-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// SMALLL2-LABEL: func.func @gemm
// SMALLL2: scf.forall
// SMALLL2: scf.for %{{.*}} = %c0 to %c512 step %c256
// SMALLL2: scf.for %{{.*}} = %c0 to %c64 step %c16
// SMALLL2: scf.for %{{.*}} = %c0 to %c256 step %c1 {{.*}} -> (vector<6x16xf32>)
func.func @gemm(%a: tensor<128x512xf32>, %b: tensor<512x256xf32>) -> tensor<128x256xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x256xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<128x256xf32>) -> tensor<128x256xf32>
  %r = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<128x512xf32>, tensor<512x256xf32>) outs(%c : tensor<128x256xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<128x256xf32>
  return %r : tensor<128x256xf32>
}

// -----

// Dynamic M and a weight shared by every batch (x[b, s, k] . w[k, n]): the
// rows past the last full register tile are split off and run one row at a
// time (AVX-512, 8-row tiles: a 4-row tile first, where 4 or more are
// left); every part is vectorized with its accumulators in registers, and
// no scalar remainder is left.

#bsk = affine_map<(b, s, n, k) -> (b, s, k)>
#wkn = affine_map<(b, s, n, k) -> (k, n)>
#bsn = affine_map<(b, s, n, k) -> (b, s, n)>
// CHECK-LABEL: func.func @batched_dynamic
// CHECK: scf.forall
// CHECK: scf.for {{.*}} -> (vector<6x16xf32>)
// CHECK: vector.fma
// CHECK: scf.for {{.*}} -> (vector<1x16xf32>)
// CHECK: vector.fma
// CHECK-NOT: linalg.generic
// AVX512-LABEL: func.func @batched_dynamic
// AVX512: scf.for {{.*}} -> (vector<8x32xf32>)
// AVX512: scf.for {{.*}} -> (vector<4x32xf32>)
// AVX512: scf.for {{.*}} -> (vector<1x32xf32>)
// AVX512-NOT: linalg.generic
func.func @batched_dynamic(%x: tensor<?x?x64xf32>, %w: tensor<64x32xf32>, %init: tensor<?x?x32xf32>) -> tensor<?x?x32xf32> {
  %r = linalg.generic {indexing_maps = [#bsk, #wkn, #bsn], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x?x64xf32>, tensor<64x32xf32>) outs(%init : tensor<?x?x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x?x32xf32>
  return %r : tensor<?x?x32xf32>
}

// -----

// Static M = 17 (attention scores of 17 tokens): two 8-row tiles and one
// row left, fewer than a 4-row tile, so no 4-row tile is made for it; 13
// rows: 8 + 4 + 1.

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
// AVX512-LABEL: func.func @rows17
// AVX512: scf.for {{.*}} -> (vector<8x32xf32>)
// AVX512-NOT: vector<4x32xf32>
// AVX512: scf.for {{.*}} -> (vector<1x32xf32>)
// AVX512-NOT: linalg.generic
// AVX512-LABEL: func.func @rows13
// AVX512: scf.for {{.*}} -> (vector<8x32xf32>)
// AVX512: scf.for {{.*}} -> (vector<4x32xf32>)
// AVX512: scf.for {{.*}} -> (vector<1x32xf32>)
// AVX512-NOT: linalg.generic
func.func @rows17(%a: tensor<17x64xf32>, %b: tensor<64x64xf32>, %c: tensor<17x64xf32>) -> tensor<17x64xf32> {
  %r = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<17x64xf32>, tensor<64x64xf32>) outs(%c : tensor<17x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<17x64xf32>
  return %r : tensor<17x64xf32>
}
func.func @rows13(%a: tensor<13x64xf32>, %b: tensor<64x64xf32>, %c: tensor<13x64xf32>) -> tensor<13x64xf32> {
  %r = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<13x64xf32>, tensor<64x64xf32>) outs(%c : tensor<13x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<13x64xf32>
  return %r : tensor<13x64xf32>
}

// -----

// Elementwise: one vector per innermost step, math.exp replaced by its
// polynomial approximation (no scalar expf calls).

#id = affine_map<(i, j) -> (i, j)>
// CHECK-LABEL: func.func @exp
// CHECK: scf.forall
// CHECK: vector.transfer_read {{.*}} vector<8xf32>
// CHECK-NOT: math.exp
// CHECK: vector.transfer_write
func.func @exp(%x: tensor<?x64xf32>, %init: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x64xf32>) outs(%init : tensor<?x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  } -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

// -----

// An epilogue (bias, activation, residual) that is the contraction's only
// user runs inside the GEMM's thread tile: after the register tiles, the
// tile is updated in place one vector at a time, reading the matching
// slices of the bias and the residual, and only then stored. No second
// scf.forall passes over the result.

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
#row = affine_map<(m, n) -> (n)>
// CHECK-LABEL: func.func @gemm_epilogue
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x256xf32>
// CHECK-NOT: linalg.fill
// CHECK: scf.forall (%[[N:.*]], %[[M:.*]]) = (0, 0) to (256, %{{.*}}) step (64, 48) shared_outs(%{{.*}} = %[[E]])
// The tile's accumulator is zero-filled inside the thread tile.
// CHECK: vector.transfer_write %[[ZERO:.*]], %{{.*}} : vector<8xf32>, tensor<?x64xf32>
// CHECK: scf.for {{.*}} -> (vector<6x16xf32>)
// CHECK: scf.for {{.*}} -> (vector<1x16xf32>)
// CHECK: %[[EPI:.*]] = scf.for %[[I:.*]] = %c0 to %{{.*}} step %c1
// CHECK: scf.for %[[J:.*]] = %c0 to %c64 step %c8
// CHECK-DAG: vector.transfer_read %arg2[{{.*}}]{{.*}} : tensor<256xf32>, vector<8xf32>
// CHECK-DAG: vector.transfer_read %arg3[{{.*}}]{{.*}} : tensor<?x256xf32>, vector<8xf32>
// CHECK-DAG: vector.transfer_read %[[T:.*]][%[[I]], %[[J]]], {{.*}} : tensor<?x64xf32>, vector<8xf32>
// CHECK: vector.transfer_write %{{.*}}, %[[T]][%[[I]], %[[J]]] {{.*}} : vector<8xf32>, tensor<?x64xf32>
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %[[EPI]] into %{{.*}}[%[[M]], %[[N]]]
// CHECK-NOT: scf.forall
// CHECK-NOT: linalg.generic
// CHECK: return
// NOEPI-LABEL: func.func @gemm_epilogue
// NOEPI: scf.forall
// NOEPI: scf.forall.in_parallel
// NOEPI: scf.forall
// NOEPI: vector.transfer_read %arg2
func.func @gemm_epilogue(%a: tensor<?x512xf32>, %b: tensor<512x256xf32>, %bias: tensor<256xf32>, %res: tensor<?x256xf32>) -> tensor<?x256xf32> {
  %cst = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %m = tensor.dim %a, %c0 : tensor<?x512xf32>
  %e = tensor.empty(%m) : tensor<?x256xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<?x256xf32>) -> tensor<?x256xf32>
  %r = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<?x512xf32>, tensor<512x256xf32>) outs(%c : tensor<?x256xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x256xf32>
  %e2 = tensor.empty(%m) : tensor<?x256xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%r, %bias, %res : tensor<?x256xf32>, tensor<256xf32>, tensor<?x256xf32>) outs(%e2 : tensor<?x256xf32>) {
  ^bb0(%v: f32, %bv: f32, %rv: f32, %o: f32):
    %0 = arith.addf %v, %bv : f32
    %1 = math.tanh %0 : f32
    %2 = arith.addf %1, %rv : f32
    linalg.yield %2 : f32
  } -> tensor<?x256xf32>
  return %y : tensor<?x256xf32>
}

// -----

// The contraction's result is also returned: the epilogue cannot update
// the tile in place and stays a pass of its own.

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
// CHECK-LABEL: func.func @epilogue_second_user
// CHECK: scf.forall
// CHECK: scf.for {{.*}} -> (vector<6x16xf32>)
// CHECK: scf.forall.in_parallel
// CHECK: scf.forall (%{{.*}}) in (96)
// CHECK: math.floor
func.func @epilogue_second_user(%a: tensor<96x64xf32>, %b: tensor<64x64xf32>) -> (tensor<96x64xf32>, tensor<96x64xf32>) {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<96x64xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<96x64xf32>) -> tensor<96x64xf32>
  %r = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<96x64xf32>, tensor<64x64xf32>) outs(%c : tensor<96x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<96x64xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%r : tensor<96x64xf32>) outs(%e : tensor<96x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %0 = math.exp %v : f32
    linalg.yield %0 : f32
  } -> tensor<96x64xf32>
  return %r, %y : tensor<96x64xf32>, tensor<96x64xf32>
}

// -----

// One zero fill shared by two contractions (CSE merges identical fills):
// each contraction fills its own tiles inside its thread loop, whose
// destination is the fill's tensor.empty. Shared, the filled tensor would
// be copied into each accumulator after bufferization.

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @shared_fill
// CHECK: %[[E:.*]] = tensor.empty() : tensor<96x64xf32>
// CHECK-NOT: linalg.fill
// CHECK: scf.forall {{.*}} shared_outs(%{{.*}} = %[[E]])
// CHECK: vector.transfer_write %{{.*}} : vector<8xf32>, tensor<48x64xf32>
// CHECK: scf.for {{.*}} -> (vector<6x16xf32>)
// CHECK: scf.forall {{.*}} shared_outs(%{{.*}} = %[[E]])
// CHECK: vector.transfer_write %{{.*}} : vector<8xf32>, tensor<48x64xf32>
// CHECK: scf.for {{.*}} -> (vector<6x16xf32>)
// CHECK-NOT: linalg.
func.func @shared_fill(%a: tensor<96x64xf32>, %b: tensor<64x64xf32>, %c: tensor<64x64xf32>) -> (tensor<96x64xf32>, tensor<96x64xf32>) {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<96x64xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<96x64xf32>) -> tensor<96x64xf32>
  %r0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<96x64xf32>, tensor<64x64xf32>) outs(%z : tensor<96x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<96x64xf32>
  %r1 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %c : tensor<96x64xf32>, tensor<64x64xf32>) outs(%z : tensor<96x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<96x64xf32>
  return %r0, %r1 : tensor<96x64xf32>, tensor<96x64xf32>
}
