//===- OnnxTensorOps.cpp - Data-movement and constant ONNX ops --------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternals.h"

#include "attnc/Dialect/Attn/AttnOps.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace attnc;
using namespace attnc::import;

namespace {

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

void import::appendTensorOpHandlers(std::vector<OpHandlerEntry> &handlers) {
  handlers.insert(handlers.end(), {
      {"", "Transpose", 1, 21, "", importTranspose},
      {"", "Constant", 1, 21, "value, value_float(s), value_int(s)",
       importConstant},
      {"", "Identity", 1, 21, "tensors only", importIdentity},
  });
}
