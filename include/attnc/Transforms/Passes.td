//===- Passes.td - attnc graph and module passes -----------*- tablegen -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TRANSFORMS_PASSES_TD
#define ATTNC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def ExternalizeWeights : Pass<"attnc-externalize-weights", "mlir::ModuleOp"> {
  let summary = "Moves large tensor constants out of the code into the weight blob";
  let description = [{
    Model weights must not become LLVM IR constants: a 124M-parameter model
    would make LLVM copy and walk every element. This pass replaces each
    `arith.constant` tensor with more than `min-elements` elements by an
    external `memref.global` declaration read through `memref.get_global`
    and `bufferization.to_tensor restrict`. The data itself is recorded in
    the module attribute `attnc.weights` (symbol -> elements); the target
    stage writes it into the `.so` as a raw, 64-byte aligned blob that
    defines those symbols.

    Before:
    ```mlir
    %w = arith.constant dense_resource<w0> : tensor<768x768xf32>
    ```
    After:
    ```mlir
    memref.global "private" constant @__attnc_w0 : memref<768x768xf32>
    ...
    %m = memref.get_global @__attnc_w0 : memref<768x768xf32>
    %w = bufferization.to_tensor %m restrict : memref<768x768xf32> to tensor<768x768xf32>
    ```
  }];
  let options = [
    Option<"minElements", "min-elements", "int64_t", /*default=*/"64",
           "Constants with at least this many elements are externalized">
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::bufferization::BufferizationDialect"];
}

