// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(attnc-lower-attention-flash)' | FileCheck %s
// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(attnc-lower-attention-flash{max-query-rows=16})' | FileCheck %s --check-prefix=SHORT
// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(attnc-lower-attention-flash{max-query-rows=16 split-keys=512},canonicalize)' | FileCheck %s --check-prefix=SPLIT

// One forall iteration per query row; one loop over the keys with the
// running max, sum and a vector<Dv> accumulator; the causal mask is read
// per score with broadcasting (its batch dims are 1).
// CHECK-LABEL: func.func @causal
// CHECK-NOT: attn.attention
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]], %[[I:.*]]) in
// CHECK: %[[Q:.*]] = vector.transfer_read %{{.*}}[%[[B]], %[[H]], %[[I]], %{{.*}}]{{.*}} : tensor<?x4x?x8xf32>, vector<8xf32>
// CHECK: scf.for %[[J:.*]] = {{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (f32, f32, vector<8xf32>)
// CHECK: vector.reduction <add>
// CHECK: %[[MI:.*]] = arith.select %{{.*}}, %{{.*}}, %[[I]] : index
// CHECK: %[[MJ:.*]] = arith.select %{{.*}}, %{{.*}}, %[[J]] : index
// CHECK: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}, %[[MI]], %[[MJ]]] : tensor<1x1x?x?xi1>
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: vector.fma
// CHECK: arith.divf {{.*}} : vector<8xf32>
// CHECK: tensor.parallel_insert_slice
func.func @causal(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>, %m: tensor<1x1x?x?xi1>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v keep %m {scale = 0.35355339 : f32, mask_fill = -3.40282347E+38 : f32}
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<1x1x?x?xi1>) -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// -----

