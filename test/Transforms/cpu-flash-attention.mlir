// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-cpu-flash-attention,canonicalize,cse))' | FileCheck %s
// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-cpu-flash-attention{vector-bits=256 vector-registers=16},canonicalize,cse))' | FileCheck %s --check-prefix=AVX2

// GPT-2's causal attention, dynamic batch and length. A dynamic Tq is
// tested against the tile's 4 rows and the mask's dynamic key dim against
// Tk; otherwise the op stays. The keys are transposed, the bool mask read as
// i8. Tiles of 4 rows (AVX-512: (32 - 4) / (4 + 2)), the last moved back
// to end at Tq; 32-key blocks carry 4 maxima, 4 sums and 4 x 4 accumulators;
// a block whose keys are all masked for the 4 rows is skipped.
// CHECK-LABEL: func.func @causal
// CHECK-DAG: %[[TQ:.*]] = tensor.dim %arg0, %c2
// CHECK-DAG: %[[TK:.*]] = tensor.dim %arg1, %c2
// CHECK-DAG: %[[ROWS:.*]] = arith.cmpi uge, %[[TQ]], %c4
// CHECK-DAG: %[[MASKTK:.*]] = arith.cmpi eq, %{{.*}}, %[[TK]]
// CHECK: %[[OK:.*]] = arith.andi %[[ROWS]], %[[MASKTK]]
// CHECK: scf.if %[[OK]]
// CHECK: %[[KT:.*]] = attn.transpose %arg1 [0, 1, 3, 2] : tensor<?x12x?x64xf32> -> tensor<?x12x64x?xf32>
// CHECK: %[[KEEP:.*]] = attn.cast %arg3 : tensor<1x1x?x?xi1> -> tensor<1x1x?x?xi8>
// CHECK: %[[TILES:.*]] = arith.ceildivui %[[TQ]], %c4
// CHECK: %[[BLOCKS:.*]] = arith.ceildivui %[[TK]], %c32
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]], %[[T:.*]]) in (%{{.*}}, 12, %[[TILES]])
// CHECK: %[[I0:.*]] = arith.minui
// CHECK: scf.for %{{.*}} = %c0 to %[[BLOCKS]] step %c1 iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: vector.create_mask %{{.*}} : vector<16xi1>
// CHECK: vector.transfer_read %[[KEEP]]{{.*}} : tensor<1x1x?x?xi8>, vector<16xi8>
// CHECK: %[[KEPT:.*]] = vector.reduction <or>
// CHECK: %[[NONE:.*]] = arith.xori %[[KEPT]], %true
// CHECK: %[[FAR:.*]] = arith.cmpf ogt
// CHECK: %[[SKIP:.*]] = arith.andi %[[NONE]], %[[FAR]]
// CHECK: scf.if %[[SKIP]]
// CHECK: } else {
// CHECK: scf.for %[[D:.*]] = %c0 to %c64 step %c1
// CHECK: vector.transfer_read %[[KT]][%[[B]], %[[H]], %[[D]], %{{.*}}], %{{.*}} : tensor<?x12x64x?xf32>, vector<16xf32>
// CHECK: tensor.extract %arg0[%[[B]], %[[H]], %{{.*}}, %[[D]]]
// CHECK: vector.fma
// CHECK: arith.select %{{.*}}, %{{.*}}, %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK: vector.reduction <maximumf>
// CHECK: math.exp %{{.*}} : f32
// CHECK: math.exp %{{.*}} : vector<16xf32>
// CHECK: vector.reduction <add>
// CHECK: vector.transfer_read %arg2[%[[B]], %[[H]], %{{.*}}, %c0]{{.*}} : tensor<?x12x?x64xf32>, vector<16xf32>
// CHECK: vector.extract %{{.*}}[0] : f32 from vector<16xf32>
// CHECK: vector.fma
// CHECK: arith.divf
// CHECK: tensor.parallel_insert_slice %{{.*}} into %{{.*}}[%[[B]], %[[H]], %[[I0]], 0] [1, 1, 4, 64] [1, 1, 1, 1] : tensor<1x1x4x64xf32> into tensor<?x12x?x64xf32>
// CHECK: } else {
// CHECK: attn.attention
// AVX2-LABEL: func.func @causal
// AVX2: arith.cmpi uge, %{{.*}}, %c1
// AVX2: arith.ceildivui %{{.*}}, %c16
// AVX2: scf.for {{.*}} -> (f32, f32, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// AVX2: tensor.parallel_insert_slice {{.*}} [1, 1, 1, 64]
func.func @causal(%q: tensor<?x12x?x64xf32>, %k: tensor<?x12x?x64xf32>, %v: tensor<?x12x?x64xf32>, %m: tensor<1x1x?x?xi1>) -> tensor<?x12x?x64xf32> {
  %o = attn.attention %q, %k, %v keep %m {scale = 0.125 : f32, mask_fill = -3.40282347E+38 : f32}
      : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<1x1x?x?xi1>) -> tensor<?x12x?x64xf32>
  return %o : tensor<?x12x?x64xf32>
}

