//===- OnnxOps.cpp - Importers of individual ONNX ops ---------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// One handler per ONNX op (or op family), each computing the result's
// symbolic shape itself rather than trusting the model's value_info: ONNX's
// own shape inference loses symbolic dims in common transformer exports.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternals.h"

#include "attnc/Dialect/Attn/AttnOps.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace attnc;
using namespace attnc::import;

namespace {

/// Numpy broadcasting of two symbolic shapes; unifies dims that must match.
LogicalResult broadcastShapes(NodeContext &nc, const SymShape &a,
                              const SymShape &b, SymShape &out) {
  size_t rank = std::max(a.size(), b.size());
  out.assign(rank, Dim::fixed(1));
  for (size_t i = 0; i < rank; ++i) {
    Dim x = i + a.size() >= rank ? a[i + a.size() - rank] : Dim::fixed(1);
    Dim y = i + b.size() >= rank ? b[i + b.size() - rank] : Dim::fixed(1);
    x = nc.symbols().resolve(x);
    y = nc.symbols().resolve(y);
    if (x.sym < 0 && x.size == 1) {
      out[i] = y;
    } else if (y.sym < 0 && y.size == 1) {
      out[i] = x;
    } else if (failed(nc.symbols().unify(x, y, out[i]))) {
      return nc.emitError() << "shapes do not broadcast: dim " << i
                            << " is " << x.size << " in one operand and "
                            << y.size << " in the other";
    }
  }
  return success();
}

LogicalResult checkSameElementType(NodeContext &nc, const OnnxValue &a,
                                   const OnnxValue &b) {
  if (a.onnxType != b.onnxType)
    return nc.emitError() << "operands have different element types ("
                          << onnxTypeName(a.onnxType) << " and "
                          << onnxTypeName(b.onnxType) << ")";
  return success();
}

LogicalResult requireInputs(NodeContext &nc, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!nc.hasInput(i))
      return nc.emitError() << "expects " << n << " inputs, input " << i
                            << " is missing";
  return success();
}

template <typename OpTy>
LogicalResult importBinary(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  const OnnxValue &a = nc.input(0), &b = nc.input(1);
  if (failed(checkSameElementType(nc, a, b)))
    return failure();
  if (std::is_same_v<OpTy, attn::DivOp> && a.isUnsigned)
    return nc.emitError() << "Div of unsigned integers is not supported yet";
  if (a.value.getType() != b.value.getType() &&
      cast<RankedTensorType>(a.value.getType()).getElementType().isInteger(1))
    return nc.emitError() << "arithmetic on bool tensors is not defined";
  OnnxValue out = a;
  if (failed(broadcastShapes(nc, a.shape, b.shape, out.shape)))
    return failure();
  Type elementType = cast<RankedTensorType>(a.value.getType()).getElementType();
  out.value = OpTy::create(nc.builder(), nc.loc,
                           nc.tensorType(out.shape, elementType), a.value,
                           b.value);
  nc.setOutput(0, out);
  return success();
}

LogicalResult importMatMul(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  const OnnxValue &a = nc.input(0), &b = nc.input(1);
  if (failed(checkSameElementType(nc, a, b)))
    return failure();
  if (a.shape.size() < 2 || b.shape.size() < 2)
    return nc.emitError() << "rank-1 MatMul operands are not supported yet "
                             "(ranks "
                          << a.shape.size() << " and " << b.shape.size() << ")";
  Dim k;
  if (failed(nc.symbols().unify(a.shape.back(), b.shape[b.shape.size() - 2],
                                k)))
    return nc.emitError() << "contraction dims differ: "
                          << nc.symbols().resolve(a.shape.back()).size
                          << " vs "
                          << nc.symbols().resolve(b.shape[b.shape.size() - 2]).size;
  SymShape batchA(a.shape.begin(), a.shape.end() - 2);
  SymShape batchB(b.shape.begin(), b.shape.end() - 2);
  OnnxValue out = a;
  if (failed(broadcastShapes(nc, batchA, batchB, out.shape)))
    return failure();
  out.shape.push_back(a.shape[a.shape.size() - 2]);
  out.shape.push_back(b.shape.back());
  Type elementType = cast<RankedTensorType>(a.value.getType()).getElementType();
  if (elementType.isInteger(1))
    return nc.emitError() << "MatMul of bool tensors is not defined";
  out.value = attn::MatMulOp::create(nc.builder(), nc.loc,
                                     nc.tensorType(out.shape, elementType),
                                     a.value, b.value);
  nc.setOutput(0, out);
  return success();
}

