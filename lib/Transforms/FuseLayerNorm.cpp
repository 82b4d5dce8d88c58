//===- FuseLayerNorm.cpp - Form attn.layer_norm from its decomposition ----===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Fusion.h"
#include "attnc/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attnc {
#define GEN_PASS_DEF_FUSELAYERNORM
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

/// `operand` of the elementwise `op` that is not `chain`, if `op` is a
/// binary op with `chain` as one operand of the result's type.
static Value otherOperand(Operation *op, Value chain) {
  if (op->getNumOperands() != 2 || op->getResult(0).getType() != chain.getType())
    return {};
  if (op->getOperand(0) == chain)
    return op->getOperand(1);
  if (op->getOperand(1) == chain)
    return op->getOperand(0);
  return {};
}

/// True when `param` (gamma or beta) is exactly the normalized dims.
static bool fitsNormalizedDims(Value param, RankedTensorType input,
                               int64_t axis) {
  auto type = cast<RankedTensorType>(param.getType());
  ArrayRef<int64_t> normalized = input.getShape().drop_front(axis);
  return type.getShape() == normalized && type.hasStaticShape();
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
      return failure();
    Value x = sub.getLhs();
    auto mean = sub.getRhs().getDefiningOp<ReduceOp>();
    if (!mean || mean.getInput() != x || trailingMean(mean) != axis ||
        !sub.getRhs().hasOneUse() || d.getType() != x.getType())
      return failure();

    // d / sqrt(...) or d * reciprocal(sqrt(...)).
    if (!sqrt->hasOneUse())
      return failure();
    Operation *norm = *sqrt->user_begin();
    SmallVector<Operation *> absorbed = {mean, sub, square, var, addEps, sqrt};
    if (auto recip = dyn_cast<ReciprocalOp>(norm)) {
      if (!recip->hasOneUse())
        return failure();
      absorbed.push_back(recip);
      norm = *recip->user_begin();
      if (!isa<MulOp>(norm) || otherOperand(norm, d) != recip.getResult())
        return failure();
    } else if (!isa<DivOp>(norm) || cast<DivOp>(norm).getLhs() != d ||
               cast<DivOp>(norm).getType() != x.getType()) {
      return failure();
    }
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

struct FuseLayerNormPass
    : public attnc::impl::FuseLayerNormBase<FuseLayerNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseLayerNormPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void attnc::populateFuseLayerNormPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseLayerNormPattern>(patterns.getContext());
}
