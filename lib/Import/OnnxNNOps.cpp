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

/// Softmax and LogSoftmax: one axis, with the opset rules of both.
template <typename OpTy>
LogicalResult importSoftmaxLike(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  const OnnxValue &in = nc.input(0);
  int64_t rank = in.shape.size();
  StringRef name = nc.node.op_type();
  // Opset 13 made (Log)Softmax act on one axis (default -1); before, it
  // flattened the input to 2-D at `axis` (default 1), which equals the
  // one-axis form only when `axis` is the last dim.
  int64_t axis = nc.intAttr("axis", nc.opset >= 13 ? -1 : 1);
  if (axis < -rank || axis >= rank)
    return nc.emitError() << "axis " << axis << " is out of range for rank "
                          << rank;
  if (axis < 0)
    axis += rank;
  if (nc.opset < 13 && axis != rank - 1)
    return nc.emitError() << name << " before opset 13 with axis " << axis
                          << " != rank-1 (flattening semantics) is not "
                             "supported yet";
  auto type = cast<RankedTensorType>(in.value.getType());
  if (!isa<FloatType>(type.getElementType()))
    return nc.emitError() << name << " needs a floating-point input";
  OnnxValue out = in;
  out.value = OpTy::create(nc.builder(), nc.loc, type, in.value,
                           nc.builder().getI64IntegerAttr(axis));
  nc.setOutput(0, out);
  return success();
}


/// Checks that `operand` broadcasts to `target` (aligned right; a static 1
/// stretches) and unifies the dims that must be equal.
static LogicalResult checkBroadcastsTo(NodeContext &nc, StringRef what,
                                       const SymShape &operand,
                                       const SymShape &target) {
  if (operand.size() > target.size())
    return nc.emitError() << what << " has rank " << operand.size()
                          << ", more than the " << target.size()
                          << " dims it applies to";
  size_t offset = target.size() - operand.size();
  for (size_t i = 0; i < operand.size(); ++i) {
    Dim d = nc.symbols().resolve(operand[i]), unified;
    if (d.sym < 0 && d.size == 1)
      continue;
    if (failed(nc.symbols().unify(d, target[i + offset], unified)))
      return nc.emitError()
             << what << " dim " << i << " is " << d.size
             << ", which does not match "
             << nc.symbols().resolve(target[i + offset]).size;
  }
  return success();
}


LogicalResult importLayerNorm(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  const OnnxValue &x = nc.input(0), &scale = nc.input(1);
  auto type = cast<RankedTensorType>(x.value.getType());
  Type elementType = type.getElementType();
  if (!isa<FloatType>(elementType))
    return nc.emitError() << "LayerNormalization needs a floating-point "
                             "input, got "
                          << onnxTypeName(x.onnxType);
  if (failed(checkSameElementType(nc, x, scale)))
    return failure();
  int64_t rank = x.shape.size();
  int64_t axis = nc.intAttr("axis", -1);
  if (axis < -rank || axis >= rank)
    return nc.emitError() << "axis " << axis << " is out of range for rank "
                          << rank;
  if (axis < 0)
    axis += rank;
  SymShape normalized(x.shape.begin() + axis, x.shape.end());
  if (failed(checkBroadcastsTo(nc, "Scale", scale.shape, normalized)))
    return failure();
  Value bias;
  if (nc.hasInput(2)) {
    const OnnxValue &b = nc.input(2);
    if (failed(checkSameElementType(nc, x, b)) ||
        failed(checkBroadcastsTo(nc, "B", b.shape, normalized)))
      return failure();
    bias = b.value;
  }
  float epsilon = nc.floatAttr("epsilon", 1e-5f);
  OpBuilder &builder = nc.builder();
  OnnxValue y = x;
  y.value = attn::LayerNormOp::create(builder, nc.loc, type, x.value,
                                      scale.value, bias,
                                      builder.getI64IntegerAttr(axis),
                                      builder.getF32FloatAttr(epsilon));
  nc.setOutput(0, y);
  if (!nc.hasOutput(1) && !nc.hasOutput(2))
    return success(); // stash_type only matters for Mean and InvStdDev.

  // Mean and InvStdDev (training graphs and the node tests): computed
  // separately from attn ops in the stash type, float32.
  int64_t stash = nc.intAttr("stash_type", onnx::TensorProto::FLOAT);
  if (stash != onnx::TensorProto::FLOAT || !elementType.isF32())
    return nc.emitError() << "the Mean/InvStdDev outputs are supported only "
                             "for FLOAT inputs with stash_type FLOAT, got "
                          << onnxTypeName(x.onnxType) << " and stash_type "
                          << onnxTypeName(stash);
  SmallVector<int64_t> axes;
  SymShape statShape(x.shape.begin(), x.shape.begin() + axis);
  for (int64_t d = axis; d < rank; ++d) {
    axes.push_back(d);
    statShape.push_back(Dim::fixed(1));
  }
  RankedTensorType statType = nc.tensorType(statShape, elementType);
  Value mean = attn::ReduceOp::create(builder, nc.loc, statType,
                                      attn::ReduceKind::mean, x.value, axes,
                                      /*keepdims=*/true, /*is_unsigned=*/false);
  Value centered = attn::SubOp::create(builder, nc.loc, type, x.value, mean);
  Value squares =
      attn::MulOp::create(builder, nc.loc, type, centered, centered);
  Value var = attn::ReduceOp::create(builder, nc.loc, statType,
                                     attn::ReduceKind::mean, squares, axes,
                                     /*keepdims=*/true, /*is_unsigned=*/false);
  auto scalarType = RankedTensorType::get({}, elementType);
  Value eps = attn::ConstantOp::create(
      builder, nc.loc, DenseElementsAttr::get(scalarType, epsilon));
  Value sum = attn::AddOp::create(builder, nc.loc, statType, var, eps);
  Value root = attn::SqrtOp::create(builder, nc.loc, statType, sum);
  Value inv = attn::ReciprocalOp::create(builder, nc.loc, statType, root);
  OnnxValue meanOut = x, invOut = x;
  meanOut.shape = invOut.shape = statShape;
  meanOut.value = mean;
  invOut.value = inv;
  nc.setOutput(1, meanOut);
  nc.setOutput(2, invOut);
  return success();
}

