//===- ElementwiseToLinalg.cpp - Constants and elementwise ops --------------===//
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

/// attn.div: signed or (is_unsigned) unsigned integer division.
struct DivLowering : public OpConversionPattern<attn::DivOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::DivOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    bool isUnsigned = op.getIsUnsigned();
    Value result = buildElementwiseGeneric(
        rewriter, op.getLoc(), cast<RankedTensorType>(op.getType()),
        ValueRange{adaptor.getLhs(), adaptor.getRhs()},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          if (isa<FloatType>(args[0].getType()))
            return arith::DivFOp::create(b, l, args[0], args[1]);
          if (isUnsigned)
            return arith::DivUIOp::create(b, l, args[0], args[1]);
          return arith::DivSIOp::create(b, l, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void lowering::populateElementwiseLoweringPatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<ConstantLowering>(ctx);
  patterns.add<BinaryLowering<attn::AddOp>>(ctx, addScalar);
  patterns.add<BinaryLowering<attn::SubOp>>(ctx, subScalar);
  patterns.add<BinaryLowering<attn::MulOp>>(ctx, mulScalar);
  patterns.add<DivLowering>(ctx);
}
