//===- Internal.h - attnc runtime internals --------------------*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Definitions shared by the runtime's translation units. Nothing here is
// exported: the library is built with -fvisibility=hidden and only the
// ATTNC_API functions of attnc-c/runtime.h are visible.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_INTERNAL_H
#define ATTNC_RUNTIME_INTERNAL_H

#include "attnc-c/runtime.h"

#include "Workspace.h"

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace attnc::rt {

class GPUModel;
class GPUSession;

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

/// Records `message` as this thread's last error and returns `status`, so
/// failures read `return fail(ATTNC_STATUS_..., "...")`.
attnc_status fail(attnc_status status, std::string message);

/// Runs `body` and converts escaping C++ exceptions into status codes: no
/// exception may cross the C boundary.
template <typename Fn> attnc_status guarded(const char *fn, Fn &&body) {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return fail(ATTNC_STATUS_OUT_OF_MEMORY,
                std::string(fn) + ": out of memory");
  } catch (const std::exception &e) {
    return fail(ATTNC_STATUS_INTERNAL,
                std::string(fn) + ": internal error: " + e.what());
  } catch (...) {
    return fail(ATTNC_STATUS_INTERNAL,
                std::string(fn) + ": internal error: unknown exception");
  }
}

/// Returns the byte size of one element or 0; like attnc_dtype_size but
/// usable without going through the exported symbol.
size_t dtypeSize(attnc_dtype dtype);
const char *dtypeName(attnc_dtype dtype);
/// Parses a metadata dtype spelling; ATTNC_DTYPE_INVALID if unknown.
attnc_dtype parseDtype(const std::string &name);

/// Multiplies the dims into an element count and a byte size, rejecting
/// negative dims and anything that does not fit in a signed 64-bit / ptrdiff
/// sized allocation. On failure `error` says which dim was wrong.
bool computeSizes(attnc_dtype dtype, size_t rank, const int64_t *dims,
                  size_t &numElements, size_t &byteSize, std::string &error);

/// Formats dims as "[2,?,4]"-like text for messages.
std::string formatDims(size_t rank, const int64_t *dims);

//===----------------------------------------------------------------------===//
// Metadata
//===----------------------------------------------------------------------===//

/// One token of a dim expression in reverse Polish notation (abi.md):
/// a constant, an input symbol, or one of + * / %.
struct DimToken {
  enum Kind { Constant, Symbol, Operator } kind = Constant;
  int64_t value = 0;  // Constant
  std::string symbol; // Symbol
  char op = 0;        // Operator
};

struct TensorDesc {
  std::string name;
  attnc_dtype dtype = ATTNC_DTYPE_INVALID;
  std::vector<int64_t> dims;            // -1 for dynamic
  std::vector<std::string> symbols;     // "" for static; the text for `=`
  /// For output dims computed from input symbols (`=` dims): the RPN
  /// program; empty for plain and static dims.
  std::vector<std::vector<DimToken>> exprs;
  std::vector<const char *> symbolPtrs; // for attnc_tensor_info
};

/// An `append` line (abi.md): output `output` is input `input` with rows
/// appended along `axis`, so a runtime may pass both as views of one
/// longer buffer (the KV cache grows in place).
struct AppendPair {
  size_t output = 0;
  size_t input = 0;
  size_t axis = 0;
};

struct Metadata {
  std::string compiler;
  std::string target;
  /// "cuda" for a model whose kernels run on a GPU (`device` line), with
  /// the GPU architectures it carries code for ("sm_80,sm_90"); empty for
  /// CPU models.
  std::string device;
  std::string deviceArchs;
  std::vector<TensorDesc> inputs;
  std::vector<TensorDesc> outputs;
  std::vector<AppendPair> appends;
};

constexpr size_t kAbsent = std::numeric_limits<size_t>::max();

/// The index of the tensor named `name` in `list`, or kAbsent.
size_t findDesc(const std::vector<TensorDesc> &list, const std::string &name);