// -----

// ViT: static 197 rows, no masks: no run-time test and no skip; 50 tiles,
// the last starting at 193; 7 blocks of 32 keys; value rows past the last
// key are clamped to it.
// CHECK-LABEL: func.func @static_rows
// CHECK-NOT: scf.if
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (3, 50)
// CHECK: arith.minui %{{.*}}, %c193
// CHECK: scf.for %{{.*}} = %c0 to %c7 step %c1
// CHECK-NOT: scf.if
// CHECK: arith.minui %{{.*}}, %c196
// CHECK: tensor.parallel_insert_slice {{.*}} [1, 1, 4, 64]
func.func @static_rows(%q: tensor<1x3x197x64xf32>, %k: tensor<1x3x197x64xf32>, %v: tensor<1x3x197x64xf32>) -> tensor<1x3x197x64xf32> {
  %o = attn.attention %q, %k, %v {scale = 0.125 : f32}
      : (tensor<1x3x197x64xf32>, tensor<1x3x197x64xf32>, tensor<1x3x197x64xf32>) -> tensor<1x3x197x64xf32>
  return %o : tensor<1x3x197x64xf32>
}

// -----

// Grouped-query attention reads kv head h / 2. A keep mask with a key dim
// of 1 is read broadcast; the additive pad mask per key. With a bias the
// block is also skipped when every bias is -inf.
// CHECK: #[[BCAST:.*]] = affine_map<(d0, d1, d2, d3) -> (0)>
// CHECK-LABEL: func.func @broadcast_masks
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]], %{{.*}}) in
// CHECK: %[[KVH:.*]] = arith.divui %[[H]], %c2
// CHECK: vector.transfer_read %{{.*}} {in_bounds = [true], permutation_map = #[[BCAST]]} : tensor<?x1x?x1xi8>, vector<16xi8>
// CHECK: vector.transfer_read %arg4{{.*}} : tensor<?x1x1x?xf32>, vector<16xf32>
// CHECK: %[[ALLINF:.*]] = arith.cmpf oeq, %{{.*}}, %cst
// CHECK: arith.ori %{{.*}}, %[[ALLINF]]
// CHECK: vector.transfer_read %{{.*}}[%[[B]], %[[KVH]], %{{.*}}, %{{.*}}], %{{.*}} : tensor<?x2x64x?xf32>, vector<16xf32>
func.func @broadcast_masks(%q: tensor<?x4x?x64xf32>, %k: tensor<?x2x?x64xf32>, %v: tensor<?x2x?x64xf32>, %keep: tensor<?x1x?x1xi1>, %pad: tensor<?x1x1x?xf32>) -> tensor<?x4x?x64xf32> {
  %o = attn.attention %q, %k, %v keep %keep bias %pad {scale = 0.125 : f32, mask_fill = -1.0e4 : f32}
      : (tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x1x?x1xi1>, tensor<?x1x1x?xf32>) -> tensor<?x4x?x64xf32>
  return %o : tensor<?x4x?x64xf32>
}

