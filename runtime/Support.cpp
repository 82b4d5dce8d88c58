//===- Support.cpp - Status codes, errors and dtypes ----------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <cstring>
#include <limits>

#ifndef ATTNC_RUNTIME_VERSION
#define ATTNC_RUNTIME_VERSION "0.1.0"
#endif

using namespace attnc::rt;

// The public structs are part of the ABI between the runtime and programs
// compiled against older headers; a layout change must be deliberate.
#if UINTPTR_MAX == UINT64_MAX
static_assert(sizeof(attnc_session_options) == 16, "ABI: session options");
static_assert(sizeof(attnc_generate_options) == 64, "ABI: generate options");
static_assert(sizeof(attnc_tensor_info) == 40, "ABI: tensor info");
static_assert(sizeof(attnc_dtype) == 4 && sizeof(attnc_status) == 4,
              "ABI: enums are int-sized");
#endif
// Memref descriptors are built as arrays of 8-byte words (abi.md).
static_assert(sizeof(void *) == sizeof(int64_t),
              "the memref descriptor builder assumes 64-bit pointers");

namespace {
// Owned by each thread so that concurrent failures do not overwrite each
// other's messages.
thread_local std::string lastError;
} // namespace

attnc_status attnc::rt::fail(attnc_status status, std::string message) {
  // Assigning may itself throw bad_alloc; keep the status in that case.
  try {
    lastError = std::move(message);
  } catch (...) {
    lastError.clear();
  }
  return status;
}

extern "C" ATTNC_API const char *attnc_last_error(void) {
  return lastError.c_str();
}

extern "C" ATTNC_API const char *attnc_status_string(attnc_status status) {
  switch (status) {
  case ATTNC_STATUS_OK:
    return "ok";
  case ATTNC_STATUS_INVALID_ARGUMENT:
    return "invalid argument";
  case ATTNC_STATUS_NOT_FOUND:
    return "not found";
  case ATTNC_STATUS_IO:
    return "I/O error";
  case ATTNC_STATUS_INCOMPATIBLE:
    return "incompatible model";
  case ATTNC_STATUS_SHAPE_MISMATCH:
    return "shape mismatch";
  case ATTNC_STATUS_DTYPE_MISMATCH:
    return "dtype mismatch";
  case ATTNC_STATUS_OUT_OF_MEMORY:
    return "out of memory";
  case ATTNC_STATUS_MODEL_ERROR:
    return "model error";
  case ATTNC_STATUS_INTERNAL:
    return "internal error";
  case ATTNC_STATUS_NO_DEVICE:
    return "no usable GPU";
  case ATTNC_STATUS_DEVICE_ERROR:
    return "GPU error";
  }
  return "unknown status";
}

extern "C" ATTNC_API const char *attnc_runtime_version(void) {
  return ATTNC_RUNTIME_VERSION;
}

//===----------------------------------------------------------------------===//
// Dtypes
//===----------------------------------------------------------------------===//

namespace {
struct DtypeEntry {
  attnc_dtype dtype;
  const char *name;
  size_t size;
};
constexpr DtypeEntry kDtypes[] = {
    {ATTNC_DTYPE_F32, "f32", 4},   {ATTNC_DTYPE_F64, "f64", 8},
    {ATTNC_DTYPE_F16, "f16", 2},   {ATTNC_DTYPE_BF16, "bf16", 2},
    {ATTNC_DTYPE_I8, "i8", 1},     {ATTNC_DTYPE_I16, "i16", 2},
    {ATTNC_DTYPE_I32, "i32", 4},   {ATTNC_DTYPE_I64, "i64", 8},
    {ATTNC_DTYPE_U8, "u8", 1},     {ATTNC_DTYPE_U16, "u16", 2},
    {ATTNC_DTYPE_U32, "u32", 4},   {ATTNC_DTYPE_U64, "u64", 8},
    {ATTNC_DTYPE_BOOL, "bool", 1},
};
} // namespace

size_t attnc::rt::dtypeSize(attnc_dtype dtype) {
  for (const DtypeEntry &e : kDtypes)
    if (e.dtype == dtype)
      return e.size;
  return 0;
}

const char *attnc::rt::dtypeName(attnc_dtype dtype) {
  for (const DtypeEntry &e : kDtypes)
    if (e.dtype == dtype)
      return e.name;
  return nullptr;
}

attnc_dtype attnc::rt::parseDtype(const std::string &name) {
  for (const DtypeEntry &e : kDtypes)
    if (name == e.name)
      return e.dtype;
  return ATTNC_DTYPE_INVALID;
}

extern "C" ATTNC_API size_t attnc_dtype_size(attnc_dtype dtype) {
  return dtypeSize(dtype);
}

extern "C" ATTNC_API const char *attnc_dtype_name(attnc_dtype dtype) {
  return dtypeName(dtype);
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

bool attnc::rt::computeSizes(attnc_dtype dtype, size_t rank,
                             const int64_t *dims, size_t &numElements,
                             size_t &byteSize, std::string &error) {
  size_t elementSize = dtypeSize(dtype);
  if (elementSize == 0) {
    error = "unsupported dtype " + std::to_string(static_cast<int>(dtype));
    return false;
  }
  if (rank > ATTNC_MAX_RANK) {
    error = "rank " + std::to_string(rank) + " exceeds the maximum of " +
            std::to_string(ATTNC_MAX_RANK);
    return false;
  }
  // Allocations are bounded by PTRDIFF_MAX so that pointer differences over
  // the buffer (in the model's code too) cannot overflow.
  const uint64_t limit =
      static_cast<uint64_t>(std::numeric_limits<std::ptrdiff_t>::max());
  uint64_t count = 1;
  bool overflow = false;
  for (size_t i = 0; i < rank; ++i) {
    if (dims[i] < 0) {
      error = "dim " + std::to_string(i) + " is negative (" +
              std::to_string(dims[i]) + ")";
      return false;
    }
    // Keep scanning after an overflow: a later zero dim makes the tensor
    // empty, and a later negative dim must still be reported as such.
    uint64_t next;
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(dims[i]), &next) ||
        next > limit)
      overflow = true;
    else
      count = next;
  }
  bool empty = false;
  for (size_t i = 0; i < rank; ++i)
    empty |= dims[i] == 0;
  if (empty) {
    numElements = 0;
    byteSize = 0;
    return true;
  }
  uint64_t bytes;
  if (overflow || __builtin_mul_overflow(count, elementSize, &bytes) ||
      bytes > limit) {
    error = "tensor of shape " + formatDims(rank, dims) + " and dtype " +
            dtypeName(dtype) + " is too large (size overflows)";
    return false;
  }
  numElements = static_cast<size_t>(count);
  byteSize = static_cast<size_t>(bytes);
  return true;
}

std::string attnc::rt::formatDims(size_t rank, const int64_t *dims) {
  std::string s = "[";
  for (size_t i = 0; i < rank; ++i) {
    if (i)
      s += ",";
    s += dims[i] < 0 ? std::string("?") : std::to_string(dims[i]);
  }
  return s + "]";
}

std::vector<int64_t>
attnc::rt::contiguousStrides(const std::vector<int64_t> &dims) {
  std::vector<int64_t> strides(dims.size());
  int64_t stride = 1;
  for (size_t d = dims.size(); d-- > 0;) {
    strides[d] = stride;
    stride *= dims[d]; // callers' dims were size-checked: no overflow
  }
  return strides;
}
