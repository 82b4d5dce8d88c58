//===- LowerAttentionFlash.cpp - attn.attention as online-softmax loops ---===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "AttentionLoops.h"

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
    if (!attention::isLoopNestLowerable(op))
      return failure();
    Value q = op.getQuery();
    auto qType = cast<RankedTensorType>(q.getType());
    int64_t rank = qType.getRank();
    int64_t tq = qType.getDimSize(rank - 2);
    if (maxQueryRows > 0 && !ShapedType::isDynamic(tq) && tq > maxQueryRows)
      return failure();
    OpBuilder b(op);
    // A dynamic query length: the loop nest only when it is short, the
    // op (for the longer queries' lowering) otherwise.
    Value isShort;
    if (maxQueryRows > 0 && ShapedType::isDynamic(tq)) {
      Location loc = op.getLoc();
      Value rows = tensor::DimOp::create(b, loc, q, rank - 2);
      Value limit = arith::ConstantIndexOp::create(b, loc, maxQueryRows);
      isShort =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, rows, limit);
    }
    attention::replaceWithLoopNest(
        b, op, isShort, [&](OpBuilder &nb) { return build(nb, op); });
    return success();
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
    int64_t group = attention::headGroup(op);

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
    SmallVector<OpFoldResult> bounds =
        attention::leadingSizes(b, loc, q, rank - 1, outType, dynSizes);
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
    SmallVector<Value> qBatch(ivs.begin(), ivs.end() - 1);
    SmallVector<Value> kBatch =
        attention::kvBatchIndices(b, loc, qBatch, group, kType);
    SmallVector<Value> vBatch =
        attention::kvBatchIndices(b, loc, qBatch, group, vType);

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
                lb, loc, keep, attention::maskIndices(lb, loc, keep, scoreIdx));
            s = arith::SelectOp::create(lb, loc, bit, s, fill);
          }
          if (Value bias = op.getBiasMask()) {
            Value add = tensor::ExtractOp::create(
                lb, loc, bias, attention::maskIndices(lb, loc, bias, scoreIdx));
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
