//===- AttnToLinalg.cpp - Lower attn ops to linalg on tensors -------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Conversion/AttnToLinalg/AttnToLinalg.h"
#include "attnc/Dialect/Attn/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

namespace attnc {
#define GEN_PASS_DEF_CONVERTATTNTOLINALG
#include "attnc/Conversion/Passes.h.inc"
} // namespace attnc

using namespace mlir;
using namespace attnc;

namespace {

/// Builds `tensor.empty` of `type`, taking each dynamic size from the first
/// (operand, dim) in `sources[i]`.
Value createEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                  ArrayRef<std::pair<Value, int64_t>> sources) {
  SmallVector<Value> dynSizes;
  for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
    if (!type.isDynamicDim(i))
      continue;
    auto [value, dim] = sources[i];
    dynSizes.push_back(tensor::DimOp::create(b, loc, value, dim));
  }
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType(), dynSizes);
}

/// Indexing map that reads `operand` (aligned to the right of a loop nest
/// whose leading `resultRank` loops are the result dims) with numpy
/// broadcasting: a static size-1 dim that broadcasts reads index 0.
AffineMap broadcastMap(MLIRContext *ctx, RankedTensorType operand,
                       RankedTensorType result, unsigned numLoops,
                       unsigned firstLoop) {
  SmallVector<AffineExpr> exprs;
  int64_t offset = result.getRank() - operand.getRank();
  for (int64_t i = 0; i < operand.getRank(); ++i) {
    int64_t resultDim = i + offset;
    if (operand.getDimSize(i) == 1 && result.getDimSize(resultDim) != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(firstLoop + resultDim, ctx));
  }
  return AffineMap::get(numLoops, 0, exprs, ctx);
}

/// For each dim of `result`, the operand dim that carries its size (the
/// first operand whose aligned dim is not a broadcast 1).
SmallVector<std::pair<Value, int64_t>>
sizeSources(RankedTensorType result, ArrayRef<Value> operands) {
  SmallVector<std::pair<Value, int64_t>> sources(result.getRank(),
                                                 {Value(), 0});
  for (int64_t d = 0; d < result.getRank(); ++d) {
    for (Value v : operands) {
      auto t = cast<RankedTensorType>(v.getType());
      int64_t i = d - (result.getRank() - t.getRank());
      if (i < 0 || t.getDimSize(i) == 1)
        continue;
      sources[d] = {v, i};
      break;
    }
  }
  return sources;
}

Value zeroOf(OpBuilder &b, Location loc, Type elementType) {
  return arith::ConstantOp::create(b, loc, elementType,
                                   b.getZeroAttr(elementType));
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

struct ConstantLowering : public OpConversionPattern<attn::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

template <typename OpTy>
struct BinaryLowering : public OpConversionPattern<OpTy> {
  BinaryLowering(MLIRContext *ctx,
                 Value (*scalar)(OpBuilder &, Location, Value, Value, bool))
      : OpConversionPattern<OpTy>(ctx), scalar(scalar) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    MLIRContext *ctx = rewriter.getContext();
    unsigned rank = resultType.getRank();
    SmallVector<AffineMap> maps = {
        broadcastMap(ctx, cast<RankedTensorType>(lhs.getType()), resultType,
                     rank, 0),
        broadcastMap(ctx, cast<RankedTensorType>(rhs.getType()), resultType,
                     rank, 0),
        rewriter.getMultiDimIdentityMap(rank)};
    Value init =
        createEmpty(rewriter, loc, resultType, sizeSources(resultType, {lhs, rhs}));
    bool isFloat = isa<FloatType>(resultType.getElementType());
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, ValueRange{lhs, rhs}, ValueRange{init},
        maps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(b, l,
                                  scalar(b, l, args[0], args[1], isFloat));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }

  Value (*scalar)(OpBuilder &, Location, Value, Value, bool);
};

