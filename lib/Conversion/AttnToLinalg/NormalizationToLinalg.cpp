//===- NormalizationToLinalg.cpp - Softmax and normalizations ---------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "attnc/Dialect/Attn/AttnOps.h"

using namespace mlir;
using namespace attnc;
using namespace attnc::lowering;

namespace {

/// Softmax as four linalg.generic ops: max, exp(x - max), sum, divide.
/// The -inf that max reductions start from.
Value negativeInfinity(OpBuilder &b, Location loc, FloatType type) {
  return arith::ConstantOp::create(
      b, loc, type,
      b.getFloatAttr(type, APFloat::getInf(type.getFloatSemantics(),
                                           /*Negative=*/true)));
}

/// Softmax as max, exp(x - max), sum and divide (buildReduction for the two
/// reductions, a parallel linalg.generic for the others).
struct SoftmaxLowering : public OpConversionPattern<attn::SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    auto elementType = cast<FloatType>(type.getElementType());
    int64_t rank = type.getRank(), axis = op.getAxis();

    SmallVector<std::pair<Value, int64_t>> fullSources;
    SmallVector<AffineExpr> reducedExprs;
    for (int64_t i = 0; i < rank; ++i) {
      fullSources.push_back({input, i});
      if (i != axis)
        reducedExprs.push_back(getAffineDimExpr(i, ctx));
    }
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap reducedMap = AffineMap::get(rank, 0, reducedExprs, ctx);
    SmallVector<utils::IteratorType> parallelIters(
        rank, utils::IteratorType::parallel);
    // A parallel generic over the full shape reading (x, a per-row value).
    auto rowwise = [&](Value x, Value row,
                       function_ref<Value(OpBuilder &, Location, Value, Value)>
                           body) {
      Value empty = createEmpty(rewriter, loc, type, fullSources);
      return linalg::GenericOp::create(
                 rewriter, loc, type, ValueRange{x, row}, ValueRange{empty},
                 SmallVector<AffineMap>{identity, reducedMap, identity},
                 parallelIters,
                 [&](OpBuilder &b, Location l, ValueRange args) {
                   linalg::YieldOp::create(b, l, body(b, l, args[0], args[1]));
                 })
          .getResult(0);
    };

    Value max = buildReduction(
        rewriter, loc, input, {axis}, elementType,
        negativeInfinity(rewriter, loc, elementType),
        [](OpBuilder &b, Location l, Value x, Value acc) -> Value {
          return arith::MaximumFOp::create(b, l, x, acc);
        });
    Value exps = rowwise(input, max, [](OpBuilder &b, Location l, Value x,
                                        Value m) -> Value {
      return math::ExpOp::create(b, l, arith::SubFOp::create(b, l, x, m));
    });
    Value sum = buildReduction(
        rewriter, loc, exps, {axis}, elementType,
        zeroOf(rewriter, loc, elementType),
        [](OpBuilder &b, Location l, Value x, Value acc) -> Value {
          return arith::AddFOp::create(b, l, x, acc);
        });
    Value result = rowwise(exps, sum, [](OpBuilder &b, Location l, Value e,
                                         Value s) -> Value {
      return arith::DivFOp::create(b, l, e, s);
    });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// LogSoftmax: max, sum of exp(x - max), then (x - max) - log(sum).
struct LogSoftmaxLowering : public OpConversionPattern<attn::LogSoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::LogSoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    auto elementType = cast<FloatType>(type.getElementType());
    int64_t axis = op.getAxis();
    Value max = buildReduction(
        rewriter, loc, input, {axis}, elementType,
        negativeInfinity(rewriter, loc, elementType),
        [](OpBuilder &b, Location l, Value x, Value acc) -> Value {
          return arith::MaximumFOp::create(b, l, x, acc);
        });
    // sum(exp(x - max)): a reduction over x that reads max per row.
    MLIRContext *ctx = rewriter.getContext();
    int64_t rank = type.getRank();
    SmallVector<AffineExpr> rowExprs;
    SmallVector<std::pair<Value, int64_t>> rowSources;
    SmallVector<utils::IteratorType> iters(rank,
                                           utils::IteratorType::parallel);
    iters[axis] = utils::IteratorType::reduction;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis) {
        rowExprs.push_back(getAffineDimExpr(d, ctx));
        rowSources.push_back({input, d});
      }
    AffineMap rowMap = AffineMap::get(rank, 0, rowExprs, ctx);
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    auto rowType = cast<RankedTensorType>(max.getType());
    Value sumInit = linalg::FillOp::create(
                        rewriter, loc, zeroOf(rewriter, loc, elementType),
                        createEmpty(rewriter, loc, rowType, rowSources))
                        .getResult(0);
    Value sum =
        linalg::GenericOp::create(
            rewriter, loc, rowType, ValueRange{input, max},
            ValueRange{sumInit},
            SmallVector<AffineMap>{identity, rowMap, rowMap}, iters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value diff = arith::SubFOp::create(b, l, args[0], args[1]);
              Value e = math::ExpOp::create(b, l, diff);
              linalg::YieldOp::create(
                  b, l, arith::AddFOp::create(b, l, args[2], e).getResult());
            })
            .getResult(0);
    SmallVector<std::pair<Value, int64_t>> fullSources;
    for (int64_t d = 0; d < rank; ++d)
      fullSources.push_back({input, d});
    Value outEmpty = createEmpty(rewriter, loc, type, fullSources);
    auto result = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{input, max, sum}, ValueRange{outEmpty},
        SmallVector<AffineMap>{identity, rowMap, rowMap, identity},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value diff = arith::SubFOp::create(b, l, args[0], args[1]);
          Value logSum = math::LogOp::create(b, l, args[2]);
          linalg::YieldOp::create(
              b, l, arith::SubFOp::create(b, l, diff, logSum).getResult());
        });
    rewriter.replaceOp(op, result.getResults());
    return success();
  }
};

