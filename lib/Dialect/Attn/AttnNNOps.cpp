//===- AttnNNOps.cpp - Verifiers of reductions and NN ops -----------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Verifiers of attn.reduce, attn.log_softmax, attn.layer_norm and
// attn.gemm, and the definitions of the attn enums (AttnEnums.td).
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace attnc::attn;

#include "attnc/Dialect/Attn/AttnEnums.cpp.inc"

/// Two dims agree when either is dynamic or both are equal.
static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Checks that `operand` broadcasts (numpy rules, aligned right) to
/// `target`; `what` names the operand in the message.
static LogicalResult verifyBroadcastsTo(Operation *op, StringRef what,
                                        RankedTensorType operand,
                                        ArrayRef<int64_t> target) {
  int64_t offset = static_cast<int64_t>(target.size()) - operand.getRank();
  if (offset < 0)
    return op->emitOpError()
           << what << " has rank " << operand.getRank() << ", more than the "
           << target.size() << " dims it broadcasts to";
  for (int64_t i = 0; i < operand.getRank(); ++i) {
    int64_t d = operand.getDimSize(i);
    if (d != 1 && !compatible(d, target[i + offset]))
      return op->emitOpError()
             << what << " dim " << i << " is " << d
             << ", which does not broadcast to " << target[i + offset];
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ReduceOp
//===----------------------------------------------------------------------===//

LogicalResult ReduceOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  ArrayRef<int64_t> axes = getAxes();
  int64_t rank = in.getRank();
  if (axes.empty())
    return emitOpError("axes must not be empty");
  for (auto [i, a] : llvm::enumerate(axes)) {
    if (a < 0 || a >= rank)
      return emitOpError("axis ")
             << a << " is out of range [0, " << rank << ")";
    if (i > 0 && axes[i - 1] >= a)
      return emitOpError("axes must be sorted and unique");
  }
  if (in.getElementType().isInteger(1))
    return emitOpError("cannot reduce bool tensors");
  SmallVector<int64_t> expected;
  for (int64_t d = 0; d < rank; ++d) {
    if (!llvm::is_contained(axes, d))
      expected.push_back(in.getDimSize(d));
    else if (getKeepdims())
      expected.push_back(1);
  }
  if (out.getRank() != static_cast<int64_t>(expected.size()))
    return emitOpError("result rank ")
           << out.getRank() << " must be " << expected.size();
  for (auto [i, d] : llvm::enumerate(expected))
    if (!compatible(out.getDimSize(i), d))
      return emitOpError("result dim ")
             << i << " is " << out.getDimSize(i) << ", expected " << d;
  return success();
}

//===----------------------------------------------------------------------===//
// LogSoftmaxOp
//===----------------------------------------------------------------------===//

LogicalResult LogSoftmaxOp::verify() {
  int64_t rank = cast<RankedTensorType>(getInput().getType()).getRank();
  int64_t axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ")
           << axis << " is out of range [0, " << rank << ")";
  return success();
}

//===----------------------------------------------------------------------===//
// LayerNormOp
//===----------------------------------------------------------------------===//

/// The checks LayerNorm and RMSNorm share: axis, result shape, scale shape
/// and epsilon.
static LogicalResult verifyNormalization(Operation *op, Value input,
                                         Value scale, Value output,
                                         int64_t axis, APFloat epsilon) {
  auto in = cast<RankedTensorType>(input.getType());
  auto out = cast<RankedTensorType>(output.getType());
  int64_t rank = in.getRank();
  if (axis < 0 || axis >= rank)
    return op->emitOpError("axis ")
           << axis << " is out of range [0, " << rank << ")";
  if (out.getRank() != rank)
    return op->emitOpError("result rank must equal input rank");
  for (int64_t i = 0; i < rank; ++i)
    if (!compatible(in.getDimSize(i), out.getDimSize(i)))
      return op->emitOpError("result dim ")
             << i << " is " << out.getDimSize(i) << ", input has "
             << in.getDimSize(i);
  if (epsilon.convertToDouble() < 0)
    return op->emitOpError("epsilon must not be negative");
  return verifyBroadcastsTo(op, "scale",
                            cast<RankedTensorType>(scale.getType()),
                            in.getShape().drop_front(axis));
}

LogicalResult RmsNormOp::verify() {
  return verifyNormalization(*this, getInput(), getScale(), getOutput(),
                             getAxis(), getEpsilon());
}

LogicalResult LayerNormOp::verify() {
  if (failed(verifyNormalization(*this, getInput(), getScale(), getOutput(),
                                 getAxis(), getEpsilon())))
    return failure();
  auto in = cast<RankedTensorType>(getInput().getType());
  ArrayRef<int64_t> normalized = in.getShape().drop_front(getAxis());
  if (getBias() &&
      getElementTypeOrSelf(getBias().getType()) != in.getElementType())
    return emitOpError("bias element type must match the input");
  if (getBias() &&
      failed(verifyBroadcastsTo(*this, "bias",
                                cast<RankedTensorType>(getBias().getType()),
                                normalized)))
    return failure();
  if (getEpsilon().convertToDouble() < 0)
    return emitOpError("epsilon must not be negative");
  return success();
}

//===----------------------------------------------------------------------===//
// GemmOp
//===----------------------------------------------------------------------===//

LogicalResult GemmOp::verify() {
  auto a = cast<RankedTensorType>(getA().getType());
  auto b = cast<RankedTensorType>(getB().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (a.getRank() != 2 || b.getRank() != 2 || out.getRank() != 2)
    return emitOpError("a, b and the result must be matrices, got ranks ")
           << a.getRank() << ", " << b.getRank() << " and " << out.getRank();
  int64_t m = a.getDimSize(getTransA() ? 1 : 0);
  int64_t ka = a.getDimSize(getTransA() ? 0 : 1);
  int64_t kb = b.getDimSize(getTransB() ? 1 : 0);
  int64_t n = b.getDimSize(getTransB() ? 0 : 1);
  if (!compatible(ka, kb))
    return emitOpError("contraction dims differ: op(a) has ")
           << ka << ", op(b) has " << kb;
  if (!compatible(out.getDimSize(0), m) || !compatible(out.getDimSize(1), n))
    return emitOpError("result type ")
           << out << " does not match [M, N] = [" << m << ", " << n << "]";
  if (getC())
    return verifyBroadcastsTo(
        *this, "c", cast<RankedTensorType>(getC().getType()), out.getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  auto q = cast<RankedTensorType>(getQuery().getType());
  auto k = cast<RankedTensorType>(getKey().getType());
  auto v = cast<RankedTensorType>(getValue().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  int64_t rank = q.getRank();
  if (rank != 3 && rank != 4)
    return emitOpError("query must have rank 3 or 4, got ") << rank;
  if (k.getRank() != rank || v.getRank() != rank || out.getRank() != rank)
    return emitOpError("query, key, value and result must have the same rank");
  int64_t tq = rank - 2, d = rank - 1;
  if (!compatible(q.getDimSize(d), k.getDimSize(d)))
    return emitOpError("query head size ")
           << q.getDimSize(d) << " differs from key head size "
           << k.getDimSize(d);
  if (!compatible(k.getDimSize(tq), v.getDimSize(tq)))
    return emitOpError("key length ")
           << k.getDimSize(tq) << " differs from value length "
           << v.getDimSize(tq);
  // Batch dims: equal, except the kv heads of rank 4, which may divide the
  // query heads (grouped-query attention).
  for (int64_t i = 0; i < rank - 2; ++i) {
    int64_t qd = q.getDimSize(i), kd = k.getDimSize(i), vd = v.getDimSize(i);
    if (!compatible(kd, vd))
      return emitOpError("key and value differ in batch dim ") << i;
    bool heads = rank == 4 && i == 1;
    if (heads && !ShapedType::isDynamic(qd) && !ShapedType::isDynamic(kd)) {
      if (kd <= 0 || qd % kd != 0)
        return emitOpError("query heads (")
               << qd << ") must be a multiple of key/value heads (" << kd
               << ")";
      continue;
    }
    if (!compatible(qd, kd))
      return emitOpError("query and key differ in batch dim ") << i;
  }
  SmallVector<int64_t> expected(q.getShape());
  expected[d] = v.getDimSize(d);
  for (int64_t i = 0; i < rank; ++i)
    if (!compatible(out.getDimSize(i), expected[i]))
      return emitOpError("result dim ")
             << i << " is " << out.getDimSize(i) << ", expected "
             << expected[i];
  SmallVector<int64_t> scores(q.getShape());
  scores[d] = k.getDimSize(tq);
  if (Value mask = getKeepMask())
    if (failed(verifyBroadcastsTo(*this, "keep_mask",
                                  cast<RankedTensorType>(mask.getType()),
                                  scores)))
      return failure();
  if (Value mask = getBiasMask()) {
    auto type = cast<RankedTensorType>(mask.getType());
    if (type.getElementType() != q.getElementType())
      return emitOpError("bias_mask element type must match the query");
    if (failed(verifyBroadcastsTo(*this, "bias_mask", type, scores)))
      return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto w = cast<RankedTensorType>(getWeight().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (in.getRank() < 1)
    return emitOpError("input must have rank >= 1");
  if (w.getRank() != 2)
    return emitOpError("weight must have rank 2, got ") << w.getRank();
  int64_t k = w.getDimSize(getTransposeWeight() ? 1 : 0);
  int64_t n = w.getDimSize(getTransposeWeight() ? 0 : 1);
  if (!compatible(in.getDimSize(in.getRank() - 1), k))
    return emitOpError("input has ")
           << in.getDimSize(in.getRank() - 1) << " features, weight expects "
           << k;
  if (out.getRank() != in.getRank())
    return emitOpError("result rank must equal input rank");
  for (int64_t i = 0; i + 1 < in.getRank(); ++i)
    if (!compatible(in.getDimSize(i), out.getDimSize(i)))
      return emitOpError("result dim ") << i << " differs from the input";
  if (!compatible(out.getDimSize(out.getRank() - 1), n))
    return emitOpError("result has ")
           << out.getDimSize(out.getRank() - 1) << " features, weight gives "
           << n;
  if (Value bias = getBias()) {
    auto b = cast<RankedTensorType>(bias.getType());
    if (b.getRank() != 1 || !compatible(b.getDimSize(0), n))
      return emitOpError("bias must be a vector of ") << n << " elements";
  }
  if (Value residual = getResidual())
    if (residual.getType() != out)
      return emitOpError("residual must have the result type");
  return success();
}