Value addScalar(OpBuilder &b, Location l, Value x, Value y, bool isFloat) {
  return isFloat ? Value(arith::AddFOp::create(b, l, x, y))
                 : Value(arith::AddIOp::create(b, l, x, y));
}
Value subScalar(OpBuilder &b, Location l, Value x, Value y, bool isFloat) {
  return isFloat ? Value(arith::SubFOp::create(b, l, x, y))
                 : Value(arith::SubIOp::create(b, l, x, y));
}
Value mulScalar(OpBuilder &b, Location l, Value x, Value y, bool isFloat) {
  return isFloat ? Value(arith::MulFOp::create(b, l, x, y))
                 : Value(arith::MulIOp::create(b, l, x, y));
}
Value divScalar(OpBuilder &b, Location l, Value x, Value y, bool isFloat) {
  return isFloat ? Value(arith::DivFOp::create(b, l, x, y))
                 : Value(arith::DivSIOp::create(b, l, x, y));
}

/// attn.matmul -> linalg.generic over loops [batch..., m, n, k].
struct MatMulLowering : public OpConversionPattern<attn::MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto lhsType = cast<RankedTensorType>(lhs.getType());
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    int64_t rank = resultType.getRank(), numBatch = rank - 2;
    unsigned numLoops = rank + 1;
    AffineExpr m = getAffineDimExpr(numBatch, ctx),
               n = getAffineDimExpr(numBatch + 1, ctx),
               k = getAffineDimExpr(numBatch + 2, ctx);

    // Batch part of an operand's map, broadcasting static 1s.
    auto operandMap = [&](RankedTensorType t, AffineExpr a, AffineExpr b2) {
      SmallVector<AffineExpr> exprs;
      int64_t offset = numBatch - (t.getRank() - 2);
      for (int64_t i = 0; i < t.getRank() - 2; ++i) {
        if (t.getDimSize(i) == 1 && resultType.getDimSize(i + offset) != 1)
          exprs.push_back(getAffineConstantExpr(0, ctx));
        else
          exprs.push_back(getAffineDimExpr(i + offset, ctx));
      }
      exprs.push_back(a);
      exprs.push_back(b2);
      return AffineMap::get(numLoops, 0, exprs, ctx);
    };
    SmallVector<AffineExpr> outExprs;
    for (int64_t i = 0; i < rank; ++i)
      outExprs.push_back(getAffineDimExpr(i, ctx));
    SmallVector<AffineMap> maps = {operandMap(lhsType, m, k),
                                   operandMap(rhsType, k, n),
                                   AffineMap::get(numLoops, 0, outExprs, ctx)};

    // Sizes: batch dims from whichever operand does not broadcast, M from
    // lhs, N from rhs.
    SmallVector<std::pair<Value, int64_t>> sources(rank, {Value(), 0});
    for (int64_t d = 0; d < numBatch; ++d) {
      for (auto [v, t] : {std::pair(lhs, lhsType), std::pair(rhs, rhsType)}) {
        int64_t i = d - (numBatch - (t.getRank() - 2));
        if (i >= 0 && t.getDimSize(i) != 1) {
          sources[d] = {v, i};
          break;
        }
      }
    }
    sources[rank - 2] = {lhs, lhsType.getRank() - 2};
    sources[rank - 1] = {rhs, rhsType.getRank() - 1};
    Type elementType = resultType.getElementType();
    Value empty = createEmpty(rewriter, loc, resultType, sources);
    Value zero = zeroOf(rewriter, loc, elementType);
    Value init =
        linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);

    SmallVector<utils::IteratorType> iterators(numLoops,
                                               utils::IteratorType::parallel);
    iterators.back() = utils::IteratorType::reduction;
    bool isFloat = isa<FloatType>(elementType);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, ValueRange{lhs, rhs}, ValueRange{init},
        maps, iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Value prod = mulScalar(b, l, args[0], args[1], isFloat);
          linalg::YieldOp::create(b, l, addScalar(b, l, args[2], prod, isFloat));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct TransposeLowering : public OpConversionPattern<attn::TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> perm = op.getPermutation();
    SmallVector<std::pair<Value, int64_t>> sources;
    for (int64_t p : perm)
      sources.push_back({adaptor.getInput(), p});
    Value init = createEmpty(rewriter, op.getLoc(), resultType, sources);
    auto transpose = linalg::TransposeOp::create(
        rewriter, op.getLoc(), adaptor.getInput(), init, perm);
    rewriter.replaceOp(op, transpose.getResults());
    return success();
  }
};

