// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-gpu-tile-contractions))' --verify-diagnostics | FileCheck %s
// RUN: attnc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attnc-gpu-tile-contractions{tile-m=64 tile-n=32 min-rows=1}))' | FileCheck %s --check-prefix=OPT

#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>

// A GEMM with a dynamic row count: the tiled launch when there are at least
// 16 rows, a split-K launch otherwise. 16 x 16 threads per 32 x 64 tile of C;
// the A and B tiles of each K step of 16 are staged in shared memory
// between two barriers; C is the initial accumulator and is stored once.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: memref<?x64xf32>, %[[B:.*]]: memref<64x192xf32>, %[[C:.*]]: memref<?x192xf32>)
// CHECK: %[[M:.*]] = memref.dim %[[A]], %{{.*}} : memref<?x64xf32>
// CHECK: %[[C16:.*]] = arith.constant 16 : index
// CHECK: %[[MANY:.*]] = arith.cmpi sge, %[[M]], %[[C16]] : index
// CHECK: scf.if %{{.*}} {
// CHECK: %[[GX:.*]] = arith.ceildivsi %{{.*}}, %{{.*}} : index
// CHECK: %[[GY:.*]] = arith.ceildivsi %[[M]], %{{.*}} : index
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[GX]], %{{.*}} = %[[GY]], %{{.*}} = %{{.*}}) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) workgroup(%[[TA:.*]] : memref<16x33xf32, #gpu.address_space<workgroup>>, %[[TB:.*]] : memref<16x65xf32, #gpu.address_space<workgroup>>) {
// CHECK: memref.load %[[C]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(
// CHECK: memref.load %[[A]]
// CHECK: memref.store %{{.*}}, %[[TA]]
// CHECK: memref.load %[[B]]
// CHECK: memref.store %{{.*}}, %[[TB]]
// CHECK: gpu.barrier
// CHECK: scf.for
// CHECK: memref.load %[[TA]]
// CHECK: memref.load %[[TB]]
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: scf.yield
// CHECK: gpu.barrier
// CHECK: scf.yield
// CHECK: memref.store %{{.*}}, %[[C]]
// CHECK: gpu.terminator
// CHECK: } else {
// Few rows: a block of 32 x 8 threads per row and 32 columns; each warp
// takes every 8th k, the 8 partial sums meet in shared memory and warp 0
// adds them to C.
// CHECK: scf.if
// CHECK: %[[GX2:.*]] = arith.ceildivsi %{{.*}}, %[[C32:.*]] : index
// CHECK: gpu.launch blocks(%[[BX:.*]], %[[BY:.*]], %{{.*}}) in (%{{.*}} = %[[GX2]], %{{.*}} = %[[M]], %{{.*}} = %{{.*}}) threads(%[[LANE:.*]], %[[WARP:.*]], %{{.*}}) in (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) workgroup(%[[P:.*]] : memref<8x32xf32, #gpu.address_space<workgroup>>) {
// CHECK: %[[COL:.*]] = arith.addi %{{.*}}, %[[LANE]] : index
// CHECK: scf.for %[[K:.*]] = %[[WARP]] to %{{.*}} step %{{.*}} iter_args(
// CHECK: memref.load %[[A]][%[[BY]], %[[K]]]
// CHECK: memref.load %[[B]][%[[K]], %[[COL]]]
// CHECK: memref.store %{{.*}}, %[[P]][%[[WARP]], %[[LANE]]]
// CHECK: gpu.barrier
// CHECK: arith.cmpi eq, %[[WARP]], %{{.*}} : index
// CHECK: memref.load %[[C]][%[[BY]], %[[COL]]]
// CHECK: scf.for
// CHECK: memref.load %[[P]][%{{.*}}, %[[LANE]]]
// CHECK: memref.store %{{.*}}, %[[C]][%[[BY]], %[[COL]]]
// CHECK-NOT: linalg.generic
// OPT-LABEL: func.func @matmul
// OPT: workgroup(%{{.*}} : memref<16x65xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<16x33xf32, #gpu.address_space<workgroup>>)
func.func @matmul(%a: memref<?x64xf32>, %b: memref<64x192xf32>, %c: memref<?x192xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x64xf32>, memref<64x192xf32>) outs(%c : memref<?x192xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#a = affine_map<(m, n, k) -> (m, k)>
#bt = affine_map<(m, n, k) -> (n, k)>
#c = affine_map<(m, n, k) -> (m, n)>

// A transposed fp16 weight (an LM head reading the embedding): the B tile
// keeps f16 and the cloned body extends each element where it is used.
// CHECK-LABEL: func.func @transposed_f16
// CHECK: gpu.launch
// CHECK-SAME: workgroup(%{{.*}} : memref<16x33xf32, #gpu.address_space<workgroup>>, %[[TB:.*]] : memref<16x65xf16, #gpu.address_space<workgroup>>)
// CHECK: memref.load %{{.*}} : memref<1000x64xf16>
// CHECK: memref.store %{{.*}}, %[[TB]]
// CHECK: gpu.barrier
// CHECK: %[[W:.*]] = memref.load %[[TB]]
// CHECK: arith.extf %[[W]] : f16 to f32
// With few rows the lanes of a warp interleave k (B's innermost dim) and
// each warp takes a column; lane 0 adds the 32 partial sums.
// CHECK: gpu.launch blocks(%{{.*}}, %[[BY:.*]], %{{.*}}) in {{.*}} threads(%[[LANE:.*]], %[[WARP:.*]], %{{.*}}) in {{.*}} workgroup(%[[P:.*]] : memref<8x32xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[COL:.*]] = arith.addi %{{.*}}, %[[WARP]] : index
// CHECK: scf.for %[[K:.*]] = %[[LANE]] to
// CHECK: memref.load %{{.*}}[%[[COL]], %[[K]]] : memref<1000x64xf16>
// CHECK: arith.extf
// CHECK: gpu.barrier
// CHECK: arith.cmpi eq, %[[LANE]], %{{.*}} : index
// CHECK: memref.load %[[P]][%[[WARP]], %{{.*}}]
func.func @transposed_f16(%a: memref<?x64xf32>, %b: memref<1000x64xf16>, %c: memref<?x1000xf32>) {
  linalg.generic {indexing_maps = [#a, #bt, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x64xf32>, memref<1000x64xf16>) outs(%c : memref<?x1000xf32>) {
  ^bb0(%x: f32, %y: f16, %acc: f32):
    %w = arith.extf %y : f16 to f32
    %p = arith.mulf %x, %w : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#a = affine_map<(b, m, n, k) -> (b, m, k)>
#bb = affine_map<(b, m, n, k) -> (b, k, n)>
#c = affine_map<(b, m, n, k) -> (b, m, n)>

// A batched matmul: the batch loop is the grid's z dimension. With 32 static
// rows the guard folds to true under canonicalization.
// CHECK-LABEL: func.func @batched
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[Z:.*]] = arith.muli %{{.*}}, %[[C4]] : index
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %[[BZ:.*]]) in (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %[[Z]])
// CHECK: memref.load %{{.*}}[%[[BZ]], %{{.*}}, %{{.*}}] : memref<4x32x16xf32>
func.func @batched(%a: memref<4x32x16xf32>, %b: memref<4x16x8xf32>, %c: memref<4x32x8xf32>) {
  linalg.generic {indexing_maps = [#a, #bb, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x32x16xf32>, memref<4x16x8xf32>) outs(%c : memref<4x32x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>

// Not contractions: a max-reduction (zero padding would change it), a
// reduction with a single input are left alone.
// CHECK-LABEL: func.func @not_contractions
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: linalg.generic
// CHECK-NOT: gpu.launch
// CHECK: return
func.func @not_contractions(%a: memref<?x64xf32>, %b: memref<64x192xf32>, %c: memref<?x192xf32>, %r: memref<?xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x64xf32>, memref<64x192xf32>) outs(%c : memref<?x192xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.maximumf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(m, k) -> (m, k)>, affine_map<(m, k) -> (m)>], iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<?x64xf32>) outs(%r : memref<?xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
#col = affine_map<(m, n) -> (n)>

// The element-wise op right after the GEMM (bias + GELU-like tanh) runs on
// each finished accumulator inside both kernels and stores into its own
// output; it and its pass over C are gone.
// CHECK-LABEL: func.func @epilogue
// CHECK-SAME: (%[[A:.*]]: memref<?x64xf32>, %[[B:.*]]: memref<64x192xf32>, %[[BIAS:.*]]: memref<192xf32>, %[[D:.*]]: memref<?x192xf32>)
// CHECK: %[[C:.*]] = memref.alloc
// CHECK: gpu.launch
// CHECK: gpu.barrier
// CHECK: %[[BV:.*]] = memref.load %[[BIAS]][%{{.*}}] : memref<192xf32>
// CHECK: %[[S:.*]] = arith.addf %{{.*}}, %[[BV]] : f32
// CHECK: %[[T:.*]] = math.tanh %[[S]] : f32
// CHECK: memref.store %[[T]], %[[D]][%{{.*}}, %{{.*}}] : memref<?x192xf32>
// CHECK-NOT: memref.store %{{.*}}, %[[C]]
// CHECK: } else {
// CHECK: gpu.launch
// CHECK: memref.load %[[C]]
// CHECK: memref.load %[[BIAS]]
// CHECK: math.tanh
// CHECK: memref.store %{{.*}}, %[[D]]
// CHECK-NOT: linalg.generic
// CHECK: memref.dealloc %[[C]]
func.func @epilogue(%a: memref<?x64xf32>, %b: memref<64x192xf32>, %bias: memref<192xf32>, %d: memref<?x192xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %m = memref.dim %a, %c0 : memref<?x64xf32>
  %c = memref.alloc(%m) : memref<?x192xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<?x192xf32>)
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x64xf32>, memref<64x192xf32>) outs(%c : memref<?x192xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c, %bias : memref<?x192xf32>, memref<192xf32>) outs(%d : memref<?x192xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %s = arith.addf %x, %y : f32
    %t = math.tanh %s : f32
    linalg.yield %t : f32
  }
  memref.dealloc %c : memref<?x192xf32>
  return
}

// -----

#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>

// Not fused: C is read again after the element-wise op; an epilogue
// writing the GEMM's own input (A) would race with the blocks still
// reading it; C is an argument (a model output), which must be written.
// CHECK-LABEL: func.func @no_epilogue
// CHECK-SAME: %[[OUT:[^:]*]]: memref<?x64xf32>)
// CHECK: gpu.launch
// CHECK: linalg.generic
// CHECK: linalg.copy
// CHECK: gpu.launch
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : memref<?x64xf32>)
// CHECK: gpu.launch
// CHECK: memref.store %{{.*}}, %[[OUT]]
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[OUT]] : memref<?x64xf32>)
func.func @no_epilogue(%a: memref<?x64xf32>, %b: memref<64x64xf32>, %d: memref<?x64xf32>, %e: memref<?x64xf32>, %out: memref<?x64xf32>) {
  %c0 = arith.constant 0 : index
  %m = memref.dim %a, %c0 : memref<?x64xf32>
  %c = memref.alloc(%m) : memref<?x64xf32>
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x64xf32>, memref<64x64xf32>) outs(%c : memref<?x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<?x64xf32>) outs(%d : memref<?x64xf32>) {
  ^bb0(%x: f32, %o: f32):
    %t = math.tanh %x : f32
    linalg.yield %t : f32
  }
  linalg.copy ins(%c : memref<?x64xf32>) outs(%e : memref<?x64xf32>)
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x64xf32>, memref<64x64xf32>) outs(%d : memref<?x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%d : memref<?x64xf32>) outs(%a : memref<?x64xf32>) {
  ^bb0(%x: f32, %o: f32):
    %t = math.tanh %x : f32
    linalg.yield %t : f32
  }
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x64xf32>, memref<64x64xf32>) outs(%out : memref<?x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%out : memref<?x64xf32>) outs(%e : memref<?x64xf32>) {
  ^bb0(%x: f32, %o: f32):
    %t = math.tanh %x : f32
    linalg.yield %t : f32
  }
  memref.dealloc %c : memref<?x64xf32>
  return
}