/// Row-major contiguous element strides of `dims`.
std::vector<int64_t> contiguousStrides(const std::vector<int64_t> &dims);

/// Evaluates an `=` dim from the symbol bindings of a run. Fails on
/// arithmetic overflow, division by zero or a negative result.
bool evaluateDim(const std::vector<DimToken> &program,
                 const std::vector<std::pair<const std::string *, int64_t>>
                     &bindings,
                 int64_t &result, std::string &error);

/// attnc_tensor_create, which is this with `zero`; a run's outputs skip the
/// fill (the model writes every element; zeroing ~10 MB of KV cache per
/// decode step cost 2.5% of it).
attnc_status createTensor(attnc_dtype dtype, size_t rank, const int64_t *dims,
                          attnc_tensor **out, bool zero);

/// attnc_session_run, except that the outputs with a non-null entry in
/// `preset` (may be NULL) are written into those caller-owned views (their
/// dims must be the run's) instead of new tensors; `outputs` gets null
/// for them. For the generation loops' in-place KV cache.
attnc_status runSessionInto(attnc_session *session,
                            const attnc_tensor *const *inputs, size_t numInputs,
                            attnc_tensor **outputs, size_t numOutputs,
                            attnc_tensor *const *preset);

/// Parses and validates the text of `attnc_model_metadata` (docs/abi.md).
/// Returns false with a message naming the line on any deviation.
bool parseMetadata(const char *text, Metadata &out, std::string &error);

} // namespace attnc::rt

//===----------------------------------------------------------------------===//
// Handle types (global namespace: they complete the C API's opaque structs)
//===----------------------------------------------------------------------===//

using attnc_model_run_fn = int32_t (*)(void **);
using attnc_model_set_num_threads_fn = void (*)(int32_t);
using attnc_model_set_allocator_fn = void (*)(void *(*)(size_t),
                                              void (*)(void *));

struct attnc_model {
  void *handle = nullptr; // from dlopen
  attnc_model_run_fn run = nullptr;
  /// Optional (docs/abi.md): models without parallel code lack it.
  attnc_model_set_num_threads_fn setNumThreads = nullptr;
  attnc::rt::Metadata metadata;
  std::string path;
  /// The CUDA state of a GPU model (runtime/Cuda.h); null for CPU models.
  attnc::rt::GPUModel *gpu = nullptr;
  /// One reference for the user's handle plus one per live session: the
  /// model's code must stay mapped while a session can call it.
  std::atomic<size_t> refs{1};
};

void attncModelRelease(attnc_model *model);

struct attnc_tensor {
  attnc_dtype dtype = ATTNC_DTYPE_INVALID;
  std::vector<int64_t> dims;
  /// Element strides of a view into a longer buffer (the generation loops'
  /// in-place KV cache); empty for the usual contiguous tensor. Only the
  /// runtime makes such views.
  std::vector<int64_t> strides;
  void *data = nullptr;
  size_t numElements = 0;
  size_t byteSize = 0;
  bool owned = false;
};

struct attnc_session {
  attnc_model *model = nullptr;
  int32_t numThreads = 0;
  /// The intermediate buffers the model allocates, kept between runs.
  attnc::rt::Workspace workspace;
  /// The CUDA stream and error state of a GPU model's session.
  attnc::rt::GPUSession *gpu = nullptr;
  /// Set while attnc_session_run executes, to report (rather than corrupt
  /// the scratch buffers on) concurrent use of one session.
  std::atomic<bool> running{false};
  /// Memref descriptors for every argument, as 8-byte words (see abi.md),
  /// and the pointers handed to attnc_model_run. Sized once at creation.
  std::vector<int64_t> descriptorWords;
  std::vector<size_t> descriptorOffsets;
  std::vector<void *> args;
  /// Symbol bindings of the current run (names point into the model).
  std::vector<std::pair<const std::string *, int64_t>> bindings;
};

#endif // ATTNC_RUNTIME_INTERNAL_H
