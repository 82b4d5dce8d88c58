//===- OnnxReductionOps.cpp - ReduceSum, ReduceMean, ReduceMax
//--------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// The reduction axes moved from an attribute to an optional second input
// (ReduceSum in opset 13, the others in opset 18); attnc needs them at
// compile time, so the input must be a constant. Empty axes reduce
// everything unless `noop_with_empty_axes` makes the op an identity.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternals.h"
#include "OnnxBuild.h"

#include "attnc/Dialect/Attn/AttnOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace attnc;
using namespace attnc::import;

namespace {

template <attn::ReduceKind kind, int axesInputOpset>
LogicalResult importReduce(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  OnnxValue in = nc.input(0);
  int64_t rank = in.shape.size();
  Type elementType =
      cast<RankedTensorType>(in.value.getType()).getElementType();
  bool boolMax = false;
  if (elementType.isInteger(1)) {
    if (kind != attn::ReduceKind::max)
      return nc.emitError() << "this reduction of bool tensors is not defined";
    // ReduceMax of bools is "any": reduce their 0/1 values as int32.
    boolMax = true;
    in = build::castTo(nc, in, onnx::TensorProto::INT32);
    elementType = build::elementType(in);
  }

  std::vector<int64_t> axes;
  if (nc.opset < axesInputOpset) {
    if (nc.hasInput(1))
      return nc.emitError() << "axes is an attribute before opset "
                            << axesInputOpset << ", not an input";
    axes = nc.intsAttr("axes").value_or(std::vector<int64_t>());
  } else if (nc.hasInput(1)) {
    if (nc.attr("axes"))
      return nc.emitError() << "axes is an input since opset " << axesInputOpset
                            << ", not an attribute";
    DenseIntElementsAttr values;
    if (!matchPattern(nc.input(1).value, m_Constant(&values)))
      return nc.emitError()
             << "axes (input 1) must be a constant (an initializer or a "
                "Constant node): attnc fixes the reduced axes at compile "
                "time";
    for (const APInt &v : values.getValues<APInt>())
      axes.push_back(v.getSExtValue());
  }

  if (axes.empty()) {
    if (nc.opset >= axesInputOpset && nc.intAttr("noop_with_empty_axes", 0)) {
      nc.setOutput(0, nc.input(0));
      return success();
    }
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  for (int64_t &a : axes) {
    if (a < -rank || a >= rank)
      return nc.emitError()
             << "axis " << a << " is out of range for rank " << rank;
    if (a < 0)
      a += rank;
  }
  llvm::sort(axes);
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return nc.emitError() << "axes must not repeat a dim";
  if (rank == 0) {
    // A scalar reduces to itself.
    nc.setOutput(0, nc.input(0));
    return success();
  }

  bool keepdims = nc.intAttr("keepdims", 1) != 0;
  OnnxValue out = in;
  out.shape.clear();
  for (int64_t d = 0; d < rank; ++d) {
    if (!llvm::is_contained(axes, d))
      out.shape.push_back(in.shape[d]);
    else if (keepdims)
      out.shape.push_back(Dim::fixed(1));
  }
  out.value = attn::ReduceOp::create(
      nc.builder(), nc.loc, nc.tensorType(out.shape, elementType), kind,
      in.value, axes, keepdims, in.isUnsigned);
  if (boolMax)
    out = build::castTo(nc, out, onnx::TensorProto::BOOL);
  nc.setOutput(0, out);
  return success();
}

} // namespace

void import::appendReductionOpHandlers(std::vector<OpHandlerEntry> &handlers) {
  using K = attn::ReduceKind;
  handlers.insert(handlers.end(),
                  {
                      {"", "ReduceSum", 1, 24,
                       "axes: attribute before opset 13, constant input since",
                       importReduce<K::sum, 13>},
                      {"", "ReduceMean", 1, 24,
                       "axes: attribute before opset 18, constant input since",
                       importReduce<K::mean, 18>},
                      {"", "ReduceMax", 1, 24,
                       "axes: attribute before opset 18, constant input since",
                       importReduce<K::max, 18>},
                  });
}
