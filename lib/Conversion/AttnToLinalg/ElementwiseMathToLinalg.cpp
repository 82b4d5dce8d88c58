//===- ElementwiseMathToLinalg.cpp - Unary, compare, select, cast
//-----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Lowers the attn elementwise ops beyond the four arithmetic ones: unary
// math (sqrt, exp, erf, gelu, ...), pow, comparisons, bool logic, where and
// cast. Every op becomes one linalg.generic over the (broadcast) result
// whose body is built by a small scalar function.
//
// f16/bf16 transcendental math is computed in f32 (LLVM would otherwise
// promote each op separately or call soft-float helpers that the model .so
// does not link). erf has no LLVM intrinsic: math.erf on f32 is expanded to
// a polynomial by the pass (AttnToLinalg.cpp), so other widths go through
// f32 as well.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "attnc/Dialect/Attn/AttnOps.h"

#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace attnc;
using namespace attnc::lowering;

Value lowering::buildElementwiseGeneric(
    OpBuilder &b, Location loc, RankedTensorType resultType,
    ValueRange operands,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  MLIRContext *ctx = b.getContext();
  unsigned rank = resultType.getRank();
  SmallVector<AffineMap> maps;
  for (Value v : operands)
    maps.push_back(broadcastMap(ctx, cast<RankedTensorType>(v.getType()),
                                resultType, rank, 0));
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init =
      createEmpty(b, loc, resultType,
                  sizeSources(resultType, SmallVector<Value>(operands)));
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, operands, ValueRange{init}, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, body(nb, l, args.drop_back()));
      });
  return generic.getResult(0);
}

Value lowering::floatConstant(OpBuilder &b, Location loc, Type type,
                              double value) {
  return arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, value));
}

/// The type transcendental math on `t` is computed in: f32 for narrower
/// floats, `t` otherwise.
static FloatType computeType(OpBuilder &b, Type t) {
  auto ft = cast<FloatType>(t);
  return ft.getWidth() < 32 ? b.getF32Type() : ft;
}

/// f32 -> bf16 with integer ops, rounding to nearest even (NaN stays a
/// quiet NaN): without AVX512-BF16, LLVM calls __truncsfbf2 for truncf.
static Value truncateToBF16(OpBuilder &b, Location l, Value x) {
  Type i32 = b.getI32Type();
  auto c32 = [&](uint32_t v) -> Value {
    return arith::ConstantOp::create(b, l, i32, b.getI32IntegerAttr(v));
  };
  Value bits = arith::BitcastOp::create(b, l, i32, x);
  Value lsb = arith::AndIOp::create(
      b, l, arith::ShRUIOp::create(b, l, bits, c32(16)), c32(1));
  Value rounded = arith::AddIOp::create(
      b, l, bits, arith::AddIOp::create(b, l, lsb, c32(0x7FFF)));
  Value isNaN = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, x, x);
  Value high = arith::SelectOp::create(
      b, l, isNaN, c32(0x7FC00000),
      arith::ShLIOp::create(
          b, l, arith::ShRUIOp::create(b, l, rounded, c32(16)), c32(16)));
  Value half = arith::TruncIOp::create(
      b, l, b.getI16Type(), arith::ShRUIOp::create(b, l, high, c32(16)));
  return arith::BitcastOp::create(b, l, b.getBF16Type(), half);
}

static Value convertFloat(OpBuilder &b, Location l, Value x, Type to) {
  auto from = cast<FloatType>(x.getType());
  auto target = cast<FloatType>(to);
  if (from == target)
    return x;
  if (from.getWidth() < target.getWidth())
    return arith::ExtFOp::create(b, l, target, x);
  if (target.isBF16()) {
    if (!from.isF32())
      x = arith::TruncFOp::create(b, l, b.getF32Type(), x);
    return truncateToBF16(b, l, x);
  }
  // f64 -> f16/bf16 via f32: LLVM would call __truncdfhf2/__truncdfbf2,
  // which the model .so does not link. The double rounding is far below
  // the precision of the 16-bit result.
  if (from.getWidth() > 32 && target.getWidth() < 32)
    x = arith::TruncFOp::create(b, l, b.getF32Type(), x);
  return arith::TruncFOp::create(b, l, target, x);
}

