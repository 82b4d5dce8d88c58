//===- FuseLinear.cpp - Form attn.linear with its epilogue ----------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Fusion.h"
#include "attnc/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"

namespace attnc {
#define GEN_PASS_DEF_FUSELINEAR
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;
using namespace attnc;
using namespace attnc::attn;

/// The only user of `value`, if it has exactly one.
static Operation *soleUser(Value value) {
  return value.hasOneUse() ? *value.user_begin() : nullptr;
}

/// A constant bias vector of `n` elements (`[N]`).
static bool isBiasVector(Value value, int64_t n) {
  auto type = cast<RankedTensorType>(value.getType());
  return type.getRank() == 1 && type.getDimSize(0) == n &&
         matchPattern(value, m_Constant());
}

namespace {

/// The product of the match: what attn.linear needs.
struct LinearMatch {
  Value input, weight, bias, residual;
  bool transposeWeight = false;
  Activation activation = Activation::none;
  SmallVector<Operation *> absorbed;
  Value result; // the value attn.linear replaces
};

/// Extends a match whose product is `match.result` with a bias add, an
/// activation and a residual add, each only if it is the sole user.
void extendEpilogue(LinearMatch &match, int64_t n) {
  auto type = match.result.getType();
  if (!match.bias)
    if (auto add = dyn_cast_if_present<AddOp>(soleUser(match.result))) {
      Value other = otherOperand(add, match.result);
      if (other && isBiasVector(other, n)) {
        match.bias = other;
        match.absorbed.push_back(add);
        match.result = add.getResult();
      }
    }
  Operation *user = soleUser(match.result);
  if (auto gelu = dyn_cast_if_present<GeluOp>(user)) {
    match.activation = gelu.getApproximate() == GeluApproximation::tanh
                           ? Activation::gelu_tanh
                           : Activation::gelu;
  } else if (isa_and_present<SiluOp>(user)) {
    match.activation = Activation::silu;
  } else if (isa_and_present<ReluOp>(user)) {
    match.activation = Activation::relu;
  }
  if (match.activation != Activation::none) {
    match.absorbed.push_back(user);
    match.result = user->getResult(0);
  }
  if (auto add = dyn_cast_if_present<AddOp>(soleUser(match.result))) {
    Value other = otherOperand(add, match.result);
    if (other && other.getType() == type && other != match.result) {
      match.residual = other;
      match.absorbed.push_back(add);
      match.result = add.getResult();
    }
  }
}

LogicalResult rewriteLinear(PatternRewriter &rewriter, LinearMatch &match) {
  Operation *last = match.result.getDefiningOp();
  // The residual must be available where the fused op is created.
  rewriter.setInsertionPoint(last);
  Location loc = fusedLocation(rewriter.getContext(), match.absorbed, "linear");
  Value fused = rewriter.create<LinearOp>(
      loc, match.result.getType(), match.input, match.weight, match.bias,
      match.residual,
      match.transposeWeight ? rewriter.getUnitAttr() : UnitAttr(),
      ActivationAttr::get(rewriter.getContext(), match.activation));
  rewriter.replaceAllUsesWith(match.result, fused);
  return success();
}

/// MatMul(x [..., K], W [K, N]) with a constant W.
struct FuseMatMulLinear : public OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    auto w = cast<RankedTensorType>(op.getRhs().getType());
    auto x = cast<RankedTensorType>(op.getLhs().getType());
    if (w.getRank() != 2 || x.getRank() < 2 ||
        !matchPattern(op.getRhs(), m_Constant()))
      return failure();
    LinearMatch match{op.getLhs(), op.getRhs(), {}, {}, false,
                      Activation::none, {op}, op.getResult()};
    extendEpilogue(match, w.getDimSize(1));
    return rewriteLinear(rewriter, match);
  }
};

/// Gemm(x [M, K], W, c) with alpha = beta = 1, no transposed x, a constant
/// W and a vector (or no) c.
struct FuseGemmLinear : public OpRewritePattern<GemmOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GemmOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getTransA() || op.getAlpha().convertToDouble() != 1.0 ||
        !matchPattern(op.getB(), m_Constant()))
      return failure();
    int64_t n = cast<RankedTensorType>(op.getType()).getDimSize(1);
    Value bias = op.getC();
    if (bias && (op.getBeta().convertToDouble() != 1.0 ||
                 !isBiasVector(bias, n)))
      return failure();
    LinearMatch match{op.getA(), op.getB(), bias, {}, op.getTransB(),
                      Activation::none, {op}, op.getResult()};
    extendEpilogue(match, n);
    return rewriteLinear(rewriter, match);
  }
};

struct FuseLinearPass : public attnc::impl::FuseLinearBase<FuseLinearPass> {
  void runOnOperation() override {
    if (failed(applyFusionPatterns(getOperation(), populateFuseLinearPatterns,
                                   getArgument())))
      signalPassFailure();
  }
};

} // namespace

void attnc::populateFuseLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseMatMulLinear, FuseGemmLinear>(patterns.getContext());
}
