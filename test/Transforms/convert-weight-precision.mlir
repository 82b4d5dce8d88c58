// RUN: attnc-opt %s -split-input-file --attnc-convert-weight-precision="min-elements=1" | FileCheck %s
// RUN: attnc-opt %s -split-input-file --attnc-pack-weights="panel-width=8 min-elements=1" --attnc-convert-weight-precision="min-elements=1" --attnc-cpu-tile-and-vectorize="vector-bits=128 vector-registers=16 parallel=false" | FileCheck %s --check-prefix=CODEGEN
// RUN: not attnc-opt %s -split-input-file --attnc-convert-weight-precision="type=f16" 2>&1 | FileCheck %s --check-prefix=BADTYPE

// Rounding to nearest even, element by element (little-endian bf16 after
// the 4-byte alignment prefix of the blob): 1.0 -> 3F80; 1.00390625 (a tie)
// -> 3F80 (even); 1.01171875 (a tie) -> 3F82 (even); quiet NaN -> 7FC0;
// signalling NaN 0x7F800001 -> 7FC0 (truncation would make it infinity);
// FLT_MAX -> infinity 7F80; -2.0 -> C000; denormal 1e-40 -> 0001; 0.5 ->
// 3F00; +-inf -> 7F80/FF80; 3.0 -> 4040; 1.99609375 (a tie) -> 4000 (even,
// carrying into the exponent); -0.0 -> 8000; 0.1 -> 3DCD; 1.0 -> 3F80.
// The body extends the weight back to f32 before the product.

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @rounding
// CHECK-NOT: tensor<2x8xf32>
// CHECK: %[[W:.*]] = arith.constant dense_resource<weight.bf16> : tensor<2x8xbf16>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[W]] : tensor<?x2xf32>, tensor<2x8xbf16>) outs(%{{.*}} : tensor<?x8xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: bf16, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[E:.*]] = arith.extf %[[Y]] : bf16 to f32
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[X]], %[[E]] : f32
// CHECK-NEXT: arith.addf %[[ACC]], %[[P]] : f32
// CHECK: weight.bf16: "0x40000000803F803F823FC07FC07F807F00C00100003F807F80FF404000400080CD3D803F"
func.func @rounding(%a: tensor<?x2xf32>) -> tensor<?x8xf32> {
  %cst = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %w = arith.constant dense<[[1.0, 1.00390625, 1.01171875, 0x7FC00000, 0x7F800001, 0x7F7FFFFF, -2.0, 1.0e-40], [0.5, 0x7F800000, 0xFF800000, 3.0, 1.99609375, -0.0, 0.1, 1.0]]> : tensor<2x8xf32>
  %d = tensor.dim %a, %c0 : tensor<?x2xf32>
  %e = tensor.empty(%d) : tensor<?x8xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<?x8xf32>) -> tensor<?x8xf32>
  %r = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x2xf32>, tensor<2x8xf32>) outs(%c : tensor<?x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// After attnc-pack-weights the panels are what is converted: N = 40 is
// five panels of 8. The register tile reads a row of a panel as a vector of
// bf16 and extends it once for the 6 FMAs of its rows. The leftover rows
// (all of them at M = 1, a decode step's GEMV) take four panels at a time
// (four weight streams, eight independent FMA chains) and the fifth panel
// alone, all vector code. Accumulators stay f32 in registers across K.

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @packed
// CHECK: arith.constant dense_resource<weight.bf16> : tensor<3x40xbf16>
// CODEGEN-LABEL: func.func @packed
// CODEGEN-NOT: xf32> = arith.constant dense
// CODEGEN: arith.constant dense_resource<packed.bf16> : tensor<5x3x8xbf16>
// CODEGEN: scf.for {{.*}} -> (vector<6x8xf32>)
// CODEGEN: %[[B6:.*]] = vector.transfer_read {{.*}} : tensor<5x3x8xbf16>, vector<8xbf16>
// CODEGEN-NEXT: %[[E6:.*]] = arith.extf %[[B6]] : vector<8xbf16> to vector<8xf32>
// CODEGEN-COUNT-6: vector.fma %{{.*}}, %[[E6]], %{{.*}} : vector<8xf32>
// CODEGEN: scf.for {{.*}} -> (vector<1x8xf32>, vector<1x8xf32>, vector<1x8xf32>, vector<1x8xf32>)
// CODEGEN: %[[P0:.*]] = vector.transfer_read {{.*}} : tensor<5x3x8xbf16>, vector<8xbf16>
// CODEGEN-NEXT: %[[E0:.*]] = arith.extf %[[P0]] : vector<8xbf16> to vector<8xf32>
// CODEGEN: vector.fma %{{.*}}, %[[E0]], %{{.*}} : vector<8xf32>
// CODEGEN-COUNT-3: vector.fma
// CODEGEN: scf.yield %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : vector<1x8xf32>, vector<1x8xf32>, vector<1x8xf32>, vector<1x8xf32>
// CODEGEN: scf.for {{.*}} -> (vector<1x8xf32>)
// CODEGEN: arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CODEGEN: vector.fma
// CODEGEN-NOT: linalg.generic
// CODEGEN: packed.bf16: "0x400000000000803F004040408040A040C040E040
func.func @packed(%a: tensor<?x3xf32>) -> tensor<?x40xf32> {
  %cst = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %w = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0], [40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0, 64.0, 65.0, 66.0, 67.0, 68.0, 69.0, 70.0, 71.0, 72.0, 73.0, 74.0, 75.0, 76.0, 77.0, 78.0, 79.0], [80.0, 81.0, 82.0, 83.0, 84.0, 85.0, 86.0, 87.0, 88.0, 89.0, 90.0, 91.0, 92.0, 93.0, 94.0, 95.0, 96.0, 97.0, 98.0, 99.0, 100.0, 101.0, 102.0, 103.0, 104.0, 105.0, 106.0, 107.0, 108.0, 109.0, 110.0, 111.0, 112.0, 113.0, 114.0, 115.0, 116.0, 117.0, 118.0, 119.0]]> : tensor<3x40xf32>
  %d = tensor.dim %a, %c0 : tensor<?x3xf32>
  %e = tensor.empty(%d) : tensor<?x40xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<?x40xf32>) -> tensor<?x40xf32>
  %r = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x3xf32>, tensor<3x40xf32>) outs(%c : tensor<?x40xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x40xf32>
  return %r : tensor<?x40xf32>
}