// Grouped-query attention reads kv head h / 2.
// CHECK-LABEL: func.func @gqa
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]], %[[I:.*]]) in
// CHECK: %[[KVH:.*]] = arith.divui %[[H]], %c2
// CHECK: vector.transfer_read %{{.*}}[%[[B]], %[[KVH]], %{{.*}}, %{{.*}}]{{.*}} : tensor<?x2x?x8xf32>
func.func @gqa(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v {scale = 1.0 : f32}
      : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// -----

// A dynamic head size keeps the reference expansion (done later).
// CHECK-LABEL: func.func @dynamic_head
// CHECK: attn.attention
func.func @dynamic_head(%q: tensor<2x3x?xf32>, %k: tensor<2x5x?xf32>, %v: tensor<2x5x?xf32>) -> tensor<2x3x?xf32> {
  %o = attn.attention %q, %k, %v {scale = 1.0 : f32}
      : (tensor<2x3x?xf32>, tensor<2x5x?xf32>, tensor<2x5x?xf32>) -> tensor<2x3x?xf32>
  return %o : tensor<2x3x?xf32>
}

// -----

// With max-query-rows (the CPU pipeline): a dynamic query length is tested
// at run time; short queries take the loop nest, longer ones keep the op
// for the reference expansion.
// CHECK-LABEL: func.func @dynamic_rows
// CHECK-NOT: scf.if
// SHORT-LABEL: func.func @dynamic_rows
// SHORT: %[[TQ:.*]] = tensor.dim %{{.*}}, %c2 : tensor<?x4x?x8xf32>
// SHORT: %[[SHORT:.*]] = arith.cmpi ule, %[[TQ]], %c16
// SHORT: %[[R:.*]] = scf.if %[[SHORT]] -> (tensor<?x4x?x8xf32>) {
// SHORT: scf.forall
// SHORT: vector.reduction <add>, %{{.*}} : vector<8xf32> into f32
// SHORT: } else {
// SHORT: %[[KEPT:.*]] = attn.attention
// SHORT: scf.yield %[[KEPT]]
// SHORT: return %[[R]]
// With split-keys, the short branch chooses at run time between split-K
// (ranges = min(ceil(Tk / 512), ceil(2 * threads / rows)) > 1: per (row,
// range) partial m, l and accumulator, then a merge per row) and the plain
// nest.
// SPLIT: func.func private @omp_get_max_threads() -> i32
// SPLIT-LABEL: func.func @dynamic_rows
// SPLIT: scf.if
// SPLIT: %[[THREADS:.*]] = func.call @omp_get_max_threads() : () -> i32
// SPLIT: %[[T:.*]] = arith.index_cast %[[THREADS]] : i32 to index
// SPLIT: %[[T2:.*]] = arith.muli %[[T]], %c2
// SPLIT: %[[BYT:.*]] = arith.ceildivui %[[T2]], %{{.*}}
// SPLIT: %[[BYK:.*]] = arith.ceildivui %{{.*}}, %c512
// SPLIT: %[[RANGES:.*]] = arith.minui %[[BYT]], %[[BYK]]
// SPLIT: %[[SPLIT:.*]] = arith.cmpi ugt, %[[RANGES]], %c1
// SPLIT: scf.if %[[SPLIT]]
// SPLIT: %[[CHUNK:.*]] = arith.ceildivui %{{.*}}, %[[RANGES]]
// SPLIT: %[[PART:.*]] = tensor.empty(%{{.*}}, %{{.*}}, %[[RANGES]]) : tensor<?x4x?x?x10xf32>
// SPLIT: %[[P:.*]] = scf.forall (%{{.*}}, %{{.*}}, %{{.*}}, %[[R:.*]]) in (%{{.*}}, 4, %{{.*}}, %[[RANGES]]) shared_outs(%{{.*}} = %[[PART]])
// SPLIT: %[[LO:.*]] = arith.muli %[[R]], %[[CHUNK]]
// SPLIT: scf.for %{{.*}} = %[[LO]] to %{{.*}}
// SPLIT: vector.from_elements %{{.*}}, %{{.*}} : vector<2xf32>
// SPLIT: vector.transfer_write %{{.*}}, %{{.*}}[%c0, %c0, %c0, %c0, %c0] {in_bounds = [true]} : vector<8xf32>, tensor<1x1x1x1x10xf32>
// SPLIT: vector.transfer_write %{{.*}}, %{{.*}}[%c0, %c0, %c0, %c0, %c8] {in_bounds = [true]} : vector<2xf32>, tensor<1x1x1x1x10xf32>
// SPLIT: tensor.parallel_insert_slice {{.*}} : tensor<1x1x1x1x10xf32> into tensor<?x4x?x?x10xf32>
// SPLIT: scf.forall
// SPLIT: scf.for
// SPLIT: arith.maximumf
// SPLIT: scf.for
// SPLIT: tensor.extract %[[P]]
// SPLIT: math.exp
// SPLIT: vector.fma
// SPLIT: } else {
// SPLIT: scf.forall
// SPLIT: } else {
// SPLIT: attn.attention
func.func @dynamic_rows(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v {scale = 1.0 : f32}
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// -----

// A static query length is decided at compile time: one row (decode) is
// lowered with no run-time test...
// SHORT-LABEL: func.func @static_one_row
// SHORT-NOT: scf.if
// SHORT-NOT: attn.attention
// SHORT: scf.forall
func.func @static_one_row(%q: tensor<1x4x1x8xf32>, %k: tensor<1x4x?x8xf32>, %v: tensor<1x4x?x8xf32>) -> tensor<1x4x1x8xf32> {
  %o = attn.attention %q, %k, %v {scale = 1.0 : f32}
      : (tensor<1x4x1x8xf32>, tensor<1x4x?x8xf32>, tensor<1x4x?x8xf32>) -> tensor<1x4x1x8xf32>
  return %o : tensor<1x4x1x8xf32>
}

// -----

// ... and 32 rows keep the op.
// SHORT-LABEL: func.func @static_long
// SHORT-NOT: scf.forall
// SHORT: attn.attention
func.func @static_long(%q: tensor<1x4x32x8xf32>, %k: tensor<1x4x32x8xf32>, %v: tensor<1x4x32x8xf32>) -> tensor<1x4x32x8xf32> {
  %o = attn.attention %q, %k, %v {scale = 1.0 : f32}
      : (tensor<1x4x32x8xf32>, tensor<1x4x32x8xf32>, tensor<1x4x32x8xf32>) -> tensor<1x4x32x8xf32>
  return %o : tensor<1x4x32x8xf32>
}

// -----

// Keys and values with a batch dim of 1 are broadcast over the query's
// batch: read at index 0. With no keys the row is 0 (l = 0 is divided as 1).
// CHECK-LABEL: func.func @broadcast_kv_batch
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]], %[[I:.*]]) in
// CHECK: vector.transfer_read %{{.*}}[%[[B]], %[[H]], %[[I]], %c0{{[_0-9]*}}]{{.*}} : tensor<?x4x?x8xf32>
// CHECK: vector.transfer_read %{{.*}}[%c0{{[_0-9]*}}, %[[H]], %{{.*}}, %{{.*}}]{{.*}} : tensor<1x4x?x8xf32>
// CHECK: %[[NOKEYS:.*]] = arith.cmpf oeq
// CHECK: arith.select %[[NOKEYS]]
// CHECK: arith.divf
func.func @broadcast_kv_batch(%q: tensor<?x4x?x8xf32>, %k: tensor<1x4x?x8xf32>, %v: tensor<1x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v {scale = 1.0 : f32}
      : (tensor<?x4x?x8xf32>, tensor<1x4x?x8xf32>, tensor<1x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}
