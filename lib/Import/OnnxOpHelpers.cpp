//===- OnnxOpHelpers.cpp - Shared checks of ONNX op importers ---------------===//
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

/// Numpy broadcasting of two symbolic shapes; unifies dims that must match.
LogicalResult import::broadcastShapes(NodeContext &nc, const SymShape &a,
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

LogicalResult import::checkSameElementType(NodeContext &nc, const OnnxValue &a,
                                   const OnnxValue &b) {
  if (a.onnxType != b.onnxType)
    return nc.emitError() << "operands have different element types ("
                          << onnxTypeName(a.onnxType) << " and "
                          << onnxTypeName(b.onnxType) << ")";
  return success();
}

LogicalResult import::requireInputs(NodeContext &nc, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!nc.hasInput(i))
      return nc.emitError() << "expects " << n << " inputs, input " << i
                            << " is missing";
  return success();
}
