//===- FusionReport.cpp - What the fusion passes did and did not do -------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Fusion.h"
#include "attnc/Transforms/Passes.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/TypeSwitch.h"

namespace attnc {
#define GEN_PASS_DEF_FUSIONREPORT
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;
using namespace attnc;
using namespace attnc::attn;

/// The kind a fused op reports under, or empty for ops that are not fused
/// regions.
static StringRef fusedKind(Operation *op) {
  if (auto gelu = dyn_cast<GeluOp>(op))
    return gelu.getApproximate() == GeluApproximation::tanh ? "gelu_tanh"
                                                            : "gelu";
  return llvm::TypeSwitch<Operation *, StringRef>(op)
      .Case([](AttentionOp) { return "attention"; })
      .Case([](LayerNormOp) { return "layer_norm"; })
      .Case([](RmsNormOp) { return "rms_norm"; })
      .Case([](LinearOp) { return "linear"; })
      .Case([](SiluOp) { return "silu"; })
      .Default([](Operation *) { return StringRef(); });
}

static std::string joinNames(Location loc) {
  SmallVector<std::string> names = nodeNames(loc);
  if (names.empty())
    return "(no ONNX node names)";
  std::string text;
  for (auto [i, name] : llvm::enumerate(names))
    text += (i ? ", " : "") + name;
  return text;
}

void attnc::printFusionReport(ModuleOp module, raw_ostream &os) {
  llvm::MapVector<StringRef, int> totals;
  for (StringRef kind : {"attention", "layer_norm", "rms_norm", "gelu", "gelu_tanh", "silu", "linear"})
    totals[kind] = 0;
  os << "fusion report\n";
  module.walk([&](Operation *op) {
    StringRef kind = fusedKind(op);
    if (kind.empty())
      return;
    ++totals[kind];
    std::string label = kind.str();
    if (auto linear = dyn_cast<LinearOp>(op)) {
      // An activation in a linear epilogue is still one fused activation.
      if (linear.getActivation() != Activation::none) {
        StringRef act = stringifyActivation(linear.getActivation());
        if (act != "relu")
          ++totals[act];
        label += "+" + act.str();
      }
      if (linear.getBias())
        label += "+bias";
      if (linear.getResidual())
        label += "+residual";
    }
    size_t nodes = nodeNames(op->getLoc()).size();
    os << "  fused " << label << " (" << nodes << " node"
       << (nodes == 1 ? "" : "s") << "): " << joinNames(op->getLoc()) << "\n";
  });
  int unfused = 0;
  module.walk([&](SoftmaxOp softmax) {
    if (!isAttentionLike(softmax))
      return;
    std::string whyNot;
    if (succeeded(matchAttention(softmax, whyNot)))
      whyNot = "matched, but the rewrite was not applied (see "
               "--debug-only=greedy-rewriter)";
    ++unfused;
    os << "  NOT fused attention at softmax " << joinNames(softmax.getLoc())
       << ": " << whyNot << "\n";
  });
  os << "totals:";
  for (auto [kind, count] : totals)
    os << " " << kind << "=" << count;
  os << " unfused-attention=" << unfused << "\n";
}

namespace {
struct FusionReportPass
    : public attnc::impl::FusionReportBase<FusionReportPass> {
  void runOnOperation() override {
    printFusionReport(getOperation(), llvm::outs());
    markAllAnalysesPreserved();
  }
};
} // namespace
