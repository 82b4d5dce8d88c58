//===- CPUFlashAttention.cpp - Blocked flash attention for CPUs -----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// attn.attention as a flash-attention loop nest for long queries on CPUs:
// one scf.forall iteration per (batch..., tile of R query rows), a loop over
// blocks of C vectors of keys, and per block the scores S = Q·Kᵀ of the
// tile's rows as register tiles (keys along the vector lanes, read from a
// transposed copy of K), the online softmax in registers and P·V into
// accumulators that stay in registers across the key blocks. No score
// matrix is stored, and a block whose keys are masked for every row of the
// tile is skipped (a causal mask's upper triangle).
//
//===----------------------------------------------------------------------===//

#include "AttentionLoops.h"

#include "attnc/Dialect/Attn/AttnOps.h"
#include "attnc/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

#include <limits>

namespace attnc {
#define GEN_PASS_DEF_CPUFLASHATTENTION
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;
using namespace attnc;

namespace {

/// exp(x) is 0 in f32 below about -103.3 (and below -87.3 where the
/// polynomial approximation flushes subnormals): a key whose score is this
/// far below the row's running maximum adds exactly nothing.
constexpr double kNegligibleScoreGap = 104.0;

/// The register tiling of one attention op.
struct Tiling {
  int64_t lanes;      // f32 lanes of a vector register
  int64_t keyVectors; // C: a key block is C * lanes keys
  int64_t rows;       // R: query rows per tile
  // [offset, width) pieces of the value head size Dv, `lanes` wide but the
  // last.
  SmallVector<std::pair<int64_t, int64_t>> dvChunks;

