//===- AppendOutputs.h - The KV-cache append pattern ------------*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Shared by attnc-mark-append-outputs, which finds `present = concat(past,
// new)` results, and attnc-entry-abi, which checks the mark again before
// letting the runtime alias the two (docs/abi.md, `append` lines).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_TRANSFORMS_APPENDOUTPUTS_H
#define ATTNC_LIB_TRANSFORMS_APPENDOUTPUTS_H

#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace attnc {

/// Whether `concat` appends to `arg`: `arg` is its first operand, and
/// nothing else reads `arg` but dim queries, so once the input aliases the
/// output's first positions no op observes it being written.
inline bool appendsTo(mlir::tensor::ConcatOp concat, mlir::BlockArgument arg) {
  unsigned concatUses = 0;
  for (mlir::OpOperand &use : arg.getUses()) {
    mlir::Operation *user = use.getOwner();
    if (user == concat.getOperation() && use.getOperandNumber() == 0)
      ++concatUses;
    else if (!llvm::isa<mlir::tensor::DimOp>(user))
      return false;
  }
  return concatUses == 1;
}

} // namespace attnc

#endif // ATTNC_LIB_TRANSFORMS_APPENDOUTPUTS_H
