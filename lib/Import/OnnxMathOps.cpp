//===- OnnxMathOps.cpp - Unary math, comparison, logic, Where, Cast
//---------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// ONNX uint* tensors are signless integers in MLIR; OnnxValue::isUnsigned
// says how to read them, and the ops whose result depends on it (compare,
// cast, div, reduce) carry that as an attribute.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternals.h"

#include "attnc/Dialect/Attn/AttnOps.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace attnc;
using namespace attnc::import;

static Type elementTypeOf(const OnnxValue &v) {
  return cast<RankedTensorType>(v.value.getType()).getElementType();
}

/// Which element types a unary op accepts.
enum class Accepts { Float, FloatOrSigned, Any, Bool };

static LogicalResult checkAccepts(NodeContext &nc, const OnnxValue &in,
                                  Accepts accepts) {
  Type t = elementTypeOf(in);
  bool isFloat = isa<FloatType>(t), isBool = t.isInteger(1);
  bool ok = false;
  switch (accepts) {
  case Accepts::Float:
    ok = isFloat;
    break;
  case Accepts::FloatOrSigned:
    ok = isFloat || (!isBool && !in.isUnsigned);
    break;
  case Accepts::Any:
    ok = !isBool;
    break;
  case Accepts::Bool:
    ok = isBool;
    break;
  }
  if (!ok)
    return nc.emitError() << "element type " << onnxTypeName(in.onnxType)
                          << " is not supported by this op";
  return success();
}

namespace {

template <typename OpTy, Accepts accepts>
LogicalResult importUnary(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  const OnnxValue &in = nc.input(0);
  if (failed(checkAccepts(nc, in, accepts)))
    return failure();
  OnnxValue out = in;
  out.value = OpTy::create(nc.builder(), nc.loc, in.value.getType(), in.value);
  nc.setOutput(0, out);
  return success();
}

/// Abs of an unsigned integer is the identity.
LogicalResult importAbs(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  if (nc.input(0).isUnsigned) {
    nc.setOutput(0, nc.input(0));
    return success();
  }
  return importUnary<attn::AbsOp, Accepts::Any>(nc);
}

LogicalResult importGelu(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  const OnnxValue &in = nc.input(0);
  if (failed(checkAccepts(nc, in, Accepts::Float)))
    return failure();
  attn::GeluApproximation approx = attn::GeluApproximation::none;
  if (const onnx::AttributeProto *a = nc.attr("approximate")) {
    if (a->s() == "tanh")
      approx = attn::GeluApproximation::tanh;
    else if (a->s() != "none")
      return nc.emitError()
             << "approximate must be 'none' or 'tanh', got '" << a->s() << "'";
  }
  OnnxValue out = in;
  out.value = attn::GeluOp::create(nc.builder(), nc.loc, in.value.getType(),
                                   in.value, approx);
  nc.setOutput(0, out);
  return success();
}

/// attn.cast of `in` to `onnxType`; `in` itself when nothing changes.
FailureOr<OnnxValue> castTo(NodeContext &nc, const OnnxValue &in,
                            int32_t onnxType) {
  Type to = convertElementType(nc.builder().getContext(), onnxType);
  if (!to)
    return nc.emitError() << "cast to " << onnxTypeName(onnxType)
                          << " is not supported";
  OnnxValue out = in;
  out.onnxType = onnxType;
  out.isUnsigned = dtypeName(onnxType).starts_with("u");
  if (to == elementTypeOf(in))
    return out;
  auto type = cast<RankedTensorType>(in.value.getType()).clone(to);
  out.value = attn::CastOp::create(nc.builder(), nc.loc, type, in.value,
                                   in.isUnsigned, out.isUnsigned);
  return out;
}

LogicalResult importCast(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  const onnx::AttributeProto *to = nc.attr("to");
  if (!to)
    return nc.emitError() << "the 'to' attribute is missing";
  FailureOr<OnnxValue> out = castTo(nc, nc.input(0), to->i());
  if (failed(out))
    return failure();
  nc.setOutput(0, *out);
  return success();
}

LogicalResult importCastLike(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  FailureOr<OnnxValue> out = castTo(nc, nc.input(0), nc.input(1).onnxType);
  if (failed(out))
    return failure();
  nc.setOutput(0, *out);
  return success();
}

/// ONNX Pow: a float base with any exponent type is computed in the base
/// type; an integer base is computed in f64 and converted back (exact while
/// results stay below 2^53).
LogicalResult importPow(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  OnnxValue base = nc.input(0), exponent = nc.input(1);
  if (elementTypeOf(base).isInteger(1) || elementTypeOf(exponent).isInteger(1))
    return nc.emitError() << "Pow of bool tensors is not defined";
  SymShape shape;
  if (failed(broadcastShapes(nc, base.shape, exponent.shape, shape)))
    return failure();
  bool intBase = !isa<FloatType>(elementTypeOf(base));
  int32_t computeType =
      intBase ? int32_t(onnx::TensorProto::DOUBLE) : base.onnxType;
  FailureOr<OnnxValue> x = castTo(nc, base, computeType);
  if (failed(x))
    return failure();
  FailureOr<OnnxValue> y = castTo(nc, exponent, computeType);
  if (failed(y))
    return failure();
  OnnxValue out = *x;
  out.shape = shape;
  out.value = attn::PowOp::create(nc.builder(), nc.loc,
                                  nc.tensorType(shape, elementTypeOf(*x)),
                                  x->value, y->value);
  if (intBase) {
    FailureOr<OnnxValue> back = castTo(nc, out, base.onnxType);
    if (failed(back))
      return failure();
    out = *back;
  }
  nc.setOutput(0, out);
  return success();
}

template <attn::ComparePredicate predicate>
LogicalResult importCompare(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  const OnnxValue &a = nc.input(0), &b = nc.input(1);
  if (failed(checkSameElementType(nc, a, b)))
    return failure();
  if (predicate != attn::ComparePredicate::eq && elementTypeOf(a).isInteger(1))
    return nc.emitError() << "ordering comparison of bool tensors is not "
                             "defined";
  OnnxValue out;
  if (failed(broadcastShapes(nc, a.shape, b.shape, out.shape)))
    return failure();
  out.onnxType = onnx::TensorProto::BOOL;
  out.value = attn::CompareOp::create(
      nc.builder(), nc.loc, nc.tensorType(out.shape, nc.builder().getI1Type()),
      predicate, a.value, b.value, a.isUnsigned);
  nc.setOutput(0, out);
  return success();
}

template <typename OpTy> LogicalResult importLogical(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  const OnnxValue &a = nc.input(0), &b = nc.input(1);
  if (failed(checkAccepts(nc, a, Accepts::Bool)) ||
      failed(checkAccepts(nc, b, Accepts::Bool)))
    return failure();
  OnnxValue out = a;
  if (failed(broadcastShapes(nc, a.shape, b.shape, out.shape)))
    return failure();
  out.value = OpTy::create(nc.builder(), nc.loc,
                           nc.tensorType(out.shape, nc.builder().getI1Type()),
                           a.value, b.value);
  nc.setOutput(0, out);
  return success();
}

LogicalResult importWhere(NodeContext &nc) {
  if (failed(requireInputs(nc, 3)))
    return failure();
  const OnnxValue &c = nc.input(0), &x = nc.input(1), &y = nc.input(2);
  if (!elementTypeOf(c).isInteger(1))
    return nc.emitError() << "the condition must be a bool tensor, got "
                          << onnxTypeName(c.onnxType);
  if (failed(checkSameElementType(nc, x, y)))
    return failure();
  SymShape xy;
  OnnxValue out = x;
  if (failed(broadcastShapes(nc, x.shape, y.shape, xy)) ||
      failed(broadcastShapes(nc, c.shape, xy, out.shape)))
    return failure();
  out.value = attn::WhereOp::create(nc.builder(), nc.loc,
                                    nc.tensorType(out.shape, elementTypeOf(x)),
                                    c.value, x.value, y.value);
  nc.setOutput(0, out);
  return success();
}

} // namespace

