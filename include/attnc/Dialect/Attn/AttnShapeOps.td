//===- AttnShapeOps.td - reshapes, broadcasts, gathers -----*- tablegen -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Ops whose result shape is computed rather than taken from an operand. They
// take the dynamic result dims as `index` operands, which the importer
// builds from its symbolic shapes (tensor.dim of graph inputs and
// affine.apply), so every lowering can size its destination. Pure data
// movement that upstream ops express exactly (slices, concatenation,
// splats) is imported as `tensor` dialect ops.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTN_ATTNSHAPEOPS_TD
#define ATTNC_DIALECT_ATTN_ATTNSHAPEOPS_TD

include "attnc/Dialect/Attn/AttnBase.td"

def Attn_ReshapeOp : Attn_Op<"reshape", [Pure]> {
  let summary = "Reshapes a tensor to a computed shape (row-major order kept)";
  let description = [{
    ONNX `Reshape`, `Flatten`, `Squeeze` and `Unsqueeze`. The result type
    gives the static dims; `dynamic_sizes` gives the dynamic ones, in order.

    ```mlir
    %h = attn.reshape %x [%b, %t] : tensor<?x?x768xf32> -> tensor<?x?x12x64xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, Variadic<Index>:$dynamic_sizes);
  let results = (outs Attn_Tensor:$output);
  let assemblyFormat = [{
    $input (`[` $dynamic_sizes^ `]`)? attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Attn_ExpandOp : Attn_Op<"expand", [Pure]> {
  let summary = "Broadcasts a tensor to a larger shape";
  let description = [{
    ONNX `Expand`: `input` is aligned to the right of the result and its
    size-1 dims stretch. Dynamic result dims come from `dynamic_sizes`.

    ```mlir
    %m = attn.expand %mask [%b, %t] : tensor<1x1x?xi1> -> tensor<?x12x?xi1>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, Variadic<Index>:$dynamic_sizes);
  let results = (outs Attn_Tensor:$output);
  let assemblyFormat = [{
    $input (`[` $dynamic_sizes^ `]`)? attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Attn_GatherOp : Attn_Op<"gather", [Pure]> {
  let summary = "Gathers slices of a tensor along one axis by index";
  let description = [{
    ONNX `Gather`: the result is `data` with dim `axis` replaced by the dims
    of `indices`. Negative indices count from the end. Out-of-range
    indices are clamped to the valid range so that a bad token id can
    never read outside the tensor.

    ```mlir
    %e = attn.gather %wte[%ids] {axis = 0 : i64} : (tensor<50257x768xf32>, tensor<?x?xi64>) -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$data,
                       RankedTensorOf<[AnySignlessInteger]>:$indices,
                       I64Attr:$axis);
  let results = (outs Attn_Tensor:$output);
  let assemblyFormat = [{
    $data `[` $indices `]` attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Attn_GatherElementsOp : Attn_Op<"gather_elements", [Pure]> {
  let summary = "Gathers single elements along one axis by index";
  let description = [{
    ONNX `GatherElements`: `indices` has the rank of `data` and the result
    has the shape of `indices`; `output[i0, .., ik, ..] = data[i0, ..,
    indices[i0, .., ik, ..], ..]` with `k = axis`. Negative indices count
    from the end; out-of-range indices are clamped, as in `attn.gather`.

    ```mlir
    %g = attn.gather_elements %x[%idx] {axis = 1 : i64} : (tensor<?x8xf32>, tensor<?x3xi64>) -> tensor<?x3xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$data,
                       RankedTensorOf<[AnySignlessInteger]>:$indices,
                       I64Attr:$axis);
  let results = (outs Attn_Tensor:$output);
  let assemblyFormat = [{
    $data `[` $indices `]` attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Attn_ScatterNDOp : Attn_Op<"scatter_nd", [Pure]> {
  let summary = "Writes slices of updates into a copy of data at n-d indices";
  let description = [{
    ONNX `ScatterND`. `indices` has shape `[i0, .., iq-1, k]` with `k` at
    most the rank of `data`; `updates` has shape `[i0, .., iq-1] ++
    data.shape[k:]`. The result is `data` with, for every index tuple
    `t = indices[i0, .., iq-1, :]`, the slice `output[t]` replaced by
    `updates[i0, .., iq-1]` (`reduction = none`) or combined with it
    (`add`, `mul`, `max`, `min`; `max`/`min` read integers as unsigned when
    `is_unsigned` is set). Tuples are applied in row-major order, so with
    duplicate indices the last update wins (ONNX leaves that undefined).
    Negative indices count from the end; out-of-range indices are clamped,
    as in `attn.gather`, so a bad index never writes outside the tensor.

    ```mlir
    %m = attn.scatter_nd none %mask[%idx], %upd : (tensor<?x1x?x?xf32>, tensor<?x1x?x?x4xi64>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
    ```
  }];
  let arguments = (ins Attn_ScatterReductionAttr:$reduction, Attn_Tensor:$data,
                       RankedTensorOf<[AnySignlessInteger]>:$indices,
                       Attn_Tensor:$updates, UnitAttr:$is_unsigned);
  let results = (outs Attn_Tensor:$output);
  let assemblyFormat = [{
    $reduction $data `[` $indices `]` `,` $updates attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Attn_RangeOp : Attn_Op<"range", [Pure]> {
  let summary = "A 1-D tensor start, start + delta, ... of a given length";
  let description = [{
    ONNX `Range` once the importer has computed the number of elements
    (`ceil((limit - start) / delta)`), which is the result's only dim.

    ```mlir
    %pos = attn.range %c0, %c1 [%t] : (tensor<i64>, tensor<i64>) -> tensor<?xi64>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnySignlessInteger, AnyFloat]>:$start,
                       RankedTensorOf<[AnySignlessInteger, AnyFloat]>:$delta,
                       Variadic<Index>:$dynamic_sizes);
  let results = (outs RankedTensorOf<[AnySignlessInteger, AnyFloat]>:$output);
  let assemblyFormat = [{
    $start `,` $delta (`[` $dynamic_sizes^ `]`)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // ATTNC_DIALECT_ATTN_ATTNSHAPEOPS_TD
