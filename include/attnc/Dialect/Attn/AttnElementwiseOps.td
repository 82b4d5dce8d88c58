//===- AttnElementwiseOps.td - elementwise ops ----------------------*- tablegen -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTN_ATTNELEMENTWISEOPS_TD
#define ATTNC_DIALECT_ATTN_ATTNELEMENTWISEOPS_TD

include "attnc/Dialect/Attn/AttnBase.td"
include "attnc/Dialect/Attn/AttnEnums.td"

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
  let hasFolder = 1;
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
    truncates toward zero. Integers are signed unless `is_unsigned` is set
    (ONNX `uint*` operands, which MLIR keeps as signless integers).

    ```mlir
    %q = attn.div %a, %b {is_unsigned} : (tensor<3xi8>, tensor<3xi8>) -> tensor<3xi8>
    ```
  }];
  let arguments = (ins Attn_Tensor:$lhs, Attn_Tensor:$rhs,
                       UnitAttr:$is_unsigned);
  let hasFolder = 1;
}

def Attn_PowOp : Attn_BinaryOp<"pow"> {
  let summary = "Elementwise power with numpy broadcasting";
  let description = [{
    `output = lhs ^ rhs` on floats (ONNX `Pow`; the importer converts
    integer operands). Constant exponents 0.5, 1, 2 and 3 lower to `sqrt`,
    a copy and one or two multiplications instead of `powf`.

    ```mlir
    %sq = attn.pow %x, %two : (tensor<?x768xf32>, tensor<f32>) -> tensor<?x768xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$lhs, Attn_FloatTensor:$rhs);
  let results = (outs Attn_FloatTensor:$output);
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Comparison and logic (bool results)
//===----------------------------------------------------------------------===//

def Attn_BoolTensor : RankedTensorOf<[I1]>;

def Attn_CompareOp : Attn_Op<"compare",
    [Pure, AllElementTypesMatch<["lhs", "rhs"]>, ResultsBroadcastableShape]> {
  let summary = "Elementwise comparison with numpy broadcasting";
  let description = [{
    `output = lhs <predicate> rhs` as a bool (`i1`) tensor: ONNX `Equal`
    (`eq`), `Less` (`lt`), `LessOrEqual` (`le`), `Greater` (`gt`) and
    `GreaterOrEqual` (`ge`). Floats compare ordered (any comparison with NaN
    is false); integers compare signed unless `is_unsigned` is set.

    ```mlir
    %m = attn.compare lt, %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
    ```
  }];
  let arguments = (ins Attn_ComparePredicateAttr:$predicate,
                       Attn_Tensor:$lhs, Attn_Tensor:$rhs,
                       UnitAttr:$is_unsigned);
  let results = (outs Attn_BoolTensor:$output);
  let assemblyFormat = [{
    $predicate `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::verify() {
      return verifyBroadcastResult(getOperation());
    }
  }];
}

class Attn_LogicalBinaryOp<string mnemonic, string onnxName>
    : Attn_BinaryOp<mnemonic, [Commutative]> {
  let summary = "Elementwise logical " # mnemonic # " of bool tensors";
  let description = [{
    ONNX `}] # onnxName # [{` on bool (`i1`) tensors with numpy broadcasting.
  }];
  let arguments = (ins Attn_BoolTensor:$lhs, Attn_BoolTensor:$rhs);
  let results = (outs Attn_BoolTensor:$output);
}

def Attn_AndOp : Attn_LogicalBinaryOp<"and", "And">;
def Attn_OrOp : Attn_LogicalBinaryOp<"or", "Or">;
def Attn_XorOp : Attn_LogicalBinaryOp<"xor", "Xor">;