/// Softmax as four linalg.generic ops: max, exp(x - max), sum, divide.
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

    // Reduced type drops `axis`.
    SmallVector<int64_t> reducedShape;
    SmallVector<std::pair<Value, int64_t>> reducedSources, fullSources;
    SmallVector<AffineExpr> reducedExprs;
    for (int64_t i = 0; i < rank; ++i) {
      fullSources.push_back({input, i});
      if (i == axis)
        continue;
      reducedShape.push_back(type.getDimSize(i));
      reducedSources.push_back({input, i});
      reducedExprs.push_back(getAffineDimExpr(i, ctx));
    }
    auto reducedType = RankedTensorType::get(reducedShape, elementType);
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap reducedMap = AffineMap::get(rank, 0, reducedExprs, ctx);
    SmallVector<utils::IteratorType> reduceIters(
        rank, utils::IteratorType::parallel);
    reduceIters[axis] = utils::IteratorType::reduction;
    SmallVector<utils::IteratorType> parallelIters(
        rank, utils::IteratorType::parallel);

    // max over axis, starting from -inf.
    Value negInf = arith::ConstantOp::create(
        rewriter, loc, elementType,
        rewriter.getFloatAttr(elementType,
                              APFloat::getInf(elementType.getFloatSemantics(),
                                              /*Negative=*/true)));
    Value maxInit = linalg::FillOp::create(
                        rewriter, loc, negInf,
                        createEmpty(rewriter, loc, reducedType, reducedSources))
                        .getResult(0);
    Value max =
        linalg::GenericOp::create(
            rewriter, loc, reducedType, ValueRange{input}, ValueRange{maxInit},
            SmallVector<AffineMap>{identity, reducedMap}, reduceIters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              linalg::YieldOp::create(
                  b, l, arith::MaximumFOp::create(b, l, args[0], args[1]).getResult());
            })
            .getResult(0);

    // e = exp(x - max)
    Value fullEmpty = createEmpty(rewriter, loc, type, fullSources);
    Value exps =
        linalg::GenericOp::create(
            rewriter, loc, type, ValueRange{input, max}, ValueRange{fullEmpty},
            SmallVector<AffineMap>{identity, reducedMap, identity},
            parallelIters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value diff = arith::SubFOp::create(b, l, args[0], args[1]);
              linalg::YieldOp::create(b, l, math::ExpOp::create(b, l, diff).getResult());
            })
            .getResult(0);

    // sum over axis.
    Value sumInit = linalg::FillOp::create(
                        rewriter, loc, zeroOf(rewriter, loc, elementType),
                        createEmpty(rewriter, loc, reducedType, reducedSources))
                        .getResult(0);
    Value sum =
        linalg::GenericOp::create(
            rewriter, loc, reducedType, ValueRange{exps}, ValueRange{sumInit},
            SmallVector<AffineMap>{identity, reducedMap}, reduceIters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              linalg::YieldOp::create(
                  b, l, arith::AddFOp::create(b, l, args[0], args[1]).getResult());
            })
            .getResult(0);

    // out = e / sum
    Value outEmpty = createEmpty(rewriter, loc, type, fullSources);
    auto result = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{exps, sum}, ValueRange{outEmpty},
        SmallVector<AffineMap>{identity, reducedMap, identity}, parallelIters,
        [&](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(
              b, l, arith::DivFOp::create(b, l, args[0], args[1]).getResult());
        });
    rewriter.replaceOp(op, result.getResults());
    return success();
  }
};

struct ConvertAttnToLinalgPass
    : public attnc::impl::ConvertAttnToLinalgBase<ConvertAttnToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect>();
    target.addIllegalDialect<attn::AttnDialect>();
    RewritePatternSet patterns(ctx);
    populateAttnToLinalgConversionPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void attnc::populateAttnToLinalgConversionPatterns(
    RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<ConstantLowering, MatMulLowering, TransposeLowering,
               SoftmaxLowering>(ctx);
  patterns.add<BinaryLowering<attn::AddOp>>(ctx, addScalar);
  patterns.add<BinaryLowering<attn::SubOp>>(ctx, subScalar);
  patterns.add<BinaryLowering<attn::MulOp>>(ctx, mulScalar);
  patterns.add<BinaryLowering<attn::DivOp>>(ctx, divScalar);
}
