//===- AttnNNOps.td - contractions and normalizations ---------------*- tablegen -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTN_ATTNNNOPS_TD
#define ATTNC_DIALECT_ATTN_ATTNNNOPS_TD

include "attnc/Dialect/Attn/AttnBase.td"

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

#endif // ATTNC_DIALECT_ATTN_ATTNNNOPS_TD