def Attn_WhereOp : Attn_Op<"where",
    [Pure, AllElementTypesMatch<["lhs", "rhs", "output"]>,
     ResultsBroadcastableShape]> {
  let summary = "Elementwise select with numpy broadcasting of 3 operands";
  let description = [{
    `output = condition ? lhs : rhs` (ONNX `Where`); the three operands
    broadcast together like numpy.

    ```mlir
    %s = attn.where %mask, %scores, %neg : (tensor<1x1x?x?xi1>, tensor<?x12x?x?xf32>, tensor<f32>) -> tensor<?x12x?x?xf32>
    ```
  }];
  let arguments = (ins Attn_BoolTensor:$condition, Attn_Tensor:$lhs,
                       Attn_Tensor:$rhs);
  let results = (outs Attn_Tensor:$output);
  let assemblyFormat = [{
    $condition `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::verify() {
      return verifyBroadcastResult(getOperation());
    }
  }];
}

//===----------------------------------------------------------------------===//
// Element type conversion
//===----------------------------------------------------------------------===//

def Attn_CastOp : Attn_Op<"cast", [Pure, SameOperandsAndResultShape]> {
  let summary = "Converts the element type (ONNX Cast and CastLike)";
  let description = [{
    Converts every element to the result element type:

    * float to float rounds to nearest (f64 to f16/bf16 goes through f32);
    * integer to float and integer to wider integer read the input as
      unsigned when `input_unsigned` is set (ONNX `uint*`; `bool` inputs
      always read as 0/1), as signed otherwise;
    * float to integer truncates toward zero, to an unsigned integer when
      `output_unsigned` is set; out-of-range values are undefined, as in
      ONNX;
    * integer to narrower integer keeps the low bits;
    * anything to `bool` (`i1`) is `x != 0`.

    ```mlir
    %f = attn.cast %x {input_unsigned} : tensor<?x4xi8> -> tensor<?x4xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, UnitAttr:$input_unsigned,
                       UnitAttr:$output_unsigned);
  let results = (outs Attn_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise unary ops
//===----------------------------------------------------------------------===//

class Attn_UnaryOp<string mnemonic, Type tensorType, string formula,
                   string onnxName, list<Trait> traits = []>
    : Attn_Op<mnemonic, !listconcat(traits, [Pure,
        SameOperandsAndResultType])> {
  let summary = "Elementwise " # formula;
  let description = [{
    `output = }] # formula # [{` (ONNX `}] # onnxName # [{`).

    ```mlir
    %y = attn.}] # mnemonic # [{ %x : tensor<?x64xf32>
    ```
  }];
  let arguments = (ins tensorType:$input);
  let results = (outs tensorType:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Attn_SqrtOp : Attn_UnaryOp<"sqrt", Attn_FloatTensor, "sqrt(input)", "Sqrt"> {
  let hasFolder = 1;
}
def Attn_ReciprocalOp : Attn_UnaryOp<"reciprocal", Attn_FloatTensor,
                                     "1 / input", "Reciprocal"> {
  let hasFolder = 1;
}
def Attn_ExpOp : Attn_UnaryOp<"exp", Attn_FloatTensor, "exp(input)", "Exp"> {
  let hasFolder = 1;
}
def Attn_LogOp : Attn_UnaryOp<"log", Attn_FloatTensor, "log(input)", "Log"> {
  let hasFolder = 1;
}
def Attn_ErfOp : Attn_UnaryOp<"erf", Attn_FloatTensor, "erf(input)", "Erf"> {
  let hasFolder = 1;
}
def Attn_TanhOp : Attn_UnaryOp<"tanh", Attn_FloatTensor, "tanh(input)",
                               "Tanh"> {
  let hasFolder = 1;
}
def Attn_CosOp : Attn_UnaryOp<"cos", Attn_FloatTensor, "cos(input)", "Cos"> {
  let hasFolder = 1;
}
def Attn_SinOp : Attn_UnaryOp<"sin", Attn_FloatTensor, "sin(input)", "Sin"> {
  let hasFolder = 1;
}
def Attn_SigmoidOp : Attn_UnaryOp<"sigmoid", Attn_FloatTensor,
                                  "1 / (1 + exp(-input))", "Sigmoid"> {
  let hasFolder = 1;
}
// Integers are signed here; the importer maps Abs of uint* to its input.
def Attn_NegOp : Attn_UnaryOp<"neg", Attn_Tensor, "-input", "Neg"> {
  let hasFolder = 1;
}
def Attn_AbsOp : Attn_UnaryOp<"abs", Attn_Tensor, "|input|", "Abs">;
def Attn_ReluOp : Attn_UnaryOp<"relu", Attn_Tensor, "max(input, 0)", "Relu">;
def Attn_NotOp : Attn_UnaryOp<"not", Attn_BoolTensor, "!input", "Not">;

def Attn_SiluOp : Attn_Op<"silu", [Pure, SameOperandsAndResultType]> {
  let summary = "Sigmoid linear unit (swish)";
  let description = [{
    `output = input * sigmoid(input) = input / (1 + exp(-input))`. ONNX
    has no SiLU node before opset 24 (exporters write `Mul(x, Sigmoid(x))`);
    `attnc-fuse-activations` forms this op from such expressions (Marian's
    and Llama's MLPs).

    ```mlir
    %y = attn.silu %x : tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$input);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Attn_GeluOp : Attn_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "Gaussian error linear unit";
  let description = [{
    With `approximate = none` (the default, printed without the keyword):
    `output = 0.5 * x * (1 + erf(x / sqrt(2)))`; with `approximate = tanh`:
    `output = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))`.
    ONNX `Gelu` (opset 20) imports to it, and the fusion passes form it
    from the decomposed erf and tanh graphs that older exporters write.

    ```mlir
    %y = attn.gelu %x : tensor<?x3072xf32>
    %z = attn.gelu %x approximate = tanh : tensor<?x3072xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$input,
                       DefaultValuedAttr<Attn_GeluApproximationAttr,
                         "::attnc::attn::GeluApproximation::none">:$approximate);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = [{
    $input (`approximate` `=` $approximate^)? attr-dict `:` type($input)
  }];
}

#endif // ATTNC_DIALECT_ATTN_ATTNELEMENTWISEOPS_TD
