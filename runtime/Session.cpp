//===- Session.cpp - Running models
//----------------------------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// A session validates the caller's tensors against the model's metadata,
// binds symbolic dims, allocates the outputs and calls attnc_model_run with
// strided memref descriptors (docs/abi.md). Everything it needs per run is
// sized at creation so that a run allocates only the output tensors.
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "Internal.h"

#include <algorithm>
#include <cstring>

using namespace attnc::rt;

namespace {
/// Words of a rank-R descriptor: allocated, aligned, offset, sizes, strides.
size_t descriptorWords(size_t rank) { return 3 + 2 * rank; }

void writeDescriptor(int64_t *words, const attnc_tensor &t) {
  void *ptr = t.data;
  std::memcpy(&words[0], &ptr, sizeof(ptr)); // allocated
  std::memcpy(&words[1], &ptr, sizeof(ptr)); // aligned
  words[2] = 0;                              // offset
  size_t rank = t.dims.size();
  int64_t stride = 1;
  for (size_t i = rank; i-- > 0;) {
    words[3 + i] = t.dims[i];
    words[3 + rank + i] = t.strides.empty() ? stride : t.strides[i];
    // Sizes were overflow-checked when the tensor was created, so the
    // running product fits (and stays 0 for empty tensors).
    stride *= t.dims[i];
  }
}

/// Clears the session's "running" flag on every exit path.
struct RunGuard {
  std::atomic<bool> &flag;
  ~RunGuard() { flag.store(false, std::memory_order_release); }
};
} // namespace

extern "C" ATTNC_API attnc_status
attnc_session_options_init(attnc_session_options *opts) {
  if (!opts)
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                "attnc_session_options_init: opts is NULL");
  std::memset(opts, 0, sizeof(*opts));
  opts->struct_size = sizeof(*opts);
  return ATTNC_STATUS_OK;
}

extern "C" ATTNC_API attnc_status
attnc_session_create(attnc_model *model, const attnc_session_options *options,
                     attnc_session **out) {
  static const char *fn = "attnc_session_create";
  return guarded(fn, [&]() -> attnc_status {
    if (!model || !out)
      return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": model or out is NULL");
    attnc_session_options opts;
    attnc_session_options_init(&opts);
    if (options) {
      // Accept any struct at least as large as the first version; read only
      // the fields the caller's struct has.
      constexpr size_t v1Size =
          offsetof(attnc_session_options, reserved) + sizeof(uint32_t);
      if (options->struct_size < v1Size)
        return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                    std::string(fn) + ": options->struct_size is " +
                        std::to_string(options->struct_size) +
                        "; call attnc_session_options_init first");
      if (options->num_threads < 0)
        return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                    std::string(fn) + ": num_threads is negative (" +
                        std::to_string(options->num_threads) + ")");
      if (options->reserved != 0)
        return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                    std::string(fn) + ": options->reserved must be 0");
      opts.num_threads = options->num_threads;
    }
    auto session = std::make_unique<attnc_session>();
    session->numThreads = opts.num_threads;
    const Metadata &md = model->metadata;
    size_t words = 0;
    for (auto *list : {&md.inputs, &md.outputs}) {
      for (const TensorDesc &t : *list) {
        session->descriptorOffsets.push_back(words);
        words += descriptorWords(t.dims.size());
      }
    }
    session->descriptorWords.assign(words, 0);
    session->args.assign(session->descriptorOffsets.size(), nullptr);
    for (size_t i = 0; i < session->args.size(); ++i)
      session->args[i] =
          session->descriptorWords.data() + session->descriptorOffsets[i];
    session->bindings.reserve(8);
    if (model->gpu) {
      std::string error;
      attnc_status status = createGPUSession(model->gpu, session->gpu, error);
      if (status != ATTNC_STATUS_OK)
        return fail(status, std::string(fn) + ": " + error);
    }
    model->refs.fetch_add(1, std::memory_order_relaxed);
    session->model = model;
    *out = session.release();
    return ATTNC_STATUS_OK;
  });
}

