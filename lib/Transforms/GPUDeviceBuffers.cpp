//===- GPUDeviceBuffers.cpp - Tensor buffers in GPU memory ----------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace attnc {
#define GEN_PASS_DEF_GPUDEVICEBUFFERS
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

/// Shape operands of memref.reshape are `index` buffers the host writes and
/// the host reads: they stay in host memory.
bool isHostBuffer(MemRefType type) { return type.getElementType().isIndex(); }

/// The dynamic sizes of `value` (a memref of `type`), read on the host.
SmallVector<Value> dynamicSizes(OpBuilder &b, Location loc, Value value,
                                MemRefType type) {
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      sizes.push_back(memref::DimOp::create(b, loc, value, i));
  return sizes;
}

struct GPUDeviceBuffersPass
    : public attnc::impl::GPUDeviceBuffersBase<GPUDeviceBuffersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>(attnc::kEntryFunctionName);
    if (!func) {
      module.emitError() << "no entry function @" << attnc::kEntryFunctionName
                         << " (run attnc-entry-abi first)";
      return signalPassFailure();
    }
    if (failed(stageArguments(func)))
      return signalPassFailure();

    WalkResult result = func.walk([&](Operation *op) {
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        if (isHostBuffer(alloc.getType()))
          return WalkResult::advance();
        if (!alloc.getType().getLayout().isIdentity()) {
          alloc.emitError("device buffers need the identity layout");
          return WalkResult::interrupt();
        }
        OpBuilder b(alloc);
        auto gpuAlloc = gpu::AllocOp::create(
            b, alloc.getLoc(), alloc.getType(), /*asyncToken=*/Type(),
            /*asyncDependencies=*/ValueRange(), alloc.getDynamicSizes(),
            alloc.getSymbolOperands(), /*hostShared=*/false);
        alloc.replaceAllUsesWith(gpuAlloc.getMemref());
        alloc.erase();
        return WalkResult::advance();
      }
      if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        if (isHostBuffer(cast<MemRefType>(dealloc.getMemref().getType())))
          return WalkResult::advance();
        OpBuilder b(dealloc);
        gpu::DeallocOp::create(b, dealloc.getLoc(), /*asyncToken=*/Type(),
                               ValueRange(), dealloc.getMemref());
        dealloc.erase();
        return WalkResult::advance();
      }
      if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        auto src = cast<MemRefType>(copy.getSource().getType());
        auto dst = cast<MemRefType>(copy.getTarget().getType());
        // Strided copies become loops (attnc-lower-strided-copies) and so
        // kernels; contiguous ones are one device-to-device copy.
        if (isHostBuffer(src) || !src.getLayout().isIdentity() ||
            !dst.getLayout().isIdentity())
          return WalkResult::advance();
        OpBuilder b(copy);
        gpu::MemcpyOp::create(b, copy.getLoc(), /*asyncToken=*/Type(),
                              ValueRange(), copy.getTarget(),
                              copy.getSource());
        copy.erase();
      }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }

  /// Inputs are copied into device buffers at entry; outputs are computed
  /// in device buffers and copied back to the caller's memory before every
  /// return.
  LogicalResult stageArguments(func::FuncOp func) {
    Block &entry = func.getBody().front();
    OpBuilder b = OpBuilder::atBlockBegin(&entry);
    Location loc = func.getLoc();
    SmallVector<std::pair<Value, Value>> outputs; // (host, device)
    for (BlockArgument arg : entry.getArguments()) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type)
        continue;
      if (!type.getLayout().isIdentity())
        return func.emitError("argument ")
               << arg.getArgNumber() << " is not a contiguous memref";
      bool isOutput =
          func.getArgAttr(arg.getArgNumber(), attnc::kOutputArgAttrName) !=
          nullptr;
      SmallVector<Value> sizes = dynamicSizes(b, loc, arg, type);
      auto device = gpu::AllocOp::create(b, loc, type, Type(), ValueRange(),
                                         sizes, ValueRange(), false);
      Value deviceBuffer = device.getMemref();
      arg.replaceAllUsesExcept(deviceBuffer, device);
      // The dim ops above read the host argument's descriptor.
      for (Value size : sizes)
        size.getDefiningOp()->setOperand(0, arg);
      if (isOutput) {
        outputs.emplace_back(arg, deviceBuffer);
        continue;
      }
      gpu::MemcpyOp::create(b, loc, Type(), ValueRange(), deviceBuffer, arg);
      // Inputs are freed before every return too.
      outputs.emplace_back(Value(), deviceBuffer);
    }
    func.walk([&](func::ReturnOp ret) {
      OpBuilder rb(ret);
      for (auto [host, device] : outputs) {
        if (host)
          gpu::MemcpyOp::create(rb, ret.getLoc(), Type(), ValueRange(), host,
                                device);
        gpu::DeallocOp::create(rb, ret.getLoc(), Type(), ValueRange(),
                               device);
      }
    });
    return success();
  }
};

} // namespace
