//===- ReductionToLinalg.cpp - attn.reduce to linalg
//------------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// A reduction is one linalg.generic whose loops are the input dims, the
// reduced ones as `reduction` iterators, into an accumulator filled with
// the kind's neutral value; `mean` divides by the element count afterwards
// and `keepdims` re-inserts unit dims with tensor.expand_shape.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "attnc/Dialect/Attn/AttnOps.h"

using namespace mlir;
using namespace attnc;
using namespace attnc::lowering;

Value lowering::buildReduction(
    OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes,
    Type accType, Value initValue,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape;
  SmallVector<std::pair<Value, int64_t>> sources;
  SmallVector<AffineExpr> exprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    if (llvm::is_contained(axes, d)) {
      iterators.push_back(utils::IteratorType::reduction);
      continue;
    }
    iterators.push_back(utils::IteratorType::parallel);
    shape.push_back(type.getDimSize(d));
    sources.push_back({input, d});
    exprs.push_back(getAffineDimExpr(d, ctx));
  }
  auto reducedType = RankedTensorType::get(shape, accType);
  Value init = linalg::FillOp::create(b, loc, initValue,
                                      createEmpty(b, loc, reducedType, sources))
                   .getResult(0);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, exprs, ctx)};
  return linalg::GenericOp::create(
             b, loc, reducedType, ValueRange{input}, ValueRange{init}, maps,
             iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, combine(nb, l, args[0], args[1]));
             })
      .getResult(0);
}

Value lowering::buildElementCount(OpBuilder &b, Location loc, Value input,
                                  ArrayRef<int64_t> axes, Type type) {
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t staticCount = 1;
  Value count;
  for (int64_t d : axes) {
    if (!inputType.isDynamicDim(d)) {
      staticCount *= inputType.getDimSize(d);
      continue;
    }
    Value dim = tensor::DimOp::create(b, loc, input, d);
    count = count ? Value(arith::MulIOp::create(b, loc, count, dim)) : dim;
  }
  Value c = arith::ConstantIndexOp::create(b, loc, staticCount);
  count = count ? Value(arith::MulIOp::create(b, loc, count, c)) : c;
  Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
  if (isa<FloatType>(type))
    return arith::SIToFPOp::create(b, loc, type, i64);
  if (type.getIntOrFloatBitWidth() < 64)
    return arith::TruncIOp::create(b, loc, type, i64);
  return i64;
}

namespace {

struct ReduceLowering : public OpConversionPattern<attn::ReduceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::ReduceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    Type t = inputType.getElementType();
    bool isFloat = isa<FloatType>(t), isUnsigned = op.getIsUnsigned();
    ArrayRef<int64_t> axes = op.getAxes();

    Value init;
    std::function<Value(OpBuilder &, Location, Value, Value)> combine;
    if (op.getKind() == attn::ReduceKind::max) {
      if (isFloat) {
        auto ft = cast<FloatType>(t);
        init = arith::ConstantOp::create(
            rewriter, loc, t,
            rewriter.getFloatAttr(
                t, APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/true)));
        combine = [](OpBuilder &b, Location l, Value x, Value acc) {
          return Value(arith::MaximumFOp::create(b, l, x, acc));
        };
      } else {
        unsigned w = t.getIntOrFloatBitWidth();
        APInt lowest =
            isUnsigned ? APInt::getZero(w) : APInt::getSignedMinValue(w);
        init = arith::ConstantOp::create(rewriter, loc, t,
                                         rewriter.getIntegerAttr(t, lowest));
        combine = [isUnsigned](OpBuilder &b, Location l, Value x, Value acc) {
          return isUnsigned ? Value(arith::MaxUIOp::create(b, l, x, acc))
                            : Value(arith::MaxSIOp::create(b, l, x, acc));
        };
      }
    } else {
      init = zeroOf(rewriter, loc, t);
      combine = [isFloat](OpBuilder &b, Location l, Value x, Value acc) {
        return addScalar(b, l, acc, x, isFloat);
      };
    }
    Value reduced =
        buildReduction(rewriter, loc, input, axes, t, init, combine);

    if (op.getKind() == attn::ReduceKind::mean) {
      Value count = buildElementCount(rewriter, loc, input, axes, t);
      auto reducedType = cast<RankedTensorType>(reduced.getType());
      reduced = buildElementwiseGeneric(
          rewriter, loc, reducedType, ValueRange{reduced},
          [&](OpBuilder &b, Location l, ValueRange args) -> Value {
            if (isFloat)
              return arith::DivFOp::create(b, l, args[0], count);
            if (isUnsigned)
              return arith::DivUIOp::create(b, l, args[0], count);
            return arith::DivSIOp::create(b, l, args[0], count);
          });
    }

    if (op.getKeepdims()) {
      // Each unit dim joins the group of the kept dim before it (or after
      // it, for leading unit dims); all dims reduced -> from rank 0.
      SmallVector<ReassociationIndices> groups;
      ReassociationIndices pending;
      for (int64_t d = 0; d < inputType.getRank(); ++d) {
        if (llvm::is_contained(axes, d)) {
          if (groups.empty())
            pending.push_back(d);
          else
            groups.back().push_back(d);
          continue;
        }
        pending.push_back(d);
        groups.push_back(pending);
        pending.clear();
      }
      reduced = tensor::ExpandShapeOp::create(rewriter, loc, resultType,
                                              reduced, groups);
    }
    rewriter.replaceOp(op, reduced);
    return success();
  }
};

} // namespace

void lowering::populateReductionLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<ReduceLowering>(patterns.getContext());
}
