//===- AttentionLoops.cpp - Shared pieces of the attention loop nests -----===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "AttentionLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace attnc;

bool attention::isLoopNestLowerable(attn::AttentionOp op) {
  auto qType = cast<RankedTensorType>(op.getQuery().getType());
  auto kType = cast<RankedTensorType>(op.getKey().getType());
  auto vType = cast<RankedTensorType>(op.getValue().getType());
  int64_t rank = qType.getRank();
  auto et = dyn_cast<FloatType>(qType.getElementType());
  if (!et || rank < 3 || !et.isF32())
    return false;
  int64_t d = qType.getDimSize(rank - 1), dv = vType.getDimSize(rank - 1);
  auto outType = cast<RankedTensorType>(op.getType());
  if (ShapedType::isDynamic(d) || ShapedType::isDynamic(dv) ||
      kType.getDimSize(rank - 1) != d || outType.getDimSize(rank - 1) != dv)
    return false;
  if (rank == 4 && qType.getDimSize(1) != kType.getDimSize(1)) {
    int64_t h = qType.getDimSize(1), hkv = kType.getDimSize(1);
    if (ShapedType::isDynamic(h) || ShapedType::isDynamic(hkv) || h % hkv != 0)
      return false;
  }
  return true;
}

int64_t attention::headGroup(attn::AttentionOp op) {
  auto qType = cast<RankedTensorType>(op.getQuery().getType());
  auto kType = cast<RankedTensorType>(op.getKey().getType());
  if (qType.getRank() == 4 && qType.getDimSize(1) != kType.getDimSize(1))
    return qType.getDimSize(1) / kType.getDimSize(1);
  return 1;
}

SmallVector<Value> attention::kvBatchIndices(OpBuilder &b, Location loc,
                                             ArrayRef<Value> queryBatch,
                                             int64_t group,
                                             RankedTensorType type) {
  SmallVector<Value> idx(queryBatch);
  if (group > 1)
    idx[1] = arith::DivUIOp::create(
        b, loc, idx[1], arith::ConstantIndexOp::create(b, loc, group));
  Value zero;
  for (int64_t d = 0, e = idx.size(); d < e; ++d) {
    if (type.getDimSize(d) != 1)
      continue;
    if (!zero)
      zero = arith::ConstantIndexOp::create(b, loc, 0);
    idx[d] = zero;
  }
  return idx;
}

SmallVector<Value> attention::maskIndices(OpBuilder &b, Location loc,
                                          Value mask,
                                          ArrayRef<Value> scoreIndices) {
  auto type = cast<RankedTensorType>(mask.getType());
  int64_t rank = type.getRank(), lead = scoreIndices.size() - rank;
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<Value> indices;
  for (int64_t d = 0; d < rank; ++d) {
    Value idx = scoreIndices[lead + d];
    if (type.getDimSize(d) == 1) {
      indices.push_back(zero);
    } else if (type.isDynamicDim(d)) {
      Value size = tensor::DimOp::create(b, loc, mask, d);
      Value isOne =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, size, one);
      indices.push_back(arith::SelectOp::create(b, loc, isOne, zero, idx));
    } else {
      indices.push_back(idx);
    }
  }
  return indices;
}

SmallVector<OpFoldResult>
attention::leadingSizes(OpBuilder &b, Location loc, Value query, int64_t n,
                        RankedTensorType outType,
                        SmallVectorImpl<Value> &dynSizes) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t i = 0; i < n; ++i) {
    OpFoldResult size = tensor::getMixedSize(b, loc, query, i);
    sizes.push_back(size);
    if (outType.isDynamicDim(i))
      dynSizes.push_back(getValueOrCreateConstantIndexOp(b, loc, size));
  }
  return sizes;
}

void attention::replaceWithLoopNest(OpBuilder &b, attn::AttentionOp op,
                                    Value cond,
                                    function_ref<Value(OpBuilder &)> build) {
  if (!cond) {
    op.replaceAllUsesWith(build(b));
    op.erase();
    return;
  }
  Location loc = op.getLoc();
  auto ifOp = scf::IfOp::create(b, loc, TypeRange{op.getType()}, cond,
                                /*withElseRegion=*/true);
  OpBuilder thenB = ifOp.getThenBodyBuilder();
  scf::YieldOp::create(thenB, loc, build(thenB));
  OpBuilder elseB = ifOp.getElseBodyBuilder();
  Operation *kept = elseB.clone(*op);
  scf::YieldOp::create(elseB, loc, kept->getResults());
  op.replaceAllUsesWith(ifOp.getResult(0));
  op.erase();
}

void attention::insertTile(OpBuilder &b, Location loc, scf::ForallOp forall,
                           Value tile, ArrayRef<OpFoldResult> offsets) {
  auto type = cast<RankedTensorType>(tile.getType());
  SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
  for (int64_t s : type.getShape())
    sizes.push_back(b.getIndexAttr(s));
  b.setInsertionPointToEnd(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, tile,
                                        forall.getBody()->getArguments().back(),
                                        offsets, sizes, strides);
  b.setInsertionPointAfter(forall);
}

SmallVector<Value> attention::indicesWith(ArrayRef<Value> lead, Value a,
                                          Value b) {
  SmallVector<Value> idx(lead);
  idx.push_back(a);
  idx.push_back(b);
  return idx;
}

Value attention::normalizeRow(OpBuilder &b, Location loc, Value acc, Value l) {
  auto type = cast<VectorType>(acc.getType());
  Type et = type.getElementType();
  Value fZero = arith::ConstantOp::create(b, loc, et, b.getFloatAttr(et, 0.0));
  Value fOne = arith::ConstantOp::create(b, loc, et, b.getFloatAttr(et, 1.0));
  Value noKeys =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, l, fZero);
  l = arith::SelectOp::create(b, loc, noKeys, fOne, l);
  return arith::DivFOp::create(b, loc, acc,
                               vector::BroadcastOp::create(b, loc, type, l));
}

Value attention::buildTile(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                           ArrayRef<TilePiece> pieces) {
  Type et = cast<VectorType>(pieces.front().vector.getType()).getElementType();
  int64_t rank = shape.size();
  Value tile = tensor::EmptyOp::create(b, loc, shape, et);
  SmallVector<Value> at(rank, arith::ConstantIndexOp::create(b, loc, 0));
  AffineMap lastDim =
      AffineMap::get(rank, 0, {b.getAffineDimExpr(rank - 1)}, b.getContext());
  for (const TilePiece &piece : pieces) {
    at[rank - 2] = arith::ConstantIndexOp::create(b, loc, piece.row);
    at[rank - 1] = arith::ConstantIndexOp::create(b, loc, piece.column);
    tile = vector::TransferWriteOp::create(b, loc, piece.vector, tile, at,
                                           AffineMapAttr::get(lastDim),
                                           b.getBoolArrayAttr({true}))
               .getResult();
  }
  return tile;
}