/// LayerNorm in three linalg ops, accumulating in f32 (f64 for f64):
/// The rows LayerNorm and RMSNorm normalize: dims `axis..rank-1` of
/// `input`, accumulated in f32 (or the input's wider float type).
struct NormalizedRows {
  NormalizedRows(OpBuilder &b, Value input, int64_t axis) {
    auto type = cast<RankedTensorType>(input.getType());
    auto elementType = cast<FloatType>(type.getElementType());
    acc = elementType.getWidth() > 32 ? elementType
                                      : cast<FloatType>(b.getF32Type());
    for (int64_t d = axis; d < type.getRank(); ++d)
      axes.push_back(d);
  }
  Value widen(OpBuilder &b, Location l, Value x) const {
    return x.getType() == acc ? x : Value(arith::ExtFOp::create(b, l, acc, x));
  }
  FloatType acc;
  SmallVector<int64_t> axes;
};

/// sum(x); sum((x - mean)^2) (two passes: no cancellation from
/// E[x^2] - E[x]^2); then (x - mean) * rsqrt(var + eps) * scale + bias.
struct LayerNormLowering : public OpConversionPattern<attn::LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    auto elementType = cast<FloatType>(type.getElementType());
    int64_t rank = type.getRank(), axis = op.getAxis();
    NormalizedRows rows(rewriter, input, axis);
    FloatType acc = rows.acc;
    ArrayRef<int64_t> axes = rows.axes;
    auto widen = [&](OpBuilder &b, Location l, Value x) {
      return rows.widen(b, l, x);
    };
    Value zero = zeroOf(rewriter, loc, acc);
    Value count = buildElementCount(rewriter, loc, input, axes, acc);
    Value sum = buildReduction(
        rewriter, loc, input, axes, acc, zero,
        [&](OpBuilder &b, Location l, Value x, Value s) -> Value {
          return arith::AddFOp::create(b, l, s, widen(b, l, x));
        });

    SmallVector<AffineExpr> rowExprs;
    SmallVector<utils::IteratorType> iters;
    for (int64_t d = 0; d < rank; ++d) {
      if (d < axis) {
        rowExprs.push_back(getAffineDimExpr(d, ctx));
        iters.push_back(utils::IteratorType::parallel);
      } else {
        iters.push_back(utils::IteratorType::reduction);
      }
    }
    AffineMap rowMap = AffineMap::get(rank, 0, rowExprs, ctx);
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    auto rowType = cast<RankedTensorType>(sum.getType());
    SmallVector<std::pair<Value, int64_t>> rowSources, fullSources;
    for (int64_t d = 0; d < rank; ++d) {
      fullSources.push_back({input, d});
      if (d < axis)
        rowSources.push_back({input, d});
    }
    Value sqInit = linalg::FillOp::create(
                       rewriter, loc, zero,
                       createEmpty(rewriter, loc, rowType, rowSources))
                       .getResult(0);
    Value sqSum =
        linalg::GenericOp::create(
            rewriter, loc, rowType, ValueRange{input, sum}, ValueRange{sqInit},
            SmallVector<AffineMap>{identity, rowMap, rowMap}, iters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value mean = arith::DivFOp::create(b, l, args[1], count);
              Value d = arith::SubFOp::create(b, l, widen(b, l, args[0]), mean);
              Value sq = arith::MulFOp::create(b, l, d, d);
              linalg::YieldOp::create(
                  b, l, arith::AddFOp::create(b, l, args[2], sq).getResult());
            })
            .getResult(0);

    Value eps = floatConstant(rewriter, loc, acc,
                              op.getEpsilon().convertToDouble());
    Value one = floatConstant(rewriter, loc, acc, 1.0);
    SmallVector<Value> ins = {input, sum, sqSum, adaptor.getScale()};
    if (adaptor.getBias())
      ins.push_back(adaptor.getBias());
    SmallVector<AffineMap> maps = {identity, rowMap, rowMap};
    for (Value v : ArrayRef<Value>(ins).drop_front(3))
      maps.push_back(
          broadcastMap(ctx, cast<RankedTensorType>(v.getType()), type, rank, 0));
    maps.push_back(identity);
    Value outEmpty = createEmpty(rewriter, loc, type, fullSources);
    bool hasBias = static_cast<bool>(adaptor.getBias());
    auto result = linalg::GenericOp::create(
        rewriter, loc, type, ins, ValueRange{outEmpty}, maps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value mean = arith::DivFOp::create(b, l, args[1], count);
          Value var = arith::DivFOp::create(b, l, args[2], count);
          Value inv = arith::DivFOp::create(
              b, l, one,
              math::SqrtOp::create(b, l, arith::AddFOp::create(b, l, var, eps)));
          Value y = arith::MulFOp::create(
              b, l, arith::SubFOp::create(b, l, widen(b, l, args[0]), mean),
              inv);
          y = arith::MulFOp::create(b, l, y, widen(b, l, args[3]));
          if (hasBias)
            y = arith::AddFOp::create(b, l, y, widen(b, l, args[4]));
          if (y.getType() != elementType)
            y = arith::TruncFOp::create(b, l, elementType, y);
          linalg::YieldOp::create(b, l, y);
        });
    rewriter.replaceOp(op, result.getResults());
    return success();
  }
};

