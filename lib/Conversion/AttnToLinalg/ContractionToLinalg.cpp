//===- ContractionToLinalg.cpp - attn.matmul to linalg ----------------------===//
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

/// attn.gemm -> a linalg.generic over loops [m, n, k] reading a and b
/// through (possibly transposed) maps, then alpha * acc + beta * c.
struct GemmLowering : public OpConversionPattern<attn::GemmOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto resultType = cast<RankedTensorType>(op.getType());
    Type elementType = resultType.getElementType();
    Value a = adaptor.getA(), b = adaptor.getB();
    bool transA = op.getTransA(), transB = op.getTransB();
    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    SmallVector<AffineMap> maps = {
        AffineMap::get(3, 0, transA ? ArrayRef<AffineExpr>{k, m}
                                    : ArrayRef<AffineExpr>{m, k},
                       ctx),
        AffineMap::get(3, 0, transB ? ArrayRef<AffineExpr>{n, k}
                                    : ArrayRef<AffineExpr>{k, n},
                       ctx),
        AffineMap::get(3, 0, {m, n}, ctx)};
    SmallVector<std::pair<Value, int64_t>> sources = {
        {a, transA ? 1 : 0}, {b, transB ? 0 : 1}};
    Value init =
        linalg::FillOp::create(rewriter, loc, zeroOf(rewriter, loc, elementType),
                               createEmpty(rewriter, loc, resultType, sources))
            .getResult(0);
    Value acc =
        linalg::GenericOp::create(
            rewriter, loc, resultType, ValueRange{a, b}, ValueRange{init}, maps,
            {utils::IteratorType::parallel, utils::IteratorType::parallel,
             utils::IteratorType::reduction},
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value prod = arith::MulFOp::create(nb, l, args[0], args[1]);
              linalg::YieldOp::create(
                  nb, l, arith::AddFOp::create(nb, l, args[2], prod).getResult());
            })
            .getResult(0);

    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    Value c = adaptor.getC();
    if (alpha == 1.0 && !c) {
      rewriter.replaceOp(op, acc);
      return success();
    }
    SmallVector<Value> ins = {acc};
    if (c)
      ins.push_back(c);
    Value alphaV = floatConstant(rewriter, loc, elementType, alpha);
    Value betaV = floatConstant(rewriter, loc, elementType, beta);
    Value result = buildElementwiseGeneric(
        rewriter, loc, resultType, ins,
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          Value y = args[0];
          if (alpha != 1.0)
            y = arith::MulFOp::create(nb, l, alphaV, y);
          if (args.size() > 1) {
            Value bc = args[1];
            if (beta != 1.0)
              bc = arith::MulFOp::create(nb, l, betaV, bc);
            y = arith::AddFOp::create(nb, l, y, bc);
          }
          return y;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void lowering::populateContractionLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<MatMulLowering, GemmLowering>(patterns.getContext());
}
