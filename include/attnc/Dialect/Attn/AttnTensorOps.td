//===- AttnTensorOps.td - constants and data movement ---------------*- tablegen -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTN_ATTNTENSOROPS_TD
#define ATTNC_DIALECT_ATTN_ATTNTENSOROPS_TD

include "attnc/Dialect/Attn/AttnBase.td"

//===----------------------------------------------------------------------===//
// attn.constant
//===----------------------------------------------------------------------===//

def Attn_ConstantOp : Attn_Op<"constant",
    [ConstantLike, Pure, InferTypeOpAdaptor]> {
  let summary = "A constant tensor: a weight, a bias or a small literal";
  let description = [{
    Holds the value of an ONNX initializer or `Constant` node. Large weights
    use `dense_resource` blobs so that they are not copied or printed
    element by element; small literals use `dense`. Lowering moves large
    weights out of the code into the `.so`'s weight blob.

    ```mlir
    %w = attn.constant dense_resource<wq> : tensor<32x32xf32>
    %s = attn.constant dense<5.656854> : tensor<f32>
    ```
  }];
  let arguments = (ins TypedAttrInterface:$value);
  let results = (outs Attn_Tensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.transpose
//===----------------------------------------------------------------------===//

def Attn_TransposeOp : Attn_Op<"transpose",
    [Pure, SameOperandsAndResultElementType]> {
  let summary = "Permutes the dims of a tensor";
  let description = [{
    `output` dim `i` is `input` dim `permutation[i]` (ONNX `Transpose`).

    ```mlir
    %kt = attn.transpose %k [0, 2, 1] : tensor<?x?x64xf32> -> tensor<?x64x?xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Attn_Tensor:$output);
  let builders = [
    // The result type follows from the input's and the permutation.
    OpBuilder<(ins "mlir::Value":$input,
                   "llvm::ArrayRef<int64_t>":$permutation)>
  ];
  let assemblyFormat = [{
    $input $permutation attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

#endif // ATTNC_DIALECT_ATTN_ATTNTENSOROPS_TD
