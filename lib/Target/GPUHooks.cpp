//===- GPUHooks.cpp - The CUDA model's calls into the runtime -------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Target/GPUHooks.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/IR/IRBuilder.h"

using namespace attnc;
using llvm::SmallVector;
using llvm::StringRef;

/// Exit code of attnc_model_run when the runtime installed no GPU table
/// (docs/abi.md).
static constexpr int kNoGPURuntime = 3;

bool attnc::addGPUHooks(llvm::Module &m, std::string &error) {
  static const llvm::StringMap<GPUHook> hooks = {
      {"mgpuStreamCreate", GPUHook::StreamCreate},
      {"mgpuStreamDestroy", GPUHook::StreamDestroy},
      {"mgpuStreamSynchronize", GPUHook::StreamSynchronize},
      {"mgpuMemAlloc", GPUHook::MemAlloc},
      {"mgpuMemFree", GPUHook::MemFree},
      {"mgpuMemcpy", GPUHook::Memcpy},
      {"mgpuModuleGetFunction", GPUHook::GetFunction},
      {"mgpuLaunchKernel", GPUHook::LaunchKernel},
      {"__attnc_gpu_constant", GPUHook::Constant},
      {"mgpuMemset32", GPUHook::Memset32},
      {"mgpuMemset16", GPUHook::Memset16},
  };
  SmallVector<llvm::Function *> calls;
  for (llvm::Function &f : m)
    if (f.isDeclaration() && (f.getName().starts_with("mgpu") ||
                              f.getName().starts_with("__attnc_gpu_")))
      calls.push_back(&f);
  if (calls.empty())
    return true;

  llvm::LLVMContext &ctx = m.getContext();
  auto *ptrTy = llvm::PointerType::getUnqual(ctx);
  auto *voidTy = llvm::Type::getVoidTy(ctx);
  auto makeSlot = [&](StringRef name) {
    return new llvm::GlobalVariable(m, ptrTy, /*isConstant=*/false,
                                    llvm::GlobalValue::InternalLinkage,
                                    llvm::ConstantPointerNull::get(ptrTy),
                                    name);
  };
  llvm::GlobalVariable *tableSlot = makeSlot("__attnc_gpu_table");
  llvm::GlobalVariable *ctxSlot = makeSlot("__attnc_gpu_ctx");

  for (llvm::Function *f : calls) {
    StringRef name = f->getName();
    f->setLinkage(llvm::GlobalValue::InternalLinkage);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", f));
    // Modules are loaded by the runtime on first use (GetFunction), not by
    // the global constructor that the GPU translation emits, which runs at
    // dlopen before any table is installed: the "module" is the fatbin's
    // address.
    if (name == "mgpuModuleLoad" || name == "mgpuModuleLoadJIT") {
      b.CreateRet(f->getArg(0));
      continue;
    }
    if (name == "mgpuModuleUnload") {
      b.CreateRetVoid();
      continue;
    }
    auto it = hooks.find(name);
    if (it == hooks.end()) {
      error = "the CUDA runtime call '" + name.str() +
              "' is not provided by attnc's runtime";
      return false;
    }
    llvm::FunctionType *type = f->getFunctionType();
    SmallVector<llvm::Type *> params = {ptrTy};
    params.append(type->param_begin(), type->param_end());
    auto *hookTy =
        llvm::FunctionType::get(type->getReturnType(), params, false);
    llvm::Value *table = b.CreateLoad(ptrTy, tableSlot);
    llvm::Value *slot = b.CreateConstGEP1_64(
        ptrTy, table, static_cast<unsigned>(it->second));
    llvm::Value *target = b.CreateLoad(ptrTy, slot);
    SmallVector<llvm::Value *> args = {b.CreateLoad(ptrTy, ctxSlot)};
    for (llvm::Argument &arg : f->args())
      args.push_back(&arg);
    llvm::CallInst *call = b.CreateCall(hookTy, target, args);
    if (type->getReturnType()->isVoidTy())
      b.CreateRetVoid();
    else
      b.CreateRet(call);
  }

  auto *setter = llvm::Function::Create(
      llvm::FunctionType::get(voidTy, {ptrTy, ptrTy}, false),
      llvm::GlobalValue::ExternalLinkage, "attnc_model_set_gpu", m);
  {
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", setter));
    b.CreateStore(setter->getArg(0), tableSlot);
    b.CreateStore(setter->getArg(1), ctxSlot);
    b.CreateRetVoid();
  }

  // A runtime that does not know GPU models never installs the table: the
  // run fails instead of calling through null.
  if (llvm::Function *run = m.getFunction("attnc_model_run")) {
    llvm::BasicBlock *body = &run->getEntryBlock();
    auto *check = llvm::BasicBlock::Create(ctx, "gpu.check", run, body);
    auto *fail = llvm::BasicBlock::Create(ctx, "gpu.missing", run, body);
    llvm::IRBuilder<> b(check);
    llvm::Value *table = b.CreateLoad(ptrTy, tableSlot);
    b.CreateCondBr(b.CreateIsNull(table), fail, body);
    b.SetInsertPoint(fail);
    b.CreateRet(llvm::ConstantInt::get(run->getReturnType(), kNoGPURuntime));
  }
  return true;
}
