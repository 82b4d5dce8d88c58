//===- ExternalizeWeights.cpp - Move weights out of the code --------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"

namespace attnc {
#define GEN_PASS_DEF_EXTERNALIZEWEIGHTS
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {
struct ExternalizeWeightsPass
    : public attnc::impl::ExternalizeWeightsBase<ExternalizeWeightsPass> {
  using ExternalizeWeightsBase::ExternalizeWeightsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder moduleBuilder(module.getBodyRegion());
    SmallVector<NamedAttribute> weights;
    if (auto existing =
            module->getAttrOfType<DictionaryAttr>(attnc::kWeightsAttrName))
      llvm::append_range(weights, existing.getValue());
    // Identical constants (e.g. tied embeddings) share one symbol.
    llvm::DenseMap<Attribute, StringAttr> symbolOf;
    unsigned counter = weights.size();

    SmallVector<arith::ConstantOp> constants;
    module.walk([&](arith::ConstantOp op) {
      auto type = dyn_cast<RankedTensorType>(op.getType());
      if (type && type.hasStaticShape() && type.getNumElements() >= minElements)
        constants.push_back(op);
    });

    for (arith::ConstantOp op : constants) {
      auto type = cast<RankedTensorType>(op.getType());
      Attribute value = op.getValue();
      StringAttr &sym = symbolOf[value];
      auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
      if (!sym) {
        std::string name;
        do {
          name = "__attnc_w" + std::to_string(counter++);
        } while (module.lookupSymbol(name));
        sym = moduleBuilder.getStringAttr(name);
        // No initial value: an external declaration that the weight blob
        // defines at link time.
        memref::GlobalOp::create(moduleBuilder, op.getLoc(), sym,
                                 /*sym_visibility=*/StringAttr(),
                                 TypeAttr::get(memrefType),
                                 /*initial_value=*/Attribute(),
                                 moduleBuilder.getUnitAttr(),
                                 moduleBuilder.getI64IntegerAttr(64));
        weights.push_back(NamedAttribute(sym, value));
      }
      OpBuilder b(op);
      Value global =
          memref::GetGlobalOp::create(b, op.getLoc(), memrefType, sym);
      Value tensor = bufferization::ToTensorOp::create(
          b, op.getLoc(), type, global, /*restrict=*/true, /*writable=*/false);
      op.replaceAllUsesWith(tensor);
      op.erase();
    }
    if (!weights.empty())
      module->setAttr(attnc::kWeightsAttrName,
                      DictionaryAttr::get(&getContext(), weights));
  }
};
} // namespace
