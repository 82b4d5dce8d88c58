// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-prefetch-weights))' | FileCheck %s
// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-prefetch-weights{distance=0}))' | FileCheck %s --check-prefix=OFF

// A one-row (decode) tile over a packed f32 weight: each 128-byte row read
// gets two prefetches (one per cache line), 4096 bytes (1024 floats) ahead
// in the weight's flat memory, clamped to its last element.
// CHECK-DAG: #[[MAP0:.*]] = affine_map<()[s0, s1, s2] -> (s0 * 2048 + s1 * 32 + s2 + 1024)>
// CHECK-DAG: #[[MAP1:.*]] = affine_map<()[s0, s1, s2] -> (s0 * 2048 + s1 * 32 + s2 + 1040)>
// CHECK-LABEL: func.func @gemv_f32
// CHECK: %[[W:.*]] = memref.get_global @w0 : memref<4x64x32xf32>
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[W]] {{\[}}[0, 1, 2]] : memref<4x64x32xf32> into memref<8192xf32>
// CHECK: %[[LAST:.*]] = arith.constant 8191 : index
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: %[[AT0:.*]] = affine.apply #[[MAP0]]()[%[[P:.*]], %[[K]], %{{.*}}]
// CHECK: %[[IN0:.*]] = arith.minui %[[AT0]], %[[LAST]] : index
// CHECK: memref.prefetch %[[FLAT]][%[[IN0]]], read, locality<3>, data : memref<8192xf32>
// CHECK: %[[AT1:.*]] = affine.apply #[[MAP1]]()[%[[P]], %[[K]], %{{.*}}]
// CHECK: %[[IN1:.*]] = arith.minui %[[AT1]], %[[LAST]] : index
// CHECK: memref.prefetch %[[FLAT]][%[[IN1]]], read, locality<3>, data : memref<8192xf32>
// CHECK-NOT: memref.prefetch
// CHECK: vector.transfer_read %[[W]][%[[P]], %[[K]], %{{.*}}]
// OFF-LABEL: func.func @gemv_f32
// OFF-NOT: memref.prefetch
// OFF-NOT: memref.collapse_shape
memref.global constant @w0 : memref<4x64x32xf32> {alignment = 64 : i64}
func.func @gemv_f32(%a: memref<64xf32>, %p: index, %out: memref<32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %pad = arith.constant 0.0 : f32
  %zero = arith.constant dense<0.0> : vector<32xf32>
  %w = memref.get_global @w0 : memref<4x64x32xf32>
  %r = scf.for %k = %c0 to %c64 step %c1 iter_args(%acc = %zero) -> (vector<32xf32>) {
    %x = memref.load %a[%k] : memref<64xf32>
    %xb = vector.broadcast %x : f32 to vector<32xf32>
    %row = vector.transfer_read %w[%p, %k, %c0], %pad {in_bounds = [true]} : memref<4x64x32xf32>, vector<32xf32>
    %next = vector.fma %xb, %row, %acc : vector<32xf32>
    scf.yield %next : vector<32xf32>
  }
  vector.transfer_write %r, %out[%c0] {in_bounds = [true]} : vector<32xf32>, memref<32xf32>
  return
}

// -----

// bf16 panels: a 32-lane row is one 64-byte line, one prefetch (4096 bytes =
// 2048 elements ahead); two weights read in one loop get one flat view each.
// CHECK-DAG: #[[BF16MAP:.*]] = affine_map<()[s0, s1, s2] -> (s0 * 2048 + s1 * 32 + s2 + 2048)>
// CHECK-LABEL: func.func @gemv_bf16_two_weights
// CHECK-DAG: %[[FA:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0, 1, 2]] : memref<2x64x32xbf16> into memref<4096xbf16>
// CHECK-DAG: %[[FB:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0, 1, 2]] : memref<2x64x32xbf16> into memref<4096xbf16>
// CHECK: scf.for
// CHECK: affine.apply #[[BF16MAP]]
// CHECK: memref.prefetch %[[FA]]
// CHECK-NOT: memref.prefetch %[[FA]]
// CHECK: vector.transfer_read
// CHECK: memref.prefetch %[[FB]]
// CHECK: vector.transfer_read
memref.global constant @wa : memref<2x64x32xbf16> {alignment = 64 : i64}
memref.global constant @wb : memref<2x64x32xbf16> {alignment = 64 : i64}
func.func @gemv_bf16_two_weights(%p: index, %out: memref<2x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %pad = arith.constant 0.0 : bf16
  %zero = arith.constant dense<0.0> : vector<32xf32>
  %wa = memref.get_global @wa : memref<2x64x32xbf16>
  %wb = memref.get_global @wb : memref<2x64x32xbf16>
  %r:2 = scf.for %k = %c0 to %c64 step %c1 iter_args(%x = %zero, %y = %zero) -> (vector<32xf32>, vector<32xf32>) {
    %ra = vector.transfer_read %wa[%p, %k, %c0], %pad {in_bounds = [true]} : memref<2x64x32xbf16>, vector<32xbf16>
    %ea = arith.extf %ra : vector<32xbf16> to vector<32xf32>
    %rb = vector.transfer_read %wb[%p, %k, %c0], %pad {in_bounds = [true]} : memref<2x64x32xbf16>, vector<32xbf16>
    %eb = arith.extf %rb : vector<32xbf16> to vector<32xf32>
    %nx = arith.addf %x, %ea : vector<32xf32>
    %ny = arith.addf %y, %eb : vector<32xf32>
    scf.yield %nx, %ny : vector<32xf32>, vector<32xf32>
  }
  vector.transfer_write %r#0, %out[%c0, %c0] {in_bounds = [true]} : vector<32xf32>, memref<2x32xf32>
  vector.transfer_write %r#1, %out[%c1, %c0] {in_bounds = [true]} : vector<32xf32>, memref<2x32xf32>
  return
}

// -----

// Left alone: a mutable global, a read whose indices do not use the loop's
// induction variable (loop-invariant: read once from cache), and a read of
// a function argument (activations, not weights).
// CHECK-LABEL: func.func @not_streamed
// CHECK-NOT: memref.prefetch
// CHECK: return
memref.global @state : memref<64x32xf32> = dense<0.0>
memref.global constant @w1 : memref<64x32xf32> {alignment = 64 : i64}
func.func @not_streamed(%arg: memref<64x32xf32>, %j: index, %out: memref<32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %pad = arith.constant 0.0 : f32
  %zero = arith.constant dense<0.0> : vector<32xf32>
  %s = memref.get_global @state : memref<64x32xf32>
  %w = memref.get_global @w1 : memref<64x32xf32>
  %r = scf.for %k = %c0 to %c64 step %c1 iter_args(%acc = %zero) -> (vector<32xf32>) {
    %a = vector.transfer_read %s[%k, %c0], %pad {in_bounds = [true]} : memref<64x32xf32>, vector<32xf32>
    %b = vector.transfer_read %w[%j, %c0], %pad {in_bounds = [true]} : memref<64x32xf32>, vector<32xf32>
    %c = vector.transfer_read %arg[%k, %c0], %pad {in_bounds = [true]} : memref<64x32xf32>, vector<32xf32>
    %ab = arith.addf %a, %b : vector<32xf32>
    %abc = arith.addf %ab, %c : vector<32xf32>
    %n = arith.addf %acc, %abc : vector<32xf32>
    scf.yield %n : vector<32xf32>
  }
  vector.transfer_write %r, %out[%c0] {in_bounds = [true]} : vector<32xf32>, memref<32xf32>
  return
}