LogicalResult importGemm(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  const OnnxValue &a = nc.input(0), &b = nc.input(1);
  if (failed(checkSameElementType(nc, a, b)))
    return failure();
  auto aType = cast<RankedTensorType>(a.value.getType());
  Type elementType = aType.getElementType();
  if (!isa<FloatType>(elementType))
    return nc.emitError() << "Gemm of " << onnxTypeName(a.onnxType)
                          << " tensors is not supported yet (floats only)";
  if (a.shape.size() != 2 || b.shape.size() != 2)
    return nc.emitError() << "A and B must be matrices, got ranks "
                          << a.shape.size() << " and " << b.shape.size();
  bool transA = nc.intAttr("transA", 0) != 0;
  bool transB = nc.intAttr("transB", 0) != 0;
  Dim m = a.shape[transA ? 1 : 0], ka = a.shape[transA ? 0 : 1];
  Dim kb = b.shape[transB ? 1 : 0], n = b.shape[transB ? 0 : 1], k;
  if (failed(nc.symbols().unify(ka, kb, k)))
    return nc.emitError() << "contraction dims differ: "
                          << nc.symbols().resolve(ka).size << " vs "
                          << nc.symbols().resolve(kb).size;
  OnnxValue out = a;
  out.shape = {m, n};
  Value c;
  if (nc.hasInput(2)) {
    const OnnxValue &cv = nc.input(2);
    if (failed(checkSameElementType(nc, a, cv)) ||
        failed(checkBroadcastsTo(nc, "C", cv.shape, out.shape)))
      return failure();
    c = cv.value;
  }
  OpBuilder &builder = nc.builder();
  out.value = attn::GemmOp::create(
      builder, nc.loc, nc.tensorType(out.shape, elementType), a.value,
      b.value, c, builder.getF32FloatAttr(nc.floatAttr("alpha", 1.0f)),
      builder.getF32FloatAttr(nc.floatAttr("beta", 1.0f)),
      transA ? builder.getUnitAttr() : nullptr,
      transB ? builder.getUnitAttr() : nullptr);
  nc.setOutput(0, out);
  return success();
}

} // namespace

void import::appendNNOpHandlers(std::vector<OpHandlerEntry> &handlers) {
  handlers.insert(handlers.end(), {
      {"", "MatMul", 1, 24, "rank >= 2 operands", importMatMul},
      {"", "Softmax", 1, 24, "opset < 13 only with axis = last dim",
       importSoftmaxLike<attn::SoftmaxOp>},
      {"", "LogSoftmax", 1, 24, "opset < 13 only with axis = last dim",
       importSoftmaxLike<attn::LogSoftmaxOp>},
      // Before opset 17 the op is ONNX Runtime's contrib definition in the
      // ai.onnx domain (same semantics), which its transformer optimizer
      // writes into models of older opsets.
      {"", "LayerNormalization", 1, 24,
       "Mean/InvStdDev outputs only for float32 with stash_type float32; "
       "opsets < 17: ONNX Runtime's contrib op",
       importLayerNorm},
      {"", "Gemm", 7, 24, "floats; C broadcasts to [M, N]", importGemm},
  });
}
