//===- Generate.cpp - Token generation for decoder-only models ------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// attnc_generate: the autoregressive loop around attnc_session_run for
// models with the Hugging Face input/output names (runtime.h, c-api.md).
// The KV cache lives in runtime-owned buffers that grow with the
// generation: when the model's metadata has an `append` line for every
// past/present pair (CPU models compiled by attnc), each step passes the
// cached positions as a `past` view and the model writes only the new
// positions through a `present` view of the same memory (InPlaceCache).
// Otherwise (or with ATTNC_KV_CACHE=copy) the `present` outputs of one step
// are handed over as the next step's `past` inputs (pointer moves), and the
// model's Concat copies the cache inside every step.
//
//===----------------------------------------------------------------------===//

#include "GenerateSupport.h"

#include <algorithm>

using namespace attnc::rt;
using namespace attnc::rt::gen;

namespace {
//===----------------------------------------------------------------------===//
// Model signature
//===----------------------------------------------------------------------===//

/// One cache tensor: which input takes it, which output returns it, and
/// its sequence axis.
struct CacheSlot {
  size_t pastInput = 0;
  size_t presentOutput = 0;
  size_t seqAxis = 0;
};

/// Where the generation loop finds what it needs in a model's metadata.
struct LmSignature {
  size_t inputIds = kAbsent;
  size_t attentionMask = kAbsent;
  size_t positionIds = kAbsent;
  size_t logits = kAbsent;
  std::vector<CacheSlot> cache;
  /// Tokens per step when input_ids has a static sequence length (1);
  /// 0 when it is dynamic.
  int64_t staticSeq = 0;
  /// The static vocabulary size of logits, or -1.
  int64_t vocab = -1;
};

attnc_status incompatible(const std::string &message) {
  return fail(ATTNC_STATUS_INCOMPATIBLE, "attnc_generate: " + message);
}

/// Checks that `desc` is i64 [batch, n] like input_ids.
attnc_status checkIdsLike(const TensorDesc &desc) {
  if (desc.dtype != ATTNC_DTYPE_I64 || desc.dims.size() != 2)
    return incompatible("input '" + desc.name + "' must be i64 of rank 2, is " +
                        dtypeName(desc.dtype) + " of rank " +
                        std::to_string(desc.dims.size()));
  return ATTNC_STATUS_OK;
}

/// Splits "past_key_values.<N>.<key|value>" into the suffix after the
/// prefix ("<N>.key"); false for other names.
bool pastSuffix(const std::string &name, std::string &suffix) {
  static const std::string prefix = "past_key_values.";
  if (name.compare(0, prefix.size(), prefix) != 0)
    return false;
  suffix = name.substr(prefix.size());
  size_t dot = suffix.find('.');
  if (dot == 0 || dot == std::string::npos)
    return false;
  if (!std::all_of(suffix.begin(), suffix.begin() + dot,
                   [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  std::string kind = suffix.substr(dot + 1);
  return kind == "key" || kind == "value";
}

/// The sequence axis of a past input: its one dynamic dim that is not the
/// batch. Every other dim must be static or the batch (bound to 1).
attnc_status findSeqAxis(const TensorDesc &past, const std::string &batchSym,
                         size_t &axis) {
  axis = kAbsent;
  for (size_t d = 0; d < past.dims.size(); ++d) {
    if (past.dims[d] >= 0)
      continue;
    if (!batchSym.empty() && past.symbols[d] == batchSym &&
        past.exprs[d].empty())
      continue;
    if (axis != kAbsent || !past.exprs[d].empty())
      return incompatible("input '" + past.name + "' " +
                          formatDims(past.dims.size(), past.dims.data()) +
                          " has more than one dynamic dim besides the batch");
    axis = d;
  }
  if (axis == kAbsent)
    return incompatible("input '" + past.name +
                        "' has no dynamic past-sequence dim");
  return ATTNC_STATUS_OK;
}

attnc_status analyze(const Metadata &md, LmSignature &sig) {
  sig.inputIds = findDesc(md.inputs, "input_ids");
  sig.logits = findDesc(md.outputs, "logits");
  if (sig.inputIds == kAbsent)
    return incompatible("the model has no input named 'input_ids'");
  if (sig.logits == kAbsent)
    return incompatible("the model has no output named 'logits'");
  const TensorDesc &ids = md.inputs[sig.inputIds];
  if (attnc_status s = checkIdsLike(ids))
    return s;
  if (ids.dims[0] > 1)
    return incompatible("input_ids has a static batch of " +
                        std::to_string(ids.dims[0]) + "; generation uses 1");
  if (ids.dims[1] >= 0)
    sig.staticSeq = ids.dims[1];
  const std::string batchSym = ids.dims[0] < 0 ? ids.symbols[0] : "";

  const TensorDesc &logits = md.outputs[sig.logits];
  if (logits.dtype != ATTNC_DTYPE_F32 || logits.dims.size() != 3)
    return incompatible("output 'logits' must be f32 of rank 3");
  sig.vocab = logits.dims[2];

  for (size_t i = 0; i < md.inputs.size(); ++i) {
    const TensorDesc &in = md.inputs[i];
    std::string suffix;
    if (i == sig.inputIds)
      continue;
    if (in.name == "attention_mask" || in.name == "position_ids") {
      if (attnc_status s = checkIdsLike(in))
        return s;
      (in.name == "attention_mask" ? sig.attentionMask : sig.positionIds) = i;
      continue;
    }
    if (!pastSuffix(in.name, suffix))
      return incompatible(
          "unexpected input '" + in.name +
          "' (expected input_ids, attention_mask, position_ids and "
          "past_key_values.N.key/value)");
    CacheSlot slot;
    slot.pastInput = i;
    slot.presentOutput = findDesc(md.outputs, "present." + suffix);
    if (slot.presentOutput == kAbsent)
      return incompatible("input '" + in.name + "' has no output 'present." +
                          suffix + "'");
    const TensorDesc &out = md.outputs[slot.presentOutput];
    if (out.dtype != in.dtype || out.dims.size() != in.dims.size())
      return incompatible("output '" + out.name + "' differs from input '" +
                          in.name + "' in dtype or rank");
    if (attnc_status s = findSeqAxis(in, batchSym, slot.seqAxis))
      return s;
    sig.cache.push_back(slot);
  }
  if (sig.staticSeq > 1 || (sig.staticSeq == 1 && sig.cache.empty()))
    return incompatible("input_ids has a static sequence length of " +
                        std::to_string(sig.staticSeq) +
                        "; generation needs a dynamic one, or 1 with a KV "
                        "cache");
  return ATTNC_STATUS_OK;
}

class Generator {
public:
  Generator(attnc_session &session, const LmSignature &sig,
            const attnc_generate_options &opts)
      : session(session), md(session.model->metadata), sig(sig), opts(opts),
        sampler(opts) {}

  /// Runs the loop; `sequence` holds the prompt and receives the new ids.
  attnc_status run(std::vector<int64_t> &sequence, int64_t *tokens,
                   size_t &produced) {
    if (growsInPlace()) {
      for (const CacheSlot &slot : sig.cache) {
        const TensorDesc &desc = md.inputs[slot.pastInput];
        inPlace.add(desc.dtype, cacheDims(desc), slot.seqAxis);
      }
      // The most positions the cache can hold: the prompt and every new
      // token but the last (which is never fed).
      cacheLimit = static_cast<int64_t>(sequence.size()) +
                   std::max<int64_t>(opts.max_new_tokens, 1) - 1;
    } else if (attnc_status s = initCache()) {
      return s;
    }
    size_t fed = 0; // tokens whose keys/values are in the cache
    while (produced < static_cast<size_t>(opts.max_new_tokens)) {
      // With a cache: everything not fed yet (the prompt, then one token),
      // one token at a time for a static seq of 1. Without: all of it.
      size_t begin = sig.cache.empty() ? 0 : fed;
      size_t count = sequence.size() - begin;
      if (sig.staticSeq == 1)
        count = 1;
      float *row = nullptr;
      if (attnc_status s = step(sequence, begin, count, row))
        return s;
      fed = begin + count;
      if (fed < sequence.size())
        continue; // still feeding the prompt token by token
      int64_t token = sampler.pick(row, vocab);
      sequence.push_back(token);
      if (sampler.emit(token, tokens, produced))
        break;
    }
    return ATTNC_STATUS_OK;
  }

private:
  /// Whether every cache slot has an `append` line (and in-place growth is
  /// enabled): the slots then share one buffer each with their present.
  bool growsInPlace() const {
    if (sig.cache.empty() || !InPlaceCache::enabled(md))
      return false;
    return std::all_of(
        sig.cache.begin(), sig.cache.end(), [&](const CacheSlot &slot) {
          return std::any_of(md.appends.begin(), md.appends.end(),
                             [&](const AppendPair &pair) {
                               return pair.input == slot.pastInput &&
                                      pair.output == slot.presentOutput &&
                                      pair.axis == slot.seqAxis;
                             });
        });
  }

  /// A past input's dims for batch 1 and no cached positions: the
  /// dynamic dims (the batch and the sequence axis) are 1 and 0.
  static std::vector<int64_t> cacheDims(const TensorDesc &desc) {
    std::vector<int64_t> dims(desc.dims);
    for (int64_t &d : dims)
      if (d < 0)
        d = 1;
    return dims;
  }

  /// Empty past tensors: batch 1, sequence 0, static dims as declared.
  attnc_status initCache() {
    for (const CacheSlot &slot : sig.cache) {
      const TensorDesc &desc = md.inputs[slot.pastInput];
      std::vector<int64_t> dims = cacheDims(desc);
      dims[slot.seqAxis] = 0;
      attnc_tensor *t = nullptr;
      if (attnc_status s =
              attnc_tensor_create(desc.dtype, dims.size(), dims.data(), &t))
        return s;
      past.emplace_back(t);
    }
    return ATTNC_STATUS_OK;
  }

  /// Runs the model on sequence[begin, begin+count) after `begin` cached
  /// tokens; `row` points at the logits of the last position.
  attnc_status step(const std::vector<int64_t> &sequence, size_t begin,
                    size_t count, float *&row) {
    TensorPtr ids, mask, positions;
    int64_t *data = nullptr;
    if (attnc_status s = makeRow(count, ids, data))
      return s;
    std::copy_n(sequence.data() + begin, count, data);
    // Batch 1, no padding: every position is attended to.
    if (attnc_status s = makeRow(begin + count, mask, data))
      return s;
    std::fill_n(data, begin + count, 1);
    if (attnc_status s = makeRow(count, positions, data))
      return s;
    for (size_t i = 0; i < count; ++i)
      data[i] = static_cast<int64_t>(begin + i);

    std::vector<const attnc_tensor *> inputs(md.inputs.size(), nullptr);
    inputs[sig.inputIds] = ids.get();
    if (sig.attentionMask != kAbsent)
      inputs[sig.attentionMask] = mask.get();
    if (sig.positionIds != kAbsent)
      inputs[sig.positionIds] = positions.get();
    std::vector<attnc_tensor *> preset(md.outputs.size(), nullptr);
    if (inPlace.size() > 0)
      if (attnc_status s =
              inPlace.prepare(static_cast<int64_t>(begin),
                              static_cast<int64_t>(count), cacheLimit))
        return s;
    for (size_t c = 0; c < sig.cache.size(); ++c) {
      const CacheSlot &slot = sig.cache[c];
      if (inPlace.size() == 0) {
        inputs[slot.pastInput] = past[c].get();
        continue;
      }
      inputs[slot.pastInput] = inPlace.past(c);
      preset[slot.presentOutput] = inPlace.present(c);
    }

    std::vector<attnc_tensor *> raw(md.outputs.size(), nullptr);
    if (attnc_status s = runSessionInto(&session, inputs.data(), inputs.size(),
                                        raw.data(), raw.size(), preset.data()))
      return s;
    outputs.clear();
    for (attnc_tensor *t : raw)
      outputs.emplace_back(t);

    // Hand each present over as the next past: a pointer move (the
    // in-place cache already holds them).
    for (size_t c = 0; c < sig.cache.size() && inPlace.size() == 0; ++c) {
      const CacheSlot &slot = sig.cache[c];
      TensorPtr &present = outputs[slot.presentOutput];
      std::vector<int64_t> expected = past[c]->dims;
      expected[slot.seqAxis] = static_cast<int64_t>(begin + count);
      if (present->dims != expected)
        return incompatible(
            "output '" + md.outputs[slot.presentOutput].name + "' is " +
            formatDims(present->dims.size(), present->dims.data()) +
            ", expected the past grown by the new tokens " +
            formatDims(expected.size(), expected.data()));
      past[c] = std::move(present);
    }

    const attnc_tensor &logits = *outputs[sig.logits];
    if (logits.dims[0] != 1 || logits.dims[1] != static_cast<int64_t>(count) ||
        logits.dims[2] <= 0)
      return fail(ATTNC_STATUS_MODEL_ERROR,
                  "attnc_generate: logits are " +
                      formatDims(3, logits.dims.data()) + " for " +
                      std::to_string(count) + " input tokens");
    vocab = logits.dims[2];
    row = static_cast<float *>(logits.data) + (count - 1) * vocab;
    return ATTNC_STATUS_OK;
  }

  attnc_session &session;
  const Metadata &md;
  const LmSignature &sig;
  const attnc_generate_options &opts;
  Sampler sampler;
  InPlaceCache inPlace;           // the KV cache when it grows in place
  int64_t cacheLimit = 0;         // positions it may need at most
  std::vector<TensorPtr> past;    // otherwise, one tensor per slot
  std::vector<TensorPtr> outputs; // the last step's outputs (logits)
  int64_t vocab = 0;
};
} // namespace

extern "C" ATTNC_API attnc_status
attnc_generate(attnc_session *session, const int64_t *prompt, size_t prompt_len,
               const attnc_generate_options *options, int64_t *tokens,
               size_t capacity, size_t *num_tokens) {
  static const char *fn = "attnc_generate";
  if (num_tokens)
    *num_tokens = 0;
  return guarded(fn, [&]() -> attnc_status {
    auto bad = [](const std::string &what) {
      return fail(ATTNC_STATUS_INVALID_ARGUMENT, "attnc_generate: " + what);
    };
    if (!session || !num_tokens)
      return bad("session or num_tokens is NULL");
    if (!prompt || prompt_len == 0)
      return bad("the prompt is empty (at least one token id is needed)");
    attnc_generate_options opts;
    if (attnc_status s = readOptions(fn, options, tokens, capacity, opts))
      return s;
    LmSignature sig;
    if (attnc_status s = analyze(session->model->metadata, sig))
      return s;
    for (size_t i = 0; i < prompt_len; ++i)
      if (prompt[i] < 0 || (sig.vocab >= 0 && prompt[i] >= sig.vocab))
        return bad("prompt id " + std::to_string(prompt[i]) + " at " +
                   std::to_string(i) + " is outside the vocabulary [0, " +
                   (sig.vocab >= 0 ? std::to_string(sig.vocab) : "?") + ")");
    std::vector<int64_t> sequence(prompt, prompt + prompt_len);
    sequence.reserve(prompt_len + static_cast<size_t>(opts.max_new_tokens));
    Generator generator(*session, sig, opts);
    return generator.run(sequence, tokens, *num_tokens);
  });
}
