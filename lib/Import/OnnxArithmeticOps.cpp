//===- OnnxArithmeticOps.cpp - Elementwise ONNX ops -------------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternals.h"
#include "OnnxBuild.h"

#include "attnc/Dialect/Attn/AttnOps.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace attnc;
using namespace attnc::import;

namespace {

template <typename OpTy>
LogicalResult importBinary(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  const OnnxValue &a = nc.input(0), &b = nc.input(1);
  if (failed(checkSameElementType(nc, a, b)))
    return failure();
  if (a.value.getType() != b.value.getType() &&
      cast<RankedTensorType>(a.value.getType()).getElementType().isInteger(1))
    return nc.emitError() << "arithmetic on bool tensors is not defined";
  OnnxValue out = a;
  if (failed(broadcastShapes(nc, a.shape, b.shape, out.shape)))
    return failure();
  Type elementType = cast<RankedTensorType>(a.value.getType()).getElementType();
  if constexpr (std::is_same_v<OpTy, attn::DivOp>)
    out.value = attn::DivOp::create(nc.builder(), nc.loc,
                                    nc.tensorType(out.shape, elementType),
                                    a.value, b.value, a.isUnsigned);
  else
    out.value = OpTy::create(nc.builder(), nc.loc,
                             nc.tensorType(out.shape, elementType), a.value,
                             b.value);
  nc.setOutput(0, out);
  return success();
}

/// Mod from truncating division: r = a - trunc(a / b) * b has the sign of
/// a (fmod = 1, C fmod); for integers with fmod = 0 (sign of b, Python %),
/// a nonzero r whose sign differs from b's gets b added.
LogicalResult importMod(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  const OnnxValue &a = nc.input(0), &b = nc.input(1);
  if (failed(checkSameElementType(nc, a, b)))
    return failure();
  Type elementType = build::elementType(a);
  if (elementType.isInteger(1))
    return nc.emitError() << "Mod of bool tensors is not defined";
  bool isFloat = isa<FloatType>(elementType);
  if (isFloat && nc.intAttr("fmod", 0) == 0)
    return nc.emitError() << "Mod of floating-point tensors needs fmod = 1";
  using P = attn::ComparePredicate;
  auto q = build::div(nc, a, b);
  if (failed(q))
    return failure();
  if (isFloat) {
    // C fmod: the quotient truncated toward zero, through int64 (exact
    // for |a / b| < 2^63).
    *q = build::castTo(nc, build::castTo(nc, *q, onnx::TensorProto::INT64),
                       a.onnxType);
  }
  auto qb = build::mul(nc, *q, b);
  if (failed(qb))
    return failure();
  auto r = build::sub(nc, a, *qb);
  if (failed(r))
    return failure();
  if (nc.intAttr("fmod", 0) != 0 || a.isUnsigned) {
    nc.setOutput(0, *r);
    return success();
  }
  OnnxValue zero = build::scalar(nc, a, 0);
  auto rNeg = build::compare(nc, P::lt, *r, zero);
  auto bNeg = build::compare(nc, P::lt, b, zero);
  auto rZero = build::compare(nc, P::eq, *r, zero);
  auto shifted = build::add(nc, *r, b);
  if (failed(rNeg) || failed(bNeg) || failed(rZero) || failed(shifted))
    return failure();
  OpBuilder &builder = nc.builder();
  OnnxValue cond = *rNeg;
  SymShape signShape;
  if (failed(broadcastShapes(nc, rNeg->shape, bNeg->shape, signShape)))
    return failure();
  Type i1 = builder.getI1Type();
  Value differ = attn::XorOp::create(builder, nc.loc,
                                     nc.tensorType(signShape, i1),
                                     rNeg->value, bNeg->value);
  Value nonZero = attn::NotOp::create(builder, nc.loc, rZero->value.getType(),
                                      rZero->value);
  if (failed(broadcastShapes(nc, signShape, rZero->shape, cond.shape)))
    return failure();
  cond.value = attn::AndOp::create(builder, nc.loc,
                                   nc.tensorType(cond.shape, i1), differ,
                                   nonZero);
  auto out = build::where(nc, cond, *shifted, *r);
  if (failed(out))
    return failure();
  nc.setOutput(0, *out);
  return success();
}

/// Variadic Sum, Max and Min with numpy broadcasting, folded pairwise; Max
/// and Min select with a comparison (a NaN operand is not propagated).
template <int which> // 0 = Sum, 1 = Max, 2 = Min
LogicalResult importVariadic(NodeContext &nc) {
  if (nc.numInputs() == 0 || !nc.hasInput(0))
    return nc.emitError() << "expects at least one input";
  OnnxValue acc = nc.input(0);
  if (build::elementType(acc).isInteger(1))
    return nc.emitError() << nc.node.op_type()
                          << " of bool tensors is not defined";
  for (size_t i = 1; i < nc.numInputs(); ++i) {
    if (!nc.hasInput(i))
      return nc.emitError() << "input " << i << " is missing";
    const OnnxValue &next = nc.input(i);
    if (failed(checkSameElementType(nc, acc, next)))
      return failure();
    FailureOr<OnnxValue> r = failure();
    if (which == 0) {
      r = build::add(nc, acc, next);
    } else {
      auto pred = which == 1 ? attn::ComparePredicate::gt
                             : attn::ComparePredicate::lt;
      auto keep = build::compare(nc, pred, acc, next);
      if (failed(keep))
        return failure();
      r = build::where(nc, *keep, acc, next);
    }
    if (failed(r))
      return failure();
    acc = *r;
  }
  nc.setOutput(0, acc);
  return success();
}

} // namespace

void import::appendArithmeticOpHandlers(std::vector<OpHandlerEntry> &handlers) {
  handlers.insert(handlers.end(), {
      {"", "Mod", 10, 24,
       "integers (fmod 0 and 1); floats with fmod 1 and |a / b| < 2^63",
       importMod},
      {"", "Sum", 8, 24, "numpy broadcasting", importVariadic<0>},
      {"", "Max", 8, 24, "numpy broadcasting; NaN not propagated",
       importVariadic<1>},
      {"", "Min", 8, 24, "numpy broadcasting; NaN not propagated",
       importVariadic<2>},
      {"", "Add", 7, 24, "numpy broadcasting", importBinary<attn::AddOp>},
      {"", "Sub", 7, 24, "numpy broadcasting", importBinary<attn::SubOp>},
      {"", "Mul", 7, 24, "numpy broadcasting", importBinary<attn::MulOp>},
      {"", "Div", 7, 24, "numpy broadcasting; integers truncate",
       importBinary<attn::DivOp>},
  });
}