extern "C" ATTNC_API void attnc_session_destroy(attnc_session *session) {
  if (!session)
    return;
  attnc_model *model = session->model;
  destroyGPUSession(session->gpu);
  delete session;
  if (model)
    attncModelRelease(model);
}

namespace {
attnc_status runImpl(attnc_session &session, const attnc_tensor *const *inputs,
                     size_t numInputs, attnc_tensor **outputs,
                     size_t numOutputs, attnc_tensor *const *preset) {
  const Metadata &md = session.model->metadata;
  if (numInputs != md.inputs.size())
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                "attnc_session_run: got " + std::to_string(numInputs) +
                    " inputs, model has " + std::to_string(md.inputs.size()));
  if (numOutputs != md.outputs.size())
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                "attnc_session_run: got room for " +
                    std::to_string(numOutputs) + " outputs, model has " +
                    std::to_string(md.outputs.size()));
  if (numInputs > 0 && !inputs)
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                "attnc_session_run: inputs is NULL");

  // Strided views (the generation loops' in-place KV cache) only where an
  // `append` line allows them: contiguous from the axis on, on a CPU model
  // (a GPU model's host code copies its arguments as contiguous blocks).
  for (size_t k = 0; k < numInputs + numOutputs; ++k) {
    bool isInput = k < numInputs;
    const attnc_tensor *t =
        isInput ? inputs[k] : (preset ? preset[k - numInputs] : nullptr);
    if (!t || t->strides.empty())
      continue;
    size_t index = isInput ? k : k - numInputs;
    bool allowed = false;
    for (const AppendPair &pair : md.appends) {
      if ((isInput ? pair.input : pair.output) != index)
        continue;
      std::vector<int64_t> contiguous = contiguousStrides(t->dims);
      allowed = !session.gpu && t->strides.size() == t->dims.size() &&
                std::equal(t->strides.begin() + pair.axis, t->strides.end(),
                           contiguous.begin() + pair.axis);
    }
    if (!allowed)
      return fail(ATTNC_STATUS_INTERNAL,
                  "attnc_session_run: a strided view for " +
                      std::string(isInput ? "input '" : "output '") +
                      (isInput ? md.inputs : md.outputs)[index].name +
                      "', which has no `append` line allowing it");
  }

  // Check every input and bind symbols in metadata order, so that a
  // conflict is reported at the later of the two uses.
  auto &bindings = session.bindings;
  bindings.clear();
  for (size_t i = 0; i < numInputs; ++i) {
    const TensorDesc &desc = md.inputs[i];
    const attnc_tensor *t = inputs[i];
    if (!t)
      return fail(ATTNC_STATUS_INVALID_ARGUMENT, "input " + std::to_string(i) +
                                                     " ('" + desc.name +
                                                     "') is NULL");
    if (t->dtype != desc.dtype)
      return fail(ATTNC_STATUS_DTYPE_MISMATCH,
                  "input '" + desc.name + "': expected dtype " +
                      dtypeName(desc.dtype) + ", got " +
                      (dtypeName(t->dtype) ? dtypeName(t->dtype) : "?"));
    if (t->dims.size() != desc.dims.size())
      return fail(ATTNC_STATUS_SHAPE_MISMATCH,
                  "input '" + desc.name + "': expected rank " +
                      std::to_string(desc.dims.size()) + " " +
                      formatDims(desc.dims.size(), desc.dims.data()) +
                      ", got rank " + std::to_string(t->dims.size()) + " " +
                      formatDims(t->dims.size(), t->dims.data()));
    for (size_t d = 0; d < desc.dims.size(); ++d) {
      int64_t got = t->dims[d];
      if (desc.dims[d] >= 0) {
        if (got != desc.dims[d])
          return fail(ATTNC_STATUS_SHAPE_MISMATCH,
                      "input '" + desc.name + "' dim " + std::to_string(d) +
                          ": expected " + std::to_string(desc.dims[d]) +
                          ", got " + std::to_string(got));
        continue;
      }
      if (!desc.exprs[d].empty())
        continue; // checked below, once every symbol is bound
      const std::string &symbol = desc.symbols[d];
      bool found = false;
      for (auto &[name, value] : bindings) {
        if (*name != symbol)
          continue;
        found = true;
        if (value != got)
          return fail(ATTNC_STATUS_SHAPE_MISMATCH,
                      "input '" + desc.name + "' dim " + std::to_string(d) +
                          ": symbol '" + symbol + "' is " +
                          std::to_string(got) + " here but was bound to " +
                          std::to_string(value) + " by an earlier use");
        break;
      }
      if (!found)
        bindings.emplace_back(&symbol, got);
    }
    writeDescriptor(
        session.descriptorWords.data() + session.descriptorOffsets[i], *t);
  }

  // Input dims the model derives from other inputs (e.g. a KV cache's
  // total = past + seq): the generated code relies on the relation, so a
  // run that breaks it would write out of bounds.
  for (size_t i = 0; i < numInputs; ++i) {
    const TensorDesc &desc = md.inputs[i];
    for (size_t d = 0; d < desc.dims.size(); ++d) {
      if (desc.exprs[d].empty())
        continue;
      int64_t expected;
      std::string exprError;
      if (!evaluateDim(desc.exprs[d], bindings, expected, exprError))
        return fail(ATTNC_STATUS_SHAPE_MISMATCH,
                    "input '" + desc.name + "' dim " + std::to_string(d) +
                        " (" + desc.symbols[d] + "): " + exprError);
      if (inputs[i]->dims[d] != expected)
        return fail(ATTNC_STATUS_SHAPE_MISMATCH,
                    "input '" + desc.name + "' dim " + std::to_string(d) +
                        ": expected " + std::to_string(expected) + " (" +
                        desc.symbols[d] + " from the other inputs), got " +
                        std::to_string(inputs[i]->dims[d]));
    }
  }

  // Allocate outputs; the metadata parser guaranteed every symbol is bound.
  std::vector<int64_t> dims;
  for (size_t o = 0; o < numOutputs; ++o) {
    const TensorDesc &desc = md.outputs[o];
    dims.assign(desc.dims.begin(), desc.dims.end());
    for (size_t d = 0; d < dims.size(); ++d) {
      if (dims[d] >= 0)
        continue;
      if (!desc.exprs[d].empty()) {
        std::string exprError;
        if (!evaluateDim(desc.exprs[d], bindings, dims[d], exprError))
          return fail(ATTNC_STATUS_SHAPE_MISMATCH,
                      "output '" + desc.name + "' dim " + std::to_string(d) +
                          " (" + desc.symbols[d] + "): " + exprError);
        continue;
      }
      for (auto &[name, value] : bindings)
        if (*name == desc.symbols[d])
          dims[d] = value;
    }
    if (preset && preset[o]) {
      // A view the caller owns (the in-place KV cache): the model writes
      // into it; it must have exactly the computed shape.
      const attnc_tensor &view = *preset[o];
      if (view.dtype != desc.dtype || view.dims != dims)
        return fail(ATTNC_STATUS_SHAPE_MISMATCH,
                    "output '" + desc.name + "': the preset view is " +
                        formatDims(view.dims.size(), view.dims.data()) +
                        ", the run needs " +
                        formatDims(dims.size(), dims.data()));
      writeDescriptor(session.descriptorWords.data() +
                          session.descriptorOffsets[numInputs + o],
                      view);
      continue;
    }
    attnc_tensor *t = nullptr;
    if (attnc_status s = createTensor(desc.dtype, dims.size(), dims.data(), &t,
                                      /*zero=*/false)) {
      // Keep the runtime's message but say which output it was about.
      return fail(
          s == ATTNC_STATUS_INVALID_ARGUMENT ? ATTNC_STATUS_SHAPE_MISMATCH : s,
          "output '" + desc.name + "' of shape " +
              formatDims(dims.size(), dims.data()) + ": " + attnc_last_error());
    }
    outputs[o] = t;
    writeDescriptor(session.descriptorWords.data() +
                        session.descriptorOffsets[numInputs + o],
                    *t);
  }

  // The thread count is per calling thread in the model (OpenMP), so set it
  // before every run: sessions with different counts may share a thread.
  if (session.model->setNumThreads)
    session.model->setNumThreads(session.numThreads);
  int32_t rc;
  {
    WorkspaceScope scope(&session.workspace);
    GPURunScope gpuScope(session.gpu);
    rc = session.model->run(session.args.data());
    std::string gpuError;
    if (attnc_status status = gpuScope.finish(gpuError);
        status != ATTNC_STATUS_OK)
      return fail(status, gpuError);
  }
  if (rc != 0)
    return fail(ATTNC_STATUS_MODEL_ERROR, "model '" + session.model->path +
                                              "': attnc_model_run returned " +
                                              std::to_string(rc));
  return ATTNC_STATUS_OK;
}
} // namespace