void import::appendMathOpHandlers(std::vector<OpHandlerEntry> &handlers) {
  using P = attn::ComparePredicate;
  handlers.insert(
      handlers.end(),
      {
          {"", "Sqrt", 6, 24, "floats",
           importUnary<attn::SqrtOp, Accepts::Float>},
          {"", "Reciprocal", 6, 24, "floats",
           importUnary<attn::ReciprocalOp, Accepts::Float>},
          {"", "Exp", 6, 24, "floats",
           importUnary<attn::ExpOp, Accepts::Float>},
          {"", "Log", 6, 24, "floats",
           importUnary<attn::LogOp, Accepts::Float>},
          {"", "Erf", 9, 24, "floats; polynomial approximation",
           importUnary<attn::ErfOp, Accepts::Float>},
          {"", "Tanh", 6, 24, "floats",
           importUnary<attn::TanhOp, Accepts::Float>},
          {"", "Cos", 7, 24, "floats",
           importUnary<attn::CosOp, Accepts::Float>},
          {"", "Sin", 7, 24, "floats",
           importUnary<attn::SinOp, Accepts::Float>},
          {"", "Sigmoid", 6, 24, "floats",
           importUnary<attn::SigmoidOp, Accepts::Float>},
          {"", "Neg", 6, 24, "floats and signed integers",
           importUnary<attn::NegOp, Accepts::FloatOrSigned>},
          {"", "Abs", 6, 24, "floats and integers", importAbs},
          {"", "Relu", 6, 24, "floats and signed integers",
           importUnary<attn::ReluOp, Accepts::FloatOrSigned>},
          {"", "Not", 1, 24, "", importUnary<attn::NotOp, Accepts::Bool>},
          {"", "Gelu", 20, 24, "approximate: none or tanh", importGelu},
          {"", "Pow", 7, 24,
           "floats; integer operands are computed in f64 and converted back",
           importPow},
          {"", "Equal", 7, 24, "numpy broadcasting", importCompare<P::eq>},
          {"", "Less", 7, 24, "numpy broadcasting", importCompare<P::lt>},
          {"", "LessOrEqual", 12, 24, "numpy broadcasting",
           importCompare<P::le>},
          {"", "Greater", 7, 24, "numpy broadcasting", importCompare<P::gt>},
          {"", "GreaterOrEqual", 12, 24, "numpy broadcasting",
           importCompare<P::ge>},
          {"", "And", 7, 24, "numpy broadcasting", importLogical<attn::AndOp>},
          {"", "Or", 7, 24, "numpy broadcasting", importLogical<attn::OrOp>},
          {"", "Xor", 7, 24, "numpy broadcasting", importLogical<attn::XorOp>},
          {"", "Where", 9, 24, "numpy broadcasting of all three inputs",
           importWhere},
          {"", "Cast", 6, 24, "numeric types and bool (no strings, no float8)",
           importCast},
          {"", "CastLike", 15, 24, "as Cast", importCastLike},
      });
}
