// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-gpu-row-reductions))' --verify-diagnostics | FileCheck %s

#in = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>

// A LayerNorm's mean: one warp (32 lanes x 8 warps per block) per row of
// the [?, ?] output; each lane folds every 32nd element from 0.0, five xor
// shuffles combine the lanes, lane 0 adds the output's initial value.
// CHECK-LABEL: func.func @row_sum
// CHECK-SAME: (%[[X:.*]]: memref<?x?x64xf32>, %[[S:.*]]: memref<?x?xf32>)
// CHECK: arith.muli
// CHECK: %[[ROWS:.*]] = arith.muli
// CHECK: scf.if
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in {{.*}} threads(%[[LANE:.*]], %[[WARP:.*]], %{{.*}}) in (%{{.*}} = %[[C32:.*]], %{{.*}} = %[[C8:.*]], %{{.*}} = %{{.*}})
// CHECK: %[[ROW:.*]] = arith.addi %{{.*}}, %[[WARP]] : index
// CHECK: %[[IN:.*]] = arith.cmpi slt, %[[ROW]], %[[ROWS]] : index
// CHECK: scf.if %[[IN]] {
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[P:.*]] = scf.for %[[K:.*]] = %[[LANE]] to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (f32) {
// CHECK: %[[E:.*]] = memref.load %[[X]][%{{.*}}, %{{.*}}, %[[K]]] : memref<?x?x64xf32>
// CHECK: %[[N:.*]] = arith.addf %[[ACC]], %[[E]] : f32
// CHECK: scf.yield %[[N]] : f32
// CHECK: %[[O16:.*]] = arith.constant 16 : i32
// CHECK: gpu.shuffle xor %[[P]], %[[O16]], %{{.*}} : f32
// CHECK: arith.constant 8 : i32
// CHECK: gpu.shuffle xor
// CHECK: arith.constant 4 : i32
// CHECK: gpu.shuffle xor
// CHECK: arith.constant 2 : i32
// CHECK: gpu.shuffle xor
// CHECK: arith.constant 1 : i32
// CHECK: %[[L:.*]], %{{.*}} = gpu.shuffle xor
// CHECK: %[[T:.*]] = arith.addf %{{.*}}, %[[L]] : f32
// CHECK: arith.cmpi eq, %[[LANE]], %{{.*}} : index
// CHECK: %[[OLD:.*]] = memref.load %[[S]]
// CHECK: %[[NEW:.*]] = arith.addf %[[OLD]], %[[T]] : f32
// CHECK: memref.store %[[NEW]], %[[S]]
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
func.func @row_sum(%x: memref<?x?x64xf32>, %s: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : memref<?x?x64xf32>) outs(%s : memref<?x?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %out, %in : f32
    linalg.yield %r : f32
  }
  return
}

// -----

#in = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A variance: the per-element part of the body (the mean read through a
// broadcast map, subtract, square) is evaluated per element; the combiner
// alone combines.
// CHECK-LABEL: func.func @variance
// CHECK: gpu.launch
// CHECK: scf.for %[[K:.*]] = %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}})
// CHECK: %[[X:.*]] = memref.load %{{.*}}[%{{.*}}, %[[K]]] : memref<4x1024xf32>
// CHECK: %[[M:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<4xf32>
// CHECK: %[[D:.*]] = arith.subf %[[X]], %[[M]] : f32
// CHECK: %[[SQ:.*]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK: arith.addf %[[ACC]], %[[SQ]] : f32
func.func @variance(%x: memref<4x1024xf32>, %mean: memref<4xf32>, %v: memref<4xf32>) {
  linalg.generic {indexing_maps = [#in, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %mean : memref<4x1024xf32>, memref<4xf32>) outs(%v : memref<4xf32>) {
  ^bb0(%a: f32, %m: f32, %out: f32):
    %d = arith.subf %a, %m : f32
    %sq = arith.mulf %d, %d : f32
    %r = arith.addf %out, %sq : f32
    linalg.yield %r : f32
  }
  return
}

// -----

#in = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A row maximum starts each lane from -inf and combines with maximumf.
// CHECK-LABEL: func.func @row_max
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: arith.maximumf
// CHECK: gpu.shuffle xor
// CHECK: arith.maximumf
func.func @row_max(%x: memref<?x16xf32>, %m: memref<?xf32>) {
  linalg.generic {indexing_maps = [#in, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x16xf32>) outs(%m : memref<?xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.maximumf %a, %out : f32
    linalg.yield %r : f32
  }
  return
}

// -----

#in = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Left alone: the output value used beyond the combiner (an argmax-like
// body), a combiner without a neutral element (subf), elementwise ops, an
// f16 reduction (NVVM shuffles 32-bit values), an output that drops a
// parallel loop (several warps would update one element).
// CHECK-LABEL: func.func @not_row_reductions
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK-NOT: gpu.launch
func.func @not_row_reductions(%x: memref<?x16xf32>, %m: memref<?xf32>, %y: memref<?x16xf32>, %h: memref<?x16xf16>, %hm: memref<?xf16>, %s: memref<f32>) {
  linalg.generic {indexing_maps = [#in, #row], iterator_types = ["parallel", "reduction"]}
      ins(%h : memref<?x16xf16>) outs(%hm : memref<?xf16>) {
  ^bb0(%a: f16, %out: f16):
    %r = arith.addf %out, %a : f16
    linalg.yield %r : f16
  }
  linalg.generic {indexing_maps = [#in, affine_map<(d0, d1) -> ()>], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x16xf32>) outs(%s : memref<f32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.addf %out, %a : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#in, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x16xf32>) outs(%m : memref<?xf32>) {
  ^bb0(%a: f32, %out: f32):
    %c = arith.cmpf ogt, %a, %out : f32
    %r = arith.select %c, %a, %out : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#in, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x16xf32>) outs(%m : memref<?xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.subf %out, %a : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#in, #in], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x16xf32>) outs(%y : memref<?x16xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.addf %a, %a : f32
    linalg.yield %r : f32
  }
  return
}
