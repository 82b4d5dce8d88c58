//===- AttnOps.cpp - attn dialect operations and verifiers ---------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace attnc::attn;

/// Two dims agree when either is dynamic or both are equal.
static bool dimsCompatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Broadcasts two dims numpy-style; returns false when they conflict.
static bool broadcastDim(int64_t a, int64_t b, int64_t &out) {
  if (a == 1) {
    out = b;
    return true;
  }
  if (b == 1 || a == b) {
    out = a;
    return true;
  }
  if (ShapedType::isDynamic(a) || ShapedType::isDynamic(b)) {
    out = ShapedType::isDynamic(a) ? b : a;
    return true;
  }
  return false;
}

LogicalResult attnc::attn::verifyBroadcastResult(Operation *op) {
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  int64_t maxRank = 0;
  for (Type t : op->getOperandTypes())
    maxRank = std::max(maxRank, cast<RankedTensorType>(t).getRank());
  if (resultType.getRank() != maxRank)
    return op->emitOpError("result rank ")
           << resultType.getRank() << " must equal the largest operand rank "
           << maxRank;
  return success();
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(
    MLIRContext *, std::optional<Location>, ConstantOp::Adaptor adaptor,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  auto value = dyn_cast_or_null<TypedAttr>(adaptor.getValueAttr());
  if (!value)
    return failure();
  inferredReturnTypes.push_back(value.getType());
  return success();
}

LogicalResult ConstantOp::verify() {
  if (!isa<ElementsAttr>(getValue()))
    return emitOpError("value must be an elements attribute");
  auto type = dyn_cast<RankedTensorType>(getValue().getType());
  if (!type || !type.hasStaticShape())
    return emitOpError("value must be a statically shaped tensor, got ")
           << getValue().getType();
  return success();
}

//===----------------------------------------------------------------------===//
// MatMulOp
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::verify() {
  auto lhs = cast<RankedTensorType>(getLhs().getType());
  auto rhs = cast<RankedTensorType>(getRhs().getType());
  auto res = cast<RankedTensorType>(getOutput().getType());
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return emitOpError("operands must have rank >= 2, got ")
           << lhs.getRank() << " and " << rhs.getRank();
  int64_t rank = std::max(lhs.getRank(), rhs.getRank());
  if (res.getRank() != rank)
    return emitOpError("result rank ") << res.getRank() << " must be " << rank;
  ArrayRef<int64_t> l = lhs.getShape(), r = rhs.getShape(),
                    o = res.getShape();
  int64_t lk = l.back(), rk = r[r.size() - 2];
  if (!dimsCompatible(lk, rk))
    return emitOpError("contraction dims differ: lhs has ")
           << lk << ", rhs has " << rk;
  if (!dimsCompatible(o[rank - 2], l[l.size() - 2]) ||
      !dimsCompatible(o[rank - 1], r.back()))
    return emitOpError("result type ")
           << res << " does not match [..., M, N] of the operands";
  // Batch dims broadcast from the right.
  for (int64_t i = 0; i < rank - 2; ++i) {
    int64_t li = i - (rank - lhs.getRank());
    int64_t ri = i - (rank - rhs.getRank());
    int64_t a = li >= 0 ? l[li] : 1, b = ri >= 0 ? r[ri] : 1, out;
    if (!broadcastDim(a, b, out))
      return emitOpError("batch dim ")
             << i << " does not broadcast: " << a << " vs " << b;
    if (!dimsCompatible(out, o[i]))
      return emitOpError("result batch dim ")
             << i << " is " << o[i] << ", expected " << out;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

void TransposeOp::build(OpBuilder &b, OperationState &state, Value input,
                        ArrayRef<int64_t> permutation) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : permutation)
    shape.push_back(type.getDimSize(p));
  build(b, state, type.clone(shape), input, permutation);
}

LogicalResult TransposeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  ArrayRef<int64_t> perm = getPermutation();
  if (static_cast<int64_t>(perm.size()) != in.getRank())
    return emitOpError("permutation has ")
           << perm.size() << " entries for an input of rank " << in.getRank();
  if (out.getRank() != in.getRank())
    return emitOpError("result rank must equal input rank");
  SmallVector<bool> seen(perm.size(), false);
  for (auto [i, p] : llvm::enumerate(perm)) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return emitOpError("permutation is not a permutation of [0, ")
             << in.getRank() << ")";
    seen[p] = true;
    if (!dimsCompatible(out.getDimSize(i), in.getDimSize(p)))
      return emitOpError("result dim ")
             << i << " is " << out.getDimSize(i) << ", expected input dim "
             << p << " of size " << in.getDimSize(p);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// SoftmaxOp
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  int64_t rank = cast<RankedTensorType>(getInput().getType()).getRank();
  int64_t axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range [0, " << rank
                                << ")";
  return success();
}

#define GET_OP_CLASSES
#include "attnc/Dialect/Attn/AttnOps.cpp.inc"
