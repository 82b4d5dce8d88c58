//===- FuseNormalization.cpp - Form attn.layer_norm / attn.rms_norm -------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Fusion.h"
#include "attnc/Transforms/Passes.h"


namespace attnc {
#define GEN_PASS_DEF_FUSENORMALIZATION
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;
using namespace attnc;
using namespace attnc::attn;

/// A keepdims mean over trailing axes `first..rank-1`: returns `first`.
static std::optional<int64_t> trailingMean(ReduceOp reduce) {
  if (!reduce || reduce.getKind() != ReduceKind::mean || !reduce.getKeepdims())
    return std::nullopt;
  int64_t rank = cast<RankedTensorType>(reduce.getInput().getType()).getRank();
  ArrayRef<int64_t> axes = reduce.getAxes();
  for (auto [i, a] : llvm::enumerate(axes))
    if (a != rank - static_cast<int64_t>(axes.size()) + static_cast<int64_t>(i))
      return std::nullopt;
  return axes.front();
}

/// True when `param` (gamma or beta) is exactly the normalized dims.
static bool fitsNormalizedDims(Value param, RankedTensorType input,
                               int64_t axis) {
  auto type = cast<RankedTensorType>(param.getType());
  ArrayRef<int64_t> normalized = input.getShape().drop_front(axis);
  return type.getShape() == normalized && type.hasStaticShape();
}

/// The value `x / root` computes, if `op` is `x / root`, `x * (1 / root)`
/// or `x * reciprocal(root)`; `absorbed` gets the reciprocal.
static Operation *normalizationOf(Value root, Value x,
                                  SmallVectorImpl<Operation *> &absorbed) {
  if (!root.hasOneUse())
    return nullptr;
  Operation *user = *root.user_begin();
  if (auto div = dyn_cast<DivOp>(user)) {
    if (div.getLhs() == x && div.getType() == x.getType())
      return div;
    std::optional<double> one = getScalarConstant(div.getLhs());
    if (!one || *one != 1.0)
      return nullptr;
  } else if (!isa<ReciprocalOp>(user)) {
    return nullptr;
  }
  // user is 1 / root: the normalization multiplies x by it.
  Value inv = user->getResult(0);
  if (!inv.hasOneUse())
    return nullptr;
  Operation *mul = *inv.user_begin();
  if (!isa<MulOp>(mul) || otherOperand(mul, x) != inv)
    return nullptr;
  absorbed.push_back(user);
  return mul;
}

/// x * rsqrt(mean(x^2) + eps) [* w]: the RMSNorm form of the match.
static LogicalResult matchRmsNorm(SqrtOp sqrt, AddOp addEps, double eps,
                                  ReduceOp var, Operation *square, Value x,
                                  int64_t axis, PatternRewriter &rewriter) {
  SmallVector<Operation *> absorbed = {square, var, addEps, sqrt};
  Operation *norm = normalizationOf(sqrt.getResult(), x, absorbed);
  if (!norm)
    return failure();
  absorbed.push_back(norm);
  auto inputType = cast<RankedTensorType>(x.getType());
  Value result = norm->getResult(0), weight;
  if (result.hasOneUse() && isa<MulOp>(*result.user_begin())) {
    Operation *mul = *result.user_begin();
    Value w = otherOperand(mul, result);
    if (w && fitsNormalizedDims(w, inputType, axis)) {
      weight = w;
      absorbed.push_back(mul);
      result = mul->getResult(0);
    }
  }
  Location loc = fusedLocation(rewriter.getContext(), absorbed, "rms_norm");
  rewriter.setInsertionPoint(result.getDefiningOp());
  if (!weight) {
    auto type = RankedTensorType::get(inputType.getShape().drop_front(axis),
                                      inputType.getElementType());
    if (!type.hasStaticShape())
      return failure();
    weight = rewriter.create<ConstantOp>(
        loc, type,
        DenseElementsAttr::get(
            type, rewriter.getFloatAttr(type.getElementType(), 1.0)));
  }
  Value fused = rewriter.create<RmsNormOp>(
      loc, inputType, x, weight, rewriter.getI64IntegerAttr(axis),
      rewriter.getF32FloatAttr(static_cast<float>(eps)));
  rewriter.replaceAllUsesWith(result, fused);
  return success();
}

namespace {

/// Anchored on the sqrt of `mean(d^2) + eps`; see FuseLayerNorm in
/// Passes.td for the accepted forms.
struct FuseLayerNormPattern : public OpRewritePattern<SqrtOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SqrtOp sqrt,
                                PatternRewriter &rewriter) const override {
    auto addEps = sqrt.getInput().getDefiningOp<AddOp>();
    if (!addEps || !sqrt.getInput().hasOneUse())
      return failure();
    std::optional<double> eps = getScalarConstant(addEps.getRhs());
    Value varValue = addEps.getLhs();
    if (!eps) {
      eps = getScalarConstant(addEps.getLhs());
      varValue = addEps.getRhs();
    }
    auto var = varValue.getDefiningOp<ReduceOp>();
    std::optional<int64_t> axis = trailingMean(var);
    if (!eps || !axis || !varValue.hasOneUse() ||
        varValue.getType() != addEps.getType())
      return failure();
    // Square of d: Pow(d, 2) or d * d.
    Operation *square = var.getInput().getDefiningOp();
    if (!square || !var.getInput().hasOneUse())
      return failure();
    Value d;
    if (auto pow = dyn_cast<PowOp>(square)) {
      std::optional<double> exponent = getScalarConstant(pow.getRhs());
      if (!exponent || *exponent != 2.0)
        return failure();
      d = pow.getLhs();
    } else if (auto mul = dyn_cast<MulOp>(square)) {
      if (mul.getLhs() != mul.getRhs())
        return failure();
      d = mul.getLhs();
    } else {
      return failure();
    }
    auto sub = d.getDefiningOp<SubOp>();
    if (!sub)
      return matchRmsNorm(sqrt, addEps, *eps, var, square, d, *axis, rewriter);
    Value x = sub.getLhs();
    auto mean = sub.getRhs().getDefiningOp<ReduceOp>();
    if (!mean || mean.getInput() != x || trailingMean(mean) != axis ||
        !sub.getRhs().hasOneUse() || d.getType() != x.getType())
      return failure();

    // d / sqrt(...) or d * reciprocal(sqrt(...)).
    SmallVector<Operation *> absorbed = {mean, sub, square, var, addEps, sqrt};
    Operation *norm = normalizationOf(sqrt.getResult(), d, absorbed);
    if (!norm)
      return failure();
    absorbed.push_back(norm);
    // d feeds only the square and the normalization.
    for (Operation *user : d.getUsers())
      if (user != square && user != norm)
        return failure();

    // Optional elementwise scale and shift.
    auto inputType = cast<RankedTensorType>(x.getType());
    Value result = norm->getResult(0), gamma, beta;
    if (result.hasOneUse() && isa<MulOp>(*result.user_begin())) {
      Operation *mul = *result.user_begin();
      Value g = otherOperand(mul, result);
      if (g && fitsNormalizedDims(g, inputType, *axis)) {
        gamma = g;
        absorbed.push_back(mul);
        result = mul->getResult(0);
      }
    }
    if (result.hasOneUse() && isa<AddOp>(*result.user_begin())) {
      Operation *add = *result.user_begin();
      Value b = otherOperand(add, result);
      if (b && fitsNormalizedDims(b, inputType, *axis)) {
        beta = b;
        absorbed.push_back(add);
        result = add->getResult(0);
      }
    }

    Location loc = fusedLocation(getContext(), absorbed, "layer_norm");
    rewriter.setInsertionPoint(result.getDefiningOp());
    if (!gamma) {
      auto type = RankedTensorType::get(inputType.getShape().drop_front(*axis),
                                        inputType.getElementType());
      if (!type.hasStaticShape())
        return failure();
      gamma = rewriter.create<ConstantOp>(
          loc, type,
          DenseElementsAttr::get(
              type, rewriter.getFloatAttr(type.getElementType(), 1.0)));
    }
    Value fused = rewriter.create<LayerNormOp>(
        loc, inputType, x, gamma, beta, rewriter.getI64IntegerAttr(*axis),
        rewriter.getF32FloatAttr(static_cast<float>(*eps)));
    rewriter.replaceAllUsesWith(result, fused);
    return success();
  }
};

struct FuseNormalizationPass
    : public attnc::impl::FuseNormalizationBase<FuseNormalizationPass> {
  void runOnOperation() override {
    if (failed(applyFusionPatterns(getOperation(), populateFuseNormalizationPatterns,
                                   getArgument())))
      signalPassFailure();
  }
};

} // namespace

void attnc::populateFuseNormalizationPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseLayerNormPattern>(patterns.getContext());
}
