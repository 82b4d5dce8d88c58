//===- AttnReductionOps.td - reductions ----------------------*- tablegen -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTN_ATTNREDUCTIONOPS_TD
#define ATTNC_DIALECT_ATTN_ATTNREDUCTIONOPS_TD

include "attnc/Dialect/Attn/AttnBase.td"
include "attnc/Dialect/Attn/AttnEnums.td"

//===----------------------------------------------------------------------===//
// attn.reduce
//===----------------------------------------------------------------------===//

def Attn_ReduceOp : Attn_Op<"reduce", [Pure, SameOperandsAndResultElementType]> {
  let summary = "Reduces a tensor over some axes (sum, mean or max)";
  let description = [{
    ONNX `ReduceSum`, `ReduceMean` and `ReduceMax`. One op with a `kind`
    rather than one op per ONNX reduction: the axes, the result shape, the
    verifier and the lowering are the same for all kinds, which only differ
    in the initial value, the combiner and (for `mean`) the final division.
    Fusion patterns match `attn.reduce` once and read the kind.

    `axes` are sorted, unique and non-negative and never empty: the importer
    resolves ONNX's negative axes, its "empty axes means all axes" rule and
    `noop_with_empty_axes` (an identity) before building the op. With
    `keepdims` the reduced dims stay as size 1, otherwise they are dropped.
    `mean` divides by the number of reduced elements (integer division for
    integers); `max` and integer `mean` read integers as unsigned when
    `is_unsigned` is set. Floats accumulate in their own type.

    ```mlir
    %m = attn.reduce mean %x [2] keepdims : tensor<?x?x768xf32> -> tensor<?x?x1xf32>
    %s = attn.reduce sum %x [0, 1] : tensor<2x3x4xf32> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Attn_ReduceKindAttr:$kind, Attn_Tensor:$input,
                       DenseI64ArrayAttr:$axes, UnitAttr:$keepdims,
                       UnitAttr:$is_unsigned);
  let results = (outs Attn_Tensor:$output);
  let assemblyFormat = [{
    $kind $input $axes (`keepdims` $keepdims^)? attr-dict `:` type($input)
    `->` type($output)
  }];
  let hasVerifier = 1;
}

#endif // ATTNC_DIALECT_ATTN_ATTNREDUCTIONOPS_TD