extern "C" ATTNC_API attnc_status attnc_session_run(
    attnc_session *session, const attnc_tensor *const *inputs,
    size_t num_inputs, attnc_tensor **outputs, size_t num_outputs) {
  return attnc::rt::runSessionInto(session, inputs, num_inputs, outputs,
                                   num_outputs, nullptr);
}

attnc_status attnc::rt::runSessionInto(attnc_session *session,
                                       const attnc_tensor *const *inputs,
                                       size_t num_inputs,
                                       attnc_tensor **outputs,
                                       size_t num_outputs,
                                       attnc_tensor *const *preset) {
  static const char *fn = "attnc_session_run";
  if (!session)
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": session is NULL");
  if (num_outputs > 0 && !outputs)
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": outputs is NULL");
  for (size_t i = 0; i < num_outputs; ++i)
    outputs[i] = nullptr;
  if (session->running.exchange(true, std::memory_order_acquire))
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": session is already running on another "
                                  "thread (use one session per thread)");
  RunGuard guard{session->running};
  attnc_status status = guarded(fn, [&] {
    return runImpl(*session, inputs, num_inputs, outputs, num_outputs, preset);
  });
  if (status != ATTNC_STATUS_OK) {
    // Never hand out partial results.
    for (size_t i = 0; i < num_outputs; ++i) {
      attnc_tensor_destroy(outputs[i]);
      outputs[i] = nullptr;
    }
  }
  return status;
}

extern "C" ATTNC_API attnc_status
attnc_session_memory_stats(const attnc_session *session,
                           attnc_memory_stats *out) {
  static const char *fn = "attnc_session_memory_stats";
  if (!session || !out)
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": session or out is NULL");
  if (out->struct_size < sizeof(attnc_memory_stats))
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": out->struct_size is " +
                    std::to_string(out->struct_size) + ", expected at least " +
                    std::to_string(sizeof(attnc_memory_stats)));
  if (session->running.load(std::memory_order_acquire))
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": session is running on another thread");
  out->peak_bytes = session->workspace.peakBytes();
  out->last_run_peak_bytes = session->workspace.lastRunPeakBytes();
  out->cached_bytes = session->workspace.cachedBytes();
  return ATTNC_STATUS_OK;
}

extern "C" ATTNC_API attnc_status
attnc_session_release_memory(attnc_session *session) {
  static const char *fn = "attnc_session_release_memory";
  if (!session)
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": session is NULL");
  if (session->running.exchange(true, std::memory_order_acquire))
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": session is running on another thread");
  RunGuard guard{session->running};
  session->workspace.release();
  return ATTNC_STATUS_OK;
}
