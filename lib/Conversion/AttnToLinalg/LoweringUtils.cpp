//===- LoweringUtils.cpp - Helpers shared by attn lowerings -----------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "attnc/Dialect/Attn/AttnOps.h"

using namespace mlir;
using namespace attnc;
using namespace attnc::lowering;

/// Builds `tensor.empty` of `type`, taking each dynamic size from the first
/// (operand, dim) in `sources[i]`.
Value lowering::createEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                  ArrayRef<std::pair<Value, int64_t>> sources) {
  SmallVector<Value> dynSizes;
  for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
    if (!type.isDynamicDim(i))
      continue;
    auto [value, dim] = sources[i];
    dynSizes.push_back(tensor::DimOp::create(b, loc, value, dim));
  }
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType(), dynSizes);
}

/// Indexing map that reads `operand` (aligned to the right of a loop nest
/// whose leading `resultRank` loops are the result dims) with numpy
/// broadcasting: a static size-1 dim that broadcasts reads index 0.
AffineMap lowering::broadcastMap(MLIRContext *ctx, RankedTensorType operand,
                       RankedTensorType result, unsigned numLoops,
                       unsigned firstLoop) {
  SmallVector<AffineExpr> exprs;
  int64_t offset = result.getRank() - operand.getRank();
  for (int64_t i = 0; i < operand.getRank(); ++i) {
    int64_t resultDim = i + offset;
    if (operand.getDimSize(i) == 1 && result.getDimSize(resultDim) != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(firstLoop + resultDim, ctx));
  }
  return AffineMap::get(numLoops, 0, exprs, ctx);
}

/// For each dim of `result`, the operand dim that carries its size (the
/// first operand whose aligned dim is not a broadcast 1).
SmallVector<std::pair<Value, int64_t>>
lowering::sizeSources(RankedTensorType result, ArrayRef<Value> operands) {
  SmallVector<std::pair<Value, int64_t>> sources(result.getRank(),
                                                 {Value(), 0});
  for (int64_t d = 0; d < result.getRank(); ++d) {
    for (Value v : operands) {
      auto t = cast<RankedTensorType>(v.getType());
      int64_t i = d - (result.getRank() - t.getRank());
      if (i < 0 || t.getDimSize(i) == 1)
        continue;
      sources[d] = {v, i};
      break;
    }
  }
  return sources;
}

Value lowering::zeroOf(OpBuilder &b, Location loc, Type elementType) {
  return arith::ConstantOp::create(b, loc, elementType,
                                   b.getZeroAttr(elementType));
}

Value lowering::addScalar(OpBuilder &b, Location l, Value x, Value y, bool isFloat) {
  return isFloat ? Value(arith::AddFOp::create(b, l, x, y))
                 : Value(arith::AddIOp::create(b, l, x, y));
}
Value lowering::subScalar(OpBuilder &b, Location l, Value x, Value y, bool isFloat) {
  return isFloat ? Value(arith::SubFOp::create(b, l, x, y))
                 : Value(arith::SubIOp::create(b, l, x, y));
}
Value lowering::mulScalar(OpBuilder &b, Location l, Value x, Value y, bool isFloat) {
  return isFloat ? Value(arith::MulFOp::create(b, l, x, y))
                 : Value(arith::MulIOp::create(b, l, x, y));
}
Value lowering::divScalar(OpBuilder &b, Location l, Value x, Value y, bool isFloat) {
  return isFloat ? Value(arith::DivFOp::create(b, l, x, y))
                 : Value(arith::DivSIOp::create(b, l, x, y));
}