// -----

// A head size that is not a multiple of the lanes: pieces of 16 and 8.
// CHECK-LABEL: func.func @head_pieces
// CHECK: scf.forall
// CHECK: vector.transfer_read %arg2{{.*}} : tensor<2x?x40xf32>, vector<16xf32>
// CHECK: vector.transfer_read %arg2{{.*}} : tensor<2x?x40xf32>, vector<8xf32>
func.func @head_pieces(%q: tensor<2x?x40xf32>, %k: tensor<2x?x40xf32>, %v: tensor<2x?x40xf32>) -> tensor<2x?x40xf32> {
  %o = attn.attention %q, %k, %v {scale = 1.0 : f32}
      : (tensor<2x?x40xf32>, tensor<2x?x40xf32>, tensor<2x?x40xf32>) -> tensor<2x?x40xf32>
  return %o : tensor<2x?x40xf32>
}

// -----

// Fewer static rows than a tile, a dynamic head size, f16, a one-head
// 768-wide value (48 accumulators per row would not fit 32 registers): the
// op stays (for the reference expansion).
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: scf.forall
// CHECK-COUNT-4: attn.attention
func.func @left_alone(%q: tensor<1x2x2x64xf32>, %k: tensor<1x2x9x64xf32>, %v: tensor<1x2x9x64xf32>,
                      %q2: tensor<2x30x?xf32>, %k2: tensor<2x30x?xf32>, %v2: tensor<2x30x?xf32>,
                      %q3: tensor<2x30x8xf16>, %k3: tensor<2x30x8xf16>, %v3: tensor<2x30x8xf16>,
                      %q4: tensor<1x128x768xf32>, %k4: tensor<1x128x768xf32>, %v4: tensor<1x128x768xf32>)
    -> (tensor<1x2x2x64xf32>, tensor<2x30x?xf32>, tensor<2x30x8xf16>, tensor<1x128x768xf32>) {
  %o = attn.attention %q, %k, %v {scale = 1.0 : f32}
      : (tensor<1x2x2x64xf32>, tensor<1x2x9x64xf32>, tensor<1x2x9x64xf32>) -> tensor<1x2x2x64xf32>
  %o2 = attn.attention %q2, %k2, %v2 {scale = 1.0 : f32}
      : (tensor<2x30x?xf32>, tensor<2x30x?xf32>, tensor<2x30x?xf32>) -> tensor<2x30x?xf32>
  %o3 = attn.attention %q3, %k3, %v3 {scale = 1.0 : f32}
      : (tensor<2x30x8xf16>, tensor<2x30x8xf16>, tensor<2x30x8xf16>) -> tensor<2x30x8xf16>
  %o4 = attn.attention %q4, %k4, %v4 {scale = 1.0 : f32}
      : (tensor<1x128x768xf32>, tensor<1x128x768xf32>, tensor<1x128x768xf32>) -> tensor<1x128x768xf32>
  return %o, %o2, %o3, %o4 : tensor<1x2x2x64xf32>, tensor<2x30x?xf32>, tensor<2x30x8xf16>, tensor<1x128x768xf32>
}

// -----

// A scalar (rank-0) bias mask has no row of keys to read: the op stays.
// CHECK-LABEL: func.func @scalar_mask
// CHECK-NOT: scf.forall
// CHECK: attn.attention
func.func @scalar_mask(%q: tensor<1x8x64x64xf32>, %k: tensor<1x8x64x64xf32>, %v: tensor<1x8x64x64xf32>, %b: tensor<f32>) -> tensor<1x8x64x64xf32> {
  %o = attn.attention %q, %k, %v bias %b {scale = 0.125 : f32}
      : (tensor<1x8x64x64xf32>, tensor<1x8x64x64xf32>, tensor<1x8x64x64xf32>, tensor<f32>) -> tensor<1x8x64x64xf32>
  return %o : tensor<1x8x64x64xf32>
}
