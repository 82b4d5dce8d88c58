//===- OnnxOps.cpp - The table of ONNX op importers -------------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Each op family lives in its own file (OnnxArithmeticOps.cpp,
// OnnxNNOps.cpp, OnnxTensorOps.cpp, ...) and appends its handlers here.
// Handlers compute result shapes themselves rather than trusting the
// model's value_info: ONNX's own shape inference loses symbolic dims in
// common transformer exports.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternals.h"

using namespace mlir;
using namespace attnc::import;

ArrayRef<OpHandlerEntry> attnc::import::getOpHandlers() {
  static const std::vector<OpHandlerEntry> handlers = [] {
    std::vector<OpHandlerEntry> all;
    appendArithmeticOpHandlers(all);
    appendNNOpHandlers(all);
    appendTensorOpHandlers(all);
    appendMathOpHandlers(all);
    appendReductionOpHandlers(all);
    appendShapeOpHandlers(all);
    appendConvOpHandlers(all);
    appendEinsumOpHandlers(all);
    appendAttentionOpHandlers(all);
    appendContribOpHandlers(all);
    return all;
  }();
  return handlers;
}
