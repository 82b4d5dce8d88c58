//===- Cuda.cpp - GPU models: the CUDA driver behind the model's hooks ----===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"

#include "Internal.h"

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>

using namespace attnc::rt;

namespace {

// The few driver API types and values used here (cuda.h is not needed to
// build the runtime).
using CUresult = int;
using CUdevice = int;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;
using CUmemoryPool = void *;
using CUdeviceptr = unsigned long long;
constexpr CUresult kSuccess = 0;
constexpr int kAttrComputeMajor = 75, kAttrComputeMinor = 76;
constexpr int kAttrMemoryPoolsSupported = 115;
constexpr int kPoolAttrReleaseThreshold = 4;
constexpr unsigned kStreamNonBlocking = 1;

/// The driver's entry points, resolved once per process.
struct Driver {
  bool ok = false;
  std::string error;
  CUdevice device = 0;
  CUcontext context = nullptr;
  int major = 0, minor = 0;
  bool pools = false;
  std::string name;

// Driver entry points: name and signature.
using PFN_cuInit = CUresult (*)(unsigned);
using PFN_cuDeviceGetCount = CUresult (*)(int *);
using PFN_cuDeviceGet = CUresult (*)(CUdevice *, int);
using PFN_cuDeviceGetName = CUresult (*)(char *, int, CUdevice);
using PFN_cuDeviceGetAttribute = CUresult (*)(int *, int, CUdevice);
using PFN_cuDevicePrimaryCtxRetain = CUresult (*)(CUcontext *, CUdevice);
using PFN_cuCtxSetCurrent = CUresult (*)(CUcontext);
using PFN_cuGetErrorName = CUresult (*)(CUresult, const char **);
using PFN_cuGetErrorString = CUresult (*)(CUresult, const char **);
using PFN_cuModuleLoadData = CUresult (*)(CUmodule *, const void *);
using PFN_cuModuleUnload = CUresult (*)(CUmodule);
using PFN_cuModuleGetFunction = CUresult (*)(CUfunction *, CUmodule, const char *);
using PFN_cuLaunchKernel = CUresult (*)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, CUstream, void **, void **);
using PFN_cuMemAlloc_v2 = CUresult (*)(CUdeviceptr *, size_t);
using PFN_cuMemFree_v2 = CUresult (*)(CUdeviceptr);
using PFN_cuMemcpyAsync = CUresult (*)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
using PFN_cuMemcpyHtoD_v2 = CUresult (*)(CUdeviceptr, const void *, size_t);
using PFN_cuMemsetD32Async = CUresult (*)(CUdeviceptr, unsigned, size_t, CUstream);
using PFN_cuMemsetD16Async = CUresult (*)(CUdeviceptr, unsigned short, size_t, CUstream);
using PFN_cuStreamCreate = CUresult (*)(CUstream *, unsigned);
using PFN_cuStreamDestroy_v2 = CUresult (*)(CUstream);
using PFN_cuStreamSynchronize = CUresult (*)(CUstream);
using PFN_cuMemAllocAsync = CUresult (*)(CUdeviceptr *, size_t, CUstream);
using PFN_cuMemFreeAsync = CUresult (*)(CUdeviceptr, CUstream);
using PFN_cuDeviceGetDefaultMemPool = CUresult (*)(CUmemoryPool *, CUdevice);
using PFN_cuMemPoolSetAttribute = CUresult (*)(CUmemoryPool, int, void *);

#define ATTNC_CU_FUNCTIONS(X) \
  X(cuInit, PFN_cuInit) \
  X(cuDeviceGetCount, PFN_cuDeviceGetCount) \
  X(cuDeviceGet, PFN_cuDeviceGet) \
  X(cuDeviceGetName, PFN_cuDeviceGetName) \
  X(cuDeviceGetAttribute, PFN_cuDeviceGetAttribute) \
  X(cuDevicePrimaryCtxRetain, PFN_cuDevicePrimaryCtxRetain) \
  X(cuCtxSetCurrent, PFN_cuCtxSetCurrent) \
  X(cuGetErrorName, PFN_cuGetErrorName) \
  X(cuGetErrorString, PFN_cuGetErrorString) \
  X(cuModuleLoadData, PFN_cuModuleLoadData) \
  X(cuModuleUnload, PFN_cuModuleUnload) \
  X(cuModuleGetFunction, PFN_cuModuleGetFunction) \
  X(cuLaunchKernel, PFN_cuLaunchKernel) \
  X(cuMemAlloc_v2, PFN_cuMemAlloc_v2) \
  X(cuMemFree_v2, PFN_cuMemFree_v2) \
  X(cuMemcpyAsync, PFN_cuMemcpyAsync) \
  X(cuMemcpyHtoD_v2, PFN_cuMemcpyHtoD_v2) \
  X(cuMemsetD32Async, PFN_cuMemsetD32Async) \
  X(cuMemsetD16Async, PFN_cuMemsetD16Async) \
  X(cuStreamCreate, PFN_cuStreamCreate) \
  X(cuStreamDestroy_v2, PFN_cuStreamDestroy_v2) \
  X(cuStreamSynchronize, PFN_cuStreamSynchronize)
// Optional (stream-ordered allocation, CUDA 11.2+).
#define ATTNC_CU_OPTIONAL(X) \
  X(cuMemAllocAsync, PFN_cuMemAllocAsync) \
  X(cuMemFreeAsync, PFN_cuMemFreeAsync) \
  X(cuDeviceGetDefaultMemPool, PFN_cuDeviceGetDefaultMemPool) \
  X(cuMemPoolSetAttribute, PFN_cuMemPoolSetAttribute)

#define ATTNC_CU_FIELD(name, type) type name = nullptr;
  ATTNC_CU_FUNCTIONS(ATTNC_CU_FIELD)
  ATTNC_CU_OPTIONAL(ATTNC_CU_FIELD)
#undef ATTNC_CU_FIELD