/// x * rsqrt(sum(x^2) / n + eps) * scale: one reduction over the rows,
/// then one elementwise pass.
struct RmsNormLowering : public OpConversionPattern<attn::RmsNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::RmsNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    auto elementType = cast<FloatType>(type.getElementType());
    int64_t rank = type.getRank(), axis = op.getAxis();
    NormalizedRows rows(rewriter, input, axis);
    FloatType acc = rows.acc;
    ArrayRef<int64_t> axes = rows.axes;
    auto widen = [&](OpBuilder &b, Location l, Value x) {
      return rows.widen(b, l, x);
    };
    Value count = buildElementCount(rewriter, loc, input, axes, acc);
    Value sumSq = buildReduction(
        rewriter, loc, input, axes, acc, zeroOf(rewriter, loc, acc),
        [&](OpBuilder &b, Location l, Value x, Value s) -> Value {
          Value w = widen(b, l, x);
          return arith::AddFOp::create(b, l, s,
                                       arith::MulFOp::create(b, l, w, w));
        });
    SmallVector<AffineExpr> rowExprs;
    SmallVector<std::pair<Value, int64_t>> fullSources;
    for (int64_t d = 0; d < rank; ++d) {
      fullSources.push_back({input, d});
      if (d < axis)
        rowExprs.push_back(getAffineDimExpr(d, ctx));
    }
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<AffineMap> maps = {
        identity, AffineMap::get(rank, 0, rowExprs, ctx),
        broadcastMap(ctx, cast<RankedTensorType>(adaptor.getScale().getType()),
                     type, rank, 0),
        identity};
    Value eps = floatConstant(rewriter, loc, acc,
                              op.getEpsilon().convertToDouble());
    Value one = floatConstant(rewriter, loc, acc, 1.0);
    auto result = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{input, sumSq, adaptor.getScale()},
        ValueRange{createEmpty(rewriter, loc, type, fullSources)}, maps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value meanSq = arith::DivFOp::create(b, l, args[1], count);
          Value inv = arith::DivFOp::create(
              b, l, one,
              math::SqrtOp::create(b, l,
                                   arith::AddFOp::create(b, l, meanSq, eps)));
          Value y = arith::MulFOp::create(b, l, widen(b, l, args[0]), inv);
          y = arith::MulFOp::create(b, l, y, widen(b, l, args[2]));
          if (y.getType() != elementType)
            y = arith::TruncFOp::create(b, l, elementType, y);
          linalg::YieldOp::create(b, l, y);
        });
    rewriter.replaceOp(op, result.getResult(0));
    return success();
  }
};

} // namespace

void lowering::populateNormalizationLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<SoftmaxLowering, LogSoftmaxLowering, LayerNormLowering,
               RmsNormLowering>(patterns.getContext());
}
