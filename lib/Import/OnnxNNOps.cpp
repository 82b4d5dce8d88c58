//===- OnnxNNOps.cpp - Neural-network ONNX ops ------------------------------===//
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

} // namespace

void import::appendNNOpHandlers(std::vector<OpHandlerEntry> &handlers) {
  handlers.insert(handlers.end(), {
      {"", "MatMul", 1, 21, "rank >= 2 operands", importMatMul},
      {"", "Softmax", 1, 21, "opset < 13 only with axis = last dim",
       importSoftmax},
  });
}
