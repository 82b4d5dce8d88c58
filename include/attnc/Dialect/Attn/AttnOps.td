//===- AttnOps.td - attn dialect operations ----------------*- tablegen -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTN_ATTNOPS_TD
#define ATTNC_DIALECT_ATTN_ATTNOPS_TD

include "attnc/Dialect/Attn/AttnDialect.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpBase.td"

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

// Element types attnc computes with. Integers are signless; signedness of
// model inputs/outputs is kept in the entry's metadata.
def Attn_ElementType : AnyTypeOf<[AnyFloat, AnySignlessInteger]>;
def Attn_Tensor : RankedTensorOf<[Attn_ElementType]>;
def Attn_FloatTensor : RankedTensorOf<[AnyFloat]>;

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
// Elementwise binary ops
//===----------------------------------------------------------------------===//

class Attn_BinaryOp<string mnemonic, list<Trait> traits = []>
    : Attn_Op<mnemonic, !listconcat(traits, [Pure,
        SameOperandsAndResultElementType, ResultsBroadcastableShape])> {
  let arguments = (ins Attn_Tensor:$lhs, Attn_Tensor:$rhs);
  let results = (outs Attn_Tensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::verify() {
      return verifyBroadcastResult(getOperation());
    }
  }];
}

def Attn_AddOp : Attn_BinaryOp<"add", [Commutative]> {
  let summary = "Elementwise addition with numpy broadcasting";
  let description = [{
    `output = lhs + rhs`, broadcasting like ONNX `Add` (opset 7 and later):
    shapes are aligned from the right and a dim of size 1 stretches.
    Dynamic dims in both operands are assumed equal (the importer unifies
    their symbols and the runtime checks them).

    ```mlir
    %y = attn.add %b, %x : (tensor<32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
    ```
  }];
  let hasFolder = 1;
}

def Attn_SubOp : Attn_BinaryOp<"sub"> {
  let summary = "Elementwise subtraction with numpy broadcasting";
  let description = [{ `output = lhs - rhs`; broadcasting as in `attn.add`. }];
}

def Attn_MulOp : Attn_BinaryOp<"mul", [Commutative]> {
  let summary = "Elementwise multiplication with numpy broadcasting";
  let description = [{ `output = lhs * rhs`; broadcasting as in `attn.add`. }];
  let hasFolder = 1;
}

def Attn_DivOp : Attn_BinaryOp<"div"> {
  let summary = "Elementwise division with numpy broadcasting";
  let description = [{
    `output = lhs / rhs`; broadcasting as in `attn.add`. Integer division
    truncates toward zero (signed), like ONNX `Div` on signed integers.
  }];
  let hasFolder = 1;
}

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
  let assemblyFormat = [{
    $input $permutation attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
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

#endif // ATTNC_DIALECT_ATTN_ATTNOPS_TD
