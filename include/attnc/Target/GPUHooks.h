//===- GPUHooks.h - The CUDA model's calls into the runtime -----*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// A CUDA model's host code calls the `mgpu*` functions that MLIR's
// gpu-to-llvm lowering emits (and __attnc_gpu_constant). A model .so must
// not depend on libcuda, so these are defined inside the .so as thunks that
// call through a table of function pointers the runtime installs with
// `attnc_model_set_gpu` (docs/abi.md).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TARGET_GPUHOOKS_H
#define ATTNC_TARGET_GPUHOOKS_H

#include "llvm/IR/Module.h"

#include <string>

namespace attnc {

/// The slots of the table passed to `attnc_model_set_gpu`, in order. Every
/// function gets the runtime's context pointer as its first argument.
enum class GPUHook : unsigned {
  StreamCreate,      // void *(ctx)
  StreamDestroy,     // void (ctx, stream)
  StreamSynchronize, // void (ctx, stream)
  MemAlloc,          // void *(ctx, uint64 bytes, stream, i8 host_shared)
  MemFree,           // void (ctx, ptr, stream)
  Memcpy,            // void (ctx, dst, src, uint64 bytes, stream)
  GetFunction,       // void *(ctx, const void *fatbin, const char *name)
  LaunchKernel,      // void (ctx, fn, i64 gx, gy, gz, bx, by, bz, i32 smem,
                     //       stream, void **params, void **extra, i64 n)
  Constant,          // void *(ctx, const void *host, uint64 bytes)
  Memset32,          // void (ctx, dst, u32 value, uint64 count, stream)
  Memset16,          // void (ctx, dst, u16 value, uint64 count, stream)
  Count
};

/// Defines the thunks for the GPU runtime calls `m` declares and the
/// exported `void attnc_model_set_gpu(const void *const *table, void
/// *ctx)`; `attnc_model_run` returns 3 while no table is installed. Does
/// nothing for a module without GPU calls. Fails, with `error` set, on a
/// runtime call attnc does not provide.
bool addGPUHooks(llvm::Module &m, std::string &error);

} // namespace attnc

#endif // ATTNC_TARGET_GPUHOOKS_H
