//===- MarkAppendOutputs.cpp - Outputs that extend an input ---------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Finds `present = concat(past, new)` results of @main, so that the entry
// ABI can let the runtime grow a KV cache in place (docs/abi.md).
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/AttnDialect.h"
#include "attnc/Transforms/Passes.h"

#include "AppendOutputs.h"

namespace attnc {
#define GEN_PASS_DEF_MARKAPPENDOUTPUTS
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {
struct MarkAppendOutputsPass
    : public attnc::impl::MarkAppendOutputsBase<MarkAppendOutputsPass> {
  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>("main");
    if (!func || func.isExternal())
      return;
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    Builder b(&getContext());
    for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
      auto concat = v.getDefiningOp<tensor::ConcatOp>();
      if (!concat || concat.getInputs().size() < 2)
        continue;
      // A value returned twice would need two outputs over one input.
      if (llvm::count(ret.getOperands(), v) != 1)
        continue;
      auto arg = dyn_cast<BlockArgument>(concat.getInputs().front());
      // The same element type and dims off the axis (a concat result may
      // be more static than its operands): the runtime passes both sides
      // as views of one buffer. appendsTo also rules out a second mark on
      // one input.
      auto argType =
          cast<RankedTensorType>(concat.getInputs().front().getType());
      auto resultType = cast<RankedTensorType>(concat.getType());
      bool sameDims = true;
      for (int64_t d = 0; d < argType.getRank(); ++d)
        sameDims &= d == static_cast<int64_t>(concat.getDim()) ||
                    argType.getDimSize(d) == resultType.getDimSize(d);
      if (!arg || arg.getOwner() != &func.getBody().front() ||
          !attnc::appendsTo(concat, arg) || !sameDims)
        continue;
      func.setResultAttr(
          i, attnc::attn::kAppendAttr,
          b.getDictionaryAttr(
              {b.getNamedAttr("axis", b.getI64IntegerAttr(concat.getDim())),
               b.getNamedAttr("input",
                              b.getI64IntegerAttr(arg.getArgNumber()))}));
    }
  }
};
} // namespace
