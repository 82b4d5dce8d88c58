//===- OnnxArithmeticOps.cpp - Elementwise ONNX ops -------------------------===//
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

} // namespace

void import::appendArithmeticOpHandlers(std::vector<OpHandlerEntry> &handlers) {
  handlers.insert(handlers.end(), {
      {"", "Add", 7, 21, "numpy broadcasting", importBinary<attn::AddOp>},
      {"", "Sub", 7, 21, "numpy broadcasting", importBinary<attn::SubOp>},
      {"", "Mul", 7, 21, "numpy broadcasting", importBinary<attn::MulOp>},
      {"", "Div", 7, 21, "numpy broadcasting; integers truncate",
       importBinary<attn::DivOp>},
  });
}
