//===- AttnFolds.cpp - Folders and canonicalizations of attn ops ----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/AttnOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace attnc::attn;

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

/// True when `value` is a constant splat equal to `x` (float or integer).
static bool isSplatOf(Value value, double x) {
  DenseElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) || !attr.isSplat())
    return false;
  Type elementType = attr.getElementType();
  if (isa<FloatType>(elementType))
    return attr.getSplatValue<APFloat>().convertToDouble() == x;
  if (elementType.isSignlessInteger())
    return attr.getSplatValue<APInt>().getSExtValue() == static_cast<int64_t>(x);
  return false;
}

/// Folds `x op c` to `x` when `c` is the identity and no broadcast happens.
static OpFoldResult foldRightIdentity(Operation *op, Value lhs, Value rhs,
                                      double identity) {
  if (lhs.getType() == op->getResult(0).getType() && isSplatOf(rhs, identity))
    return lhs;
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor) {
  if (OpFoldResult r = foldRightIdentity(*this, getLhs(), getRhs(), 0.0))
    return r;
  return foldRightIdentity(*this, getRhs(), getLhs(), 0.0);
}

OpFoldResult MulOp::fold(FoldAdaptor) {
  if (OpFoldResult r = foldRightIdentity(*this, getLhs(), getRhs(), 1.0))
    return r;
  return foldRightIdentity(*this, getRhs(), getLhs(), 1.0);
}

OpFoldResult DivOp::fold(FoldAdaptor) {
  return foldRightIdentity(*this, getLhs(), getRhs(), 1.0);
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  for (auto [i, p] : llvm::enumerate(perm))
    if (static_cast<int64_t>(i) != p)
      return {};
  if (getInput().getType() != getType())
    return {};
  return getInput();
}

namespace {
/// transpose(transpose(x, p1), p2) -> transpose(x, p1[p2[i]]).
struct ComposeTransposes : public OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<TransposeOp>();
    if (!inner)
      return failure();
    ArrayRef<int64_t> outerPerm = op.getPermutation();
    ArrayRef<int64_t> innerPerm = inner.getPermutation();
    SmallVector<int64_t> composed;
    for (int64_t p : outerPerm)
      composed.push_back(innerPerm[p]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, op.getType(),
                                             inner.getInput(), composed);
    return success();
  }
};
} // namespace

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<ComposeTransposes>(context);
}