  // The key loop's state per row: running max m, running sum l, the Dv
  // accumulators; flattened as [m x R, l x R, acc x R * chunks].
  int64_t mIndex(int64_t r) const { return r; }
  int64_t lIndex(int64_t r) const { return rows + r; }
  int64_t accIndex(int64_t r, int64_t c) const {
    return 2 * rows + r * dvChunks.size() + c;
  }
};

struct CPUFlashAttentionPass
    : public attnc::impl::CPUFlashAttentionBase<CPUFlashAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorBits < 32 || vectorBits % 32 != 0 || vectorRegisters < 8 ||
        keyVectors < 1 || keyVectors > 4 || maxRows < 1 || maxRows > 16) {
      getOperation().emitError(
          "attnc-cpu-flash-attention: vector-bits must be a positive "
          "multiple of 32, vector-registers >= 8, key-vectors in 1..4 and "
          "max-rows in 1..16");
      return signalPassFailure();
    }
    SmallVector<attn::AttentionOp> ops;
    getOperation().walk([&](attn::AttentionOp op) { ops.push_back(op); });
    // Ops this lowering does not cover keep the reference expansion.
    for (attn::AttentionOp op : ops)
      (void)lower(op);
  }

  Tiling plan(int64_t dv) const {
    Tiling t;
    t.lanes = vectorBits / 32;
    t.keyVectors = keyVectors;
    for (int64_t off = 0; off < dv; off += t.lanes)
      t.dvChunks.push_back({off, std::min(t.lanes, dv - off)});
    // Per row: the Dv accumulators and C score vectors; 4 registers for the
    // value row pieces and temporaries.
    int64_t perRow = t.dvChunks.size() + t.keyVectors;
    t.rows = std::clamp<int64_t>((vectorRegisters - 4) / perRow, 1, maxRows);
    return t;
  }

  /// A mask's last (key) dim: static 1 reads broadcast; otherwise it must
  /// be Tk, which a dynamic size is tested for at run time.
  static bool keysBroadcast(Value mask) {
    return mask &&
           cast<RankedTensorType>(mask.getType()).getShape().back() == 1;
  }

  LogicalResult lower(attn::AttentionOp op) {
    if (!attention::isLoopNestLowerable(op))
      return failure();
    // The masks are read as rows of keys: a scalar (rank-0) mask has none.
    for (Value mask : {op.getKeepMask(), op.getBiasMask()})
      if (mask && cast<RankedTensorType>(mask.getType()).getRank() == 0)
        return failure();
    auto qType = cast<RankedTensorType>(op.getQuery().getType());
    int64_t rank = qType.getRank();
    int64_t dv =
        cast<RankedTensorType>(op.getValue().getType()).getShape().back();
    Tiling tiling = plan(dv);
    // A value head wider than the registers (one-head 768-wide attention)
    // would spill its accumulators: the expansion's GEMMs serve it better.
    if (static_cast<int64_t>(tiling.dvChunks.size()) + tiling.keyVectors >
        vectorRegisters - 4)
      return failure();
    // The last tile of a head is moved back to end at Tq: it needs Tq >= R.
    int64_t tq = qType.getDimSize(rank - 2);
    if (!ShapedType::isDynamic(tq) && tq < tiling.rows)
      return failure();

    OpBuilder b(op);
    Location loc = op.getLoc();
    Value cond;
    auto both = [&](Value c) {
      cond = cond ? arith::AndIOp::create(b, loc, cond, c).getResult() : c;
    };
    if (ShapedType::isDynamic(tq)) {
      Value rows = tensor::DimOp::create(b, loc, op.getQuery(), rank - 2);
      both(arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::uge, rows,
          arith::ConstantIndexOp::create(b, loc, tiling.rows)));
    }
    Value tk = tensor::DimOp::create(b, loc, op.getKey(), rank - 2);
    for (Value mask : {op.getKeepMask(), op.getBiasMask()}) {
      if (!mask || keysBroadcast(mask))
        continue;
      auto type = cast<RankedTensorType>(mask.getType());
      if (!type.isDynamicDim(type.getRank() - 1))
        continue;
      Value size = tensor::DimOp::create(b, loc, mask, type.getRank() - 1);
      both(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, size, tk));
    }
    // Otherwise (too few rows, a mask broadcast along a dynamic key dim)
    // the op stays, for the reference expansion.
    attention::replaceWithLoopNest(
        b, op, cond, [&](OpBuilder &nb) { return build(nb, op, tiling); });
    return success();
  }

  /// Builds the loop nest at `b`'s insertion point and returns its result.
  Value build(OpBuilder &b, attn::AttentionOp op, const Tiling &tiling) {
    Location loc = op.getLoc();
    Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
    Value keep = op.getKeepMask(), bias = op.getBiasMask();
    auto qType = cast<RankedTensorType>(q.getType());
    auto kType = cast<RankedTensorType>(k.getType());
    auto vType = cast<RankedTensorType>(v.getType());
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t rank = qType.getRank();
    auto et = cast<FloatType>(qType.getElementType());
    int64_t dv = vType.getShape().back();
    int64_t lanes = tiling.lanes, numKeyVecs = tiling.keyVectors;
    int64_t rows = tiling.rows, blockKeys = numKeyVecs * lanes;
    int64_t numChunks = tiling.dvChunks.size();
    int64_t group = attention::headGroup(op);

    auto cIdx = [&](OpBuilder &ib, int64_t x) {
      return arith::ConstantIndexOp::create(ib, loc, x).getResult();
    };
    auto cF = [&](OpBuilder &ib, double x) {
      return arith::ConstantOp::create(ib, loc, et, ib.getFloatAttr(et, x))
          .getResult();
    };
    double inf = std::numeric_limits<double>::infinity();

    // Keys along the vector lanes: Kᵀ, [..., D, Tk].
    SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    std::swap(perm[rank - 1], perm[rank - 2]);
    Value kt = attn::TransposeOp::create(b, loc, k, perm);
    // Vectors of i1 are bit-packed in memory: the keep mask is read as i8.
    if (keep) {
      auto keepType = cast<RankedTensorType>(keep.getType());
      keep = attn::CastOp::create(b, loc, keepType.clone(b.getIntegerType(8)),
                                  keep);
    }

    SmallVector<Value> dynSizes;
    SmallVector<OpFoldResult> bounds =
        attention::leadingSizes(b, loc, q, rank - 2, outType, dynSizes);
    Value tq = tensor::DimOp::create(b, loc, q, rank - 2);
    if (outType.isDynamicDim(rank - 2))
      dynSizes.push_back(tq);
    Value tk = tensor::DimOp::create(b, loc, k, rank - 2);
    Value rowsC = cIdx(b, rows);
    bounds.push_back(arith::CeilDivUIOp::create(b, loc, tq, rowsC).getResult());
    Value empty =
        tensor::EmptyOp::create(b, loc, outType.getShape(), et, dynSizes);
    Value numBlocks =
        arith::CeilDivUIOp::create(b, loc, tk, cIdx(b, blockKeys));

    auto forall =
        scf::ForallOp::create(b, loc, bounds, ValueRange{empty}, std::nullopt);
    b.setInsertionPoint(forall.getTerminator());
    SmallVector<Value> ivs(forall.getInductionVars());
    SmallVector<Value> qBatch(ivs.begin(), ivs.end() - 1);
    SmallVector<Value> kBatch =
        attention::kvBatchIndices(b, loc, qBatch, group, kType);
    SmallVector<Value> vBatch =
        attention::kvBatchIndices(b, loc, qBatch, group, vType);
    // The last tile ends at Tq (it recomputes, and writes again with the
    // same values, rows of the tile before it; the block skips of the two
    // tiles may differ, which changes nothing while the values are finite).
    Value zero = cIdx(b, 0), one = cIdx(b, 1);
    Value i0 = arith::MinUIOp::create(
        b, loc, arith::MulIOp::create(b, loc, ivs.back(), rowsC),
        arith::SubIOp::create(b, loc, tq, rowsC));
    SmallVector<Value> rowIdx;
    for (int64_t r = 0; r < rows; ++r)
      rowIdx.push_back(arith::AddIOp::create(b, loc, i0, cIdx(b, r)));
    Value lastKey = arith::SubIOp::create(b, loc, tk, one);

    auto chunkType = [&](int64_t c) {
      return VectorType::get({tiling.dvChunks[c].second}, et);
    };
    // A row of a mask for `lanes` keys from `key0`: contiguous (padded
    // past Tk), or one element broadcast when the mask's key dim is 1.
    auto readMask = [&](OpBuilder &ib, Value mask, Value row, Value key0,
                        Value padding) {
      auto type = cast<RankedTensorType>(mask.getType());
      SmallVector<Value> idx = attention::maskIndices(
          ib, loc, mask, attention::indicesWith(qBatch, row, key0));
      auto vecType = VectorType::get({lanes}, type.getElementType());
      if (keysBroadcast(mask)) {
        AffineMap map = AffineMap::get(
            type.getRank(), 0, {ib.getAffineConstantExpr(0)}, ib.getContext());
        return vector::TransferReadOp::create(ib, loc, vecType, mask, idx,
                                              AffineMapAttr::get(map), padding,
                                              /*mask=*/Value(),
                                              ib.getBoolArrayAttr({true}))
            .getResult();
      }
      idx.back() = key0;
      return vector::TransferReadOp::create(ib, loc, vecType, mask, idx,
                                            padding, ArrayRef<bool>{false})
          .getResult();
    };

    // The state (Tiling::mIndex, lIndex, accIndex).
    SmallVector<Value> init;
    for (int64_t r = 0; r < rows; ++r)
      init.push_back(cF(b, -inf));
    for (int64_t r = 0; r < rows; ++r)
      init.push_back(cF(b, 0.0));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < numChunks; ++c)
        init.push_back(arith::ConstantOp::create(
            b, loc,
            DenseElementsAttr::get(chunkType(c), b.getFloatAttr(et, 0.0))));

    auto blockLoop = scf::ForOp::create(
        b, loc, zero, numBlocks, one, init,
        [&](OpBuilder &lb, Location, Value blk, ValueRange state) {
          Value kb = arith::MulIOp::create(lb, loc, blk, cIdx(lb, blockKeys));
          SmallVector<Value> keyStart, valid;
          for (int64_t c = 0; c < numKeyVecs; ++c) {
            Value start =
                arith::AddIOp::create(lb, loc, kb, cIdx(lb, c * lanes));
            keyStart.push_back(start);
            Value left = arith::SubIOp::create(lb, loc, tk, start);
            valid.push_back(vector::CreateMaskOp::create(
                lb, loc, VectorType::get({lanes}, lb.getI1Type()),
                ValueRange{left}));
          }
          // The masks of the tile's rows for this block.
          SmallVector<SmallVector<Value>> keepBits(rows), biasVals(rows);
          Value anyKept, maxBias;
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < numKeyVecs; ++c) {
              if (keep) {
                Value bytes =
                    readMask(lb, keep, rowIdx[r], keyStart[c],
                             arith::ConstantIntOp::create(lb, loc, 0, 8));
                Value bits = arith::CmpIOp::create(
                    lb, loc, arith::CmpIPredicate::ne, bytes,
                    arith::ConstantOp::create(
                        lb, loc,
                        DenseElementsAttr::get(
                            cast<ShapedType>(bytes.getType()),
                            lb.getIntegerAttr(lb.getIntegerType(8), 0))));
                keepBits[r].push_back(bits);
                anyKept = anyKept ? arith::OrIOp::create(lb, loc, anyKept, bits)
                                        .getResult()
                                  : bits;
              }
              if (bias) {
                Value vals =
                    readMask(lb, bias, rowIdx[r], keyStart[c], cF(lb, -inf));
                biasVals[r].push_back(vals);
                maxBias =
                    maxBias ? arith::MaximumFOp::create(lb, loc, maxBias, vals)
                                  .getResult()
                            : vals;
              }
            }
          // Skip the block when it adds exactly nothing to any row: every
          // key masked and the fill (plus the largest bias) far below each
          // row's running max, or every bias -inf.
          Value skip;
          Value biasMax;
          if (bias)
            biasMax = vector::ReductionOp::create(
                lb, loc, vector::CombiningKind::MAXIMUMF, maxBias);
          if (keep) {
            Value kept = vector::ReductionOp::create(
                lb, loc, vector::CombiningKind::OR, anyKept);
            Value none = arith::XOrIOp::create(
                lb, loc, kept, arith::ConstantIntOp::create(lb, loc, 1, 1));
            Value minM = state[tiling.mIndex(0)];
            for (int64_t r = 1; r < rows; ++r)
              minM = arith::MinimumFOp::create(lb, loc, minM,
                                               state[tiling.mIndex(r)]);
            Value bound = cF(lb, op.getMaskFill().convertToDouble() +
                                     kNegligibleScoreGap);
            if (bias)
              bound = arith::AddFOp::create(lb, loc, bound, biasMax);
            Value far = arith::CmpFOp::create(
                lb, loc, arith::CmpFPredicate::OGT, minM, bound);
            skip = arith::AndIOp::create(lb, loc, none, far);
          }
          if (bias) {
            Value allInf = arith::CmpFOp::create(
                lb, loc, arith::CmpFPredicate::OEQ, biasMax, cF(lb, -inf));
            skip = skip
                       ? arith::OrIOp::create(lb, loc, skip, allInf).getResult()
                       : allInf;
          }

          auto compute = [&](OpBuilder &cb) {
            return computeBlock(cb, op, tiling, state, q, kt, v, qBatch, kBatch,
                                vBatch, rowIdx, keyStart, valid, keepBits,
                                biasVals, kb, lastKey);
          };
          if (!skip) {
            scf::YieldOp::create(lb, loc, compute(lb));
            return;
          }
          auto ifOp = scf::IfOp::create(lb, loc, ValueRange(state).getTypes(),
                                        skip, /*withElseRegion=*/true);
          OpBuilder thenB = ifOp.getThenBodyBuilder();
          scf::YieldOp::create(thenB, loc, state);
          OpBuilder elseB = ifOp.getElseBodyBuilder();
          scf::YieldOp::create(elseB, loc, compute(elseB));
          scf::YieldOp::create(lb, loc, ifOp.getResults());
        });
    ValueRange final = blockLoop.getResults();

    // out = acc / l, written as one [1, ..., R, Dv] tile.
    SmallVector<attention::TilePiece> pieces;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < numChunks; ++c)
        pieces.push_back(
            {attention::normalizeRow(b, loc, final[tiling.accIndex(r, c)],
                                     final[tiling.lIndex(r)]),
             r, tiling.dvChunks[c].first});
    SmallVector<int64_t> tileShape(rank, 1);
    tileShape[rank - 2] = rows;
    tileShape[rank - 1] = dv;
    Value tile = attention::buildTile(b, loc, tileShape, pieces);
    SmallVector<OpFoldResult> offsets(qBatch.begin(), qBatch.end());
    offsets.push_back(i0);
    offsets.push_back(b.getIndexAttr(0));
    attention::insertTile(b, loc, forall, tile, offsets);
    return forall.getResult(0);
  }

  /// One key block for the tile's rows: scores, online softmax, P·V.
  /// Returns the new state (see `build`).
  SmallVector<Value>
  computeBlock(OpBuilder &b, attn::AttentionOp op, const Tiling &tiling,
               ValueRange state, Value q, Value kt, Value v,
               ArrayRef<Value> qBatch, ArrayRef<Value> kBatch,
               ArrayRef<Value> vBatch, ArrayRef<Value> rowIdx,
               ArrayRef<Value> keyStart, ArrayRef<Value> valid,
               ArrayRef<SmallVector<Value>> keepBits,
               ArrayRef<SmallVector<Value>> biasVals, Value kb, Value lastKey) {
    Location loc = op.getLoc();
    auto et = cast<FloatType>(cast<ShapedType>(q.getType()).getElementType());
    int64_t d = cast<ShapedType>(q.getType()).getShape().back();
    int64_t lanes = tiling.lanes, numKeyVecs = tiling.keyVectors;
    int64_t rows = tiling.rows, numChunks = tiling.dvChunks.size();
    double inf = std::numeric_limits<double>::infinity();
    auto keyVecType = VectorType::get({lanes}, et);
    auto cIdx = [&](int64_t x) {
      return arith::ConstantIndexOp::create(b, loc, x).getResult();
    };
    auto cF = [&](double x) {
      return arith::ConstantOp::create(b, loc, et, b.getFloatAttr(et, x))
          .getResult();
    };
    auto splatTo = [&](OpBuilder &ib, Value x, int64_t n) {
      return vector::BroadcastOp::create(ib, loc, VectorType::get({n}, et), x)
          .getResult();
    };
    auto withRow = attention::indicesWith;

    // S = Q·Kᵀ for R rows x C key vectors, accumulated over D.
    Value zeroVec = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(keyVecType, b.getFloatAttr(et, 0.0)));
    SmallVector<Value> sInit(rows * numKeyVecs, zeroVec);
    auto sLoop = scf::ForOp::create(
        b, loc, cIdx(0), cIdx(d), cIdx(1), sInit,
        [&](OpBuilder &ib, Location, Value dd, ValueRange acc) {
          SmallVector<Value> ktRows;
          Value pad =
              arith::ConstantOp::create(ib, loc, et, ib.getFloatAttr(et, 0.0));
          for (int64_t c = 0; c < numKeyVecs; ++c)
            ktRows.push_back(vector::TransferReadOp::create(
                ib, loc, keyVecType, kt, withRow(kBatch, dd, keyStart[c]), pad,
                ArrayRef<bool>{false}));
          SmallVector<Value> next;
          for (int64_t r = 0; r < rows; ++r) {
            Value qs = tensor::ExtractOp::create(
                ib, loc, q, withRow(qBatch, rowIdx[r], dd));
            Value qv = splatTo(ib, qs, lanes);
            for (int64_t c = 0; c < numKeyVecs; ++c)
              next.push_back(vector::FMAOp::create(ib, loc, qv, ktRows[c],
                                                   acc[r * numKeyVecs + c]));
          }
          scf::YieldOp::create(ib, loc, next);
        });

    Value scale = splatTo(b, cF(op.getScale().convertToDouble()), lanes);
    Value fill = splatTo(b, cF(op.getMaskFill().convertToDouble()), lanes);
    Value negInfVec = splatTo(b, cF(-inf), lanes);
    Value negInf = cF(-inf), fZero = cF(0.0);
    SmallVector<Value> mNew(rows), lNew(rows), accNew;
    SmallVector<SmallVector<Value>> p(rows);
    for (int64_t r = 0; r < rows; ++r) {
      SmallVector<Value> x;
      Value rowMax;
      for (int64_t c = 0; c < numKeyVecs; ++c) {
        Value s = arith::MulFOp::create(
            b, loc, sLoop.getResult(r * numKeyVecs + c), scale);
        if (!keepBits[r].empty())
          s = arith::SelectOp::create(b, loc, keepBits[r][c], s, fill);
        if (!biasVals[r].empty())
          s = arith::AddFOp::create(b, loc, s, biasVals[r][c]);
        // Keys past Tk weigh nothing, whatever the fill.
        s = arith::SelectOp::create(b, loc, valid[c], s, negInfVec);
        x.push_back(s);
        rowMax = rowMax
                     ? arith::MaximumFOp::create(b, loc, rowMax, s).getResult()
                     : s;
      }
      Value m = state[tiling.mIndex(r)];
      Value blockMax = vector::ReductionOp::create(
          b, loc, vector::CombiningKind::MAXIMUMF, rowMax);
      mNew[r] = arith::MaximumFOp::create(b, loc, m, blockMax);
      // While every score so far is -inf, subtract 0 instead of -inf: the
      // weights stay 0 instead of exp(-inf - -inf).
      Value allInf = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                           mNew[r], negInf);
      Value base = arith::SelectOp::create(b, loc, allInf, fZero, mNew[r]);
      Value corr =
          math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, m, base));
      Value baseVec = splatTo(b, base, lanes);
      Value sum;
      for (int64_t c = 0; c < numKeyVecs; ++c) {
        Value e = math::ExpOp::create(
            b, loc, arith::SubFOp::create(b, loc, x[c], baseVec));
        p[r].push_back(e);
        sum = sum ? arith::AddFOp::create(b, loc, sum, e).getResult() : e;
      }
      Value blockSum =
          vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, sum);
      lNew[r] = arith::AddFOp::create(
          b, loc, arith::MulFOp::create(b, loc, state[tiling.lIndex(r)], corr),
          blockSum);
      for (int64_t c = 0; c < numChunks; ++c) {
        int64_t width = tiling.dvChunks[c].second;
        accNew.push_back(arith::MulFOp::create(
            b, loc, state[tiling.accIndex(r, c)], splatTo(b, corr, width)));
      }
    }

    // acc += P·V: per key, its value row (clamped to the last key: past Tk
    // the weights are 0) times each row's weight.
    for (int64_t j = 0; j < numKeyVecs * lanes; ++j) {
      Value key = arith::MinUIOp::create(
          b, loc, arith::AddIOp::create(b, loc, kb, cIdx(j)), lastKey);
      SmallVector<Value> vRow;
      for (auto [offset, width] : tiling.dvChunks)
        vRow.push_back(vector::TransferReadOp::create(
            b, loc, VectorType::get({width}, et), v,
            withRow(vBatch, key, cIdx(offset)), /*padding=*/std::nullopt,
            ArrayRef<bool>{true}));
      for (int64_t r = 0; r < rows; ++r) {
        Value w = vector::ExtractOp::create(b, loc, p[r][j / lanes],
                                            ArrayRef<int64_t>{j % lanes});
        for (int64_t c = 0; c < numChunks; ++c) {
          Value &acc = accNew[r * numChunks + c];
          acc = vector::FMAOp::create(
              b, loc, splatTo(b, w, tiling.dvChunks[c].second), vRow[c], acc);
        }
      }
    }
    SmallVector<Value> next(mNew);
    next.append(lNew);
    next.append(accNew);
    return next;
  }
};

} // namespace
