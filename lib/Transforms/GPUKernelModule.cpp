//===- GPUKernelModule.cpp - All kernels in one gpu.module ----------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace attnc {
#define GEN_PASS_DEF_GPUKERNELMODULE
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {
constexpr StringLiteral kModuleName = "attnc_kernels";

struct GPUKernelModulePass
    : public attnc::impl::GPUKernelModuleBase<GPUKernelModulePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> sources =
        llvm::to_vector(module.getOps<gpu::GPUModuleOp>());
    if (sources.empty())
      return;
    OpBuilder b(sources.front());
    auto merged =
        gpu::GPUModuleOp::create(b, sources.front().getLoc(), kModuleName);
    if (auto targets = sources.front().getTargetsAttr())
      merged.setTargetsAttr(targets);
    SymbolTable mergedTable(merged);
    // (old module, old kernel) -> new kernel name.
    llvm::DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp source : sources) {
      if (source.getTargetsAttr() != merged.getTargetsAttr()) {
        source.emitError("kernel modules with different targets");
        return signalPassFailure();
      }
      for (Operation &op :
           llvm::make_early_inc_range(source.getBody()->getOperations())) {
        auto symbol = dyn_cast<SymbolOpInterface>(op);
        if (!symbol)
          continue;
        StringAttr oldName = symbol.getNameAttr();
        op.remove();
        // Renames on collision (every outlined kernel of @f is @f_kernel).
        StringAttr newName = mergedTable.insert(&op);
        renamed[{source.getNameAttr(), oldName}] = newName;
      }
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr ref = launch.getKernel();
      StringAttr newName = renamed.lookup(
          {ref.getRootReference(), ref.getLeafReference()});
      if (newName)
        launch.setKernelAttr(SymbolRefAttr::get(
            merged.getNameAttr(), {FlatSymbolRefAttr::get(newName)}));
    });
    for (gpu::GPUModuleOp source : sources)
      source.erase();
  }
};
} // namespace