def PackWeights : Pass<"attnc-pack-weights", "mlir::ModuleOp"> {
  let summary = "Packs constant GEMM weights into the panel layout of the CPU kernel";
  let description = [{
    A contraction `C[..., n] += A[..., k] * W[k, n]` (or `W[n, k]`) whose
    weight is a constant reads `W` column panels of `panel-width` elements,
    i.e. `panel-width` floats every `N * 4` bytes: for N = 3072 every row of
    a K block falls into the same L1 set and the kernel waits on L2. This
    pass rewrites the weight at compile time into
    `P[ceil(N / panel-width), K, panel-width]` (zero padded), so that each
    register tile of `attnc-cpu-tile-and-vectorize` streams one contiguous
    panel, and the contraction into one over `(..., nb, k, ni)` whose result
    `[..., NB, panel-width]` is collapsed back (and sliced to N when
    padded). The packed data is stored in the `.so` instead of the
    original, so the weight costs no extra memory at run time.

    Only f32 weights of at least `min-elements` elements with a static
    shape are packed, with a zero-filled accumulator and the weight
    indexed by exactly the N and K loops; anything else is left unchanged.

    An elementwise op that is the only user of the collapsed result (the
    epilogue of a linear layer: bias, activation, residual add) is moved
    into the packed shape (its other operands are expanded the same way and
    the collapse follows it), so that it reads the contraction directly and
    `attnc-cpu-tile-and-vectorize` can apply it inside the GEMM's tiles.

    Before:
    ```mlir
    %w = arith.constant dense_resource<w> : tensor<64x48xf32>
    %r = linalg.generic {(m, n, k): (m, k), (k, n) -> (m, n)} ins(%x, %w) outs(%zero)
    ```
    After (panel-width = 16):
    ```mlir
    %p = arith.constant dense_resource<w.packed16> : tensor<3x64x16xf32>
    %r3 = linalg.generic {(m, nb, k, ni): (m, k), (nb, k, ni) -> (m, nb, ni)} ins(%x, %p) outs(%zero3)
    %r = tensor.collapse_shape %r3 [[0], [1, 2]] : tensor<?x3x16xf32> into tensor<?x48xf32>
    ```
  }];
  let options = [
    Option<"panelWidth", "panel-width", "int64_t", /*default=*/"16",
           "Columns per packed panel (the register tile's N: two vectors)">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"4096",
           "Weights with fewer elements stay in place">
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def ConvertWeightPrecision
    : Pass<"attnc-convert-weight-precision", "mlir::ModuleOp"> {
  let summary = "Stores constant GEMM weights in a narrower float type (bf16)";
  let description = [{
    A decode step reads every weight once per token, so its time is the
    weights' bytes over the memory bandwidth. This pass rounds the constant
    f32 weight of each contraction to `type` at compile time (round to
    nearest even; NaN stays NaN, overflow becomes infinity) and stores the
    rounded data instead, half the bytes for bf16. The contraction reads
    the narrow weight and extends it to f32 (`arith.extf`) in its body, so
    products and accumulation stay f32; `attnc-cpu-tile-and-vectorize`
    extends whole vectors in the register tile (on x86 without AVX-512 BF16
    a zero-extend and a shift per vector).

    The weight of a contraction is an input that is an `arith.constant`
    (f32, static shape, at least `min-elements` elements, dense data)
    indexed only by the contraction's N and K loops: the `[K, N]`/`[N, K]`
    weight of a linear layer, or its `[N/nr, K, nr]` panels after
    `attnc-pack-weights`. Activations and attention products are not
    touched. A weight used elsewhere too keeps its f32 constant for the
    other users.

    Before:
    ```mlir
    %w = arith.constant dense_resource<w> : tensor<64x48xf32>
    %r = linalg.generic {(m, n, k): (m, k), (k, n) -> (m, n)} ins(%x, %w) outs(%acc) {
    ^bb0(%a: f32, %b: f32, %c: f32):
      ... arith.mulf %a, %b ...
    }
    ```
    After (type = bf16):
    ```mlir
    %w = arith.constant dense_resource<w.bf16> : tensor<64x48xbf16>
    %r = linalg.generic {(m, n, k): (m, k), (k, n) -> (m, n)} ins(%x, %w) outs(%acc) {
    ^bb0(%a: f32, %b16: bf16, %c: f32):
      %b = arith.extf %b16 : bf16 to f32
      ... arith.mulf %a, %b ...
    }
    ```
  }];
  let options = [
    Option<"type", "type", "std::string", /*default=*/"\"bf16\"",
           "Storage type of the weights (bf16)">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"4096",
           "Weights with fewer elements stay f32">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect"];
}

def EntryABI : Pass<"attnc-entry-abi", "mlir::ModuleOp"> {
  let summary = "Rewrites the model function into the destination-passing entry of the .so ABI";
  let description = [{
    The importer produces `func.func @main(tensors...) -> tensors...` with
    `attn.name`/`attn.dtype`/`attn.dims` argument and result attributes.
    This pass rewrites it into `func.func @attnc_main(memref inputs...,
    memref outputs...) -> i32` (see docs/abi.md): inputs enter through
    `bufferization.to_tensor restrict`, results leave through
    `bufferization.materialize_in_destination ... restrict writable`, so
    one-shot bufferization writes the final ops straight into the caller's
    output buffers. The function gets `llvm.emit_c_interface`, and the
    metadata text (names, dtypes, symbolic shapes) is stored in the module
    attribute `attnc.metadata` for the target stage.

    A result marked `attn.append = {input = i, axis = a}`
    (attnc-mark-append-outputs) and its input `i` get the memref layout
    `strided<[?, ..., ?, s_a, ..., 1]>` (any strides before the axis,
    contiguous from it) and the metadata gets an `append` line, so that a
    runtime may pass both as views of one longer cache buffer. With
    `append-views=false` (GPU models) the marks are dropped.
  }];
  let options = [
    Option<"appendViews", "append-views", "bool", /*default=*/"true",
           "Honour attn.append results (attnc-mark-append-outputs): strided "
           "layouts for the pair and an `append` metadata line. Off for GPU "
           "models, whose host copies need contiguous tensors">
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::bufferization::BufferizationDialect",
                           "mlir::arith::ArithDialect"];
}

def MarkAppendOutputs : Pass<"attnc-mark-append-outputs", "mlir::ModuleOp"> {
  let summary = "Marks model outputs that are an input with rows appended (KV caches)";
  let description = [{
    A decoder step with a KV cache returns `present = Concat(past, new)`
    along the sequence axis. When a result of `@main` is a `tensor.concat`
    whose first operand is an argument of `@main` that nothing else reads
    (except for its dims), the result gets the attribute
    `attn.append = {input = <argument index>, axis = <concat dim>}`.
    attnc-entry-abi then gives that input and output strided layouts and
    writes an `append` metadata line (docs/abi.md): a runtime may pass the
    output as a larger view over the input's memory, and the model's copy
    of the input into the output is skipped at run time
    (attnc-elide-self-copies), so the cache grows in place.

    Runs before attnc-convert-attn-to-linalg, while the concat is one op.
    Before:
    ```mlir
    func.func @main(%past: tensor<?x4x?x16xf32>, %new: tensor<?x4x?x16xf32>)
        -> tensor<?x4x?x16xf32> {
      %0 = tensor.concat dim(2) %past, %new : (...) -> tensor<?x4x?x16xf32>
      return %0 : tensor<?x4x?x16xf32>
    }
    ```
    After: the same function with `{attn.append = {axis = 2 : i64,
    input = 0 : i64}}` on its result.
  }];
}

def ElideSelfCopies : Pass<"attnc-elide-self-copies", "mlir::func::FuncOp"> {
  let summary = "Skips, at run time, copies of a model input onto the same memory of an output";
  let description = [{
    After bufferization, the entry function (attnc-entry-abi) copies an
    `append` input (the past KV cache) into the first rows of its output
    (`present`). When the runtime passes both as views of one cache buffer
    (docs/abi.md, `append` lines), source and destination are the same
    memory and the copy would rewrite every cached value per step. This
    pass guards each `memref.copy`/`linalg.copy` from an entry input
    argument into a view of an entry output argument with a run-time test:
    the copy runs unless both have the same aligned pointer, offset and
    strides (then it is a no-op). Sound for any arguments: a copy of
    memory onto itself changes nothing.

    ```mlir
    %differ = ... // pointers, offsets or strides not equal
    scf.if %differ {
      linalg.copy ins(%past : ...) outs(%view_of_present : ...)
    }
    ```
  }];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
}

def PrefetchWeights : Pass<"attnc-prefetch-weights", "mlir::func::FuncOp"> {
  let summary = "Software prefetch of constant weights read in inner loops";
  let description = [{
    A one-token step (decode) streams every weight matrix from memory once,
    a few rows of a packed panel per step of the innermost loop; one core's
    hardware prefetchers keep too few lines in flight to reach the memory
    bandwidth (here: 15 GB/s read by one core with plain loads, 17.5 GB/s
    with software prefetch 8 KiB ahead). This pass finds each
    `vector.transfer_read` of a constant `memref.global` (the weights of
    attnc-externalize-weights) whose indices use the induction variable of
    the `scf.for` directly around it, and issues `memref.prefetch` for the
    cache lines `distance` bytes further in the weight's memory, clamped to
    its last element (a prefetch past the end of a panel covers the start of
    the next one). After bufferization, on the loops of
    attnc-cpu-tile-and-vectorize; `distance=0` turns it off.

    ```mlir
    scf.for %k = %c0 to %c768 step %c1 {
      %row = vector.transfer_read %w[%p, %k, %c0], %pad : memref<24x768x32xbf16>, vector<32xbf16>
    ```
    becomes
    ```mlir
    %flat = memref.collapse_shape %w [[0, 1, 2]] : memref<24x768x32xbf16> into memref<589824xbf16>
    scf.for %k = %c0 to %c768 step %c1 {
      %at = affine.apply affine_map<()[s0, s1] -> (s0 * 24576 + s1 * 32 + 2048)>()[%p, %k]
      %in = arith.minui %at, %c589823 : index
      memref.prefetch %flat[%in], read, locality<3>, data : memref<589824xbf16>
      %row = vector.transfer_read %w[%p, %k, %c0], %pad : memref<24x768x32xbf16>, vector<32xbf16>
    ```
  }];
  let options = [
    Option<"distance", "distance", "int64_t", /*default=*/"4096",
           "Bytes ahead of each read to prefetch (0: off)">,
    Option<"locality", "locality", "int64_t", /*default=*/"3",
           "Cache locality hint of the prefetches, 0 (none) to 3 (keep in all levels)">,
  ];
  let dependentDialects = ["mlir::affine::AffineDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
}

def VectorizeCopies : Pass<"attnc-vectorize-copies", "mlir::func::FuncOp"> {
  let summary = "Lowers linalg.copy of strided views to vector loops";
  let description = [{
    The copies attnc-lower-strided-copies makes (slices of a fused QKV
    projection, the past KV cache copied into `present`) would otherwise
    become a scalar load and store per element (convert-linalg-to-loops).
    For each `linalg.copy` on memrefs whose innermost stride is 1 on both
    sides, this pass emits `scf.for` loops over the outer dims and steps of
    `vector-bytes` along the innermost one, each a `vector.transfer_read`
    and `vector.transfer_write`; when the innermost size is not a static
    multiple of the vector, the accesses are masked (in_bounds false) so
    that the last, partial vector stays inside the rows. CPU pipeline,
    after attnc-elide-self-copies (which guards the same copies by a
    run-time test and must still see them as copies).

    ```mlir
    linalg.copy ins(%src : memref<?x64xf32, strided<[192, 1]>>) outs(%dst : memref<?x64xf32>)
    ```
    becomes
    ```mlir
    scf.for %i = %c0 to %rows step %c1 {
      scf.for %j = %c0 to %c64 step %c16 {
        %v = vector.transfer_read %src[%i, %j], %pad {in_bounds = [true]} : memref<?x64xf32, strided<[192, 1]>>, vector<16xf32>
        vector.transfer_write %v, %dst[%i, %j] {in_bounds = [true]} : vector<16xf32>, memref<?x64xf32>
      }
    }
    ```
  }];
  let options = [
    Option<"vectorBytes", "vector-bytes", "int64_t", /*default=*/"64",
           "Bytes per vector step">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect"];
}

def FuseElementwise : Pass<"attnc-fuse-elementwise"> {
  let summary = "Fuses elementwise linalg ops without recomputation";
  let description = [{
    Like upstream `linalg-fuse-elementwise-ops` (producer into consumer,
    single-use producers), but a producer is fused only when the consumer
    reads it through a map that uses every consumer loop. Fusing a bias add
    or a softmax division into a contraction would recompute it once per
    reduction step (`M*N*K` instead of `M*K` operations) and hide the
    contraction from the GEMM code generation; elementwise chains and
    elementwise producers of reductions over the same iteration space
    (`exp` into the softmax sum) still fuse.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::affine::AffineDialect",
                           "mlir::tensor::TensorDialect"];
}

def CPUTileAndVectorize : Pass<"attnc-cpu-tile-and-vectorize",
                               "mlir::func::FuncOp"> {
  let summary = "Tiles linalg ops on tensors for a CPU and vectorizes the tiles";
  let description = [{
    The CPU code generation of attnc, on linalg on tensors (before
    bufferization):

    * Contractions (`linalg.generic`/`linalg.matmul`/`batch_matmul` with one
      M, one N and one K loop and any number of batch loops; or two N loops
      when `attnc-pack-weights` packed the weight into panels) are tiled
      twice: a cache tile of `mc x nc` (batch loops by 1) in an
      `scf.forall` (the thread level, N tiles outside M tiles, so that
      OpenMP's static schedule splits the columns evenly rather than the
      rows, whose last tile is short), K blocks only where a `kc x nr`
      panel of B would exceed a quarter of `l2-cache-bytes` (equal blocks
      for a static K), then a register tile of `mr x nr x 1` in `scf.for`
      loops N, M, K.
      `nr` is two vector registers of lanes, `mr` the most rows that keep
      `2*mr` accumulators plus operands within `vector-registers` (at most
      8): 8x32 for AVX-512, 6x16 for AVX2, 8x8 for NEON. With packed
      weights the N register loop steps over panels. Rows past the last
      full register tile (all rows when M = 1, as in decode) are split off
      into their own op and tiled one row at a time, so they are vector
      code with the accumulator in registers too; with packed weights a
      row tile takes four panels, so that the decode GEMV has eight
      independent FMA chains instead of two (leftover panels are peeled).
      An input narrower than the accumulator (bf16 weights of
      `attnc-convert-weight-precision`) is read as a vector of its type and
      extended. Tile sizes are clamped to static dims.
    * A contraction's epilogue (the elementwise op that is the only user of
      its result, reading it and writing a tensor of the same type through
      identity maps: bias, GELU/SiLU/ReLU, residual add, as
      `attnc-fuse-elementwise` and `attnc-pack-weights` leave them) runs
      inside the contraction's thread tiles: each `mc x nc` tile of the
      result is updated in place by the epilogue, one vector at a time,
      right after the tile's GEMM, while it is in L1, instead of a second
      pass over the whole result (`fuse-epilogues`).
    * A contraction's zero-filled accumulator is filled inside its thread
      tiles (each thread zeroes the tile it accumulates into; the loop's
      destination is the fill's `tensor.empty`), not by a pass of its own;
      a fill shared by several contractions is split first (shared, the
      bufferization would copy the filled tensor into each accumulator).
    * Every other linalg op (elementwise, broadcast, transpose, reductions,
      fills) is tiled with an `scf.forall` over its outer parallel loops and
      its innermost loop by one vector (`vector-bits` / element bits).
    * The N (or innermost) `scf.for` loops are peeled so that full tiles
      have static shapes and vectorize without masks; remainder tiles
      (dynamic shapes: the last columns of an unpacked contraction with a
      dynamic N, e.g. attention scores) are left to
      `convert-linalg-to-loops` (masked vectorization of them is future
      work).
    * Tiles are vectorized (`linalg::vectorize`, contractions straight to
      `vector.contract`), the accumulator of the K loop is hoisted into
      registers (`hoistLoopInvariantSubsets`), and `math.exp`/`tanh`/... are
      replaced by polynomial approximations so they vectorize.

    Dynamic dims are supported everywhere (the same code serves any batch
    and sequence length). With `parallel=false` the thread level uses
    `scf.for` instead of `scf.forall`.
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"512",
           "Width of one vector register in bits (from the target)">,
    Option<"vectorRegisters", "vector-registers", "int64_t", /*default=*/"32",
           "Number of architectural vector registers (from the target)">,
    Option<"l2CacheBytes", "l2-cache-bytes", "int64_t", /*default=*/"1048576",
           "Size of one core's L2 cache (from the host; bounds the K blocks)">,
    Option<"parallel", "parallel", "bool", /*default=*/"true",
           "Emit scf.forall for the outer (thread-level) tiles">,
    Option<"approximateMath", "approximate-math", "bool", /*default=*/"true",
           "Replace math.exp and friends by polynomial approximations">,
    Option<"fuseEpilogues", "fuse-epilogues", "bool", /*default=*/"true",
           "Apply a contraction's elementwise epilogue inside its tiles">
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::affine::AffineDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::math::MathDialect"];
}

def LowerStridedCopies : Pass<"attnc-lower-strided-copies"> {
  let summary = "Turns memref.copy of non-contiguous views into linalg.copy";
  let description = [{
    Bufferization copies slices (e.g. of a fused QKV projection) with
    `memref.copy`. For non-identity layouts, MLIR lowers that to a call of
    `memrefCopy` from the MLIR C runner library, which a free-standing
    model `.so` does not have. As `linalg.copy` the copy becomes ordinary
    loops: vector loops on the CPU (attnc-vectorize-copies), a kernel on the
    GPU. Contiguous copies stay `memref.copy`, which lowers to
    `llvm.memcpy`.

    Before:
    ```mlir
    memref.copy %view, %buf : memref<?x8xf32, strided<[24, 1], offset: ?>> to memref<?x8xf32>
    ```
    After:
    ```mlir
    linalg.copy ins(%view : memref<?x8xf32, strided<[24, 1], offset: ?>>) outs(%buf : memref<?x8xf32>)
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

//===----------------------------------------------------------------------===//
// Graph fusion (attn dialect)
//===----------------------------------------------------------------------===//

def FuseAttention : Pass<"attnc-fuse-attention"> {
  let summary = "Forms attn.attention from the graphs exporters write";
  let description = [{
    Recognises scaled dot-product attention by what it computes: an
    `attn.softmax` over the last axis whose result is only the left operand
    of an `attn.matmul` (·V), and whose input is `Q·Kᵀ` (an `attn.matmul`)
    followed by any of, in this order of application:

    * a scale: `attn.mul`/`attn.div` by a scalar constant, on the scores or
      on `Q` before the product;
    * a boolean mask: `attn.where(cond, scores, c)` or
      `attn.where(cond, c, scores)` with a scalar constant `c` (any large
      negative value or `-inf`; it becomes `mask_fill`, and scales applied
      after the mask scale it too);
    * additive masks: `attn.add(scores, m)` (several are summed);
    * for rank-3 attention (`[B*H, T, D]`, as `nn.MultiheadAttention` and
      Marian export it) a reshape to `[B, H, Tq, Tk]` and back around the
      masks: the attention is then formed at rank 4, with reshapes of q, k,
      v and the result that canonicalization folds into their neighbours.

    `Kᵀ` may be any transpose: a transpose that swaps the last two dims is
    absorbed, any other gets a transpose that canonicalization composes
    with its producer. Every intermediate value must have no other use
    (e.g. returned attention probabilities block the fusion). The fused op
    carries a `FusedLoc` of all absorbed nodes (`attnc --fusion-report`).

    Before:
    ```mlir
    %kt = attn.transpose %k [0, 1, 3, 2] : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
    %s = attn.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
    %d = attn.div %s, %c4 : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
    %m = attn.add %d, %mask : (tensor<?x4x?x?xf32>, tensor<?x1x1x?xf32>) -> tensor<?x4x?x?xf32>
    %p = attn.softmax %m {axis = 3 : i64} : tensor<?x4x?x?xf32>
    %o = attn.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
    ```
    After:
    ```mlir
    %o = attn.attention %q, %k, %v bias %mask {scale = 2.500000e-01 : f32}
        : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x1x1x?xf32>) -> tensor<?x4x?x16xf32>
    ```
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

def FuseNormalization : Pass<"attnc-fuse-normalization"> {
  let summary = "Forms attn.layer_norm and attn.rms_norm from their decompositions";
  let description = [{
    Exporters before ONNX opset 17 write LayerNorm as
    `(x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) * gamma + beta`, and
    Llama-style models write RMSNorm as `x * rsqrt(mean(x^2) + eps) * w`.
    The patterns (anchored on the square root) match both over trailing
    axes, with `Pow(d, 2)` or `d * d`, `Div` by the root or `Mul` by its
    `Reciprocal` (or `1 / root`), and an optional elementwise scale (and,
    for LayerNorm, shift) whose shapes fit the normalized dims; without a
    scale they use a constant of ones.
  }];
}

def FuseActivations : Pass<"attnc-fuse-activations"> {
  let summary = "Forms attn.gelu and attn.silu from decomposed graphs, recognised numerically";
  let description = [{
    A GELU is found by what it computes, not by the shape of its graph:
    for each elementwise expression of one tensor `x` and scalar constants
    (interior values used only inside it), the pass evaluates the
    expression at sample points in double precision and compares it with
    the erf GELU and the tanh approximation. Every arrangement of the
    formula that exporters write (`x * 0.5 * (1 + erf(x / sqrt 2))`,
    `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))`, the
    `x * (1 + 0.044715 x^2)` "fast" form, ...) matches, and a near miss
    (a wrong constant) does not. The matched expression becomes one
    `attn.gelu` with the matching `approximate` mode. SiLU
    (`x * sigmoid(x)`, `x / (1 + exp(-x))`) becomes `attn.silu` the same
    way.
  }];
}

def FuseLinear : Pass<"attnc-fuse-linear"> {
  let summary = "Forms attn.linear: MatMul/Gemm with bias, activation and residual";
  let description = [{
    A `MatMul` of any input `[..., K]` by a constant `[K, N]` weight, or a
    `Gemm` (alpha 1, x not transposed) with a constant weight, becomes
    `attn.linear`, together with what directly follows it as the only
    user: a bias `Add` of a constant `[N]` vector (or Gemm's `C`), then an
    `attn.gelu`/`attn.silu`/`attn.relu`, then a residual `Add` of a tensor
    of the result's type. Runs after attnc-fuse-activations, so decomposed
    activations are already single ops.
  }];
}

def FusionReport : Pass<"attnc-fusion-report", "mlir::ModuleOp"> {
  let summary = "Prints the fused ops and the attention-like graphs left unfused";
  let description = [{
    Prints, to stdout, each fused op (`attn.attention`, `attn.layer_norm`,
    `attn.gelu`) with the ONNX nodes it absorbed (from its locations),
    totals per kind, and every softmax between two matmuls that did not
    become `attn.attention`, with the reason. The IR is not changed.
    `attnc --fusion-report` prints the same report.
  }];
}

//===----------------------------------------------------------------------===//
// CUDA target (--target=cuda)
//===----------------------------------------------------------------------===//

def GPUDeviceBuffers : Pass<"attnc-gpu-device-buffers", "mlir::ModuleOp"> {
  let summary = "Puts a bufferized model's tensors in GPU memory";
  let description = [{
    For the CUDA target every tensor buffer of the bufferized entry function
    `attnc_main` lives in device memory; only shape buffers (`index`
    elements, read by `memref.reshape` on the host) stay on the host.

    * `memref.alloc`/`memref.dealloc` of data become `gpu.alloc`/
      `gpu.dealloc` (the runtime serves them from the session's stream);
    * the model's arguments are host memory (docs/abi.md): each input is
      copied to a device buffer at entry, each output (arguments marked
      `attnc.output` by attnc-entry-abi) is computed in a device buffer and
      copied back before the return;
    * contiguous `memref.copy` becomes a device-to-device `gpu.memcpy`.

    Weights stay `memref.get_global`: the host code asks the runtime for
    their device copy (attnc-gpu-constants-to-device), uploaded once per
    loaded model.

    Before:
    ```mlir
    func.func @attnc_main(%in: memref<?x8xf32>, %out: memref<?x8xf32> {attnc.output}) -> i32 {
      %t = memref.alloc(%n) : memref<?x8xf32>
    ```
    After:
    ```mlir
      %din = gpu.alloc (%n) : memref<?x8xf32>
      gpu.memcpy %din, %in : memref<?x8xf32>, memref<?x8xf32>
      %t = gpu.alloc (%n) : memref<?x8xf32>
    ```
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

def GPURowReductions : Pass<"attnc-gpu-row-reductions", "mlir::func::FuncOp"> {
  let summary = "One warp per output element of a reduction, with shuffles";
  let description = [{
    CUDA target, on bufferized linalg after attnc-gpu-tile-contractions.
    Every `linalg.generic` with one reduction loop whose body ends in
    `combiner(out, x)` (`arith.addf`, `mulf`, `maximumf`, `minimumf`,
    `maxnumf`, `minnumf`, with the output block argument used only there)
    becomes one `gpu.launch` with a warp per output element ("row"): blocks
    of 32 x 8 threads, lane `l` folds elements `l, l + 32, ...` of its row
    (everything in the body but the combiner, evaluated per element) from
    the combiner's neutral element, five `gpu.shuffle xor` steps combine the
    32 lanes, and lane 0 combines the total with the output's initial value
    and stores it. The rows are the parallel loops, delinearized row-major;
    an empty launch is skipped.

    This is what LayerNorm's mean and variance, RMSNorm's sum of squares
    and other row reductions lower to: without it attnc-gpu-map-loops gives
    each row one thread that reads the whole row alone.

    Before:
    ```mlir
    linalg.generic {iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%x : memref<?x?x64xf32>) outs(%sum : memref<?x?xf32>) {
    ^bb0(%in: f32, %out: f32):
      %s = arith.addf %out, %in : f32
      linalg.yield %s : f32
    }
    ```
    After:
    ```mlir
    scf.if %non_empty {
      gpu.launch blocks(...) in (%g = %row_groups, ...)
                 threads(%lane, %warp, %z) in (%c32, %c8, %c1) {
        scf.if %row_inside {
          %p = scf.for %k = %lane to %c64 step %c32 iter_args(%a = %zero) ...
          // 5 x (gpu.shuffle xor + addf); lane 0: load, addf, store
        }
        gpu.terminator
      }
    }
    ```
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect"];
}

def GPUTileContractions : Pass<"attnc-gpu-tile-contractions",
                                "mlir::func::FuncOp"> {
  let summary = "Block-tiled, shared-memory GEMM kernels for contractions";
  let description = [{
    CUDA target, on bufferized linalg (before
    `convert-linalg-to-parallel-loops`). Every `linalg.generic` that is a
    contraction `C[b.., m, n] += A[b.., m, k] * B[b.., k, n]` (one reduction
    loop; the body `out + x * y`, where x and y may be `arith.extf` of fp16
    or bf16 weights; any transposition of the operands; batch loops shared
    by all three operands) becomes its own `gpu.launch`:

    * one block of 16 x 16 threads per `tile-m` x `tile-n` tile of C
      (grid x over columns, y over rows, z over the batch);
    * per K step of `tile-k`, all threads of the block copy the A and B
      tiles into shared memory (workgroup attributions, one padding column
      against bank conflicts), zero-filled outside the operands, with
      neighbouring threads reading neighbouring elements of each operand's
      innermost dimension (coalesced);
    * between two `gpu.barrier`s every thread accumulates its
      (tile-m / 16) x (tile-n / 16) elements of C in registers, reading
      each shared element once per row or column; the linalg body is cloned
      for each product, so the weights' extension and the accumulation type
      stay the op's own;
    * C is read as the initial accumulator (the op's `out + ...` semantics)
      and written once;
    * **epilogue**: when the op right after the contraction is element-wise
      and reads C (bias, GELU, residual add), and nothing else reads C
      later, its body runs on each finished accumulator (its other inputs
      loaded at the same element) and stores into its own output; the op is
      erased. Not when it would write a buffer the contraction reads.

    With fewer than `min-rows` rows (decode: one row per sequence) most of a
    row tile would idle and the weights, each read once, are the whole cost.
    An `scf.if` on the row count then runs a split-K launch instead: one
    block of 32 x 8 threads per row of C and group of columns, the K loop
    interleaved over the block's threads so that every warp reads 32
    neighbouring elements of B (lanes over columns for B[K, N], over K for
    a transposed B[N, K] such as a tied LM head), the partial sums added
    through shared memory by one thread per column. Empty launches are
    skipped; the linalg op is erased.

    Before:
    ```mlir
    linalg.generic {iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<?x64xf32>, memref<64x192xf32>)
        outs(%c : memref<?x192xf32>) { mulf, addf }
    ```
    After:
    ```mlir
    scf.if %many_rows {
      gpu.launch blocks(...) in (%gx = %col_tiles, %gy = %row_tiles, ...)
                 threads(...) in (%tx = %c16, %ty = %c16, ...)
                 workgroup(%ta : memref<16x33xf32, #gpu.address_space<workgroup>>,
                           %tb : memref<16x65xf32, #gpu.address_space<workgroup>>) {
        %acc = scf.for %step ... iter_args(...) {
          // stage A, B tiles; gpu.barrier; 16 x (rows x cols) products;
          // gpu.barrier
        }
        // store C
      }
    } else {
      scf.if %non_empty {
        gpu.launch blocks(...) in (%gx = %col_groups, %gy = %rows, ...)
                   threads(...) in (%lane = %c32, %warp = %c8, ...)
                   workgroup(%p : memref<8x32xf32, #gpu.address_space<workgroup>>) {
          // partial sum over k = warp, warp + 8, ...; store to %p;
          // gpu.barrier; warp 0 adds the 8 partials to C
        }
      }
    }
    ```
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"32",
           "Rows of C per thread block (a multiple of 16)">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"64",
           "Columns of C per thread block (a multiple of 16)">,
    Option<"tileK", "tile-k", "int64_t", /*default=*/"16",
           "Depth of the A and B tiles staged in shared memory per step">,
    Option<"minRows", "min-rows", "int64_t", /*default=*/"16",
           "Fewest rows of C for which the tiled kernel is used">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect"];
}

def GPUMapLoops : Pass<"attnc-gpu-map-loops", "mlir::func::FuncOp"> {
  let summary = "Turns the host's parallel loops into GPU kernel launches";
  let description = [{
    Runs after `convert-linalg-to-parallel-loops` on device buffers
    (attnc-gpu-device-buffers). Each outermost `scf.parallel` becomes one
    `gpu.launch` over its whole iteration space, linearized: thread
    `blockIdx.x * block-size + threadIdx.x` runs the iteration with that
    row-major index (the last loop varies fastest, so neighbouring threads
    touch neighbouring elements and global memory accesses coalesce). Any
    dynamic trip count is computed on the host, and a launch over an empty
    space is skipped. Loops nested inside (reductions) run in the thread.

    Host ops that still read or write device memory (scalar code of rank-0
    tensors, loops over reduction-only ops) are moved into a one-thread
    launch; their results must not be needed by the host, otherwise the
    pass fails with a diagnostic.

    Before:
    ```mlir
    scf.parallel (%i, %j) = (%c0, %c0) to (%m, %c8) step (%c1, %c1) { ... }
    ```
    After:
    ```mlir
    gpu.launch blocks(...) in (%g = %grid, ...) threads(...) in (%b = %c256, ...) {
      %gid = ...        // blockIdx.x * 256 + threadIdx.x
      scf.if %inside {  // %gid < %m * 8
        %i = ... %j = ...   // delinearized
        ...
      }
      gpu.terminator
    }
    ```
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block of the linearized launches">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect"];
}

def GPUKernelModule : Pass<"attnc-gpu-kernel-module", "mlir::ModuleOp"> {
  let summary = "Merges the outlined kernels into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` puts every kernel in a `gpu.module` of its own.
    One module per model means one PTX text, one `ptxas` run per GPU
    architecture and one fatbin for the runtime to load. The pass moves all
    kernels into the module `@attnc_kernels` and updates the
    `gpu.launch_func` references.

    Before:
    ```mlir
    gpu.launch_func @attnc_main_kernel::@attnc_main_kernel ...
    gpu.module @attnc_main_kernel { gpu.func @attnc_main_kernel(...) kernel }
    gpu.module @attnc_main_kernel_0 { gpu.func @attnc_main_kernel(...) kernel }
    ```
    After:
    ```mlir
    gpu.launch_func @attnc_kernels::@attnc_main_kernel ...
    gpu.module @attnc_kernels {
      gpu.func @attnc_main_kernel(...) kernel
      gpu.func @attnc_main_kernel_0(...) kernel
    }
    ```
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

def GPUFatbin : Pass<"attnc-gpu-fatbin", "mlir::ModuleOp"> {
  let summary = "Assembles the kernels' PTX into a fatbin for several GPUs";
  let description = [{
    Runs after `gpu-module-to-binary{format=isa}`, which leaves the PTX of
    each `gpu.module` (for the oldest requested architecture) in its
    `gpu.binary`. For every architecture in `archs` the pass runs the CUDA
    toolkit's `ptxas` (so every kernel is validated for every architecture
    at compile time), then `fatbinary` to combine the SASS images and the
    PTX (which newer GPUs compile on load) into one fatbin, which replaces
    the PTX object. The runtime loads it with `cuModuleLoadData`.

    The toolkit is `toolkit`, else `$ATTNC_CUDA_PATH`, `$CUDA_PATH`,
    `/usr/local/cuda`, else `ptxas`/`fatbinary` on the `PATH`; without them
    the pass fails with a message saying so.
  }];
  let options = [
    ListOption<"archs", "archs", "std::string",
               "GPU architectures to assemble for (sm_XY)">,
    Option<"toolkit", "toolkit", "std::string", /*default=*/"\"\"",
           "CUDA toolkit folder (with bin/ptxas and bin/fatbinary)">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

def GPUConstantsToDevice : Pass<"attnc-gpu-constants-to-device",
                                "mlir::ModuleOp"> {
  let summary = "Reads the weights' device copies in GPU host code";
  let description = [{
    Runs on the LLVM dialect of a CUDA model. The weights are global data in
    the `.so`, which kernels cannot read. Every address of a global data
    symbol taken by host code becomes a call of `__attnc_gpu_constant(host
    address, size in bytes)`, which returns the device copy: the runtime
    uploads each weight once per loaded model and keeps it
    (docs/abi.md).

    Before:
    ```mlir
    %w = llvm.mlir.addressof @__attnc_w0 : !llvm.ptr
    ```
    After:
    ```mlir
    %h = llvm.mlir.addressof @__attnc_w0 : !llvm.ptr
    %n = llvm.mlir.constant(2359296 : i64) : i64
    %w = llvm.call @__attnc_gpu_constant(%h, %n) : (!llvm.ptr, i64) -> !llvm.ptr
    ```
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def DemoteWeights : Pass<"attnc-demote-weights", "mlir::ModuleOp"> {
  let summary = "Stores f32 weights in a narrower float type";
  let description = [{
    `--precision=fp16` on the CUDA target: every f32 constant with at least
    `min-elements` elements that only linalg.generic ops read (as an input
    operand, or through `tensor.extract` in their bodies, e.g. an embedding
    gather) is rounded to `element-type` (round to nearest even) and the
    readers extend each element back to f32 (`arith.extf`) where they load
    it. The arithmetic and its accumulation stay f32; the weights take half
    the memory and half the bandwidth.

    Before:
    ```mlir
    %w = arith.constant dense_resource<w> : tensor<64x192xf32>
    %r = linalg.generic ... ins(%x, %w : tensor<?x64xf32>, tensor<64x192xf32>) ... {
    ^bb0(%a: f32, %b: f32, %acc: f32):
    ```
    After:
    ```mlir
    %w = arith.constant dense_resource<w.f16> : tensor<64x192xf16>
    %r = linalg.generic ... ins(%x, %w : tensor<?x64xf32>, tensor<64x192xf16>) ... {
    ^bb0(%a: f32, %b16: f16, %acc: f32):
      %b = arith.extf %b16 : f16 to f32
    ```
  }];
  let options = [
    Option<"elementType", "element-type", "std::string", /*default=*/"\"f16\"",
           "The storage type: f16 or bf16">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"4096",
           "Smaller constants stay f32">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def LowerAttentionFlash : Pass<"attnc-lower-attention-flash",
                               "mlir::ModuleOp"> {
  let summary = "Lowers attn.attention to a flash-attention loop nest";
  let description = [{
    Used by the CUDA target instead of the reference expansion of
    attn.attention (which materializes the `[..., Tq, Tk]` scores), and by
    the CPU target for short queries (decode: one new token against a long
    KV cache; see `max-query-rows`). Each
    query row is one iteration of an `scf.forall` over `[..., Tq]` (one GPU
    thread after attnc-gpu-map-loops); it walks the keys once with an online
    softmax: the running maximum `m`, the running sum `l` and the output
    accumulator (a `vector<Dv x f32>`, kept in registers) are rescaled by
    `exp(m_old - m_new)` whenever the maximum grows, so no score matrix is
    ever stored. Masks are read per score with numpy broadcasting;
    grouped-query attention reads key/value head `h / (H / Hkv)`. Needs
    static head sizes D and Dv.

    With `max-query-rows=N` (> 0) the loop nest runs only when the query
    length is at most N: a dynamic length is tested at run time by an
    `scf.if` whose other branch keeps the op (for attnc-cpu-flash-attention,
    whose register tiles over several rows are faster for long queries); a
    static length above N leaves the op as it is. The CPU pipeline uses N = 16:
    a decode step then reads each cached key and value once, with no
    transposed copy of the keys and no score matrix. A batch dim of size 1
    in K or V is broadcast; with no keys the output row is 0.

    With `split-keys=N` (> 0; the CPU pipeline uses 512 when it runs
    OpenMP) the keys may be split (split-K), decided at run time: into
    `ranges = min(ceil(Tk / N), ceil(2 * threads / rows))` ranges, `rows`
    being the `[..., Tq]` iterations of the plain nest and `threads` what
    `omp_get_max_threads()` returns (the pass declares it). With more than
    one range, one forall iteration per (row, range) walks `ceil(Tk /
    ranges)` keys and writes its `m`, `l` and accumulator to a `[..., Tq,
    ranges, Dv + 2]` partial, then a second forall per row merges them, each
    range weighted by `exp(m_range - max m)` (a range whose scores are all
    `-inf` weighs 0). A decode step over a long KV cache then spreads one
    head's keys over the threads when there are fewer than two heads (rows)
    per thread; with more heads, or short caches, the plain nest runs. Heads
    wider than 256 (Dv) always take the plain nest.

    Before:
    ```mlir
    %o = attn.attention %q, %k, %v keep %mask {scale = 0.125 : f32} : ...
    ```
    After (schematically):
    ```mlir
    %o = scf.forall (%b, %h, %i) in (%B, 12, %Tq) shared_outs(%out = %empty) {
      %qrow = vector.transfer_read %q[%b, %h, %i, %c0] : vector<64xf32>
      %m, %l, %acc = scf.for %j = %c0 to %Tk step %c1 iter_args(...) {
        %s = q·k[j] * scale, masked
        ... online softmax update ...
      }
      ... parallel_insert_slice (%acc / %l) into %out[%b, %h, %i, 0]
    }
    ```
  }];
  let options = [
    Option<"maxQueryRows", "max-query-rows", "int64_t", /*default=*/"0",
           "Lower only attention with at most this many query rows (0: "
           "every op); longer queries keep the op">,
    Option<"splitKeys", "split-keys", "int64_t", /*default=*/"0",
           "Split a key length above this into ranges of this many keys, "
           "each a parallel iteration, merged per row after (0: never)">
  ];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::func::FuncDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::math::MathDialect",
                           "mlir::arith::ArithDialect"];
}

def CPUFlashAttention : Pass<"attnc-cpu-flash-attention", "mlir::func::FuncOp"> {
  let summary = "Lowers attn.attention to a blocked flash-attention kernel "
                "for CPUs";
  let description = [{
    The CPU's kernel for attention with many query rows (prefill, encoders,
    ViT); attnc-lower-attention-flash takes the short queries first. No
    `[..., Tq, Tk]` score matrix is stored:

    * an `scf.forall` over `[batch..., ceil(Tq / R)]`: a tile of R query
      rows of one head per iteration (the last tile of a head is moved back
      to end at Tq, so it recomputes a few rows of the tile before it and
      writes the same values);
    * in it, an `scf.for` over blocks of `C * lanes` keys, carrying each
      row's running max `m`, running sum `l` and its `Dv` accumulators in
      registers (`vector<lanes x f32>` pieces);
    * per block, the scores `S = Q·Kᵀ` of the R rows as R x C vectors (keys
      along the lanes, read from a transposed copy of the keys, `[..., D,
      Tk]`, one query element broadcast per FMA), then the scale, the masks
      (read as vectors of a row's keys; the bool mask as i8, since vectors of
      i1 are bit-packed in memory), the online softmax (`exp` as a vector,
      later a polynomial), and `acc = acc * exp(m_old - m_new) + P·V`, one
      value row per key times each row's weight.

    Keys past Tk are weighted 0 (their value row reads are clamped to the
    last key). A block adds exactly nothing to the tile's rows when every
    key is masked by `keep_mask` and each row's running max is more than
    104 above `mask_fill` plus the block's largest bias (so every weight is
    `exp(< -104) = 0` in f32), or when every bias of the block is `-inf`:
    such blocks are skipped. That is the upper triangle of a causal mask,
    about half the work of a prefill, found at run time from the mask
    itself. A fully masked row is still computed (the expansion's uniform
    average of the values).

    R comes from the registers: `(vector-registers - 4) / (Dv / lanes + C)`,
    at most `max-rows` (AVX-512, Dv = 64, C = 2: 4 rows, 32-key blocks).
    Covers what attnc-lower-attention-flash covers (f32, static D and Dv,
    grouped-query attention, broadcast batch dims) when one row's
    accumulators and score vectors fit the registers (`Dv / lanes + C <=
    vector-registers - 4`: AVX-512 up to Dv = 416, AVX2 up to 80); Tq must
    be at least R
    (a dynamic Tq is tested at run time) and a mask's key dim static 1 or
    Tk (a dynamic one is tested); otherwise the op stays for the reference
    expansion.

    Before:
    ```mlir
    %o = attn.attention %q, %k, %v keep %causal {scale = 0.125 : f32} : ...
    ```
    After (schematically):
    ```mlir
    %kt = attn.transpose %k [0, 1, 3, 2] : ...
    %keep = attn.cast %causal : tensor<1x1x?x?xi1> -> tensor<1x1x?x?xi8>
    %o = scf.forall (%b, %h, %t) in (%B, 12, %tiles) shared_outs(%out = %e) {
      %i0 = min(%t * 4, %Tq - 4)
      %state = scf.for %blk = %c0 to %blocks step %c1 iter_args(...) {
        %keep_rows = vector.transfer_read %keep[...] : vector<16xi8>
        %r = scf.if %skip -> (...) { scf.yield %old_state }
             else { S (scf.for over D: vector.fma), softmax, P·V (vector.fma) }
      }
      ... parallel_insert_slice (acc / l) into %out[%b, %h, %i0, 0] [1, 1, 4, 64]
    }
    ```
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"512",
           "Width of a vector register in bits">,
    Option<"vectorRegisters", "vector-registers", "int64_t",
           /*default=*/"32", "Vector registers of the target">,
    Option<"keyVectors", "key-vectors", "int64_t", /*default=*/"2",
           "Vectors of keys per block (C)">,
    Option<"maxRows", "max-rows", "int64_t", /*default=*/"8",
           "Most query rows per tile">
  ];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::math::MathDialect",
                           "mlir::arith::ArithDialect"];
}

#endif // ATTNC_TRANSFORMS_PASSES_TD
