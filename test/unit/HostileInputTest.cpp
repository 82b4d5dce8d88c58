//===- HostileInputTest.cpp - The runtime against hostile inputs ----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Cases of issue #8 that the other files do not already cover: real
// non-attnc libraries, truncated shared objects, and symbol bindings whose
// output sizes overflow. Every one must fail with a status and a message,
// never crash or allocate absurd amounts. (Out-of-range Gather indices need
// a compiled model: test/hostile, `hostile.gather-*`.)
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <iterator>
#include <link.h>

using namespace attnc::test;

namespace {

TEST(HostileLoadTest, SystemLibraryIsRefused) {
  // A real system library (libm), found where the dynamic linker found it.
  void *h = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(h, nullptr) << dlerror();
  struct link_map *map = nullptr;
  ASSERT_EQ(dlinfo(h, RTLD_DI_LINKMAP, &map), 0);
  std::string path = map->l_name;
  dlclose(h);
  // Under qemu-user the dynamic linker reports the target's path
  // (/lib/libm.so.6) although the file lives under the emulator's library
  // prefix; the cross test run names the real file (runtime/cross).
  if (const char *real = std::getenv("ATTNC_TEST_SYSTEM_LIBRARY"))
    path = real;
  ASSERT_FALSE(path.empty());
  attnc_model *m = nullptr;
  EXPECT_STATUS_MSG(attnc_model_load(path.c_str(), &m),
                    ATTNC_STATUS_INCOMPATIBLE, "is not an attnc model");
  EXPECT_EQ(m, nullptr);
}

TEST(HostileLoadTest, TruncatedSharedObjectIsRefused) {
  std::ifstream in(ATTNC_FIXTURE_ADD_MODEL, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 4096u);
  for (size_t cut : {size_t(4), size_t(64), size_t(1000), bytes.size() / 2}) {
    std::string path = std::string(ATTNC_TEST_TMPDIR) + "/truncated_" +
                       std::to_string(cut) + ".so";
    std::system(("mkdir -p " + std::string(ATTNC_TEST_TMPDIR)).c_str());
    std::ofstream(path, std::ios::binary).write(bytes.data(), cut);
    attnc_model *m = nullptr;
    EXPECT_STATUS_MSG(attnc_model_load(path.c_str(), &m),
                      ATTNC_STATUS_INCOMPATIBLE, "truncated_");
    EXPECT_EQ(m, nullptr) << cut;
  }
}

/// The patchable fixture with test-written metadata (see MetadataTest.cpp).
class HostileShapeTest : public ::testing::Test {
protected:
  void SetUp() override {
    handle = dlopen(ATTNC_FIXTURE_PATCHABLE_MODEL, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle, nullptr) << dlerror();
    metadata = static_cast<char *>(dlsym(handle, "attnc_model_metadata"));
    ASSERT_NE(metadata, nullptr);
  }
  void TearDown() override {
    if (handle)
      dlclose(handle);
  }
  ModelPtr load(const std::string &text) {
    std::memset(metadata, 0, 8192);
    std::memcpy(metadata, text.data(), text.size());
    return loadOk(ATTNC_FIXTURE_PATCHABLE_MODEL);
  }
  void *handle = nullptr;
  char *metadata = nullptr;
};

TEST_F(HostileShapeTest, OutputElementCountOverflowIsRefused) {
  // An empty input may carry huge dims; an output built from them would
  // need 2^80 elements.
  ModelPtr m = load("attnc-metadata 1\ninput x f32 2 ?a 0\n"
                    "output y f32 2 ?a ?a\n");
  SessionPtr s = sessionOk(m.get());
  TensorPtr x = zeros(ATTNC_DTYPE_F32, {int64_t(1) << 40, 0});
  const attnc_tensor *inputs[] = {x.get()};
  attnc_tensor *out = reinterpret_cast<attnc_tensor *>(1);
  EXPECT_STATUS_MSG(attnc_session_run(s.get(), inputs, 1, &out, 1),
                    ATTNC_STATUS_SHAPE_MISMATCH, "output 'y' of shape");
  EXPECT_EQ(out, nullptr);
}

TEST_F(HostileShapeTest, ExpressionOverflowIsRefused) {
  ModelPtr m = load("attnc-metadata 1\ninput x f32 2 ?a 0\n"
                    "output y f32 1 =$a,$a,*\n");
  SessionPtr s = sessionOk(m.get());
  TensorPtr x = zeros(ATTNC_DTYPE_F32, {int64_t(1) << 40, 0});
  const attnc_tensor *inputs[] = {x.get()};
  attnc_tensor *out = nullptr;
  EXPECT_STATUS_MSG(attnc_session_run(s.get(), inputs, 1, &out, 1),
                    ATTNC_STATUS_SHAPE_MISMATCH, "overflow");
  EXPECT_EQ(out, nullptr);
}

TEST_F(HostileShapeTest, OutputTooLargeToAllocateIsReported) {
  // 2^61 bytes do not overflow size_t but cannot be allocated.
  ModelPtr m = load("attnc-metadata 1\ninput x f32 2 ?a 0\n"
                    "output y f32 1 ?a\n");
  SessionPtr s = sessionOk(m.get());
  TensorPtr x = zeros(ATTNC_DTYPE_F32, {int64_t(1) << 59, 0});
  const attnc_tensor *inputs[] = {x.get()};
  attnc_tensor *out = nullptr;
  attnc_status st = attnc_session_run(s.get(), inputs, 1, &out, 1);
  EXPECT_TRUE(st == ATTNC_STATUS_OUT_OF_MEMORY ||
              st == ATTNC_STATUS_SHAPE_MISMATCH)
      << attnc_status_string(st) << ": " << lastError();
  EXPECT_NE(lastError().find("output 'y'"), std::string::npos) << lastError();
  EXPECT_EQ(out, nullptr);
}

} // namespace
