//===- LowerAttentionFlash.cpp - attn.attention as online-softmax loops ---===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "AttentionLoops.h"

#include "attnc/Dialect/Attn/AttnOps.h"
#include "attnc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
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

  /// The widest value head (Dv) that gets the split-K variant.
  static constexpr int64_t kMaxSplitHead = 256;
  /// OpenMP's thread count, which the split-K variant sizes its ranges by.
  static constexpr llvm::StringLiteral kThreadsFn = "omp_get_max_threads";

  void runOnOperation() override {
    SmallVector<attn::AttentionOp> ops;
    getOperation().walk([&](attn::AttentionOp op) { ops.push_back(op); });
    if (splitKeys > 0 && !ops.empty() &&
        !getOperation().lookupSymbol<func::FuncOp>(kThreadsFn)) {
      OpBuilder b = OpBuilder::atBlockBegin(getOperation().getBody());
      auto fn = func::FuncOp::create(b, getOperation().getLoc(), kThreadsFn,
                                     b.getFunctionType({}, {b.getI32Type()}));
      fn.setPrivate();
    }
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
  /// With `split-keys`, the keys are split when that gives the threads more
  /// work items: see buildSplit.
  Value build(OpBuilder &b, attn::AttentionOp op) {
    // Heads wider than kMaxSplitHead keep the plain nest: the partials'
    // index analysis made a one-head, 768-wide model compile 2.5x longer.
    auto vType = cast<RankedTensorType>(op.getValue().getType());
    if (splitKeys <= 0 || vType.getShape().back() > kMaxSplitHead)
      return buildRows(b, op);
    Location loc = op.getLoc();
    auto qType = cast<RankedTensorType>(op.getQuery().getType());
    int64_t rank = qType.getRank();
    auto cIdx = [&](int64_t x) {
      return arith::ConstantIndexOp::create(b, loc, x).getResult();
    };
    // ranges = min(ceil(Tk / split-keys), ceil(2 * threads / rows)), rows
    // being the [batch..., Tq] iterations of the plain nest: split only
    // when there are fewer than two rows per thread, never into ranges
    // shorter than split-keys.
    Value rows = cIdx(1);
    for (int64_t i = 0; i + 1 < rank; ++i)
      rows = arith::MulIOp::create(
          b, loc, rows, tensor::DimOp::create(b, loc, op.getQuery(), i));
    rows = arith::MaxUIOp::create(b, loc, rows, cIdx(1));
    Value threads =
        func::CallOp::create(b, loc, kThreadsFn, TypeRange{b.getI32Type()},
                             ValueRange{})
            .getResult(0);
    threads = arith::IndexCastOp::create(b, loc, b.getIndexType(), threads);
    Value byThreads = arith::CeilDivUIOp::create(
        b, loc, arith::MulIOp::create(b, loc, threads, cIdx(2)), rows);
    Value tk = tensor::DimOp::create(b, loc, op.getKey(), rank - 2);
    Value byKeys = arith::CeilDivUIOp::create(b, loc, tk, cIdx(splitKeys));
    Value ranges = arith::MinUIOp::create(b, loc, byThreads, byKeys);
    Value split = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt,
                                        ranges, cIdx(1));
    auto ifOp = scf::IfOp::create(b, loc, TypeRange{op.getType()}, split,
                                  /*withElseRegion=*/true);
    OpBuilder thenB = ifOp.getThenBodyBuilder();
    scf::YieldOp::create(thenB, loc, buildSplit(thenB, op, ranges));
    OpBuilder elseB = ifOp.getElseBodyBuilder();
    scf::YieldOp::create(elseB, loc, buildRows(elseB, op));
    return ifOp.getResult(0);
  }

  /// What both variants share: types, constants and the per-row key loop.
  struct Nest {
    Location loc;
    FloatType et;
    int64_t rank, d, dv, group;
    Value q, k, v, tk;
    RankedTensorType kType, vType, outType;
  };

  Nest nest(OpBuilder &b, attn::AttentionOp op) {
    Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
    auto qType = cast<RankedTensorType>(q.getType());
    auto vType = cast<RankedTensorType>(v.getType());
    int64_t rank = qType.getRank();
    Location loc = op.getLoc();
    return Nest{loc,
                cast<FloatType>(qType.getElementType()),
                rank,
                qType.getDimSize(rank - 1),
                vType.getDimSize(rank - 1),
                attention::headGroup(op),
                q,
                k,
                v,
                tensor::DimOp::create(b, loc, k, rank - 2),
                cast<RankedTensorType>(k.getType()),
                vType,
                cast<RankedTensorType>(op.getType())};
  }

  /// The online softmax of query row `i` (batch indices `qBatch`) over the
  /// keys [lo, hi): the running max m, sum l and the vector<Dv>
  /// accumulator.
  scf::ForOp rowLoop(OpBuilder &b, attn::AttentionOp op, const Nest &n,
                     ArrayRef<Value> qBatch, Value i, Value lo, Value hi) {
    Location loc = n.loc;
    FloatType et = n.et;
    auto cF = [&](double x) {
      return arith::ConstantOp::create(b, loc, et, b.getFloatAttr(et, x))
          .getResult();
    };
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value fZero = cF(0.0), fOne = cF(1.0);
    Value negInf = cF(-std::numeric_limits<double>::infinity());
    Value scale = cF(op.getScale().convertToDouble());
    Value fill = cF(op.getMaskFill().convertToDouble());
    auto dVec = VectorType::get({n.d}, et), dvVec = VectorType::get({n.dv}, et);
    SmallVector<Value> kBatch =
        attention::kvBatchIndices(b, loc, qBatch, n.group, n.kType);
    SmallVector<Value> vBatch =
        attention::kvBatchIndices(b, loc, qBatch, n.group, n.vType);

    auto rowIndices = [&](ArrayRef<Value> batch, Value row) {
      return attention::indicesWith(batch, row, zero);
    };
    auto readRow = [&](OpBuilder &rb, Value t, VectorType type,
                       ArrayRef<Value> idx) {
      return vector::TransferReadOp::create(rb, loc, type, t, idx,
                                            /*padding=*/std::nullopt,
                                            ArrayRef<bool>{true})
          .getResult();
    };
    Value qRow = readRow(b, n.q, dVec, rowIndices(qBatch, i));
    Value acc0 = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(dvVec, b.getFloatAttr(et, 0.0)));

    return scf::ForOp::create(
        b, loc, lo, hi, one, ValueRange{negInf, fZero, acc0},
        [&](OpBuilder &lb, Location, Value j, ValueRange iter) {
          Value m = iter[0], l = iter[1], acc = iter[2];
          Value kRow = readRow(lb, n.k, dVec, rowIndices(kBatch, j));
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
          Value vRow = readRow(lb, n.v, dvVec, rowIndices(vBatch, j));
          Value corrV = vector::BroadcastOp::create(lb, loc, dvVec, corr);
          Value pV = vector::BroadcastOp::create(lb, loc, dvVec, p);
          Value accNew = vector::FMAOp::create(
              lb, loc, pV, vRow, arith::MulFOp::create(lb, loc, acc, corrV));
          scf::YieldOp::create(lb, loc, ValueRange{mNew, lNew, accNew});
        });
  }

  /// Writes `pieces` (vectors, each at its column) into the forall's shared
  /// output at `offsets` (all but the last index), as a [1, ..., 1, width]
  /// slice; leaves `b` after the forall.
  static void insertRow(OpBuilder &b, Location loc, scf::ForallOp forall,
                        ArrayRef<attention::TilePiece> pieces, int64_t width,
                        ArrayRef<OpFoldResult> offsets) {
    SmallVector<int64_t> sliceShape(offsets.size() + 1, 1);
    sliceShape.back() = width;
    Value row = attention::buildTile(b, loc, sliceShape, pieces);
    SmallVector<OpFoldResult> at(offsets);
    at.push_back(b.getIndexAttr(0));
    attention::insertTile(b, loc, forall, row, at);
  }

  /// One forall iteration per query row, each walking all the keys.
  Value buildRows(OpBuilder &b, attn::AttentionOp op) {
    Nest n = nest(b, op);
    Location loc = n.loc;
    // The result is [batch..., Tq, Dv]: its dynamic sizes are the query's.
    SmallVector<Value> dynSizes;
    SmallVector<OpFoldResult> bounds =
        attention::leadingSizes(b, loc, n.q, n.rank - 1, n.outType, dynSizes);
    Value empty =
        tensor::EmptyOp::create(b, loc, n.outType.getShape(), n.et, dynSizes);
    auto forall =
        scf::ForallOp::create(b, loc, bounds, ValueRange{empty}, std::nullopt);
    b.setInsertionPoint(forall.getTerminator());
    SmallVector<Value> ivs(forall.getInductionVars());
    SmallVector<Value> qBatch(ivs.begin(), ivs.end() - 1);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    scf::ForOp loop = rowLoop(b, op, n, qBatch, ivs.back(), zero, n.tk);
    Value result =
        attention::normalizeRow(b, loc, loop.getResult(2), loop.getResult(1));
    insertRow(b, loc, forall, {{result, 0, 0}}, n.dv, getAsOpFoldResult(ivs));
    return forall.getResult(0);
  }

  /// Split-K: the keys in `ranges` ranges of ceil(Tk / ranges) keys, one
  /// forall iteration per (row, range) writing its m, l and accumulator to
  /// a [batch..., Tq, ranges, Dv + 2] partial; a second forall per row
  /// merges the ranges (each weighted by exp(m_range - max m)). A row's
  /// keys then run on several threads: decode with a long KV cache and
  /// fewer heads than threads.
  Value buildSplit(OpBuilder &b, attn::AttentionOp op, Value ranges) {
    Nest n = nest(b, op);
    Location loc = n.loc;
    FloatType et = n.et;
    Value chunk = arith::CeilDivUIOp::create(b, loc, n.tk, ranges);

    SmallVector<Value> dynSizes;
    SmallVector<OpFoldResult> bounds =
        attention::leadingSizes(b, loc, n.q, n.rank - 1, n.outType, dynSizes);
    SmallVector<int64_t> partialShape(n.outType.getShape());
    partialShape.back() = ShapedType::kDynamic;
    partialShape.push_back(n.dv + 2);
    SmallVector<Value> partialDyn(dynSizes);
    partialDyn.push_back(ranges);
    Value partial =
        tensor::EmptyOp::create(b, loc, partialShape, et, partialDyn);

    // 1. Each (row, range): the online softmax over its keys.
    SmallVector<OpFoldResult> splitBounds(bounds);
    splitBounds.push_back(ranges);
    auto split = scf::ForallOp::create(b, loc, splitBounds, ValueRange{partial},
                                       std::nullopt);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(split.getTerminator());
      SmallVector<Value> ivs(split.getInductionVars());
      Value r = ivs.back();
      SmallVector<Value> qBatch(ivs.begin(), ivs.end() - 2);
      Value lo = arith::MulIOp::create(b, loc, r, chunk);
      Value hi = arith::MinUIOp::create(
          b, loc, arith::AddIOp::create(b, loc, lo, chunk), n.tk);
      scf::ForOp loop = rowLoop(b, op, n, qBatch, ivs[ivs.size() - 2], lo, hi);
      // [acc..., m, l].
      Value ml = vector::FromElementsOp::create(
          b, loc, VectorType::get({2}, et),
          ValueRange{loop.getResult(0), loop.getResult(1)});
      insertRow(b, loc, split, {{loop.getResult(2), 0, 0}, {ml, 0, n.dv}},
                n.dv + 2, getAsOpFoldResult(ivs));
    }
    partial = split.getResult(0);

    // 2. Each row: merge its ranges.
    Value empty =
        tensor::EmptyOp::create(b, loc, n.outType.getShape(), et, dynSizes);
    auto merge =
        scf::ForallOp::create(b, loc, bounds, ValueRange{empty}, std::nullopt);
    b.setInsertionPoint(merge.getTerminator());
    SmallVector<Value> ivs(merge.getInductionVars());
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value cDv = arith::ConstantIndexOp::create(b, loc, n.dv);
    Value cDv1 = arith::ConstantIndexOp::create(b, loc, n.dv + 1);
    auto at = [&](Value r, Value col) {
      return attention::indicesWith(ivs, r, col);
    };
    Value negInf = arith::ConstantOp::create(
        b, loc, et,
        b.getFloatAttr(et, -std::numeric_limits<double>::infinity()));
    Value fZero =
        arith::ConstantOp::create(b, loc, et, b.getFloatAttr(et, 0.0));
    auto maxLoop = scf::ForOp::create(
        b, loc, zero, ranges, one, ValueRange{negInf},
        [&](OpBuilder &lb, Location, Value r, ValueRange iter) {
          Value m = tensor::ExtractOp::create(lb, loc, partial, at(r, cDv));
          scf::YieldOp::create(
              lb, loc,
              ValueRange{
                  arith::MaximumFOp::create(lb, loc, iter[0], m).getResult()});
        });
    Value mMax = maxLoop.getResult(0);
    auto dvVec = VectorType::get({n.dv}, et);
    Value acc0 = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(dvVec, b.getFloatAttr(et, 0.0)));
    auto sumLoop = scf::ForOp::create(
        b, loc, zero, ranges, one, ValueRange{fZero, acc0},
        [&](OpBuilder &lb, Location, Value r, ValueRange iter) {
          Value m = tensor::ExtractOp::create(lb, loc, partial, at(r, cDv));
          Value l = tensor::ExtractOp::create(lb, loc, partial, at(r, cDv1));
          Value acc = vector::TransferReadOp::create(
              lb, loc, dvVec, partial, at(r, zero), /*padding=*/std::nullopt,
              ArrayRef<bool>{true});
          // A range whose scores are all -inf weighs 0 (not exp(-inf -
          // -inf)).
          Value empty = arith::CmpFOp::create(
              lb, loc, arith::CmpFPredicate::OEQ, m, negInf);
          Value w = math::ExpOp::create(
              lb, loc, arith::SubFOp::create(lb, loc, m, mMax));
          w = arith::SelectOp::create(lb, loc, empty, fZero, w);
          Value lSum = arith::AddFOp::create(
              lb, loc, iter[0], arith::MulFOp::create(lb, loc, w, l));
          Value accSum = vector::FMAOp::create(
              lb, loc, vector::BroadcastOp::create(lb, loc, dvVec, w), acc,
              iter[1]);
          scf::YieldOp::create(lb, loc, ValueRange{lSum, accSum});
        });
    Value result = attention::normalizeRow(b, loc, sumLoop.getResult(1),
                                           sumLoop.getResult(0));
    insertRow(b, loc, merge, {{result, 0, 0}}, n.dv, getAsOpFoldResult(ivs));
    return merge.getResult(0);
  }
};

} // namespace
