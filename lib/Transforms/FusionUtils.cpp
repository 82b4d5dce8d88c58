//===- FusionUtils.cpp - Helpers shared by the fusion passes --------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Fusion.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace attnc;

std::optional<double> attnc::getScalarConstant(Value value) {
  DenseElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) || !attr.isSplat())
    return std::nullopt;
  if (auto f = dyn_cast<FloatType>(attr.getElementType()))
    return attr.getSplatValue<APFloat>().convertToDouble();
  return std::nullopt;
}

Value attnc::otherOperand(Operation *op, Value chain) {
  if (op->getNumOperands() != 2 ||
      op->getResult(0).getType() != chain.getType())
    return {};
  if (op->getOperand(0) == chain)
    return op->getOperand(1);
  if (op->getOperand(1) == chain)
    return op->getOperand(0);
  return {};
}

Location attnc::fusedLocation(MLIRContext *ctx, ArrayRef<Operation *> ops,
                              StringRef kind) {
  SmallVector<Location> locs;
  for (Operation *op : ops)
    locs.push_back(op->getLoc());
  return FusedLoc::get(ctx, locs, StringAttr::get(ctx, kind));
}

static void collectNames(Location loc, llvm::SetVector<StringRef> &names) {
  if (auto name = dyn_cast<NameLoc>(loc)) {
    names.insert(name.getName().getValue());
    return;
  }
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      collectNames(inner, names);
  if (auto callSite = dyn_cast<CallSiteLoc>(loc))
    collectNames(callSite.getCallee(), names);
}

SmallVector<std::string> attnc::nodeNames(Location loc) {
  llvm::SetVector<StringRef> names;
  collectNames(loc, names);
  SmallVector<std::string> result;
  for (StringRef name : names)
    result.push_back(name.str());
  return result;
}

LogicalResult attnc::applyFusionPatterns(Operation *root,
                                         void (*populate)(RewritePatternSet &),
                                         StringRef passName) {
  RewritePatternSet patterns(root->getContext());
  populate(patterns);
  if (succeeded(applyPatternsGreedily(root, std::move(patterns))))
    return success();
  return root->emitError() << passName << " did not converge";
}