static Value erfScalar(OpBuilder &b, Location l, Value x) {
  Type t = x.getType();
  Value x32 = convertFloat(b, l, x, b.getF32Type());
  return convertFloat(b, l, math::ErfOp::create(b, l, x32), t);
}

/// Computes `fn` in computeType(x) and converts back.
static Value inComputeType(OpBuilder &b, Location l, Value x,
                           function_ref<Value(Value)> fn) {
  Type t = x.getType();
  Value wide = convertFloat(b, l, x, computeType(b, t));
  return convertFloat(b, l, fn(wide), t);
}

static Value geluScalar(OpBuilder &b, Location l, Value x,
                        attn::GeluApproximation approx) {
  return inComputeType(b, l, x, [&](Value v) -> Value {
    Type t = v.getType();
    Value half = floatConstant(b, l, t, 0.5);
    Value one = floatConstant(b, l, t, 1.0);
    Value inner;
    if (approx == attn::GeluApproximation::none) {
      Value scaled =
          arith::MulFOp::create(b, l, v, floatConstant(b, l, t, M_SQRT1_2));
      inner = erfScalar(b, l, scaled);
    } else {
      Value cube =
          arith::MulFOp::create(b, l, v, arith::MulFOp::create(b, l, v, v));
      Value poly = arith::AddFOp::create(
          b, l, v,
          arith::MulFOp::create(b, l, floatConstant(b, l, t, 0.044715), cube));
      Value scaled = arith::MulFOp::create(
          b, l, floatConstant(b, l, t, std::sqrt(2.0 / M_PI)), poly);
      inner = math::TanhOp::create(b, l, scaled);
    }
    Value sum = arith::AddFOp::create(b, l, one, inner);
    return arith::MulFOp::create(b, l, arith::MulFOp::create(b, l, half, v),
                                 sum);
  });
}

