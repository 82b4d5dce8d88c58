//===- AttnShapeOps.cpp - Verifiers of reshapes, broadcasts, gathers ------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/AttnOps.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace attnc::attn;

/// Ops with computed shapes carry one `index` operand per dynamic result dim.
static LogicalResult verifyDynamicSizes(Operation *op, RankedTensorType type,
                                        ValueRange sizes) {
  auto in = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
  if (in && op->getNumResults() == 1 && isa<ReshapeOp, ExpandOp>(op) &&
      in.getElementType() != type.getElementType())
    return op->emitOpError("input and result element types differ");
  if (static_cast<int64_t>(sizes.size()) != type.getNumDynamicDims())
    return op->emitOpError("expects ")
           << type.getNumDynamicDims() << " dynamic sizes for result type "
           << type << ", got " << sizes.size();
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (failed(verifyDynamicSizes(*this, out, getDynamicSizes())))
    return failure();
  if (in.hasStaticShape() && out.hasStaticShape() &&
      in.getNumElements() != out.getNumElements())
    return emitOpError("cannot reshape ")
           << in.getNumElements() << " elements into " << out;
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType() && getType().hasStaticShape())
    return getInput();
  return {};
}

LogicalResult ExpandOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (failed(verifyDynamicSizes(*this, out, getDynamicSizes())))
    return failure();
  if (in.getRank() > out.getRank())
    return emitOpError("cannot expand rank ")
           << in.getRank() << " to rank " << out.getRank();
  int64_t offset = out.getRank() - in.getRank();
  for (int64_t i = 0; i < in.getRank(); ++i) {
    int64_t a = in.getDimSize(i), b = out.getDimSize(i + offset);
    if (a == 1 || ShapedType::isDynamic(a) || ShapedType::isDynamic(b) ||
        a == b)
      continue;
    return emitOpError("input dim ")
           << i << " of size " << a << " cannot expand to " << b;
  }
  return success();
}

LogicalResult GatherOp::verify() {
  auto data = cast<RankedTensorType>(getData().getType());
  auto indices = cast<RankedTensorType>(getIndices().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  int64_t axis = getAxis();
  if (axis < 0 || axis >= data.getRank())
    return emitOpError("axis ") << axis << " is out of range for rank "
                                << data.getRank();
  if (out.getElementType() != data.getElementType())
    return emitOpError("result element type must match the data");
  if (out.getRank() != data.getRank() - 1 + indices.getRank())
    return emitOpError("result rank must be ")
           << data.getRank() - 1 + indices.getRank();
  return success();
}

LogicalResult GatherElementsOp::verify() {
  auto data = cast<RankedTensorType>(getData().getType());
  auto indices = cast<RankedTensorType>(getIndices().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  int64_t axis = getAxis();
  if (axis < 0 || axis >= data.getRank())
    return emitOpError("axis ")
           << axis << " is out of range for rank " << data.getRank();
  if (out.getElementType() != data.getElementType())
    return emitOpError("result element type must match the data");
  if (indices.getRank() != data.getRank())
    return emitOpError("indices must have the rank of the data (")
           << data.getRank() << "), got " << indices.getRank();
  if (failed(verifyCompatibleShape(out.getShape(), indices.getShape())))
    return emitOpError("result shape must be the shape of the indices");
  return success();
}

LogicalResult ScatterNDOp::verify() {
  auto data = cast<RankedTensorType>(getData().getType());
  auto indices = cast<RankedTensorType>(getIndices().getType());
  auto updates = cast<RankedTensorType>(getUpdates().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (out != data)
    return emitOpError("result type must be the data type");
  if (updates.getElementType() != data.getElementType())
    return emitOpError("updates must have the element type of the data");
  if (data.getRank() < 1 || indices.getRank() < 1)
    return emitOpError("data and indices must have rank >= 1");
  int64_t k = indices.getShape().back();
  if (ShapedType::isDynamic(k))
    return emitOpError("the last dim of indices must be static");
  if (k < 1 || k > data.getRank())
    return emitOpError("the last dim of indices (")
           << k << ") must be in 1.." << data.getRank();
  // updates.shape = indices.shape[:-1] ++ data.shape[k:]
  SmallVector<int64_t> expected(indices.getShape().drop_back());
  llvm::append_range(expected, data.getShape().drop_front(k));
  if (failed(verifyCompatibleShape(updates.getShape(), expected)))
    return emitOpError("updates must have shape indices.shape[:-1] ++ "
                       "data.shape[")
           << k << ":]";
  return success();
}

LogicalResult RangeOp::verify() {
  auto start = cast<RankedTensorType>(getStart().getType());
  auto delta = cast<RankedTensorType>(getDelta().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (start.getRank() != 0 || delta.getRank() != 0)
    return emitOpError("start and delta must be scalars (rank 0)");
  if (out.getRank() != 1)
    return emitOpError("result must be rank 1");
  if (start.getElementType() != out.getElementType() ||
      delta.getElementType() != out.getElementType())
    return emitOpError("start, delta and result must have one element type");
  return verifyDynamicSizes(*this, out, getDynamicSizes());
}
