//===- GPUConstantsToDevice.cpp - Weights read from their device copy -----===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"

namespace attnc {
#define GEN_PASS_DEF_GPUCONSTANTSTODEVICE
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {
constexpr StringLiteral kConstantFn = "__attnc_gpu_constant";

struct GPUConstantsToDevicePass
    : public attnc::impl::GPUConstantsToDeviceBase<GPUConstantsToDevicePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    auto ptrTy = LLVM::LLVMPointerType::get(ctx);
    auto i64 = IntegerType::get(ctx, 64);
    SymbolTableCollection symbols;
    SmallVector<LLVM::AddressOfOp> uses;
    // Host functions only: kernels live in gpu.module/gpu.binary.
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      func.walk([&](LLVM::AddressOfOp op) {
        if (op.getGlobal(symbols))
          uses.push_back(op);
      });
    if (uses.empty())
      return;
    auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(kConstantFn);
    if (!fn) {
      OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
      fn = LLVM::LLVMFuncOp::create(
          b, module.getLoc(), kConstantFn,
          LLVM::LLVMFunctionType::get(ptrTy, {ptrTy, i64}));
    }
    DataLayout layout(module);
    for (LLVM::AddressOfOp op : uses) {
      LLVM::GlobalOp global = op.getGlobal(symbols);
      uint64_t size = layout.getTypeSize(global.getGlobalType());
      OpBuilder b(op->getContext());
      b.setInsertionPointAfter(op);
      Value bytes = LLVM::ConstantOp::create(b, op.getLoc(), i64,
                                             b.getI64IntegerAttr(size));
      auto call = LLVM::CallOp::create(b, op.getLoc(), fn,
                                       ValueRange{op.getResult(), bytes});
      op.getResult().replaceAllUsesExcept(call.getResult(), call);
    }
  }
};
} // namespace
