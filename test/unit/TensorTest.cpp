//===- TensorTest.cpp - attnc_tensor_* ------------------------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include <cstdint>
#include <cstring>

using namespace attnc::test;

namespace {

TEST(TensorTest, CreateIsZeroedAndAligned) {
  int64_t dims[] = {3, 5};
  attnc_tensor *raw = nullptr;
  ASSERT_EQ(attnc_tensor_create(ATTNC_DTYPE_F32, 2, dims, &raw),
            ATTNC_STATUS_OK);
  TensorPtr t(raw);
  void *data = nullptr;
  ASSERT_EQ(attnc_tensor_data(t.get(), &data), ATTNC_STATUS_OK);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % 64, 0u);
  for (float v : valuesOf<float>(t.get()))
    EXPECT_EQ(v, 0.0f);
  attnc_dtype dtype;
  size_t rank, n, bytes;
  ASSERT_EQ(attnc_tensor_dtype(t.get(), &dtype), ATTNC_STATUS_OK);
  ASSERT_EQ(attnc_tensor_rank(t.get(), &rank), ATTNC_STATUS_OK);
  ASSERT_EQ(attnc_tensor_num_elements(t.get(), &n), ATTNC_STATUS_OK);
  ASSERT_EQ(attnc_tensor_byte_size(t.get(), &bytes), ATTNC_STATUS_OK);
  EXPECT_EQ(dtype, ATTNC_DTYPE_F32);
  EXPECT_EQ(rank, 2u);
  EXPECT_EQ(n, 15u);
  EXPECT_EQ(bytes, 60u);
  EXPECT_EQ(dimsOf(t.get()), (std::vector<int64_t>{3, 5}));
  // The tensor keeps its own copy of the dims.
  dims[0] = 99;
  EXPECT_EQ(dimsOf(t.get())[0], 3);
}

TEST(TensorTest, ScalarAndEmpty) {
  TensorPtr scalar = zeros(ATTNC_DTYPE_I64, {});
  size_t n, bytes;
  ASSERT_EQ(attnc_tensor_num_elements(scalar.get(), &n), ATTNC_STATUS_OK);
  ASSERT_EQ(attnc_tensor_byte_size(scalar.get(), &bytes), ATTNC_STATUS_OK);
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(bytes, 8u);

  TensorPtr empty = zeros(ATTNC_DTYPE_F16, {4, 0, 3});
  ASSERT_EQ(attnc_tensor_num_elements(empty.get(), &n), ATTNC_STATUS_OK);
  EXPECT_EQ(n, 0u);
  void *data = nullptr;
  ASSERT_EQ(attnc_tensor_data(empty.get(), &data), ATTNC_STATUS_OK);
  EXPECT_NE(data, nullptr); // descriptors never carry NULL
}

TEST(TensorTest, EmptyTensorWithHugeOtherDimsIsFine) {
  int64_t dims[] = {INT64_MAX, 0, INT64_MAX};
  attnc_tensor *t = nullptr;
  EXPECT_EQ(attnc_tensor_create(ATTNC_DTYPE_F32, 3, dims, &t), ATTNC_STATUS_OK)
      << lastError();
  attnc_tensor_destroy(t);
}

