//===- Passes.td - attnc conversion passes -----------------*- tablegen -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CONVERSION_PASSES_TD
#define ATTNC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// AttnToLinalg
//===----------------------------------------------------------------------===//

def ConvertAttnToLinalg : Pass<"convert-attn-to-linalg"> {
  let summary = "Lowers attn ops to linalg, tensor and arith on tensors";
  let description = [{
    Each `attn` op becomes `linalg` ops on tensors with `tensor.empty`
    destinations whose dynamic sizes come from `tensor.dim` of the operands:

    * `attn.constant` -> `arith.constant`
    * `attn.add/sub/mul/div` -> `linalg.generic` (parallel); a size-1 operand
      dim that broadcasts is read through a constant-0 index
    * `attn.matmul` -> a `linalg.generic` contraction over `[batch..., m, n, k]`
      with a zero-filled accumulator (batch dims broadcast the same way)
    * `attn.transpose` -> `linalg.transpose`
    * `attn.softmax` -> max-reduce, `exp(x - max)`, sum-reduce and divide
      (`linalg.generic` each), the numerically stable form

    Before:
    ```mlir
    %0 = attn.add %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    ```
    After:
    ```mlir
    %d = tensor.dim %a, %c0 : tensor<?x4xf32>
    %e = tensor.empty(%d) : tensor<?x4xf32>
    %0 = linalg.generic {indexing_maps = [(d0, d1) -> (d0, d1), (d0, d1) -> (d1), ...]}
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::scf::SCFDialect"];
}

#endif // ATTNC_CONVERSION_PASSES_TD
