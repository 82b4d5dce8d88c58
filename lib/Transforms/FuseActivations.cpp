//===- FuseActivations.cpp - Recognise GELU numerically -------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Exporters write GELU in many algebraic arrangements; matching each graph
// shape breaks with the next exporter. Instead, an elementwise expression
// of one tensor and scalar constants is evaluated at sample points and
// compared with the GELU formulas (see FuseActivations in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Fusion.h"
#include "attnc/Transforms/Passes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

namespace attnc {
#define GEN_PASS_DEF_FUSEACTIVATIONS
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;
using namespace attnc;
using namespace attnc::attn;

namespace {

/// Scalar elementwise ops the evaluator understands.
bool isScalarMathOp(Operation *op) {
  return isa<AddOp, SubOp, MulOp, DivOp, PowOp, NegOp, SqrtOp, ReciprocalOp,
             ExpOp, LogOp, ErfOp, TanhOp, SigmoidOp>(op);
}

/// An elementwise expression of one tensor `x` and scalar constants.
struct Expression {
  Value x;
  SmallVector<Operation *> ops; // operands before users
  bool hasErf = false, hasTanh = false, hasSigmoidOrExp = false;
};

/// Constants that broadcast without changing the result shape.
bool isBroadcastScalar(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  return llvm::all_of(type.getShape(), [](int64_t d) { return d == 1; });
}

constexpr size_t kMaxExpressionOps = 32;

LogicalResult collect(Value value, Type rootType, bool isRoot,
                      Expression &expr, llvm::SmallPtrSet<Operation *, 16> &seen) {
  if (getScalarConstant(value))
    return success(isBroadcastScalar(value) || value.getType() == rootType);
  Operation *def = value.getDefiningOp();
  bool interior = def && isScalarMathOp(def) && value.getType() == rootType &&
                  (isRoot || value.hasOneUse());
  if (!interior) {
    // The expression's variable: one tensor, used as a whole.
    if (value.getType() != rootType || (expr.x && expr.x != value))
      return failure();
    expr.x = value;
    return success();
  }
  if (!seen.insert(def).second)
    return success();
  if (expr.ops.size() >= kMaxExpressionOps)
    return failure();
  for (Value operand : def->getOperands())
    if (failed(collect(operand, rootType, /*isRoot=*/false, expr, seen)))
      return failure();
  expr.hasErf |= isa<ErfOp>(def);
  expr.hasTanh |= isa<TanhOp>(def);
  expr.hasSigmoidOrExp |= isa<SigmoidOp, ExpOp>(def);
  expr.ops.push_back(def);
  return success();
}

/// Evaluates `expr` at `x` in double precision.
double evaluate(const Expression &expr, double x) {
  llvm::DenseMap<Value, double> values;
  auto get = [&](Value v) {
    if (v == expr.x)
      return x;
    if (std::optional<double> c = getScalarConstant(v))
      return *c;
    return values.lookup(v);
  };
  double result = 0;
  for (Operation *op : expr.ops) {
    double a = get(op->getOperand(0));
    double b = op->getNumOperands() > 1 ? get(op->getOperand(1)) : 0.0;
    result = llvm::TypeSwitch<Operation *, double>(op)
                 .Case([&](AddOp) { return a + b; })
                 .Case([&](SubOp) { return a - b; })
                 .Case([&](MulOp) { return a * b; })
                 .Case([&](DivOp) { return a / b; })
                 .Case([&](PowOp) { return std::pow(a, b); })
                 .Case([&](NegOp) { return -a; })
                 .Case([&](SqrtOp) { return std::sqrt(a); })
                 .Case([&](ReciprocalOp) { return 1.0 / a; })
                 .Case([&](ExpOp) { return std::exp(a); })
                 .Case([&](LogOp) { return std::log(a); })
                 .Case([&](ErfOp) { return std::erf(a); })
                 .Case([&](TanhOp) { return std::tanh(a); })
                 .Case([&](SigmoidOp) { return 1.0 / (1.0 + std::exp(-a)); })
                 .Default([](Operation *) { return NAN; });
    values[op->getResult(0)] = result;
  }
  return result;
}

double geluErf(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }
double geluTanh(double x) {
  const double c = std::sqrt(2.0 / M_PI);
  return 0.5 * x * (1.0 + std::tanh(c * (x + 0.044715 * x * x * x)));
}

double silu(double x) { return x / (1.0 + std::exp(-x)); }

/// True when `expr` equals `ref` at every sample point. The tolerance
/// allows for float32 constants (sqrt(2/pi) rounded, ...) and rejects the
/// other GELU formula, which differs by up to 5e-4.
bool matches(const Expression &expr, double (*ref)(double)) {
  static const double points[] = {-6.0, -3.5, -2.0, -1.3, -0.7, -0.2, 0.0,
                                   0.15, 0.5,  1.0,  1.7,  2.6,  4.0,  7.0};
  for (double x : points) {
    double got = evaluate(expr, x), want = ref(x);
    if (!(std::fabs(got - want) <= 1e-6 * (1.0 + std::fabs(want))))
      return false;
  }
  return true;
}

/// Rooted at the last op of the expression: a Mul (x * sigmoid(x), the
/// GELU forms) or a Div (x / (1 + exp(-x))).
template <typename RootOp>
struct FuseActivationPattern : public OpRewritePattern<RootOp> {
  using OpRewritePattern<RootOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(RootOp root,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(root.getType());
    if (!type || !isa<FloatType>(type.getElementType()))
      return failure();
    Expression expr;
    llvm::SmallPtrSet<Operation *, 16> seen;
    if (failed(collect(root.getResult(), type, /*isRoot=*/true, expr, seen)) ||
        !expr.x || !(expr.hasErf || expr.hasTanh || expr.hasSigmoidOrExp))
      return failure();
    MLIRContext *ctx = rewriter.getContext();
    Value fused;
    if (expr.hasSigmoidOrExp && !expr.hasErf && !expr.hasTanh &&
        matches(expr, silu)) {
      fused = rewriter.create<SiluOp>(fusedLocation(ctx, expr.ops, "silu"),
                                      type, expr.x);
    } else {
      GeluApproximation mode;
      if (expr.hasErf && matches(expr, geluErf))
        mode = GeluApproximation::none;
      else if (expr.hasTanh && matches(expr, geluTanh))
        mode = GeluApproximation::tanh;
      else
        return rewriter.notifyMatchFailure(root, "not a GELU or SiLU");
      fused = rewriter.create<GeluOp>(fusedLocation(ctx, expr.ops, "gelu"),
                                      type, expr.x,
                                      GeluApproximationAttr::get(ctx, mode));
    }
    rewriter.replaceOp(root, fused);
    return success();
  }
};

struct FuseActivationsPass
    : public attnc::impl::FuseActivationsBase<FuseActivationsPass> {
  void runOnOperation() override {
    if (failed(applyFusionPatterns(getOperation(), populateFuseActivationsPatterns,
                                   getArgument())))
      signalPassFailure();
  }
};

} // namespace

void attnc::populateFuseActivationsPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseActivationPattern<MulOp>, FuseActivationPattern<DivOp>>(
      patterns.getContext());
}