// -----

// A transposed weight W[N, K] shared by two contractions is converted once;
// its f32 constant stays for another user (here the function result).

#bsk = affine_map<(b, s, n, k) -> (b, s, k)>
#nk = affine_map<(b, s, n, k) -> (n, k)>
#bsn = affine_map<(b, s, n, k) -> (b, s, n)>
// CHECK-LABEL: func.func @shared
// CHECK-DAG: %[[F:.*]] = arith.constant dense<{{.*}}> : tensor<8x2xf32>
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<weight.bf16> : tensor<8x2xbf16>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[W]] : tensor<2x?x2xf32>, tensor<8x2xbf16>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x?x2xf32>, tensor<8x2xbf16>)
// CHECK: return %{{.*}}, %{{.*}}, %[[F]]
// CHECK: weight.bf16: "0x40000000
// CHECK-NOT: weight.bf16_
func.func @shared(%a: tensor<2x?x2xf32>) -> (tensor<2x?x8xf32>, tensor<2x?x8xf32>, tensor<8x2xf32>) {
  %cst = arith.constant 0.0 : f32
  %c1 = arith.constant 1 : index
  %w = arith.constant dense<[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0], [8.0, 9.0], [10.0, 11.0], [12.0, 13.0], [14.0, 15.0]]> : tensor<8x2xf32>
  %d = tensor.dim %a, %c1 : tensor<2x?x2xf32>
  %e = tensor.empty(%d) : tensor<2x?x8xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<2x?x8xf32>) -> tensor<2x?x8xf32>
  %r0 = linalg.generic {indexing_maps = [#bsk, #nk, #bsn], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<2x?x2xf32>, tensor<8x2xf32>) outs(%c : tensor<2x?x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x?x8xf32>
  %r1 = linalg.generic {indexing_maps = [#bsk, #nk, #bsn], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<2x?x2xf32>, tensor<8x2xf32>) outs(%c : tensor<2x?x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x?x8xf32>
  return %r0, %r1, %w : tensor<2x?x8xf32>, tensor<2x?x8xf32>, tensor<8x2xf32>
}

// -----

// Not converted: a weight that is not a constant (attention's K), a
// constant indexed by M (an activation, not a weight), a splat constant.

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @not_converted
// CHECK-NOT: bf16
func.func @not_converted(%a: tensor<4x2xf32>, %b: tensor<2x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %cst = arith.constant 0.0 : f32
  %x = arith.constant dense<[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0]]> : tensor<4x2xf32>
  %splat = arith.constant dense<1.0> : tensor<2x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %r0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<4x2xf32>, tensor<2x8xf32>) outs(%c : tensor<4x8xf32>) {
  ^bb0(%i: f32, %j: f32, %o: f32):
    %p = arith.mulf %i, %j : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %r1 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %b : tensor<4x2xf32>, tensor<2x8xf32>) outs(%c : tensor<4x8xf32>) {
  ^bb0(%i: f32, %j: f32, %o: f32):
    %p = arith.mulf %i, %j : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %r2 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %splat : tensor<4x2xf32>, tensor<2x8xf32>) outs(%c : tensor<4x8xf32>) {
  ^bb0(%i: f32, %j: f32, %o: f32):
    %p = arith.mulf %i, %j : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  return %r0, %r1, %r2 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// BADTYPE: error: attnc-convert-weight-precision: unsupported type 'f16' (expected bf16)
