//===- DataMovementToLinalg.cpp - Transpose and shape ops -------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "attnc/Dialect/Attn/AttnOps.h"

using namespace mlir;
using namespace attnc;
using namespace attnc::lowering;

namespace {

struct TransposeLowering : public OpConversionPattern<attn::TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> perm = op.getPermutation();
    SmallVector<std::pair<Value, int64_t>> sources;
    for (int64_t p : perm)
      sources.push_back({adaptor.getInput(), p});
    Value init = createEmpty(rewriter, op.getLoc(), resultType, sources);
    auto transpose = linalg::TransposeOp::create(
        rewriter, op.getLoc(), adaptor.getInput(), init, perm);
    rewriter.replaceOp(op, transpose.getResults());
    return success();
  }
};

} // namespace

void lowering::populateDataMovementLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<TransposeLowering>(patterns.getContext());
}
