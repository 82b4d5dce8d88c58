//===- GenerateSupport.cpp - Pieces shared by the generation loops --------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "GenerateSupport.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

using namespace attnc::rt;
using namespace attnc::rt::gen;

attnc_status gen::makeRow(size_t n, TensorPtr &out, int64_t *&data) {
  int64_t dims[2] = {1, static_cast<int64_t>(n)};
  attnc_tensor *t = nullptr;
  if (attnc_status s = attnc_tensor_create(ATTNC_DTYPE_I64, 2, dims, &t))
    return s;
  out.reset(t);
  data = static_cast<int64_t *>(t->data);
  return ATTNC_STATUS_OK;
}

bool InPlaceCache::enabled(const Metadata &md) {
  // A GPU model's host code copies its arguments as contiguous blocks.
  if (md.appends.empty() || !md.device.empty())
    return false;
  const char *mode = std::getenv("ATTNC_KV_CACHE");
  return !mode || std::strcmp(mode, "copy") != 0;
}

void InPlaceCache::add(attnc_dtype dtype, std::vector<int64_t> dims,
                       size_t axis) {
  auto entry = std::make_unique<Entry>();
  dims[axis] = 0;
  entry->dims = dims;
  entry->axis = axis;
  for (attnc_tensor *view : {&entry->past, &entry->present}) {
    view->dtype = dtype;
    view->dims = dims;
  }
  entries.push_back(std::move(entry));
}

/// Copies `positions` positions of every row (the dims before `axis`) from
/// a buffer with `srcCap` positions per row into one with `dstCap`.
static void copyPositions(void *dst, int64_t dstCap, const void *src,
                          int64_t srcCap, int64_t positions,
                          const std::vector<int64_t> &dims, size_t axis,
                          size_t elementSize) {
  size_t rows = 1, inner = elementSize;
  for (size_t d = 0; d < axis; ++d)
    rows *= static_cast<size_t>(dims[d]);
  for (size_t d = axis + 1; d < dims.size(); ++d)
    inner *= static_cast<size_t>(dims[d]);
  size_t bytes = inner * static_cast<size_t>(positions);
  if (bytes == 0)
    return;
  for (size_t r = 0; r < rows; ++r)
    std::memcpy(static_cast<char *>(dst) + r * inner * dstCap,
                static_cast<const char *>(src) + r * inner * srcCap, bytes);
}

attnc_status InPlaceCache::prepare(int64_t cached, int64_t count,
                                   int64_t limit) {
  int64_t needed = cached + count;
  for (auto &entry : entries) {
    int64_t capacity = entry->dims[entry->axis];
    if (!entry->buffer || capacity < needed) {
      int64_t grown = std::max(needed + 64, 2 * capacity);
      if (limit >= needed)
        grown = std::min(grown, limit);
      std::vector<int64_t> dims = entry->dims;
      dims[entry->axis] = grown;
      attnc_tensor *t = nullptr;
      if (attnc_status s = attnc_tensor_create(entry->past.dtype, dims.size(),
                                               dims.data(), &t))
        return s;
      TensorPtr buffer(t);
      if (entry->buffer)
        copyPositions(t->data, grown, entry->buffer->data, capacity, cached,
                      dims, entry->axis, dtypeSize(t->dtype));
      entry->buffer = std::move(buffer);
      entry->dims = dims;
      // The views are the buffer's first positions, with its strides.
      for (attnc_tensor *view : {&entry->past, &entry->present}) {
        view->strides = contiguousStrides(dims);
        view->data = t->data;
      }
    }
    entry->past.dims[entry->axis] = cached;
    entry->present.dims[entry->axis] = needed;
  }
  return ATTNC_STATUS_OK;
}

attnc_status InPlaceCache::load(size_t k, const attnc_tensor &t) {
  Entry &entry = *entries[k];
  size_t axis = entry.axis;
  bool fits = entry.buffer && t.dtype == entry.past.dtype &&
              t.dims.size() == entry.dims.size();
  for (size_t d = 0; fits && d < t.dims.size(); ++d)
    fits = d == axis ? t.dims[d] <= entry.dims[d] : t.dims[d] == entry.dims[d];
  if (!fits)
    return fail(ATTNC_STATUS_INTERNAL,
                "KV cache entry " + formatDims(t.dims.size(), t.dims.data()) +
                    " does not fit its buffer " +
                    formatDims(entry.dims.size(), entry.dims.data()));
  copyPositions(entry.buffer->data, entry.dims[axis], t.data, t.dims[axis],
                t.dims[axis], t.dims, axis, dtypeSize(t.dtype));
  return ATTNC_STATUS_OK;
}

static attnc_status checkTokenBuffer(const char *fn,
                                     const attnc_generate_options &opts,
                                     const int64_t *tokens, size_t capacity) {
  size_t wanted = static_cast<size_t>(opts.max_new_tokens);
  auto bad = [fn](const std::string &what) {
    return fail(ATTNC_STATUS_INVALID_ARGUMENT, std::string(fn) + ": " + what);
  };
  if (wanted > 0 && !tokens)
    return bad("tokens is NULL");
  if (capacity < wanted)
    return bad("tokens has room for " + std::to_string(capacity) +
               " ids, max_new_tokens is " + std::to_string(wanted));
  return ATTNC_STATUS_OK;
}

