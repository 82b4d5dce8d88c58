//===- CudaTest.cpp - GPU models without a GPU ----------------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// A model compiled with --target=cuda (fixtures/cuda_linear.onnxtxt), run
// against fixtures/fake_libcuda.c instead of the NVIDIA driver
// (ATTNC_LIBCUDA). The runtime opens the driver once per process, so every
// suite here runs in its own process, with the environment that CMake sets
// for it (test/unit/CMakeLists.txt: ATTNC_LIBCUDA, ATTNC_FAKE_CUDA,
// ATTNC_CUDA_DEVICE); each suite checks that environment and skips
// otherwise, so running the executable by hand skips rather than fails.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

using namespace attnc::test;

namespace {

const char *const kModel = ATTNC_TEST_CUDA_MODEL;

/// Skips the test unless the process runs with `libcuda` (a path, or
/// "fake" for the fake driver) and ATTNC_FAKE_CUDA=`mode`.
#define REQUIRE_DRIVER(libcuda, mode)                                          \
  do {                                                                         \
    if (!*kModel)                                                              \
      GTEST_SKIP() << "CUDA toolkit not found at configure time: no CUDA "     \
                      "model to test";                                         \
    const char *lib_ = std::getenv("ATTNC_LIBCUDA");                           \
    std::string want_ = std::strcmp(libcuda, "fake") == 0                      \
                            ? std::string(ATTNC_FAKE_LIBCUDA)                  \
                            : std::string(libcuda);                            \
    const char *mode_ = std::getenv("ATTNC_FAKE_CUDA");                        \
    if (!lib_ || want_ != lib_ ||                                              \
        std::string(mode_ ? mode_ : "") != std::string(mode))                  \
      GTEST_SKIP() << "needs ATTNC_LIBCUDA=" << want_                          \
                   << " ATTNC_FAKE_CUDA=" << mode << " (ctest sets them)";     \
  } while (0)

/// Creates a session that must fail with `status` and a message holding
/// every string of `parts`.
void expectSessionFails(attnc_status status,
                        std::initializer_list<const char *> parts) {
  ModelPtr model = loadOk(kModel);
  ASSERT_NE(model, nullptr);
  attnc_session *session = nullptr;
  EXPECT_EQ(attnc_session_create(model.get(), nullptr, &session), status)
      << lastError();
  EXPECT_EQ(session, nullptr);
  std::string message = lastError();
  for (const char *part : parts)
    EXPECT_NE(message.find(part), std::string::npos)
        << "'" << part << "' not in: " << message;
}

/// Runs the model once on x = [1, 2, 4].
attnc_status runOnce(attnc_session *session, TensorPtr &y) {
  std::vector<float> values(8, 1.0f);
  TensorPtr x = tensorOf<float>(ATTNC_DTYPE_F32, {1, 2, 4}, values);
  const attnc_tensor *inputs[] = {x.get()};
  attnc_tensor *out = nullptr;
  attnc_status status = attnc_session_run(session, inputs, 1, &out, 1);
  y.reset(out);
  return status;
}

/// The fake driver's call counter of `name`.
int calls(const char *name) {
  void *handle = dlopen(ATTNC_FAKE_LIBCUDA, RTLD_NOW | RTLD_NOLOAD);
  if (!handle)
    return -1;
  auto count =
      reinterpret_cast<int (*)(const char *)>(dlsym(handle, "fake_cuda_count"));
  int n = count ? count(name) : -1;
  dlclose(handle);
  return n;
}

//===----------------------------------------------------------------------===//
// No GPU: cuInit fails with CUDA_ERROR_NO_DEVICE
//===----------------------------------------------------------------------===//

TEST(CudaNoDevice, ModelLoadsAndMetadataIsReadable) {
  REQUIRE_DRIVER("fake", "no-device");
  // Loading needs no GPU: only sessions do.
  ModelPtr model = loadOk(kModel);
  ASSERT_NE(model, nullptr);
  size_t n = 0;
  ASSERT_EQ(attnc_model_num_inputs(model.get(), &n), ATTNC_STATUS_OK);
  EXPECT_EQ(n, 1u);
  ASSERT_EQ(attnc_model_num_outputs(model.get(), &n), ATTNC_STATUS_OK);
  EXPECT_EQ(n, 1u);
  attnc_tensor_info info;
  ASSERT_EQ(attnc_model_input_info(model.get(), 0, &info), ATTNC_STATUS_OK);
  EXPECT_STREQ(info.name, "x");
  EXPECT_EQ(info.dtype, ATTNC_DTYPE_F32);
  ASSERT_EQ(info.rank, 3u);
  EXPECT_EQ(info.dims[0], -1);
  EXPECT_STREQ(info.dim_symbols[0], "batch");
  EXPECT_EQ(info.dims[2], 4);
  ASSERT_EQ(attnc_model_output_info(model.get(), 0, &info), ATTNC_STATUS_OK);
  EXPECT_STREQ(info.name, "y");
  EXPECT_EQ(info.dims[2], 3);
  // The host code's triple (the kernels' architectures are in the `device`
  // line, which the C API does not expose).
  const char *text = nullptr;
  ASSERT_EQ(attnc_model_target(model.get(), &text), ATTNC_STATUS_OK);
  EXPECT_NE(std::string(text).find("x86_64"), std::string::npos) << text;
  ASSERT_EQ(attnc_model_compiler_version(model.get(), &text), ATTNC_STATUS_OK);
  EXPECT_STRNE(text, "");
}

TEST(CudaNoDevice, MetadataHasDeviceLine) {
  REQUIRE_DRIVER("fake", "no-device");
  void *handle = dlopen(kModel, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  auto *text = static_cast<const char *>(dlsym(handle, "attnc_model_metadata"));
  ASSERT_NE(text, nullptr);
  EXPECT_NE(std::string(text).find("\ndevice cuda sm_80,sm_90\n"),
            std::string::npos)
      << text;
  EXPECT_NE(dlsym(handle, "attnc_model_set_gpu"), nullptr);
  dlclose(handle);
}

TEST(CudaNoDevice, SessionCreateSaysNoDevice) {
  REQUIRE_DRIVER("fake", "no-device");
  expectSessionFails(ATTNC_STATUS_NO_DEVICE,
                     {"attnc_session_create", kModel, "runs on an NVIDIA GPU",
                      "cuInit failed: CUDA_ERROR_NO_DEVICE (no CUDA-capable "
                      "device is detected)"});
  // The driver is probed once per process; the answer stays the same.
  expectSessionFails(ATTNC_STATUS_NO_DEVICE, {"CUDA_ERROR_NO_DEVICE"});
  EXPECT_EQ(calls("cuInit"), 1);
}

TEST(CudaNoDevice, RunWithoutHookTableReturns3) {
  REQUIRE_DRIVER("fake", "no-device");
  // A runtime that does not know GPU models never calls
  // attnc_model_set_gpu: the model refuses to run instead of calling
  // through a null table (docs/abi.md).
  void *handle = dlopen(kModel, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  auto run =
      reinterpret_cast<int32_t (*)(void **)>(dlsym(handle, "attnc_model_run"));
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run(nullptr), 3);
  dlclose(handle);
}

//===----------------------------------------------------------------------===//
// No driver library, no GPU, an unusable GPU
//===----------------------------------------------------------------------===//

TEST(CudaNoLibrary, SessionCreateSaysNoDevice) {
  REQUIRE_DRIVER("/nonexistent/libcuda.so.1", "");
  expectSessionFails(ATTNC_STATUS_NO_DEVICE,
                     {kModel, "the NVIDIA driver library is not available",
                      "/nonexistent/libcuda.so.1"});
}

TEST(CudaZeroDevices, SessionCreateSaysNoDevice) {
  REQUIRE_DRIVER("fake", "zero-devices");
  expectSessionFails(ATTNC_STATUS_NO_DEVICE,
                     {kModel, "the NVIDIA driver sees no GPU"});
}

TEST(CudaOldGpu, SessionCreateSaysTooOld) {
  REQUIRE_DRIVER("fake", "old-gpu");
  expectSessionFails(ATTNC_STATUS_NO_DEVICE,
                     {"GPU 'Fake GPU' (sm_35) is too old"});
}

TEST(CudaBadOrdinal, SessionCreateNamesTheOrdinal) {
  REQUIRE_DRIVER("fake", "ok");
  const char *ordinal = std::getenv("ATTNC_CUDA_DEVICE");
  if (!ordinal || std::string(ordinal) != "3")
    GTEST_SKIP() << "needs ATTNC_CUDA_DEVICE=3";
  expectSessionFails(ATTNC_STATUS_NO_DEVICE,
                     {"ATTNC_CUDA_DEVICE=3 but the driver sees 1 GPU(s)"});
}

TEST(CudaNoStream, SessionCreateSaysDeviceError) {
  REQUIRE_DRIVER("fake", "no-stream");
  expectSessionFails(ATTNC_STATUS_DEVICE_ERROR,
                     {"cannot create a CUDA stream: CUDA_ERROR_OUT_OF_MEMORY"});
}

//===----------------------------------------------------------------------===//
// A GPU that fails during the run
//===----------------------------------------------------------------------===//

TEST(CudaNoBinary, RunSaysDeviceError) {
  REQUIRE_DRIVER("fake", "no-binary");
  ModelPtr model = loadOk(kModel);
  ASSERT_NE(model, nullptr);
  SessionPtr session = sessionOk(model.get());
  ASSERT_NE(session, nullptr);
  // Every run reports the failure (the error state is per run).
  for (int i = 0; i < 2; ++i) {
    TensorPtr y;
    EXPECT_STATUS_MSG(runOnce(session.get(), y), ATTNC_STATUS_DEVICE_ERROR,
                      "on GPU 'Fake GPU': loading the model's GPU code");
    EXPECT_NE(lastError().find("CUDA_ERROR_NO_BINARY_FOR_GPU"),
              std::string::npos)
        << lastError();
    EXPECT_NE(lastError().find(kModel), std::string::npos) << lastError();
    EXPECT_EQ(y, nullptr);
  }
  // No kernel runs after the failure.
  EXPECT_EQ(calls("cuLaunchKernel"), 0);
}

TEST(CudaBadLaunch, RunSaysDeviceError) {
  REQUIRE_DRIVER("fake", "bad-launch");
  ModelPtr model = loadOk(kModel);
  ASSERT_NE(model, nullptr);
  SessionPtr session = sessionOk(model.get());
  ASSERT_NE(session, nullptr);
  TensorPtr y;
  EXPECT_STATUS_MSG(runOnce(session.get(), y), ATTNC_STATUS_DEVICE_ERROR,
                    "launching a kernel: CUDA_ERROR_ILLEGAL_ADDRESS (an "
                    "illegal memory access was encountered)");
  // The first failure stops the run's later launches.
  EXPECT_EQ(calls("cuLaunchKernel"), 1);
}

//===----------------------------------------------------------------------===//
// A working (fake) GPU: the device-memory model of docs/targets.md
//===----------------------------------------------------------------------===//

TEST(CudaFakeGpu, WeightsUploadedOncePerModelAndBuffersFreed) {
  REQUIRE_DRIVER("fake", "ok");
  int alloc0 = calls("cuMemAlloc_v2"), free0 = calls("cuMemFree_v2");
  {
    ModelPtr model = loadOk(kModel);
    ASSERT_NE(model, nullptr);
    // Loading touches no GPU memory.
    EXPECT_EQ(calls("cuMemAlloc_v2"), alloc0);
    SessionPtr session = sessionOk(model.get());
    ASSERT_NE(session, nullptr);
    TensorPtr y;
    ASSERT_EQ(runOnce(session.get(), y), ATTNC_STATUS_OK) << lastError();
    EXPECT_EQ(dimsOf(y.get()), (std::vector<int64_t>{1, 2, 3}));
    int uploads = calls("cuMemcpyHtoD_v2");
    EXPECT_GT(uploads, 0);
    EXPECT_GT(calls("cuLaunchKernel"), 0);
    EXPECT_EQ(calls("cuModuleLoadData"), 1);
    // Input in, output out, one synchronization per run.
    EXPECT_GE(calls("cuMemcpyAsync"), 2);
    EXPECT_EQ(calls("cuStreamSynchronize"), 1);
    for (int i = 0; i < 2; ++i)
      ASSERT_EQ(runOnce(session.get(), y), ATTNC_STATUS_OK) << lastError();
    // A second session of the same model shares its weights and code.
    SessionPtr other = sessionOk(model.get());
    ASSERT_EQ(runOnce(other.get(), y), ATTNC_STATUS_OK) << lastError();
    EXPECT_EQ(calls("cuMemcpyHtoD_v2"), uploads);
    EXPECT_EQ(calls("cuModuleLoadData"), 1);
    EXPECT_EQ(calls("cuStreamCreate"), 2);
  }
  // Every buffer of the runs and every weight went back to the driver.
  EXPECT_EQ(calls("cuMemAlloc_v2") - alloc0, calls("cuMemFree_v2") - free0);
  EXPECT_EQ(calls("cuModuleUnload"), 1);
  EXPECT_EQ(calls("cuStreamDestroy_v2"), 2);
}

} // namespace
