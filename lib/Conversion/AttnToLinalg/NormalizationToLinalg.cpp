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

} // namespace

void lowering::populateNormalizationLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<SoftmaxLowering>(patterns.getContext());
}
