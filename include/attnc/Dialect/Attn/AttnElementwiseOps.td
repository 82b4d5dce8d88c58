//===- AttnElementwiseOps.td - elementwise ops ----------------------*- tablegen -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTN_ATTNELEMENTWISEOPS_TD
#define ATTNC_DIALECT_ATTN_ATTNELEMENTWISEOPS_TD

include "attnc/Dialect/Attn/AttnBase.td"

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

#endif // ATTNC_DIALECT_ATTN_ATTNELEMENTWISEOPS_TD