TEST(TensorTest, CreateRejectsBadArguments) {
  attnc_tensor *t = nullptr;
  int64_t dims[] = {2, 3};
  EXPECT_STATUS_MSG(attnc_tensor_create(ATTNC_DTYPE_F32, 2, dims, nullptr),
                    ATTNC_STATUS_INVALID_ARGUMENT, "out is NULL");
  EXPECT_STATUS_MSG(attnc_tensor_create(ATTNC_DTYPE_F32, 2, nullptr, &t),
                    ATTNC_STATUS_INVALID_ARGUMENT, "dims is NULL");
  EXPECT_STATUS_MSG(attnc_tensor_create(ATTNC_DTYPE_INVALID, 2, dims, &t),
                    ATTNC_STATUS_INVALID_ARGUMENT, "unsupported dtype");
  EXPECT_STATUS_MSG(
      attnc_tensor_create(static_cast<attnc_dtype>(8), 2, dims, &t),
      ATTNC_STATUS_INVALID_ARGUMENT, "unsupported dtype 8");
  int64_t negative[] = {2, -1};
  EXPECT_STATUS_MSG(attnc_tensor_create(ATTNC_DTYPE_F32, 2, negative, &t),
                    ATTNC_STATUS_INVALID_ARGUMENT, "dim 1 is negative (-1)");
  std::vector<int64_t> big(ATTNC_MAX_RANK + 1, 1);
  EXPECT_STATUS_MSG(
      attnc_tensor_create(ATTNC_DTYPE_F32, big.size(), big.data(), &t),
      ATTNC_STATUS_INVALID_ARGUMENT, "exceeds the maximum");
  EXPECT_EQ(t, nullptr);
}

TEST(TensorTest, CreateRejectsOverflow) {
  attnc_tensor *t = nullptr;
  int64_t elements[] = {INT64_MAX, 2};
  EXPECT_STATUS_MSG(attnc_tensor_create(ATTNC_DTYPE_U8, 2, elements, &t),
                    ATTNC_STATUS_INVALID_ARGUMENT, "too large");
  // The element count fits but the byte size does not.
  int64_t bytes[] = {int64_t(1) << 61};
  EXPECT_STATUS_MSG(attnc_tensor_create(ATTNC_DTYPE_F64, 1, bytes, &t),
                    ATTNC_STATUS_INVALID_ARGUMENT, "too large");
  int64_t many[] = {1 << 20, 1 << 20, 1 << 20, 1 << 20};
  EXPECT_STATUS_MSG(attnc_tensor_create(ATTNC_DTYPE_I32, 4, many, &t),
                    ATTNC_STATUS_INVALID_ARGUMENT, "too large");
  EXPECT_EQ(t, nullptr);
}

TEST(TensorTest, CreateReportsOutOfMemory) {
  // Representable but far beyond any machine's memory.
  int64_t dims[] = {int64_t(1) << 60};
  attnc_tensor *t = nullptr;
  EXPECT_EQ(attnc_tensor_create(ATTNC_DTYPE_U8, 1, dims, &t),
            ATTNC_STATUS_OUT_OF_MEMORY);
  EXPECT_EQ(t, nullptr);
}

TEST(TensorTest, CreateCopy) {
  std::vector<int32_t> values = {1, -2, 3, -4, 5, -6};
  TensorPtr t = tensorOf(ATTNC_DTYPE_I32, {2, 3}, values);
  EXPECT_EQ(valuesOf<int32_t>(t.get()), values);
  void *data;
  ASSERT_EQ(attnc_tensor_data(t.get(), &data), ATTNC_STATUS_OK);
  EXPECT_NE(data, values.data());
}

TEST(TensorTest, CreateCopyRejectsBadData) {
  attnc_tensor *t = nullptr;
  int64_t dims[] = {2, 3};
  float data[6] = {};
  EXPECT_STATUS_MSG(
      attnc_tensor_create_copy(ATTNC_DTYPE_F32, 2, dims, data, 20, &t),
      ATTNC_STATUS_INVALID_ARGUMENT, "got 20 bytes of data, expected 24");
  EXPECT_STATUS_MSG(
      attnc_tensor_create_copy(ATTNC_DTYPE_F32, 2, dims, nullptr, 24, &t),
      ATTNC_STATUS_INVALID_ARGUMENT, "data is NULL");
  EXPECT_STATUS_MSG(
      attnc_tensor_create_copy(ATTNC_DTYPE_F32, 2, dims, data, 24, nullptr),
      ATTNC_STATUS_INVALID_ARGUMENT, "out is NULL");
  int64_t empty[] = {0};
  EXPECT_EQ(attnc_tensor_create_copy(ATTNC_DTYPE_F32, 1, empty, nullptr, 0, &t),
            ATTNC_STATUS_OK);
  attnc_tensor_destroy(t);
}