  std::string describe(CUresult rc) const {
    const char *name = nullptr, *text = nullptr;
    if (cuGetErrorName)
      cuGetErrorName(rc, &name);
    if (cuGetErrorString)
      cuGetErrorString(rc, &text);
    std::string out = name ? name : "CUDA error " + std::to_string(rc);
    if (text)
      out += std::string(" (") + text + ")";
    return out;
  }

  void open() {
    // ATTNC_LIBCUDA names another driver library (tests use it).
    const char *lib = std::getenv("ATTNC_LIBCUDA");
    void *handle = dlopen(lib && *lib ? lib : "libcuda.so.1",
                          RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char *why = dlerror();
      error = std::string("the NVIDIA driver library is not available (") +
              (why ? why : "dlopen failed") + ")";
      return;
    }
#define ATTNC_CU_LOAD(sym, type)                                               \
  sym = reinterpret_cast<type>(dlsym(handle, #sym));                           \
  if (!sym) {                                                                  \
    error = "the NVIDIA driver library lacks " #sym " (driver too old?)";      \
    return;                                                                    \
  }
    ATTNC_CU_FUNCTIONS(ATTNC_CU_LOAD)
#undef ATTNC_CU_LOAD
#define ATTNC_CU_LOAD_OPTIONAL(sym, type)                                      \
  sym = reinterpret_cast<type>(dlsym(handle, #sym));
    ATTNC_CU_OPTIONAL(ATTNC_CU_LOAD_OPTIONAL)
#undef ATTNC_CU_LOAD_OPTIONAL
    // The library stays open for the life of the process, like the driver's
    // own state.
    CUresult rc = cuInit(0);
    if (rc != kSuccess) {
      error = "cuInit failed: " + describe(rc);
      return;
    }
    int count = 0;
    rc = cuDeviceGetCount(&count);
    if (rc != kSuccess || count == 0) {
      error = rc != kSuccess ? "cuDeviceGetCount failed: " + describe(rc)
                             : "the NVIDIA driver sees no GPU";
      return;
    }
    int ordinal = 0;
    if (const char *env = std::getenv("ATTNC_CUDA_DEVICE"))
      ordinal = std::atoi(env);
    if (ordinal < 0 || ordinal >= count) {
      error = "ATTNC_CUDA_DEVICE=" + std::to_string(ordinal) +
              " but the driver sees " + std::to_string(count) + " GPU(s)";
      return;
    }
    if ((rc = cuDeviceGet(&device, ordinal)) != kSuccess ||
        (rc = cuDevicePrimaryCtxRetain(&context, device)) != kSuccess) {
      error = "cannot open GPU " + std::to_string(ordinal) + ": " +
              describe(rc);
      return;
    }
    char buffer[256] = {0};
    if (cuDeviceGetName(buffer, sizeof buffer - 1, device) == kSuccess)
      name = buffer;
    cuDeviceGetAttribute(&major, kAttrComputeMajor, device);
    cuDeviceGetAttribute(&minor, kAttrComputeMinor, device);
    int poolsSupported = 0;
    if (cuMemAllocAsync && cuMemFreeAsync && cuDeviceGetDefaultMemPool &&
        cuMemPoolSetAttribute &&
        cuDeviceGetAttribute(&poolsSupported, kAttrMemoryPoolsSupported,
                             device) == kSuccess &&
        poolsSupported) {
      // Keep freed memory in the pool between runs instead of returning it
      // to the driver at every synchronization.
      CUmemoryPool pool = nullptr;
      if (cuDeviceGetDefaultMemPool(&pool, device) == kSuccess) {
        uint64_t threshold = UINT64_MAX;
        cuMemPoolSetAttribute(pool, kPoolAttrReleaseThreshold, &threshold);
        pools = true;
      }
    }
    ok = true;
  }
};

Driver &driver() {
  static Driver d;
  static std::once_flag once;
  std::call_once(once, [] { d.open(); });
  return d;
}

/// Zero-byte buffers get this address; nothing dereferences it.
void *const kEmptyBuffer = reinterpret_cast<void *>(uintptr_t(256));

} // namespace

namespace attnc::rt {

class GPUModel {
public:
  std::string path;
  /// The library's attnc_model_set_gpu (identifies the mapped .so) and the
  /// number of attnc_model handles on it.
  void (*setGPU)(const void *const *, void *) = nullptr;
  size_t refs = 0;
  std::mutex mutex;
  /// fatbin address -> loaded module (one per model in practice).
  std::unordered_map<const void *, CUmodule> modules;
  /// (module, kernel name address) -> function.
  std::map<std::pair<CUmodule, const void *>, CUfunction> functions;
  /// weight address -> device copy.
  std::unordered_map<const void *, CUdeviceptr> constants;
};

class GPUSession {
public:
  GPUModel *model = nullptr;
  CUstream stream = nullptr;
  /// The first failure of the current run; later GPU calls of the run are
  /// skipped (they would use its missing results).
  bool failed = false;
  std::string error;

  void fail(const std::string &what, CUresult rc) {
    if (failed)
      return;
    failed = true;
    error = what + ": " + driver().describe(rc);
  }
};

} // namespace attnc::rt

namespace {

thread_local GPUSession *currentSession = nullptr;

/// The GPU state of every loaded GPU model library, by its set-GPU hook.
std::mutex loadedMutex;
std::unordered_map<const void *, GPUModel *> loadedModels;

/// The session of the run on this thread; null outside a run (a model
/// called directly, not through attnc_session_run).
GPUSession *active() { return currentSession; }

void *streamCreate(void *) {
  GPUSession *s = active();
  return s ? s->stream : nullptr;
}

void streamDestroy(void *, void *) {}

// Every GPU call of a run goes to the session's one stream, in program
// order, and the host never reads device memory: the waits that MLIR's
// async lowering puts after each kernel are not needed. The run
// synchronizes once at its end (GPURunScope::finish).
void streamSynchronize(void *, void *) {}

void *memAlloc(void *, uint64_t bytes, void *stream, int8_t) {
  GPUSession *s = active();
  if (!s || s->failed)
    return nullptr;
  if (bytes == 0)
    return kEmptyBuffer;
  const Driver &d = driver();
  CUdeviceptr ptr = 0;
  CUresult rc = d.pools ? d.cuMemAllocAsync(&ptr, bytes, stream)
                        : d.cuMemAlloc_v2(&ptr, bytes);
  if (rc != kSuccess) {
    s->fail("allocating " + std::to_string(bytes) + " bytes of GPU memory",
            rc);
    return nullptr;
  }
  return reinterpret_cast<void *>(ptr);
}

void memFree(void *, void *ptr, void *stream) {
  if (!ptr || ptr == kEmptyBuffer)
    return;
  const Driver &d = driver();
  CUdeviceptr p = reinterpret_cast<CUdeviceptr>(ptr);
  // Freed even after a failure: the buffers would leak otherwise.
  if (d.pools)
    d.cuMemFreeAsync(p, stream);
  else
    d.cuMemFree_v2(p);
}

void memcpy(void *, void *dst, void *src, uint64_t bytes, void *stream) {
  GPUSession *s = active();
  if (!s || s->failed || bytes == 0)
    return;
  // Unified addressing: the driver tells host from device pointers.
  if (CUresult rc = driver().cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                                           reinterpret_cast<CUdeviceptr>(src),
                                           bytes, stream);
      rc != kSuccess)
    s->fail("copying " + std::to_string(bytes) + " bytes", rc);
}

void memset32(void *, void *dst, uint32_t value, uint64_t count,
              void *stream) {
  GPUSession *s = active();
  if (!s || s->failed || count == 0)
    return;
  if (CUresult rc = driver().cuMemsetD32Async(
          reinterpret_cast<CUdeviceptr>(dst), value, count, stream);
      rc != kSuccess)
    s->fail("filling GPU memory", rc);
}

void memset16(void *, void *dst, uint16_t value, uint64_t count,
              void *stream) {
  GPUSession *s = active();
  if (!s || s->failed || count == 0)
    return;
  if (CUresult rc = driver().cuMemsetD16Async(
          reinterpret_cast<CUdeviceptr>(dst), value, count, stream);
      rc != kSuccess)
    s->fail("filling GPU memory", rc);
}

void *getFunction(void *ctx, void *fatbin, const char *name) {
  GPUSession *s = active();
  if (!s || s->failed)
    return nullptr;
  auto *model = static_cast<GPUModel *>(ctx);
  const Driver &d = driver();
  std::lock_guard<std::mutex> lock(model->mutex);
  CUmodule &module = model->modules[fatbin];
  if (!module) {
    if (CUresult rc = d.cuModuleLoadData(&module, fatbin); rc != kSuccess) {
      module = nullptr;
      s->fail("loading the model's GPU code (compiled for " +
                  std::string("the architectures in its metadata; this GPU "
                              "is sm_") +
                  std::to_string(d.major) + std::to_string(d.minor) + ")",
              rc);
      return nullptr;
    }
  }
  CUfunction &fn = model->functions[{module, name}];
  if (!fn) {
    if (CUresult rc = d.cuModuleGetFunction(&fn, module, name);
        rc != kSuccess) {
      fn = nullptr;
      s->fail(std::string("finding kernel ") + name, rc);
    }
  }
  return fn;
}

void launchKernel(void *, void *fn, int64_t gx, int64_t gy, int64_t gz,
                  int64_t bx, int64_t by, int64_t bz, int32_t smem,
                  void *stream, void **params, void **extra, int64_t) {
  GPUSession *s = active();
  if (!s || s->failed || !fn)
    return;
  if (gx <= 0 || gy <= 0 || gz <= 0 || gx > INT32_MAX || gy > 65535 ||
      gz > 65535) {
    s->fail("launching a kernel with grid " + std::to_string(gx) + "x" +
                std::to_string(gy) + "x" + std::to_string(gz),
            1 /*CUDA_ERROR_INVALID_VALUE*/);
    return;
  }
  if (CUresult rc = driver().cuLaunchKernel(
          fn, unsigned(gx), unsigned(gy), unsigned(gz), unsigned(bx),
          unsigned(by), unsigned(bz), unsigned(smem), stream, params, extra);
      rc != kSuccess)
    s->fail("launching a kernel", rc);
}

void *constant(void *ctx, const void *host, uint64_t bytes) {
  GPUSession *s = active();
  if (!s || s->failed)
    return nullptr;
  auto *model = static_cast<GPUModel *>(ctx);
  std::lock_guard<std::mutex> lock(model->mutex);
  CUdeviceptr &ptr = model->constants[host];
  if (!ptr) {
    if (bytes == 0)
      return kEmptyBuffer;
    const Driver &d = driver();
    CUresult rc = d.cuMemAlloc_v2(&ptr, bytes);
    if (rc == kSuccess)
      rc = d.cuMemcpyHtoD_v2(ptr, host, bytes);
    if (rc != kSuccess) {
      if (ptr)
        d.cuMemFree_v2(ptr);
      ptr = 0;
      s->fail("uploading " + std::to_string(bytes) + " bytes of weights",
              rc);
      return nullptr;
    }
  }
  return reinterpret_cast<void *>(ptr);
}

/// In the order of attnc::GPUHook (include/attnc/Target/GPUHooks.h).
const void *const kHookTable[] = {
    reinterpret_cast<const void *>(&streamCreate),
    reinterpret_cast<const void *>(&streamDestroy),
    reinterpret_cast<const void *>(&streamSynchronize),
    reinterpret_cast<const void *>(&memAlloc),
    reinterpret_cast<const void *>(&memFree),
    reinterpret_cast<const void *>(&memcpy),
    reinterpret_cast<const void *>(&getFunction),
    reinterpret_cast<const void *>(&launchKernel),
    reinterpret_cast<const void *>(&constant),
    reinterpret_cast<const void *>(&memset32),
    reinterpret_cast<const void *>(&memset16),
};

} // namespace

attnc_status attnc::rt::createGPUModel(void (*setGPU)(const void *const *,
                                                      void *),
                                       const std::string &path,
                                       GPUModel *&out, std::string &error) {
  if (!setGPU) {
    error = "'" + path + "' declares a CUDA device but has no "
            "attnc_model_set_gpu symbol";
    return ATTNC_STATUS_INCOMPATIBLE;
  }
  // Loading one .so twice maps it once (dlopen counts references), so both
  // models share its hook table and context pointer: they share one state,
  // freed with the last of them.
  std::lock_guard<std::mutex> lock(loadedMutex);
  GPUModel *&model = loadedModels[reinterpret_cast<const void *>(setGPU)];
  if (!model) {
    model = new GPUModel();
    model->path = path;
    model->setGPU = setGPU;
    setGPU(kHookTable, model);
  }
  ++model->refs;
  out = model;
  return ATTNC_STATUS_OK;
}

void attnc::rt::destroyGPUModel(GPUModel *model) {
  if (!model)
    return;
  {
    std::lock_guard<std::mutex> lock(loadedMutex);
    if (--model->refs != 0)
      return;
    loadedModels.erase(reinterpret_cast<const void *>(model->setGPU));
  }
  const Driver &d = driver();
  if (d.ok) {
    d.cuCtxSetCurrent(d.context);
    for (auto &[host, ptr] : model->constants)
      if (ptr)
        d.cuMemFree_v2(ptr);
    for (auto &[fatbin, module] : model->modules)
      if (module)
        d.cuModuleUnload(module);
  }
  delete model;
}

attnc_status attnc::rt::createGPUSession(GPUModel *model, GPUSession *&out,
                                         std::string &error) {
  const Driver &d = driver();
  if (!d.ok) {
    error = "model '" + model->path + "' runs on an NVIDIA GPU: " + d.error;
    return ATTNC_STATUS_NO_DEVICE;
  }
  if (d.major < 5) {
    error = "GPU '" + d.name + "' (sm_" + std::to_string(d.major) +
            std::to_string(d.minor) + ") is too old";
    return ATTNC_STATUS_NO_DEVICE;
  }
  CUresult rc = d.cuCtxSetCurrent(d.context);
  CUstream stream = nullptr;
  if (rc == kSuccess)
    rc = d.cuStreamCreate(&stream, kStreamNonBlocking);
  if (rc != kSuccess) {
    error = "cannot create a CUDA stream: " + d.describe(rc);
    return ATTNC_STATUS_DEVICE_ERROR;
  }
  auto *session = new GPUSession();
  session->model = model;
  session->stream = stream;
  out = session;
  return ATTNC_STATUS_OK;
}

void attnc::rt::destroyGPUSession(GPUSession *session) {
  if (!session)
    return;
  const Driver &d = driver();
  if (d.ok && session->stream) {
    d.cuCtxSetCurrent(d.context);
    d.cuStreamSynchronize(session->stream);
    d.cuStreamDestroy_v2(session->stream);
  }
  delete session;
}

GPURunScope::GPURunScope(GPUSession *session)
    : session(session), previous(currentSession) {
  if (!session)
    return;
  session->failed = false;
  session->error.clear();
  // The driver's current context is per thread.
  driver().cuCtxSetCurrent(driver().context);
  currentSession = session;
}

GPURunScope::~GPURunScope() {
  if (session)
    currentSession = previous;
}

attnc_status GPURunScope::finish(std::string &error) {
  if (!session)
    return ATTNC_STATUS_OK;
  if (!session->failed)
    if (CUresult rc = driver().cuStreamSynchronize(session->stream);
        rc != kSuccess)
      session->fail("the model's kernels failed", rc);
  if (!session->failed)
    return ATTNC_STATUS_OK;
  error = "model '" + session->model->path + "' on GPU '" + driver().name +
          "': " + session->error;
  return ATTNC_STATUS_DEVICE_ERROR;
}