attnc_status gen::readOptions(const char *fn,
                              const attnc_generate_options *options,
                              const int64_t *tokens, size_t capacity,
                              attnc_generate_options &opts) {
  attnc_generate_options_init(&opts);
  if (!options)
    return checkTokenBuffer(fn, opts, tokens, capacity);
  // Every field up to suppress_token_id exists since version 1; later
  // versions append, and only the fields the caller's struct has are read.
  constexpr size_t v1Size =
      offsetof(attnc_generate_options, suppress_token_id) + sizeof(int64_t);
  auto bad = [fn](const std::string &what) {
    return fail(ATTNC_STATUS_INVALID_ARGUMENT, std::string(fn) + ": " + what);
  };
  if (options->struct_size < v1Size)
    return bad("options->struct_size is " +
               std::to_string(options->struct_size) +
               "; call attnc_generate_options_init first");
  std::memcpy(&opts, options, v1Size);
  opts.struct_size = sizeof(opts);
  if (opts.max_new_tokens < 0)
    return bad("max_new_tokens is negative (" +
               std::to_string(opts.max_new_tokens) + ")");
  if (opts.top_k < 0)
    return bad("top_k is negative (" + std::to_string(opts.top_k) + ")");
  if (!(opts.temperature >= 0) || std::isinf(opts.temperature))
    return bad("temperature must be finite and >= 0 (0 = greedy), is " +
               std::to_string(opts.temperature));
  if (!(opts.top_p > 0 && opts.top_p <= 1))
    return bad("top_p must be in (0, 1], is " + std::to_string(opts.top_p));
  if (opts.eos_token_id < -1)
    return bad("eos_token_id must be a token id or -1, is " +
               std::to_string(opts.eos_token_id));
  if (opts.suppress_token_id < -1)
    return bad("suppress_token_id must be a token id or -1, is " +
               std::to_string(opts.suppress_token_id));
  return checkTokenBuffer(fn, opts, tokens, capacity);
}

namespace {
/// The most likely token; the lowest id wins ties (like numpy's argmax).
int64_t argmax(const float *logits, int64_t vocab) {
  int64_t best = 0;
  for (int64_t v = 1; v < vocab; ++v)
    if (logits[v] > logits[best])
      best = v;
  return best;
}
} // namespace

int64_t Sampler::pick(float *logits, int64_t vocab) {
  if (opts.suppress_token_id >= 0 && opts.suppress_token_id < vocab)
    logits[opts.suppress_token_id] = -std::numeric_limits<float>::infinity();
  if (opts.temperature == 0)
    return argmax(logits, vocab);
  // Candidates sorted by logit (descending), ids ascending on ties, so
  // that the draw below is reproducible.
  ids.resize(vocab);
  for (int64_t v = 0; v < vocab; ++v)
    ids[v] = v;
  auto before = [&](int64_t a, int64_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  size_t keep = static_cast<size_t>(vocab);
  if (opts.top_k > 0 && opts.top_k < vocab) {
    keep = static_cast<size_t>(opts.top_k);
    std::partial_sort(ids.begin(), ids.begin() + keep, ids.end(), before);
  } else {
    std::sort(ids.begin(), ids.end(), before);
  }
  // Softmax over the candidates at the temperature, in double.
  probs.resize(keep);
  double top = logits[ids[0]] / static_cast<double>(opts.temperature);
  double sum = 0;
  for (size_t i = 0; i < keep; ++i) {
    probs[i] =
        std::exp(logits[ids[i]] / static_cast<double>(opts.temperature) - top);
    sum += probs[i];
  }
  // Nucleus: the shortest prefix whose probability reaches top_p.
  if (opts.top_p < 1) {
    double cumulative = 0;
    for (size_t i = 0; i < keep; ++i) {
      cumulative += probs[i] / sum;
      if (cumulative >= opts.top_p) {
        keep = i + 1;
        break;
      }
    }
    sum = 0;
    for (size_t i = 0; i < keep; ++i)
      sum += probs[i];
  }
  double target = rng.uniform() * sum;
  double cumulative = 0;
  for (size_t i = 0; i < keep; ++i) {
    cumulative += probs[i];
    if (target < cumulative)
      return ids[i];
  }
  return ids[keep - 1]; // rounding left target at the very top
}

bool Sampler::emit(int64_t token, int64_t *tokens, size_t &produced) const {
  tokens[produced++] = token;
  if (opts.callback && opts.callback(opts.user_data, token, produced - 1) != 0)
    return true;
  return token == opts.eos_token_id ||
         produced >= static_cast<size_t>(opts.max_new_tokens);
}

extern "C" ATTNC_API attnc_status
attnc_generate_options_init(attnc_generate_options *opts) {
  if (!opts)
    return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                "attnc_generate_options_init: opts is NULL");
  std::memset(opts, 0, sizeof(*opts));
  opts->struct_size = sizeof(*opts);
  opts->max_new_tokens = 16;
  opts->top_p = 1.0f;
  opts->eos_token_id = -1;
  opts->suppress_token_id = -1;
  return ATTNC_STATUS_OK;
}
