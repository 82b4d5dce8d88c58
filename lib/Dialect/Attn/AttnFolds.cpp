//===- AttnFolds.cpp - Folders and canonicalizations of attn ops ----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/AttnOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>
#include <optional>

using namespace mlir;
using namespace attnc::attn;

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

/// True when `value` is a constant splat equal to `x` (float or integer).
static bool isSplatOf(Value value, double x) {
  DenseElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) || !attr.isSplat())
    return false;
  Type elementType = attr.getElementType();
  if (isa<FloatType>(elementType))
    return attr.getSplatValue<APFloat>().convertToDouble() == x;
  if (elementType.isSignlessInteger())
    return attr.getSplatValue<APInt>().getSExtValue() == static_cast<int64_t>(x);
  return false;
}

/// Folds `x op c` to `x` when `c` is the identity and no broadcast happens.
static OpFoldResult foldRightIdentity(Operation *op, Value lhs, Value rhs,
                                      double identity) {
  if (lhs.getType() == op->getResult(0).getType() && isSplatOf(rhs, identity))
    return lhs;
  return {};
}

//===----------------------------------------------------------------------===//
// Constant folding of splats
//===----------------------------------------------------------------------===//
//
// Exporters compute scalars in the graph (the attention scale as
// `Pow(Cast(head_dim), 0.5)`, `sqrt(2/pi)` in GELU, LayerNorm epsilons);
// fusion patterns need them as constants. Only splat operands fold: that
// covers every scalar and never copies a weight.

/// The splat constant behind `attr`, if any.
static DenseElementsAttr splatAttr(Attribute attr) {
  auto dense = dyn_cast_if_present<DenseElementsAttr>(attr);
  if (dense && dense.isSplat())
    return dense;
  return {};
}

/// The static result type of `op`, or null when a dim is dynamic.
static RankedTensorType staticResultType(Operation *op) {
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  return type && type.hasStaticShape() ? type : RankedTensorType();
}

/// A splat of `type` holding `value`, rounded to the element type.
static Attribute floatSplat(RankedTensorType type, double value) {
  auto floatType = cast<FloatType>(type.getElementType());
  APFloat result(value);
  bool lost;
  result.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                 &lost);
  return DenseElementsAttr::get(type, result);
}

static OpFoldResult foldFloatSplats(Operation *op, ArrayRef<Attribute> operands,
                                    function_ref<double(ArrayRef<double>)> fn) {
  RankedTensorType type = staticResultType(op);
  if (!type || !isa<FloatType>(type.getElementType()))
    return {};
  SmallVector<double> values;
  for (Attribute operand : operands) {
    DenseElementsAttr splat = splatAttr(operand);
    if (!splat || !isa<FloatType>(splat.getElementType()))
      return {};
    values.push_back(splat.getSplatValue<APFloat>().convertToDouble());
  }
  return floatSplat(type, fn(values));
}

/// Signed integer splats (the shape arithmetic of exporters); `fn` returns
/// nothing for results it does not define (division by zero).
static OpFoldResult
foldIntSplats(Operation *op, ArrayRef<Attribute> operands,
              function_ref<std::optional<APInt>(const APInt &, const APInt &)>
                  fn) {
  RankedTensorType type = staticResultType(op);
  if (!type || !type.getElementType().isSignlessInteger() ||
      type.getElementType().isInteger(1) || operands.size() != 2)
    return {};
  DenseElementsAttr lhs = splatAttr(operands[0]), rhs = splatAttr(operands[1]);
  if (!lhs || !rhs || !lhs.getElementType().isSignlessInteger() ||
      !rhs.getElementType().isSignlessInteger())
    return {};
  std::optional<APInt> result =
      fn(lhs.getSplatValue<APInt>(), rhs.getSplatValue<APInt>());
  if (!result)
    return {};
  return DenseElementsAttr::get(type, *result);
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult r = foldRightIdentity(*this, getLhs(), getRhs(), 0.0))
    return r;
  if (OpFoldResult r = foldRightIdentity(*this, getRhs(), getLhs(), 0.0))
    return r;
  if (OpFoldResult r = foldFloatSplats(*this, adaptor.getOperands(),
                                       [](ArrayRef<double> v) {
                                         return v[0] + v[1];
                                       }))
    return r;
  return foldIntSplats(*this, adaptor.getOperands(),
                       [](const APInt &a, const APInt &b) {
                         return std::optional<APInt>(a + b);
                       });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult r = foldRightIdentity(*this, getLhs(), getRhs(), 0.0))
    return r;
  if (OpFoldResult r = foldFloatSplats(*this, adaptor.getOperands(),
                                       [](ArrayRef<double> v) {
                                         return v[0] - v[1];
                                       }))
    return r;
  return foldIntSplats(*this, adaptor.getOperands(),
                       [](const APInt &a, const APInt &b) {
                         return std::optional<APInt>(a - b);
                       });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult r = foldRightIdentity(*this, getLhs(), getRhs(), 1.0))
    return r;
  if (OpFoldResult r = foldRightIdentity(*this, getRhs(), getLhs(), 1.0))
    return r;
  if (OpFoldResult r = foldFloatSplats(*this, adaptor.getOperands(),
                                       [](ArrayRef<double> v) {
                                         return v[0] * v[1];
                                       }))
    return r;
  return foldIntSplats(*this, adaptor.getOperands(),
                       [](const APInt &a, const APInt &b) {
                         return std::optional<APInt>(a * b);
                       });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult r = foldRightIdentity(*this, getLhs(), getRhs(), 1.0))
    return r;
  if (OpFoldResult r = foldFloatSplats(*this, adaptor.getOperands(),
                                       [](ArrayRef<double> v) {
                                         return v[0] / v[1];
                                       }))
    return r;
  bool isUnsigned = getIsUnsigned();
  return foldIntSplats(
      *this, adaptor.getOperands(),
      [&](const APInt &a, const APInt &b) -> std::optional<APInt> {
        if (b.isZero() || (!isUnsigned && b.isAllOnes() && a.isMinSignedValue()))
          return std::nullopt;
        return isUnsigned ? a.udiv(b) : a.sdiv(b);
      });
}

OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  return foldFloatSplats(*this, adaptor.getOperands(), [](ArrayRef<double> v) {
    return std::pow(v[0], v[1]);
  });
}

#define ATTNC_FOLD_UNARY(OP, EXPR)                                             \
  OpFoldResult OP::fold(FoldAdaptor adaptor) {                                 \
    return foldFloatSplats(*this, adaptor.getOperands(),                       \
                           [](ArrayRef<double> v) {                            \
                             double x = v[0];                                  \
                             return EXPR;                                      \
                           });                                                 \
  }
ATTNC_FOLD_UNARY(SqrtOp, std::sqrt(x))
ATTNC_FOLD_UNARY(ReciprocalOp, 1.0 / x)
ATTNC_FOLD_UNARY(ExpOp, std::exp(x))
ATTNC_FOLD_UNARY(LogOp, std::log(x))
ATTNC_FOLD_UNARY(ErfOp, std::erf(x))
ATTNC_FOLD_UNARY(TanhOp, std::tanh(x))
ATTNC_FOLD_UNARY(CosOp, std::cos(x))
ATTNC_FOLD_UNARY(SinOp, std::sin(x))
ATTNC_FOLD_UNARY(SigmoidOp, 1.0 / (1.0 + std::exp(-x)))
#undef ATTNC_FOLD_UNARY

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult r = foldFloatSplats(*this, adaptor.getOperands(),
                                       [](ArrayRef<double> v) { return -v[0]; }))
    return r;
  RankedTensorType type = staticResultType(*this);
  DenseElementsAttr splat = splatAttr(adaptor.getInput());
  if (!type || !splat || !splat.getElementType().isSignlessInteger())
    return {};
  return DenseElementsAttr::get(type, -splat.getSplatValue<APInt>());
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = staticResultType(*this);
  DenseElementsAttr splat = splatAttr(adaptor.getInput());
  if (!type || !splat)
    return {};
  Type from = splat.getElementType(), to = type.getElementType();
  // Float results only: scalars that feed float arithmetic. Integer and
  // bool results keep their exact ONNX rounding rules in the lowering.
  if (!isa<FloatType>(to))
    return {};
  double value;
  if (auto f = dyn_cast<FloatType>(from)) {
    value = splat.getSplatValue<APFloat>().convertToDouble();
  } else if (from.isInteger(1)) {
    value = splat.getSplatValue<APInt>().isZero() ? 0.0 : 1.0;
  } else if (from.isSignlessInteger()) {
    APInt i = splat.getSplatValue<APInt>();
    // Beyond 2^53 the double is inexact; let the lowering round instead.
    if ((getInputUnsigned() ? i.getActiveBits() : i.getSignificantBits()) >
        53)
      return {};
    value = getInputUnsigned() ? static_cast<double>(i.getZExtValue())
                               : static_cast<double>(i.getSExtValue());
  } else {
    return {};
  }
  return floatSplat(type, value);
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  for (auto [i, p] : llvm::enumerate(perm))
    if (static_cast<int64_t>(i) != p)
      return {};
  if (getInput().getType() != getType())
    return {};
  return getInput();
}

namespace {
/// transpose(transpose(x, p1), p2) -> transpose(x, p1[p2[i]]).
struct ComposeTransposes : public OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<TransposeOp>();
    if (!inner)
      return failure();
    ArrayRef<int64_t> outerPerm = op.getPermutation();
    ArrayRef<int64_t> innerPerm = inner.getPermutation();
    SmallVector<int64_t> composed;
    for (int64_t p : outerPerm)
      composed.push_back(innerPerm[p]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, op.getType(),
                                             inner.getInput(), composed);
    return success();
  }
};
} // namespace

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<ComposeTransposes>(context);
}
