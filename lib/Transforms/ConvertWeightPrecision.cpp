//===- ConvertWeightPrecision.cpp - Narrow constant GEMM weights ----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Stores the constant f32 weights of contractions as bf16 and extends them
// back to f32 inside the contraction. See the pass description in
// Passes.td.
//
//===----------------------------------------------------------------------===//

#include "WeightData.h"
#include "attnc/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"

#include <cstring>

namespace attnc {
#define GEN_PASS_DEF_CONVERTWEIGHTPRECISION
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

/// The input of `op` that is its constant weight, or nullptr. The weight is
/// indexed by N and K loops only; the activation has the M loops.
OpOperand *findWeight(linalg::GenericOp op, int64_t minElements,
                      ElementsAttr &data) {
  if (!linalg::isaContractionOpInterface(op) || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !op.hasPureTensorSemantics() ||
      !getElementTypeOrSelf(op.getDpsInits()[0].getType()).isF32())
    return nullptr;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty() || dims->k.empty())
    return nullptr;
  for (OpOperand *operand : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(operand);
    bool weightLoops = llvm::all_of(map.getResults(), [&](AffineExpr e) {
      auto dim = dyn_cast<AffineDimExpr>(e);
      return dim && (llvm::is_contained(dims->n, dim.getPosition()) ||
                     llvm::is_contained(dims->k, dim.getPosition()));
    });
    if (!weightLoops)
      continue;
    auto constant = operand->get().getDefiningOp<arith::ConstantOp>();
    auto type = dyn_cast<RankedTensorType>(operand->get().getType());
    if (!constant || !type || !type.hasStaticShape() ||
        !type.getElementType().isF32() || type.getNumElements() < minElements)
      return nullptr;
    data = dyn_cast<ElementsAttr>(constant.getValue());
    // The body must use the weight as a value (not, say, only its bits).
    Value arg = op.getMatchingBlockArgument(operand);
    if (!data || attnc::getRawWeightBytes(data).empty() || arg.use_empty())
      return nullptr;
    return operand;
  }
  return nullptr;
}

struct ConvertWeightPrecision
    : public attnc::impl::ConvertWeightPrecisionBase<ConvertWeightPrecision> {
  using Base::Base;

  /// Converted constants already made, by the f32 attribute.
  DenseMap<Attribute, ElementsAttr> converted;

  ElementsAttr convert(ElementsAttr weight, Type storageType);
  void runOnOperation() override;
};

ElementsAttr ConvertWeightPrecision::convert(ElementsAttr weight,
                                             Type storageType) {
  if (ElementsAttr done = converted.lookup(weight))
    return done;
  ArrayRef<char> bytes = attnc::getRawWeightBytes(weight);
  size_t count = bytes.size() / sizeof(float);
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(count * sizeof(uint16_t), /*align=*/64);
  auto *dst = reinterpret_cast<uint16_t *>(blob.getMutableData().data());
  const char *src = bytes.data();
  for (size_t i = 0; i < count; ++i) {
    float v;
    std::memcpy(&v, src + i * sizeof(float), sizeof(float));
    dst[i] = attnc::roundToBF16(v);
  }
  std::string name = "weight";
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(weight))
    name = resource.getRawHandle().getKey().str();
  name += ".bf16";
  auto type =
      RankedTensorType::get(weight.getShapedType().getShape(), storageType);
  ElementsAttr result =
      DenseResourceElementsAttr::get(type, name, std::move(blob));
  converted[weight] = result;
  return result;
}

void ConvertWeightPrecision::runOnOperation() {
  MLIRContext *ctx = &getContext();
  // Only bf16 for now; another narrow type (f16) needs its own rounding.
  if (type != "bf16") {
    getOperation().emitError("attnc-convert-weight-precision: unsupported "
                             "type '")
        << type << "' (expected bf16)";
    return signalPassFailure();
  }
  Type storageType = BFloat16Type::get(ctx);

  SmallVector<std::pair<linalg::GenericOp, OpOperand *>> work;
  SmallVector<ElementsAttr> weights;
  getOperation().walk([&](linalg::GenericOp op) {
    ElementsAttr data;
    if (OpOperand *operand = findWeight(op, minElements, data)) {
      work.emplace_back(op, operand);
      weights.push_back(data);
    }
  });

  SetVector<Operation *> oldConstants;
  for (auto [item, weight] : llvm::zip(work, weights)) {
    auto [op, operand] = item;
    OpBuilder b(op);
    Value old = operand->get();
    oldConstants.insert(old.getDefiningOp());
    Value narrow =
        arith::ConstantOp::create(b, op.getLoc(), convert(weight, storageType));
    operand->set(narrow);
    // The body gets the narrow element and extends it first thing.
    BlockArgument arg = op.getMatchingBlockArgument(operand);
    arg.setType(storageType);
    OpBuilder body = OpBuilder::atBlockBegin(op.getBlock());
    auto wide = arith::ExtFOp::create(body, op.getLoc(), b.getF32Type(), arg);
    arg.replaceAllUsesExcept(wide, wide);
  }
  converted.clear();

  // The f32 constants left without users go now, so that
  // attnc-externalize-weights does not store them; their data is released
  // unless another constant op still refers to it.
  SmallVector<DenseResourceElementsAttr> released;
  for (Operation *op : oldConstants) {
    if (!op->use_empty())
      continue;
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(
            cast<arith::ConstantOp>(op).getValue()))
      released.push_back(resource);
    op->erase();
  }
  DenseSet<Attribute> referenced;
  getOperation().walk(
      [&](arith::ConstantOp op) { referenced.insert(op.getValue()); });
  for (DenseResourceElementsAttr resource : released)
    if (!referenced.contains(resource))
      attnc::releaseWeightData(resource);
}

} // namespace
