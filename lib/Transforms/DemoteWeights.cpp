//===- DemoteWeights.cpp - f32 weights stored as f16/bf16 -----------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "WeightData.h"

#include "attnc/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include <cstring>

namespace attnc {
#define GEN_PASS_DEF_DEMOTEWEIGHTS
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

/// Whether every use of `value` is a linalg.generic input or a
/// tensor.extract in a linalg.generic's body.
bool onlyGenericReaders(Value value) {
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    if (auto generic = dyn_cast<linalg::GenericOp>(user)) {
      if (!generic.isDpsInput(&use))
        return false;
      continue;
    }
    if (isa<tensor::ExtractOp>(user) &&
        user->getParentOfType<linalg::GenericOp>())
      continue;
    return false;
  }
  return true;
}

struct DemoteWeightsPass
    : public attnc::impl::DemoteWeightsBase<DemoteWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    FloatType narrow;
    if (elementType == "f16")
      narrow = Float16Type::get(ctx);
    else if (elementType == "bf16")
      narrow = BFloat16Type::get(ctx);
    else {
      getOperation().emitError("attnc-demote-weights: element-type must be "
                               "f16 or bf16, got '")
          << elementType << "'";
      return signalPassFailure();
    }
    SmallVector<arith::ConstantOp> candidates;
    getOperation().walk([&](arith::ConstantOp op) {
      auto type = dyn_cast<RankedTensorType>(op.getType());
      if (!type || !type.getElementType().isF32() ||
          type.getNumElements() < minElements || !onlyGenericReaders(op))
        return;
      if (attnc::getRawWeightBytes(cast<ElementsAttr>(op.getValue())).empty())
        return;
      candidates.push_back(op);
    });
    for (arith::ConstantOp op : candidates)
      demote(op, narrow);
  }

  void demote(arith::ConstantOp op, FloatType narrow) {
    auto type = cast<RankedTensorType>(op.getType());
    auto attr = cast<ElementsAttr>(op.getValue());
    ArrayRef<char> bytes = attnc::getRawWeightBytes(attr);
    int64_t n = type.getNumElements();
    AsmResourceBlob blob =
        HeapAsmResourceBlob::allocate(n * sizeof(uint16_t), /*align=*/64);
    auto *dst =
        reinterpret_cast<uint16_t *>(blob.getMutableData().data());
    bool half = narrow.isF16();
    for (int64_t i = 0; i < n; ++i) {
      float bits;
      std::memcpy(&bits, bytes.data() + i * 4, 4);
      dst[i] = half ? attnc::roundToHalf(bits) : attnc::roundToBF16(bits);
    }
    std::string name = "weight";
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
      name = resource.getRawHandle().getKey().str();
    name += half ? ".f16" : ".bf16";
    auto narrowType = RankedTensorType::get(type.getShape(), narrow);
    OpBuilder b(op);
    Value demoted = arith::ConstantOp::create(
        b, op.getLoc(),
        DenseResourceElementsAttr::get(narrowType, name, std::move(blob)));

    for (OpOperand &use : llvm::make_early_inc_range(op->getUses())) {
      Operation *user = use.getOwner();
      if (auto extract = dyn_cast<tensor::ExtractOp>(user)) {
        OpBuilder eb(extract);
        Value narrowValue = tensor::ExtractOp::create(
            eb, extract.getLoc(), demoted, extract.getIndices());
        Value wide = arith::ExtFOp::create(eb, extract.getLoc(),
                                           type.getElementType(), narrowValue);
        extract.replaceAllUsesWith(wide);
        extract.erase();
        continue;
      }
      auto generic = cast<linalg::GenericOp>(user);
      BlockArgument arg = generic.getMatchingBlockArgument(&use);
      use.set(demoted);
      arg.setType(narrow);
      OpBuilder bb = OpBuilder::atBlockBegin(arg.getOwner());
      auto wide = arith::ExtFOp::create(bb, generic.getLoc(),
                                        type.getElementType(), arg);
      arg.replaceAllUsesExcept(wide, wide);
    }
    op.erase();
  }
};

} // namespace
