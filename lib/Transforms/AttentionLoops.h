//===- AttentionLoops.h - Shared pieces of the attention loop nests -------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// What attnc-lower-attention-flash (one query row per iteration) and
// attnc-cpu-flash-attention (blocks of rows and keys) share: which
// attn.attention ops a loop nest covers, and how key/value and mask
// indices follow from a query's batch indices.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_TRANSFORMS_ATTENTIONLOOPS_H
#define ATTNC_LIB_TRANSFORMS_ATTENTIONLOOPS_H

#include "attnc/Dialect/Attn/AttnOps.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace attnc {
namespace attention {

/// Whether a loop nest covers `op`: f32, rank >= 3, static head sizes, and
/// a whole number of query heads per key/value head.
bool isLoopNestLowerable(attn::AttentionOp op);

/// Query heads per key/value head (grouped-query attention), else 1.
int64_t headGroup(attn::AttentionOp op);

/// The batch indices of a key or value tensor of `type` for the query batch
/// indices `queryBatch`: head h / `group` (rank 4), and 0 on a batch dim of
/// size 1 (broadcast).
llvm::SmallVector<mlir::Value>
kvBatchIndices(mlir::OpBuilder &b, mlir::Location loc,
               mlir::ArrayRef<mlir::Value> queryBatch, int64_t group,
               mlir::RankedTensorType type);

/// Indices into a mask broadcast (numpy rules, aligned on the right) to the
/// scores `[batch..., i, j]`: a size-1 mask dim is read at 0.
llvm::SmallVector<mlir::Value>
maskIndices(mlir::OpBuilder &b, mlir::Location loc, mlir::Value mask,
            mlir::ArrayRef<mlir::Value> scoreIndices);

/// `lead` followed by `a` and `b`: the indices of a row element.
llvm::SmallVector<mlir::Value> indicesWith(mlir::ArrayRef<mlir::Value> lead,
                                           mlir::Value a, mlir::Value b);

/// acc / l (a vector over a scalar), with l = 0 (no keys) read as 1: a zero
/// row, as the expansion gives for Tk = 0, not 0 / 0.
mlir::Value normalizeRow(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value acc, mlir::Value l);

/// A vector written along the last dim of a tile at [0, ..., row, column].
struct TilePiece {
  mlir::Value vector;
  int64_t row, column;
};

/// A tensor of the static `shape` (rank >= 2) holding `pieces` (the rest
/// undefined).
mlir::Value buildTile(mlir::OpBuilder &b, mlir::Location loc,
                      llvm::ArrayRef<int64_t> shape,
                      llvm::ArrayRef<TilePiece> pieces);

/// The sizes of `query`'s dims [0, n) (loop bounds), appending to
/// `dynSizes` those an empty tensor of `outType` needs.
llvm::SmallVector<mlir::OpFoldResult>
leadingSizes(mlir::OpBuilder &b, mlir::Location loc, mlir::Value query,
             int64_t n, mlir::RankedTensorType outType,
             llvm::SmallVectorImpl<mlir::Value> &dynSizes);

/// Inserts `tile` (a static shape) into the shared output of `forall` at
/// `offsets`, from the forall's terminator; leaves `b` after the forall.
void insertTile(mlir::OpBuilder &b, mlir::Location loc,
                mlir::scf::ForallOp forall, mlir::Value tile,
                llvm::ArrayRef<mlir::OpFoldResult> offsets);

/// Replaces `op` by the result `build` makes at `b`'s insertion point; with
/// `cond`, by an scf.if whose then branch is the loop nest and whose else
/// branch keeps a clone of `op` (for another lowering).
void replaceWithLoopNest(
    mlir::OpBuilder &b, attn::AttentionOp op, mlir::Value cond,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &)> build);

} // namespace attention
} // namespace attnc

#endif // ATTNC_LIB_TRANSFORMS_ATTENTIONLOOPS_H
