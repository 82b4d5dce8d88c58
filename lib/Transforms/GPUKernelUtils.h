//===- GPUKernelUtils.h - Helpers of the hand-written GPU kernels -*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Shared by attnc-gpu-tile-contractions and attnc-gpu-row-reductions, which
// turn a linalg.generic on buffers into a gpu.launch of their own: loop
// sizes on the host, loop indices from block/thread ids, and the operand
// indices an indexing map gives for them.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_TRANSFORMS_GPUKERNELUTILS_H
#define ATTNC_LIB_TRANSFORMS_GPUKERNELUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/ADT/DenseMap.h"

namespace attnc {

/// Whether the body of `op` can be cloned into a kernel as it is and its
/// operands loaded there: every operand a memref, no `linalg.index` (which
/// needs its linalg parent).
inline bool isKernelCloneable(mlir::linalg::GenericOp op) {
  for (mlir::Value operand : op->getOperands())
    if (!llvm::isa<mlir::MemRefType>(operand.getType()))
      return false;
  return op.getRegion().front().getOps<mlir::linalg::IndexOp>().empty();
}

/// The trip count of every loop of `op`, computed on the host.
inline llvm::SmallVector<mlir::Value> loopSizes(mlir::OpBuilder &b,
                                                mlir::Location loc,
                                                mlir::linalg::GenericOp op) {
  llvm::SmallVector<mlir::Value> sizes;
  for (const mlir::Range &range :
       llvm::cast<mlir::linalg::LinalgOp>(op.getOperation())
           .createLoopRanges(b, loc))
    sizes.push_back(mlir::getValueOrCreateConstantIndexOp(b, loc, range.size));
  return sizes;
}

/// Sets `indices[loops[i]]` to the row-major delinearization of `linear`
/// over the loops `loops` with trip counts `sizes[loops[i]]` (the last loop
/// varies fastest).
inline void delinearize(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value linear, llvm::ArrayRef<unsigned> loops,
                        llvm::ArrayRef<mlir::Value> sizes,
                        llvm::DenseMap<unsigned, mlir::Value> &indices) {
  mlir::Value rest = linear;
  for (int i = static_cast<int>(loops.size()) - 1; i >= 0; --i) {
    mlir::Value size = sizes[loops[i]];
    indices[loops[i]] =
        i == 0 ? rest
               : mlir::arith::RemSIOp::create(b, loc, rest, size).getResult();
    if (i > 0)
      rest = mlir::arith::DivSIOp::create(b, loc, rest, size);
  }
}

/// The operand indices that `map` (a projected permutation) gives for the
/// loop indices `loops`.
inline llvm::SmallVector<mlir::Value>
mapIndices(mlir::AffineMap map,
           const llvm::DenseMap<unsigned, mlir::Value> &loops) {
  llvm::SmallVector<mlir::Value> indices;
  for (mlir::AffineExpr expr : map.getResults())
    indices.push_back(
        loops.lookup(llvm::cast<mlir::AffineDimExpr>(expr).getPosition()));
  return indices;
}

} // namespace attnc

#endif // ATTNC_LIB_TRANSFORMS_GPUKERNELUTILS_H