namespace {

/// Shared driver of the unary ops: one generic, the body from `scalar`.
template <typename OpTy>
struct UnaryLowering : public OpConversionPattern<OpTy> {
  using Scalar = std::function<Value(OpBuilder &, Location, Value, OpTy)>;
  UnaryLowering(MLIRContext *ctx, Scalar scalar)
      : OpConversionPattern<OpTy>(ctx), scalar(std::move(scalar)) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    Value result = buildElementwiseGeneric(
        rewriter, op.getLoc(), resultType, ValueRange{adaptor.getInput()},
        [&](OpBuilder &b, Location l, ValueRange args) {
          return scalar(b, l, args[0], op);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  Scalar scalar;
};

/// The value of a constant splat float operand, if it is one.
static std::optional<double> splatValue(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !attr.isSplat() ||
      !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

/// attn.pow: x^0.5, x^1, x^2 and x^3 with a constant exponent avoid powf
/// (LayerNorm/RMSNorm variance and the tanh GELU use them).
struct PowLowering : public OpConversionPattern<attn::PowOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::PowOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    std::optional<double> exponent = splatValue(op.getRhs());
    Value result = buildElementwiseGeneric(
        rewriter, op.getLoc(), resultType,
        ValueRange{adaptor.getLhs(), adaptor.getRhs()},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value x = args[0];
          if (exponent == 1.0)
            return x;
          if (exponent == 2.0)
            return arith::MulFOp::create(b, l, x, x);
          if (exponent == 3.0)
            return arith::MulFOp::create(b, l, x,
                                         arith::MulFOp::create(b, l, x, x));
          if (exponent == 0.5)
            return inComputeType(b, l, x, [&](Value v) -> Value {
              return math::SqrtOp::create(b, l, v);
            });
          Value y = args[1];
          return inComputeType(b, l, x, [&](Value v) -> Value {
            Value yw = convertFloat(b, l, y, v.getType());
            return math::PowFOp::create(b, l, v, yw);
          });
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

static arith::CmpFPredicate floatPredicate(attn::ComparePredicate p) {
  switch (p) {
  case attn::ComparePredicate::eq:
    return arith::CmpFPredicate::OEQ;
  case attn::ComparePredicate::lt:
    return arith::CmpFPredicate::OLT;
  case attn::ComparePredicate::le:
    return arith::CmpFPredicate::OLE;
  case attn::ComparePredicate::gt:
    return arith::CmpFPredicate::OGT;
  case attn::ComparePredicate::ge:
    return arith::CmpFPredicate::OGE;
  }
  llvm_unreachable("unknown predicate");
}

static arith::CmpIPredicate intPredicate(attn::ComparePredicate p,
                                         bool isUnsigned) {
  switch (p) {
  case attn::ComparePredicate::eq:
    return arith::CmpIPredicate::eq;
  case attn::ComparePredicate::lt:
    return isUnsigned ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt;
  case attn::ComparePredicate::le:
    return isUnsigned ? arith::CmpIPredicate::ule : arith::CmpIPredicate::sle;
  case attn::ComparePredicate::gt:
    return isUnsigned ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt;
  case attn::ComparePredicate::ge:
    return isUnsigned ? arith::CmpIPredicate::uge : arith::CmpIPredicate::sge;
  }
  llvm_unreachable("unknown predicate");
}

struct CompareLowering : public OpConversionPattern<attn::CompareOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::CompareOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    Type elementType =
        cast<RankedTensorType>(op.getLhs().getType()).getElementType();
    // bool compares as unsigned (false < true).
    bool isUnsigned = op.getIsUnsigned() || elementType.isInteger(1);
    attn::ComparePredicate pred = op.getPredicate();
    Value result = buildElementwiseGeneric(
        rewriter, op.getLoc(), resultType,
        ValueRange{adaptor.getLhs(), adaptor.getRhs()},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          if (isa<FloatType>(elementType))
            return arith::CmpFOp::create(b, l, floatPredicate(pred), args[0],
                                         args[1]);
          return arith::CmpIOp::create(b, l, intPredicate(pred, isUnsigned),
                                       args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

template <typename OpTy, typename ArithOpTy>
struct LogicalLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value result = buildElementwiseGeneric(
        rewriter, op.getLoc(), cast<RankedTensorType>(op.getType()),
        ValueRange{adaptor.getLhs(), adaptor.getRhs()},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          return ArithOpTy::create(b, l, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct WhereLowering : public OpConversionPattern<attn::WhereOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::WhereOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value result = buildElementwiseGeneric(
        rewriter, op.getLoc(), cast<RankedTensorType>(op.getType()),
        ValueRange{adaptor.getCondition(), adaptor.getLhs(), adaptor.getRhs()},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::SelectOp::create(b, l, args[0], args[1], args[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// One scalar conversion following attn.cast's rules.
static Value castScalar(OpBuilder &b, Location l, Value x, Type to,
                        bool inputUnsigned, bool outputUnsigned) {
  Type from = x.getType();
  if (from == to)
    return x;
  if (to.isInteger(1)) {
    if (isa<FloatType>(from))
      return arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, x,
                                   floatConstant(b, l, from, 0.0));
    return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, x,
                                 zeroOf(b, l, from));
  }
  bool fromUnsigned = inputUnsigned || from.isInteger(1);
  if (isa<FloatType>(from) && isa<FloatType>(to))
    return convertFloat(b, l, x, to);
  if (isa<FloatType>(to)) {
    if (fromUnsigned)
      return arith::UIToFPOp::create(b, l, to, x);
    return arith::SIToFPOp::create(b, l, to, x);
  }
  if (isa<FloatType>(from)) {
    if (outputUnsigned)
      return arith::FPToUIOp::create(b, l, to, x);
    return arith::FPToSIOp::create(b, l, to, x);
  }
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (fw > tw)
    return arith::TruncIOp::create(b, l, to, x);
  if (fw == tw)
    return x;
  if (fromUnsigned)
    return arith::ExtUIOp::create(b, l, to, x);
  return arith::ExtSIOp::create(b, l, to, x);
}

struct CastLowering : public OpConversionPattern<attn::CastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::CastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    Type to = resultType.getElementType();
    if (cast<RankedTensorType>(adaptor.getInput().getType()).getElementType() ==
        to) {
      rewriter.replaceOp(op, adaptor.getInput());
      return success();
    }
    Value result = buildElementwiseGeneric(
        rewriter, op.getLoc(), resultType, ValueRange{adaptor.getInput()},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          return castScalar(b, l, args[0], to, op.getInputUnsigned(),
                            op.getOutputUnsigned());
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

template <typename OpTy>
static void
addUnary(RewritePatternSet &patterns,
         std::function<Value(OpBuilder &, Location, Value, OpTy)> scalar) {
  patterns.add<UnaryLowering<OpTy>>(patterns.getContext(), std::move(scalar));
}

/// A unary float op computed by `MathOpTy` in computeType.
template <typename OpTy, typename MathOpTy>
static void addFloatMath(RewritePatternSet &patterns) {
  addUnary<OpTy>(patterns, [](OpBuilder &b, Location l, Value x, OpTy) {
    return inComputeType(
        b, l, x, [&](Value v) -> Value { return MathOpTy::create(b, l, v); });
  });
}

void lowering::populateElementwiseMathLoweringPatterns(
    RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  addFloatMath<attn::SqrtOp, math::SqrtOp>(patterns);
  addFloatMath<attn::ExpOp, math::ExpOp>(patterns);
  addFloatMath<attn::LogOp, math::LogOp>(patterns);
  addFloatMath<attn::TanhOp, math::TanhOp>(patterns);
  addFloatMath<attn::CosOp, math::CosOp>(patterns);
  addFloatMath<attn::SinOp, math::SinOp>(patterns);
  addUnary<attn::ErfOp>(patterns,
                        [](OpBuilder &b, Location l, Value x, attn::ErfOp) {
                          return erfScalar(b, l, x);
                        });
  addUnary<attn::ReciprocalOp>(patterns, [](OpBuilder &b, Location l, Value x,
                                            attn::ReciprocalOp) {
    return arith::DivFOp::create(b, l, floatConstant(b, l, x.getType(), 1.0), x)
        .getResult();
  });
  // sigmoid(x) = 1 / (1 + exp(-x)) and silu(x) = x / (1 + exp(-x)).
  auto overOnePlusExpNeg = [](OpBuilder &b, Location l, Value x,
                              bool numeratorIsX) {
    return inComputeType(b, l, x, [&](Value v) -> Value {
      Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, v));
      Value one = floatConstant(b, l, v.getType(), 1.0);
      return arith::DivFOp::create(b, l, numeratorIsX ? v : one,
                                   arith::AddFOp::create(b, l, one, e));
    });
  };
  addUnary<attn::SigmoidOp>(
      patterns, [=](OpBuilder &b, Location l, Value x, attn::SigmoidOp) {
        return overOnePlusExpNeg(b, l, x, /*numeratorIsX=*/false);
      });
  addUnary<attn::SiluOp>(
      patterns, [=](OpBuilder &b, Location l, Value x, attn::SiluOp) {
        return overOnePlusExpNeg(b, l, x, /*numeratorIsX=*/true);
      });
  addUnary<attn::NegOp>(
      patterns, [](OpBuilder &b, Location l, Value x, attn::NegOp) {
        if (isa<FloatType>(x.getType()))
          return Value(arith::NegFOp::create(b, l, x));
        return Value(arith::SubIOp::create(b, l, zeroOf(b, l, x.getType()), x));
      });
  addUnary<attn::AbsOp>(patterns,
                        [](OpBuilder &b, Location l, Value x, attn::AbsOp) {
                          if (isa<FloatType>(x.getType()))
                            return Value(math::AbsFOp::create(b, l, x));
                          return Value(math::AbsIOp::create(b, l, x));
                        });
  addUnary<attn::ReluOp>(
      patterns, [](OpBuilder &b, Location l, Value x, attn::ReluOp) {
        Value zero = zeroOf(b, l, x.getType());
        if (isa<FloatType>(x.getType()))
          return Value(arith::MaximumFOp::create(b, l, x, zero));
        return Value(arith::MaxSIOp::create(b, l, x, zero));
      });
  addUnary<attn::NotOp>(
      patterns, [](OpBuilder &b, Location l, Value x, attn::NotOp) {
        Value one =
            arith::ConstantOp::create(b, l, b.getI1Type(), b.getBoolAttr(true));
        return Value(arith::XOrIOp::create(b, l, x, one));
      });
  addUnary<attn::GeluOp>(
      patterns, [](OpBuilder &b, Location l, Value x, attn::GeluOp op) {
        return geluScalar(b, l, x, op.getApproximate());
      });
  patterns.add<PowLowering, CompareLowering, WhereLowering, CastLowering,
               LogicalLowering<attn::AndOp, arith::AndIOp>,
               LogicalLowering<attn::OrOp, arith::OrIOp>,
               LogicalLowering<attn::XorOp, arith::XOrIOp>>(ctx);
}
