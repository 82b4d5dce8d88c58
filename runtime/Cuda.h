//===- Cuda.h - GPU models: the CUDA driver behind the model's hooks ------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// A model compiled with --target=cuda calls the runtime through the table
// it receives from `attnc_model_set_gpu` (docs/abi.md). The runtime talks
// to the NVIDIA driver through `libcuda.so.1`, opened with dlopen on first
// use: the runtime itself never links CUDA, so a machine without a GPU
// still loads it and gets ATTNC_STATUS_NO_DEVICE for GPU models.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_CUDA_H
#define ATTNC_RUNTIME_CUDA_H

#include "attnc-c/runtime.h"

#include <string>

namespace attnc::rt {

class GPUModel;
class GPUSession;

/// Opens the driver (once per process) and creates the per-model state:
/// module cache and device copies of the weights. Installs the hook table
/// into the model through `setGPU`. Fails with ATTNC_STATUS_NO_DEVICE when
/// there is no driver or no GPU.
attnc_status createGPUModel(void (*setGPU)(const void *const *, void *),
                            const std::string &path, GPUModel *&out,
                            std::string &error);
void destroyGPUModel(GPUModel *model);

/// A session's CUDA stream.
attnc_status createGPUSession(GPUModel *model, GPUSession *&out,
                              std::string &error);
void destroyGPUSession(GPUSession *session);

/// Makes `session` the one the hooks called on this thread use, for the
/// scope's lifetime; `finish` waits for the stream and reports the first
/// CUDA error of the run (ATTNC_STATUS_DEVICE_ERROR).
class GPURunScope {
public:
  explicit GPURunScope(GPUSession *session);
  ~GPURunScope();
  attnc_status finish(std::string &error);

private:
  GPUSession *session;
  GPUSession *previous;
};

} // namespace attnc::rt

#endif // ATTNC_RUNTIME_CUDA_H
