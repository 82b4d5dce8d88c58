//===- SupportTest.cpp - Status codes, errors, dtypes, version ------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include <cstring>
#include <set>
#include <thread>

using namespace attnc::test;

namespace {

TEST(StatusTest, EveryStatusHasADistinctString) {
  std::set<std::string> seen;
  for (int s = ATTNC_STATUS_OK; s <= ATTNC_STATUS_DEVICE_ERROR; ++s) {
    const char *text = attnc_status_string(static_cast<attnc_status>(s));
    ASSERT_NE(text, nullptr);
    EXPECT_STRNE(text, "unknown status") << s;
    EXPECT_TRUE(seen.insert(text).second) << text;
  }
  EXPECT_STREQ(attnc_status_string(ATTNC_STATUS_OK), "ok");
  // The statuses of GPU models (CUDA target).
  EXPECT_EQ(ATTNC_STATUS_NO_DEVICE, 10);
  EXPECT_EQ(ATTNC_STATUS_DEVICE_ERROR, 11);
  EXPECT_STREQ(attnc_status_string(ATTNC_STATUS_NO_DEVICE), "no usable GPU");
  EXPECT_STREQ(attnc_status_string(ATTNC_STATUS_DEVICE_ERROR), "GPU error");
  EXPECT_STREQ(attnc_status_string(static_cast<attnc_status>(1234)),
               "unknown status");
}

TEST(StatusTest, LastErrorIsSetByFailures) {
  EXPECT_EQ(attnc_tensor_create(ATTNC_DTYPE_F32, 0, nullptr, nullptr),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attnc_last_error()).find("out is NULL"),
            std::string::npos);
}

TEST(StatusTest, LastErrorIsThreadLocal) {
  attnc_model *m = nullptr;
  EXPECT_EQ(attnc_model_load(nullptr, &m), ATTNC_STATUS_INVALID_ARGUMENT);
  std::string mine = attnc_last_error();
  std::string other;
  std::thread t([&] {
    // A fresh thread starts without a message and its failure stays local.
    other = attnc_last_error();
    attnc_tensor_create(ATTNC_DTYPE_INVALID, 0, nullptr, nullptr);
  });
  t.join();
  EXPECT_EQ(other, "");
  EXPECT_EQ(mine, attnc_last_error());
}

TEST(VersionTest, RuntimeVersionIsSet) {
  ASSERT_NE(attnc_runtime_version(), nullptr);
  EXPECT_GT(std::strlen(attnc_runtime_version()), 0u);
}

TEST(DtypeTest, SizesAndNames) {
  struct {
    attnc_dtype dtype;
    size_t size;
    const char *name;
  } cases[] = {
      {ATTNC_DTYPE_F32, 4, "f32"},   {ATTNC_DTYPE_F64, 8, "f64"},
      {ATTNC_DTYPE_F16, 2, "f16"},   {ATTNC_DTYPE_BF16, 2, "bf16"},
      {ATTNC_DTYPE_I8, 1, "i8"},     {ATTNC_DTYPE_I16, 2, "i16"},
      {ATTNC_DTYPE_I32, 4, "i32"},   {ATTNC_DTYPE_I64, 8, "i64"},
      {ATTNC_DTYPE_U8, 1, "u8"},     {ATTNC_DTYPE_U16, 2, "u16"},
      {ATTNC_DTYPE_U32, 4, "u32"},   {ATTNC_DTYPE_U64, 8, "u64"},
      {ATTNC_DTYPE_BOOL, 1, "bool"},
  };
  for (const auto &c : cases) {
    EXPECT_EQ(attnc_dtype_size(c.dtype), c.size) << c.name;
    EXPECT_STREQ(attnc_dtype_name(c.dtype), c.name);
  }
}

TEST(DtypeTest, UnsupportedValues) {
  for (int v : {0, 8, 14, 15, 17, -1, 1000}) {
    EXPECT_EQ(attnc_dtype_size(static_cast<attnc_dtype>(v)), 0u) << v;
    EXPECT_EQ(attnc_dtype_name(static_cast<attnc_dtype>(v)), nullptr) << v;
  }
}

TEST(DtypeTest, ValuesMatchOnnx) {
  // TensorProto.DataType numbers; attnc-run relies on the identity.
  EXPECT_EQ(ATTNC_DTYPE_F32, 1);
  EXPECT_EQ(ATTNC_DTYPE_I64, 7);
  EXPECT_EQ(ATTNC_DTYPE_BOOL, 9);
  EXPECT_EQ(ATTNC_DTYPE_F16, 10);
  EXPECT_EQ(ATTNC_DTYPE_BF16, 16);
}

TEST(AbiTest, StructSizes) {
  EXPECT_EQ(sizeof(attnc_session_options), 16u);
  EXPECT_EQ(sizeof(attnc_tensor_info), 40u);
}

} // namespace
