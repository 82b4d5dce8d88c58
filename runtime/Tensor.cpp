//===- Tensor.cpp - Host tensors
//-------------------------------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Dense row-major host tensors. Owned storage is 64-byte aligned (a cache
// line, and enough for any vector load the generated code may use on the
// first element) and zero-filled so that freshly created outputs never expose
// stale heap contents.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <cstdlib>
#include <cstring>

using namespace attnc::rt;

namespace {
constexpr size_t kAlignment = 64;

/// Validates the arguments shared by the three constructors and fills in the
/// shape of `t`.
attnc_status initShape(const char *fn, attnc_dtype dtype, size_t rank,
                       const int64_t *dims, attnc_tensor **out,
                       attnc_tensor &t) {
  if (!out)
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": out is NULL");
  if (rank > 0 && !dims)
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": dims is NULL but rank is " +
                    std::to_string(rank));
  std::string error;
  if (!computeSizes(dtype, rank, dims, t.numElements, t.byteSize, error))
    return fail(ATTNC_STATUS_INVALID_ARGUMENT, std::string(fn) + ": " + error);
  t.dtype = dtype;
  t.dims.assign(dims, dims + rank);
  return ATTNC_STATUS_OK;
}

/// Allocates aligned storage for `t`, zeroed if `zero`. Empty tensors still get
/// a (non-NULL) block so that descriptors never carry NULL pointers.
attnc_status allocateStorage(const char *fn, attnc_tensor &t,
                             bool zero = true) {
  size_t rounded = (t.byteSize + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0)
    rounded = kAlignment;
  void *p = std::aligned_alloc(kAlignment, rounded);
  if (!p)
    return fail(ATTNC_STATUS_OUT_OF_MEMORY,
                std::string(fn) + ": cannot allocate " +
                    std::to_string(t.byteSize) + " bytes");
  if (zero)
    std::memset(p, 0, rounded);
  t.data = p;
  t.owned = true;
  return ATTNC_STATUS_OK;
}
} // namespace

attnc_status attnc::rt::createTensor(attnc_dtype dtype, size_t rank,
                                     const int64_t *dims, attnc_tensor **out,
                                     bool zero) {
  static const char *fn = "attnc_tensor_create";
  return guarded(fn, [&] {
    auto t = std::make_unique<attnc_tensor>();
    if (attnc_status s = initShape(fn, dtype, rank, dims, out, *t))
      return s;
    if (attnc_status s = allocateStorage(fn, *t, zero))
      return s;
    *out = t.release();
    return ATTNC_STATUS_OK;
  });
}

extern "C" ATTNC_API attnc_status attnc_tensor_create(attnc_dtype dtype,
                                                      size_t rank,
                                                      const int64_t *dims,
                                                      attnc_tensor **out) {
  return createTensor(dtype, rank, dims, out, /*zero=*/true);
}

extern "C" ATTNC_API attnc_status
attnc_tensor_create_copy(attnc_dtype dtype, size_t rank, const int64_t *dims,
                         const void *data, size_t bytes, attnc_tensor **out) {
  static const char *fn = "attnc_tensor_create_copy";
  return guarded(fn, [&] {
    auto t = std::make_unique<attnc_tensor>();
    if (attnc_status s = initShape(fn, dtype, rank, dims, out, *t))
      return s;
    if (bytes != t->byteSize)
      return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": got " + std::to_string(bytes) +
                      " bytes of data, expected " +
                      std::to_string(t->byteSize) + " for shape " +
                      formatDims(rank, dims) + " " + dtypeName(dtype));
    if (bytes > 0 && !data)
      return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": data is NULL");
    if (attnc_status s = allocateStorage(fn, *t))
      return s;
    if (bytes > 0)
      std::memcpy(t->data, data, bytes);
    *out = t.release();
    return ATTNC_STATUS_OK;
  });
}

extern "C" ATTNC_API attnc_status attnc_tensor_wrap(attnc_dtype dtype,
                                                    size_t rank,
                                                    const int64_t *dims,
                                                    void *data, size_t bytes,
                                                    attnc_tensor **out) {
  static const char *fn = "attnc_tensor_wrap";
  return guarded(fn, [&] {
    auto t = std::make_unique<attnc_tensor>();
    if (attnc_status s = initShape(fn, dtype, rank, dims, out, *t))
      return s;
    if (!data)
      return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": data is NULL");
    if (bytes < t->byteSize)
      return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": buffer of " + std::to_string(bytes) +
                      " bytes is smaller than the " +
                      std::to_string(t->byteSize) + " bytes of shape " +
                      formatDims(rank, dims) + " " + dtypeName(dtype));
    // The model accesses elements with natural alignment.
    if (reinterpret_cast<uintptr_t>(data) % dtypeSize(dtype) != 0)
      return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": data is not aligned to the " +
                      std::to_string(dtypeSize(dtype)) + "-byte element size");
    t->data = data;
    t->owned = false;
    *out = t.release();
    return ATTNC_STATUS_OK;
  });
}

extern "C" ATTNC_API void attnc_tensor_destroy(attnc_tensor *tensor) {
  if (!tensor)
    return;
  if (tensor->owned)
    std::free(tensor->data);
  delete tensor;
}

namespace {
template <typename T, typename Get>
attnc_status query(const char *fn, const attnc_tensor *tensor, T *out,
                   Get get) {
  if (!tensor)
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": tensor is NULL");
  if (!out)
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": out is NULL");
  *out = get(*tensor);
  return ATTNC_STATUS_OK;
}
} // namespace

extern "C" ATTNC_API attnc_status attnc_tensor_data(const attnc_tensor *tensor,
                                                    void **out) {
  return query("attnc_tensor_data", tensor, out,
               [](const attnc_tensor &t) { return t.data; });
}

extern "C" ATTNC_API attnc_status attnc_tensor_dtype(const attnc_tensor *tensor,
                                                     attnc_dtype *out) {
  return query("attnc_tensor_dtype", tensor, out,
               [](const attnc_tensor &t) { return t.dtype; });
}

extern "C" ATTNC_API attnc_status attnc_tensor_rank(const attnc_tensor *tensor,
                                                    size_t *out) {
  return query("attnc_tensor_rank", tensor, out,
               [](const attnc_tensor &t) { return t.dims.size(); });
}

extern "C" ATTNC_API attnc_status attnc_tensor_dims(const attnc_tensor *tensor,
                                                    const int64_t **out) {
  return query(
      "attnc_tensor_dims", tensor, out,
      [](const attnc_tensor &t) -> const int64_t * { return t.dims.data(); });
}

extern "C" ATTNC_API attnc_status
attnc_tensor_num_elements(const attnc_tensor *tensor, size_t *out) {
  return query("attnc_tensor_num_elements", tensor, out,
               [](const attnc_tensor &t) { return t.numElements; });
}

extern "C" ATTNC_API attnc_status
attnc_tensor_byte_size(const attnc_tensor *tensor, size_t *out) {
  return query("attnc_tensor_byte_size", tensor, out,
               [](const attnc_tensor &t) { return t.byteSize; });
}