LogicalResult importTranspose(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  const OnnxValue &in = nc.input(0);
  int64_t rank = in.shape.size();
  std::vector<int64_t> perm;
  if (auto p = nc.intsAttr("perm")) {
    perm = *p;
  } else {
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  }
  if (static_cast<int64_t>(perm.size()) != rank)
    return nc.emitError() << "perm has " << perm.size()
                          << " entries for a rank-" << rank << " input";
  SmallVector<bool> seen(rank, false);
  OnnxValue out = in;
  out.shape.clear();
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return nc.emitError() << "perm is not a permutation of 0.." << rank - 1;
    seen[p] = true;
    out.shape.push_back(in.shape[p]);
  }
  Type elementType = cast<RankedTensorType>(in.value.getType()).getElementType();
  out.value = attn::TransposeOp::create(nc.builder(), nc.loc,
                                        nc.tensorType(out.shape, elementType),
                                        in.value, perm);
  nc.setOutput(0, out);
  return success();
}

LogicalResult importSoftmax(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  const OnnxValue &in = nc.input(0);
  int64_t rank = in.shape.size();
  // Opset 13 made Softmax act on one axis (default -1); before, it
  // flattened the input to 2-D at `axis` (default 1), which equals the
  // one-axis form only when `axis` is the last dim.
  int64_t axis = nc.intAttr("axis", nc.opset >= 13 ? -1 : 1);
  if (axis < -rank || axis >= rank)
    return nc.emitError() << "axis " << axis << " is out of range for rank "
                          << rank;
  if (axis < 0)
    axis += rank;
  if (nc.opset < 13 && axis != rank - 1)
    return nc.emitError() << "Softmax before opset 13 with axis " << axis
                          << " != rank-1 (flattening semantics) is not "
                             "supported yet";
  auto type = cast<RankedTensorType>(in.value.getType());
  if (!isa<FloatType>(type.getElementType()))
    return nc.emitError() << "Softmax needs a floating-point input";
  OnnxValue out = in;
  out.value = attn::SoftmaxOp::create(nc.builder(), nc.loc, type, in.value,
                                      nc.builder().getI64IntegerAttr(axis));
  nc.setOutput(0, out);
  return success();
}

LogicalResult importConstant(NodeContext &nc) {
  MLIRContext *ctx = nc.builder().getContext();
  if (nc.node.attribute_size() != 1)
    return nc.emitError() << "expects exactly one value attribute, got "
                          << nc.node.attribute_size();
  const onnx::AttributeProto &a = nc.node.attribute(0);
  onnx::TensorProto tensor;
  if (a.name() == "value") {
    tensor = a.t();
  } else if (a.name() == "value_float") {
    tensor.set_data_type(onnx::TensorProto::FLOAT);
    tensor.add_float_data(a.f());
  } else if (a.name() == "value_floats") {
    tensor.set_data_type(onnx::TensorProto::FLOAT);
    tensor.add_dims(a.floats_size());
    *tensor.mutable_float_data() = a.floats();
  } else if (a.name() == "value_int") {
    tensor.set_data_type(onnx::TensorProto::INT64);
    tensor.add_int64_data(a.i());
  } else if (a.name() == "value_ints") {
    tensor.set_data_type(onnx::TensorProto::INT64);
    tensor.add_dims(a.ints_size());
    *tensor.mutable_int64_data() = a.ints();
  } else {
    return nc.emitError() << "Constant attribute '" << a.name()
                          << "' is not supported";
  }
  if (tensor.name().empty())
    tensor.set_name(nc.node.output_size() ? nc.node.output(0) : "constant");
  // Constant nodes never carry external data in practice; refusing it
  // keeps file access to initializers, whose paths are checked.
  FailureOr<ElementsAttr> attr =
      convertTensor(ctx, tensor, "", [&]() { return nc.emitError(); });
  if (failed(attr))
    return failure();
  OnnxValue out;
  out.value = attn::ConstantOp::create(nc.builder(), nc.loc, cast<TypedAttr>(*attr));
  for (int64_t d : attr->getShapedType().getShape())
    out.shape.push_back(Dim::fixed(d));
  out.onnxType = tensor.data_type();
  out.isUnsigned = dtypeName(tensor.data_type()).starts_with("u");
  nc.setOutput(0, out);
  return success();
}

LogicalResult importIdentity(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  nc.setOutput(0, nc.input(0));
  return success();
}

} // namespace

ArrayRef<OpHandlerEntry> attnc::import::getOpHandlers() {
  static const OpHandlerEntry handlers[] = {
      {"", "Add", 7, 21, "numpy broadcasting", importBinary<attn::AddOp>},
      {"", "Sub", 7, 21, "numpy broadcasting", importBinary<attn::SubOp>},
      {"", "Mul", 7, 21, "numpy broadcasting", importBinary<attn::MulOp>},
      {"", "Div", 7, 21, "numpy broadcasting; not unsigned integers",
       importBinary<attn::DivOp>},
      {"", "MatMul", 1, 21, "rank >= 2 operands", importMatMul},
      {"", "Transpose", 1, 21, "", importTranspose},
      {"", "Softmax", 1, 21,
       "opset < 13 only with axis = last dim", importSoftmax},
      {"", "Constant", 1, 21,
       "value, value_float(s), value_int(s)", importConstant},
      {"", "Identity", 1, 21, "tensors only", importIdentity},
  };
  return handlers;
}
