//===- LowerAttentionFlash.cpp - attn.attention as online-softmax loops ---===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/AttnOps.h"
#include "attnc/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

#include <limits>

namespace attnc {
#define GEN_PASS_DEF_LOWERATTENTIONFLASH
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;
using namespace attnc;

namespace {

/// Indices into a mask broadcast (numpy rules, aligned on the right) to the
/// scores `[batch..., i, j]`: a size-1 mask dim is read at 0.
SmallVector<Value> maskIndices(OpBuilder &b, Location loc, Value mask,
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
      Value isOne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                          size, one);
      indices.push_back(arith::SelectOp::create(b, loc, isOne, zero, idx));
    } else {
      indices.push_back(idx);
    }
  }
  return indices;
}

struct LowerAttentionFlashPass
    : public attnc::impl::LowerAttentionFlashBase<LowerAttentionFlashPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<attn::AttentionOp> ops;
    getOperation().walk([&](attn::AttentionOp op) { ops.push_back(op); });
    // Ops this lowering does not cover keep the reference expansion.
    for (attn::AttentionOp op : ops)
      (void)lower(op);
  }

  LogicalResult lower(attn::AttentionOp op) {
    if (!supported(op))
      return failure();
    Value q = op.getQuery();
    auto qType = cast<RankedTensorType>(q.getType());
    int64_t rank = qType.getRank();
    int64_t tq = qType.getDimSize(rank - 2);
    OpBuilder b(op);
    if (maxQueryRows <= 0 || !ShapedType::isDynamic(tq)) {
      if (maxQueryRows > 0 && tq > maxQueryRows)
        return failure();
      op.replaceAllUsesWith(build(b, op));
      op.erase();
      return success();
    }
    // A dynamic query length: the loop nest only when it is short, the
    // op (its reference expansion) otherwise.
    Location loc = op.getLoc();
    Value rows = tensor::DimOp::create(b, loc, q, rank - 2);
    Value limit = arith::ConstantIndexOp::create(b, loc, maxQueryRows);
    Value isShort = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule,
                                          rows, limit);
    auto ifOp = scf::IfOp::create(b, loc, TypeRange{op.getType()}, isShort,
                                  /*withElseRegion=*/true);
    OpBuilder thenB = ifOp.getThenBodyBuilder();
    scf::YieldOp::create(thenB, loc, build(thenB, op));
    OpBuilder elseB = ifOp.getElseBodyBuilder();
    Operation *kept = elseB.clone(*op);
    scf::YieldOp::create(elseB, loc, kept->getResults());
    op.replaceAllUsesWith(ifOp.getResult(0));
    op.erase();
    return success();
  }

  /// Whether `build` covers the op: f32, rank >= 3, static head sizes, and
  /// a whole number of query heads per key/value head.
  static bool supported(attn::AttentionOp op) {
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
        kType.getDimSize(rank - 1) != d ||
        outType.getDimSize(rank - 1) != dv)
      return false;
    if (rank == 4 && qType.getDimSize(1) != kType.getDimSize(1)) {
      int64_t h = qType.getDimSize(1), hkv = kType.getDimSize(1);
      if (ShapedType::isDynamic(h) || ShapedType::isDynamic(hkv) ||
          h % hkv != 0)
        return false;
    }
    return true;
  }

  /// Builds the loop nest at `b`'s insertion point and returns its result.
  Value build(OpBuilder &b, attn::AttentionOp op) {
    Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
    auto qType = cast<RankedTensorType>(q.getType());
    auto kType = cast<RankedTensorType>(k.getType());
    auto vType = cast<RankedTensorType>(v.getType());
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t rank = qType.getRank();
    auto et = cast<FloatType>(qType.getElementType());
    int64_t d = qType.getDimSize(rank - 1), dv = vType.getDimSize(rank - 1);
    // Grouped-query attention (rank 4): kv head = h / group.
    int64_t group = 1;
    if (rank == 4 && qType.getDimSize(1) != kType.getDimSize(1))
      group = qType.getDimSize(1) / kType.getDimSize(1);

    Location loc = op.getLoc();
    auto cIdx = [&](int64_t x) {
      return arith::ConstantIndexOp::create(b, loc, x).getResult();
    };
    auto cF = [&](double x) {
      return arith::ConstantOp::create(b, loc, et, b.getFloatAttr(et, x))
          .getResult();
    };

    // The result is [batch..., Tq, Dv]: its dynamic sizes are the query's.
    SmallVector<Value> dynSizes;
    SmallVector<OpFoldResult> bounds;
    for (int64_t i = 0; i + 1 < rank; ++i) {
      OpFoldResult size = tensor::getMixedSize(b, loc, q, i);
      bounds.push_back(size);
      if (outType.isDynamicDim(i))
        dynSizes.push_back(getValueOrCreateConstantIndexOp(b, loc, size));
    }
    Value empty = tensor::EmptyOp::create(b, loc, outType.getShape(), et,
                                          dynSizes);
    Value tk = tensor::DimOp::create(b, loc, k, rank - 2);
    Value zero = cIdx(0), one = cIdx(1);
    Value fZero = cF(0.0), fOne = cF(1.0);
    Value negInf = cF(-std::numeric_limits<double>::infinity());
    Value scale = cF(op.getScale().convertToDouble());
    Value fill = cF(op.getMaskFill().convertToDouble());
    auto dVec = VectorType::get({d}, et), dvVec = VectorType::get({dv}, et);

    auto forall = scf::ForallOp::create(b, loc, bounds, ValueRange{empty},
                                        std::nullopt);
    Block *body = forall.getBody();
    b.setInsertionPoint(forall.getTerminator());
    SmallVector<Value> ivs(forall.getInductionVars());
    Value i = ivs.back();
    // Key/value indices: the same batch dims, head h / group.
    SmallVector<Value> kvBatch(ivs.begin(), ivs.end() - 1);
    if (group > 1)
      kvBatch[1] = arith::DivUIOp::create(b, loc, kvBatch[1], cIdx(group));
    // A batch dim of size 1 in K or V is broadcast: read it at 0.
    auto broadcastBatch = [&](RankedTensorType type) {
      SmallVector<Value> idx(kvBatch);
      for (int64_t d = 0; d + 2 < rank; ++d)
        if (type.getDimSize(d) == 1)
          idx[d] = zero;
      return idx;
    };
    SmallVector<Value> kBatch = broadcastBatch(kType);
    SmallVector<Value> vBatch = broadcastBatch(vType);

    auto rowIndices = [&](ArrayRef<Value> batch, Value row) {
      SmallVector<Value> idx(batch.begin(), batch.end());
      idx.push_back(row);
      idx.push_back(zero);
      return idx;
    };
    auto readRow = [&](OpBuilder &rb, Value t, VectorType type,
                       ArrayRef<Value> idx) {
      return vector::TransferReadOp::create(
                 rb, loc, type, t, idx, /*padding=*/std::nullopt,
                 ArrayRef<bool>{true})
          .getResult();
    };
    SmallVector<Value> qBatch(ivs.begin(), ivs.end() - 1);
    Value qRow = readRow(b, q, dVec, rowIndices(qBatch, i));
    Value acc0 = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(dvVec, b.getFloatAttr(et, 0.0)));

    auto loop = scf::ForOp::create(
        b, loc, zero, tk, one, ValueRange{negInf, fZero, acc0},
        [&](OpBuilder &lb, Location, Value j, ValueRange iter) {
          Value m = iter[0], l = iter[1], acc = iter[2];
          Value kRow = readRow(lb, k, dVec, rowIndices(kBatch, j));
          Value prod = arith::MulFOp::create(lb, loc, qRow, kRow);
          Value s = vector::ReductionOp::create(
              lb, loc, vector::CombiningKind::ADD, prod);
          s = arith::MulFOp::create(lb, loc, s, scale);
          SmallVector<Value> scoreIdx(qBatch.begin(), qBatch.end());
          scoreIdx.push_back(i);
          scoreIdx.push_back(j);
          if (Value keep = op.getKeepMask()) {
            Value bit = tensor::ExtractOp::create(
                lb, loc, keep, maskIndices(lb, loc, keep, scoreIdx));
            s = arith::SelectOp::create(lb, loc, bit, s, fill);
          }
          if (Value bias = op.getBiasMask()) {
            Value add = tensor::ExtractOp::create(
                lb, loc, bias, maskIndices(lb, loc, bias, scoreIdx));
            s = arith::AddFOp::create(lb, loc, s, add);
          }
          // Online softmax. While every score so far is -inf the maximum
          // stays -inf: keep the correction at 1 and the weight at 0
          // instead of computing exp(-inf - -inf).
          Value mNew = arith::MaximumFOp::create(lb, loc, m, s);
          Value allInf = arith::CmpFOp::create(
              lb, loc, arith::CmpFPredicate::OEQ, mNew, negInf);
          Value corr = math::ExpOp::create(
              lb, loc, arith::SubFOp::create(lb, loc, m, mNew));
          corr = arith::SelectOp::create(lb, loc, allInf, fOne, corr);
          Value p = math::ExpOp::create(
              lb, loc, arith::SubFOp::create(lb, loc, s, mNew));
          p = arith::SelectOp::create(lb, loc, allInf, fZero, p);
          Value lNew = arith::AddFOp::create(
              lb, loc, arith::MulFOp::create(lb, loc, l, corr), p);
          Value vRow = readRow(lb, v, dvVec, rowIndices(vBatch, j));
          Value corrV = vector::BroadcastOp::create(lb, loc, dvVec, corr);
          Value pV = vector::BroadcastOp::create(lb, loc, dvVec, p);
          Value accNew = vector::FMAOp::create(
              lb, loc, pV, vRow, arith::MulFOp::create(lb, loc, acc, corrV));
          scf::YieldOp::create(lb, loc, ValueRange{mNew, lNew, accNew});
        });
    Value l = loop.getResult(1), acc = loop.getResult(2);
    // No keys (Tk = 0): a zero row, as the expansion gives, not 0 / 0.
    Value noKeys =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, l, fZero);
    l = arith::SelectOp::create(b, loc, noKeys, fOne, l);
    Value lV = vector::BroadcastOp::create(b, loc, dvVec, l);
    Value result = arith::DivFOp::create(b, loc, acc, lV);

    // Written through a [1, ..., 1, Dv] slice of the shared output.
    SmallVector<int64_t> sliceShape(rank, 1);
    sliceShape.back() = dv;
    Value slice = tensor::EmptyOp::create(b, loc, sliceShape, et);
    SmallVector<Value> zeros(rank, zero);
    SmallVector<bool> inBounds = {true};
    AffineMap lastDim = AffineMap::get(
        rank, 0, {b.getAffineDimExpr(rank - 1)}, b.getContext());
    Value written =
        vector::TransferWriteOp::create(b, loc, result, slice, zeros,
                                        AffineMapAttr::get(lastDim),
                                        b.getBoolArrayAttr(inBounds))
            .getResult();
    SmallVector<OpFoldResult> offsets(ivs.begin(), ivs.end());
    offsets.push_back(b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes, strides(rank, b.getIndexAttr(1));
    for (int64_t s : sliceShape)
      sizes.push_back(b.getIndexAttr(s));
    b.setInsertionPointToEnd(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, written,
                                          body->getArguments().back(), offsets,
                                          sizes, strides);
    b.setInsertionPointAfter(forall);
    return forall.getResult(0);
  }
};

} // namespace