TEST(TensorTest, WrapDoesNotCopy) {
  alignas(8) double buffer[4] = {1, 2, 3, 4};
  int64_t dims[] = {4};
  attnc_tensor *raw = nullptr;
  ASSERT_EQ(
      attnc_tensor_wrap(ATTNC_DTYPE_F64, 1, dims, buffer, sizeof(buffer), &raw),
      ATTNC_STATUS_OK);
  TensorPtr t(raw);
  void *data;
  ASSERT_EQ(attnc_tensor_data(t.get(), &data), ATTNC_STATUS_OK);
  EXPECT_EQ(data, static_cast<void *>(buffer));
  buffer[2] = 42;
  EXPECT_EQ(valuesOf<double>(t.get())[2], 42);
  t.reset(); // must not free `buffer`
  EXPECT_EQ(buffer[0], 1);
}

TEST(TensorTest, WrapAcceptsLargerBuffer) {
  float buffer[8] = {};
  int64_t dims[] = {2, 2};
  attnc_tensor *t = nullptr;
  EXPECT_EQ(
      attnc_tensor_wrap(ATTNC_DTYPE_F32, 2, dims, buffer, sizeof(buffer), &t),
      ATTNC_STATUS_OK);
  attnc_tensor_destroy(t);
}

TEST(TensorTest, WrapRejectsBadBuffers) {
  alignas(8) unsigned char buffer[64] = {};
  int64_t dims[] = {4};
  attnc_tensor *t = nullptr;
  EXPECT_STATUS_MSG(attnc_tensor_wrap(ATTNC_DTYPE_F32, 1, dims, buffer, 15, &t),
                    ATTNC_STATUS_INVALID_ARGUMENT, "smaller than the 16 bytes");
  EXPECT_STATUS_MSG(
      attnc_tensor_wrap(ATTNC_DTYPE_F32, 1, dims, nullptr, 16, &t),
      ATTNC_STATUS_INVALID_ARGUMENT, "data is NULL");
  EXPECT_STATUS_MSG(
      attnc_tensor_wrap(ATTNC_DTYPE_F32, 1, dims, buffer + 1, 32, &t),
      ATTNC_STATUS_INVALID_ARGUMENT, "not aligned");
  int64_t negative[] = {-4};
  EXPECT_STATUS_MSG(
      attnc_tensor_wrap(ATTNC_DTYPE_F32, 1, negative, buffer, 64, &t),
      ATTNC_STATUS_INVALID_ARGUMENT, "negative");
  EXPECT_EQ(t, nullptr);
}

TEST(TensorTest, QueriesRejectNulls) {
  TensorPtr t = zeros(ATTNC_DTYPE_F32, {1});
  void *data;
  attnc_dtype dtype;
  size_t n;
  const int64_t *dims;
  EXPECT_STATUS_MSG(attnc_tensor_data(nullptr, &data),
                    ATTNC_STATUS_INVALID_ARGUMENT, "tensor is NULL");
  EXPECT_STATUS_MSG(attnc_tensor_data(t.get(), nullptr),
                    ATTNC_STATUS_INVALID_ARGUMENT, "out is NULL");
  EXPECT_EQ(attnc_tensor_dtype(nullptr, &dtype), ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_tensor_dtype(t.get(), nullptr),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_tensor_rank(nullptr, &n), ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_tensor_rank(t.get(), nullptr), ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_tensor_dims(nullptr, &dims), ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_tensor_dims(t.get(), nullptr), ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_tensor_num_elements(nullptr, &n),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_tensor_num_elements(t.get(), nullptr),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_tensor_byte_size(nullptr, &n), ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_tensor_byte_size(t.get(), nullptr),
            ATTNC_STATUS_INVALID_ARGUMENT);
}

TEST(TensorTest, DestroyNullIsNoOp) { attnc_tensor_destroy(nullptr); }

} // namespace
