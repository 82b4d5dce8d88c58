//===- AttnNNOps.td - contractions and normalizations ---------------*- tablegen -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTN_ATTNNNOPS_TD
#define ATTNC_DIALECT_ATTN_ATTNNNOPS_TD

include "attnc/Dialect/Attn/AttnBase.td"
include "attnc/Dialect/Attn/AttnEnums.td"

//===----------------------------------------------------------------------===//
// attn.matmul
//===----------------------------------------------------------------------===//

def Attn_MatMulOp : Attn_Op<"matmul",
    [Pure, SameOperandsAndResultElementType]> {
  let summary = "Batched matrix product with broadcast batch dims";
  let description = [{
    ONNX `MatMul` for operands of rank 2 or more: `lhs` is `[..., M, K]`,
    `rhs` is `[..., K, N]` and the result is `[..., M, N]`, where the leading
    (batch) dims broadcast like numpy. Rank-1 operands are reshaped by the
    importer before they reach this op.

    ```mlir
    %s = attn.matmul %q, %kt : (tensor<?x?x64xf32>, tensor<?x64x?xf32>) -> tensor<?x?x?xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$lhs, Attn_Tensor:$rhs);
  let results = (outs Attn_Tensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.softmax
//===----------------------------------------------------------------------===//

def Attn_SoftmaxOp : Attn_Op<"softmax",
    [Pure, SameOperandsAndResultType]> {
  let summary = "Softmax along one axis";
  let description = [{
    `output = exp(input - max) / sum(exp(input - max))` along `axis`
    (ONNX `Softmax`, opset 13 semantics). `axis` is non-negative; the
    importer normalizes negative axes. A row that is all `-inf` gives NaN,
    as in ONNX Runtime.

    ```mlir
    %p = attn.softmax %s {axis = 2} : tensor<?x?x?xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.log_softmax
//===----------------------------------------------------------------------===//

def Attn_LogSoftmaxOp : Attn_Op<"log_softmax",
    [Pure, SameOperandsAndResultType]> {
  let summary = "Logarithm of softmax along one axis";
  let description = [{
    `output = (input - max) - log(sum(exp(input - max)))` along `axis`
    (ONNX `LogSoftmax`, opset 13 semantics; non-negative `axis`).

    ```mlir
    %p = attn.log_softmax %logits {axis = 1} : tensor<?x50257xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.layer_norm
//===----------------------------------------------------------------------===//

def Attn_LayerNormOp : Attn_Op<"layer_norm",
    [Pure,
     AllElementTypesMatch<["input", "scale", "output"]>]> {
  let summary = "Layer normalization over the trailing dims from `axis`";
  let description = [{
    ONNX `LayerNormalization` (opset 17), first output only: with the dims
    `axis..rank-1` as one group per leading index,
    `output = (x - mean) / sqrt(var + epsilon) * scale + bias`, where
    `var` is the biased variance. `scale` and `bias` (optional) broadcast
    to the normalized dims `input.shape[axis:]`. Mean and variance are
    computed in two passes in f32 (f64 for f64 inputs), whatever the input
    precision.

    ```mlir
    %y = attn.layer_norm %x, %gamma, %beta {axis = 2, epsilon = 1.0e-05 : f32}
        : (tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$input, Attn_FloatTensor:$scale,
                       Optional<Attn_FloatTensor>:$bias, I64Attr:$axis,
                       F32Attr:$epsilon);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.linear
//===----------------------------------------------------------------------===//

def Attn_LinearOp : Attn_Op<"linear",
    [Pure, AttrSizedOperandSegments, AllElementTypesMatch<["input", "weight", "output"]>]> {
  let summary = "Dense layer with a fused epilogue: act(x·W + b) + residual";
  let description = [{
    `output = activation(input · W + bias) + residual`, where `input` is
    `[..., K]` and `W` is `weight` (`[K, N]`), or its transpose when
    `transpose_weight` is set (`weight` is `[N, K]`, as `Gemm` with
    `transB` and `nn.Linear` store it). `bias` is `[N]`; `residual` has the
    result's type `[..., N]`. Both are optional; `activation` is one of
    `none`, `relu`, `gelu`, `gelu_tanh`, `silu`.

    `attnc-fuse-linear` forms it from `MatMul`/`Gemm` with a constant 2-D
    weight followed by a bias `Add`, an activation and a residual `Add`, so
    that the GEMM code generation can apply the epilogue to each output
    tile while it is in registers instead of in separate passes over
    memory.

    ```mlir
    %y = attn.linear %x, %w bias %b residual %r activation = gelu
        : (tensor<?x?x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<?x?x3072xf32>) -> tensor<?x?x3072xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$input, Attn_FloatTensor:$weight,
                       Optional<Attn_FloatTensor>:$bias,
                       Optional<Attn_FloatTensor>:$residual,
                       UnitAttr:$transpose_weight,
                       DefaultValuedAttr<Attn_ActivationAttr,
                         "::attnc::attn::Activation::none">:$activation);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? (`residual` $residual^)?
    (`activation` `=` $activation^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.rms_norm
//===----------------------------------------------------------------------===//

def Attn_RmsNormOp : Attn_Op<"rms_norm",
    [Pure, AllElementTypesMatch<["input", "scale", "output"]>]> {
  let summary = "Root-mean-square normalization over the trailing dims from `axis`";
  let description = [{
    `output = x / sqrt(mean(x^2) + epsilon) * scale`, the mean over the dims
    `axis..rank-1` (Llama-style RMSNorm; ONNX `RMSNormalization`, opset 23).
    `scale` broadcasts to the normalized dims. The sum of squares is
    accumulated in f32 (f64 for f64 inputs). `attnc-fuse-normalization`
    forms it from the decomposed graphs exporters write.

    ```mlir
    %y = attn.rms_norm %x, %w {axis = 2, epsilon = 1.0e-06 : f32}
        : (tensor<?x?x2048xf32>, tensor<2048xf32>) -> tensor<?x?x2048xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$input, Attn_FloatTensor:$scale,
                       I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.gemm
//===----------------------------------------------------------------------===//

def Attn_GemmOp : Attn_Op<"gemm",
    [Pure,
     AllElementTypesMatch<["a", "b", "output"]>]> {
  let summary = "General matrix multiply: alpha * op(a) * op(b) + beta * c";
  let description = [{
    ONNX `Gemm`: `a` and `b` are matrices, transposed first when `trans_a`
    / `trans_b` is set, so that `op(a)` is `[M, K]` and `op(b)` is `[K, N]`.
    The optional `c` broadcasts to `[M, N]` (numpy rules); without it the
    result is `alpha * op(a) * op(b)`.

    ```mlir
    %y = attn.gemm %x, %w, %b {trans_b, alpha = 1.0 : f32, beta = 1.0 : f32}
        : (tensor<?x512xf32>, tensor<256x512xf32>, tensor<256xf32>) -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$a, Attn_FloatTensor:$b,
                       Optional<Attn_FloatTensor>:$c,
                       DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                       DefaultValuedAttr<F32Attr, "1.0">:$beta,
                       UnitAttr:$trans_a, UnitAttr:$trans_b);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = [{
    $a `,` $b (`,` $c^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.attention
//===----------------------------------------------------------------------===//

def Attn_AttentionOp : Attn_Op<"attention",
    [Pure, AttrSizedOperandSegments,
     AllElementTypesMatch<["query", "key", "value", "output"]>]> {
  let summary = "Scaled dot-product attention with optional masks";
  let description = [{
    One op for the attention block of a transformer, formed by the
    `attnc-fuse-attention` pass from whatever graph the exporter wrote
    (QKᵀ in any transpose layout, scale as `Div`/`Mul` on the scores or on
    q, boolean and additive masks, softmax, ·V). With batch dims `...`
    (`[B, H]` for rank 4, `[N]` for rank 3):

    * `query` is `[..., Tq, D]`, `key` is `[..., Tk, D]`, `value` is
      `[..., Tk, Dv]` and the result is `[..., Tq, Dv]`;
    * rank 4 allows grouped-query attention: `key`/`value` have `Hkv`
      heads where `H % Hkv == 0`, and query head `h` reads kv head
      `h / (H / Hkv)`.

    The result is, row by row:

    ```
    s = scale * (query · keyᵀ)                        [..., Tq, Tk]
    s = keep_mask ? s : mask_fill                       (if `keep_mask`)
    s = s + bias_mask                                   (if `bias_mask`)
    output = softmax(s, last axis) · value
    ```

    `keep_mask` (bool, `true` keeps a score) and `bias_mask` (float,
    additive) broadcast to `[..., Tq, Tk]` with numpy rules. `mask_fill` is
    the value masked scores get (the exporter's constant, e.g. `-inf`,
    `-1e4` or the float minimum), so rows that are fully masked give the
    same numbers as the unfused graph. Causal masks reach the op as
    `keep_mask` (exporters slice them from a constant buffer or build them
    with Trilu).

    Its reference lowering (convert-attn-to-linalg) expands the op back into
    matmul, mask and softmax linalg ops, materializing the scores. The
    pipelines lower it to flash-attention loop nests with an online softmax
    before that: attnc-lower-attention-flash (CUDA; CPU decode steps) and
    attnc-cpu-flash-attention (CPU, longer queries); ops they do not cover
    (e.g. dynamic head sizes) keep the expansion.

    ```mlir
    %o = attn.attention %q, %k, %v keep %causal bias %pad
        {scale = 0.125 : f32, mask_fill = -3.40282347E+38 : f32}
        : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>,
           tensor<1x1x?x?xi1>, tensor<?x1x1x?xf32>) -> tensor<?x12x?x64xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$query, Attn_FloatTensor:$key,
                       Attn_FloatTensor:$value,
                       Optional<RankedTensorOf<[I1]>>:$keep_mask,
                       Optional<Attn_FloatTensor>:$bias_mask,
                       F32Attr:$scale,
                       DefaultValuedAttr<F32Attr, "-std::numeric_limits<float>::infinity()">:$mask_fill);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`keep` $keep_mask^)? (`bias` $bias_mask^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // ATTNC_DIALECT_ATTN_ATTNNNOPS_TD
