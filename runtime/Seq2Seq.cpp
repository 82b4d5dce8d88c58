//===- Seq2Seq.cpp - Token generation for encoder-decoder models ----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// attnc_generate_seq2seq: the encoder runs once, then a decoder loop whose
// inputs are found by name (runtime.h, c-api.md). Every present.X output
// is kept as the cache entry X and fed back as past_key_values.X: the
// decoder self-attention entries are replaced every step (pointer
// hand-over), the cross-attention entries come from the first decoder step
// and are reused unchanged. When decoder_with_past's metadata has `append`
// lines for the self-attention entries, those move after the first step
// into buffers that grow in place (InPlaceCache): later steps write only
// the new position.
//
//===----------------------------------------------------------------------===//

#include "GenerateSupport.h"

#include <algorithm>
#include <map>

using namespace attnc::rt;
using namespace attnc::rt::gen;

namespace {
const char *const kFn = "attnc_generate_seq2seq";
const std::string kPast = "past_key_values.";
const std::string kPresent = "present.";

attnc_status incompatible(const std::string &message) {
  return fail(ATTNC_STATUS_INCOMPATIBLE, std::string(kFn) + ": " + message);
}

bool startsWith(const std::string &s, const std::string &prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

/// The names the loop can feed to the model in `role`.
attnc_status checkInputs(const attnc_session &session, const char *role,
                         std::initializer_list<const char *> allowed,
                         bool allowPast) {
  const Metadata &md = session.model->metadata;
  if (findDesc(md.inputs, "input_ids") == kAbsent)
    return incompatible(std::string("the ") + role +
                        " has no input named 'input_ids'");
  for (const TensorDesc &in : md.inputs) {
    bool known = allowPast && startsWith(in.name, kPast);
    for (const char *name : allowed)
      known |= in.name == name;
    if (!known)
      return incompatible(std::string("unexpected ") + role + " input '" +
                          in.name + "'");
  }
  return ATTNC_STATUS_OK;
}

/// Checks the three models' names before anything runs.
attnc_status checkModels(const attnc_session &encoder,
                         const attnc_session &decoder,
                         const attnc_session *withPast) {
  if (attnc_status s = checkInputs(encoder, "encoder",
                                   {"input_ids", "attention_mask"}, false))
    return s;
  if (findDesc(encoder.model->metadata.outputs, "last_hidden_state") == kAbsent)
    return incompatible("the encoder has no output 'last_hidden_state'");
  if (attnc_status s = checkInputs(
          decoder, "decoder",
          {"input_ids", "encoder_attention_mask", "encoder_hidden_states"},
          false))
    return s;
  for (const attnc_session *d : {&decoder, withPast}) {
    if (!d)
      continue;
    size_t logits = findDesc(d->model->metadata.outputs, "logits");
    if (logits == kAbsent)
      return incompatible("a decoder has no output 'logits'");
    const TensorDesc &desc = d->model->metadata.outputs[logits];
    if (desc.dtype != ATTNC_DTYPE_F32 || desc.dims.size() != 3)
      return incompatible("output 'logits' must be f32 of rank 3");
  }
  if (!withPast)
    return ATTNC_STATUS_OK;
  if (attnc_status s = checkInputs(
          *withPast, "decoder_with_past",
          {"input_ids", "encoder_attention_mask", "encoder_hidden_states"},
          true))
    return s;
  // Each past input is fed from a present output of the same suffix, of
  // decoder_with_past itself or else of the first decoder step.
  for (const TensorDesc &in : withPast->model->metadata.inputs) {
    if (!startsWith(in.name, kPast))
      continue;
    std::string present = kPresent + in.name.substr(kPast.size());
    if (findDesc(withPast->model->metadata.outputs, present) == kAbsent &&
        findDesc(decoder.model->metadata.outputs, present) == kAbsent)
      return incompatible("decoder_with_past input '" + in.name +
                          "' has no output '" + present +
                          "' in either decoder");
  }
  return ATTNC_STATUS_OK;
}

using Feed = std::map<std::string, const attnc_tensor *>;

/// Runs `session` with each input taken from `feed` by name; the outputs
/// named in `preset` are written into those views (and left null in
/// `outputs`).
attnc_status
runNamed(attnc_session &session, const Feed &feed,
         std::vector<TensorPtr> &outputs,
         const std::map<std::string, attnc_tensor *> &preset = {}) {
  const Metadata &md = session.model->metadata;
  std::vector<const attnc_tensor *> inputs;
  for (const TensorDesc &in : md.inputs) {
    auto it = feed.find(in.name);
    if (it == feed.end())
      return incompatible("nothing to feed to input '" + in.name + "'");
    inputs.push_back(it->second);
  }
  std::vector<attnc_tensor *> views(md.outputs.size(), nullptr);
  for (const auto &[name, view] : preset)
    views[findDesc(md.outputs, name)] = view;
  std::vector<attnc_tensor *> raw(md.outputs.size(), nullptr);
  if (attnc_status s = runSessionInto(&session, inputs.data(), inputs.size(),
                                      raw.data(), raw.size(), views.data()))
    return s;
  outputs.clear();
  for (attnc_tensor *t : raw)
    outputs.emplace_back(t);
  return ATTNC_STATUS_OK;
}

/// The last position's row of `logits` [1, count, vocab].
attnc_status lastRow(attnc_tensor &logits, size_t count, float *&row,
                     int64_t &vocab) {
  if (logits.dims[0] != 1 || logits.dims[1] != static_cast<int64_t>(count) ||
      logits.dims[2] <= 0)
    return fail(ATTNC_STATUS_MODEL_ERROR,
                std::string(kFn) + ": logits are " +
                    formatDims(3, logits.dims.data()) + " for " +
                    std::to_string(count) + " decoder tokens");
  vocab = logits.dims[2];
  row = static_cast<float *>(logits.data) + (count - 1) * vocab;
  return ATTNC_STATUS_OK;
}

class Seq2Seq {
public:
  Seq2Seq(attnc_session &encoder, attnc_session &decoder,
          attnc_session *withPast, const attnc_generate_options &opts)
      : encoder(encoder), decoder(decoder), withPast(withPast), opts(opts),
        sampler(opts) {}

  attnc_status run(const int64_t *source, size_t sourceLen, int64_t start,
                   int64_t *tokens, size_t &produced) {
    if (opts.max_new_tokens == 0)
      return ATTNC_STATUS_OK;
    if (attnc_status s = encode(source, sourceLen))
      return s;
    std::vector<int64_t> target{start};
    while (true) {
      // The first step, and every step without a cache model, runs the
      // decoder on the whole target; later steps feed one token.
      bool cached = withPast && target.size() > 1;
      attnc_session &session = cached ? *withPast : decoder;
      size_t count = cached ? 1 : target.size();
      TensorPtr ids;
      int64_t *data = nullptr;
      if (attnc_status s = makeRow(count, ids, data))
        return s;
      std::copy_n(target.end() - count, count, data);
      Feed feed{{"input_ids", ids.get()},
                {"encoder_attention_mask", sourceMask.get()},
                {"encoder_hidden_states", hidden.get()}};
      for (const auto &[name, tensor] : cache)
        feed[kPast + name] = tensor.get();
      std::map<std::string, attnc_tensor *> preset;
      if (cached && inPlace.size() > 0) {
        // target.size() - 1 positions are cached, one is fed.
        if (attnc_status s = inPlace.prepare(
                static_cast<int64_t>(target.size()) - 1, 1, cacheLimit))
          return s;
        for (size_t k = 0; k < inPlaceNames.size(); ++k) {
          feed[kPast + inPlaceNames[k]] = inPlace.past(k);
          preset[kPresent + inPlaceNames[k]] = inPlace.present(k);
        }
      }
      std::vector<TensorPtr> outputs;
      if (attnc_status s = runNamed(session, feed, outputs, preset))
        return s;
      const Metadata &md = session.model->metadata;
      float *row = nullptr;
      int64_t vocab = 0;
      if (attnc_status s = lastRow(*outputs[findDesc(md.outputs, "logits")],
                                   count, row, vocab))
        return s;
      int64_t token = sampler.pick(row, vocab);
      // Keep this step's presents (all of them after the first step; the
      // self-attention ones after later steps) as the cache.
      for (size_t o = 0; o < md.outputs.size(); ++o)
        if (outputs[o] && startsWith(md.outputs[o].name, kPresent))
          cache[md.outputs[o].name.substr(kPresent.size())] =
              std::move(outputs[o]);
      target.push_back(token);
      if (sampler.emit(token, tokens, produced))
        return ATTNC_STATUS_OK;
      if (!cached && withPast)
        if (attnc_status s = startInPlace(target.size() - 1))
          return s;
    }
  }

private:
  /// After the first decoder step (`cachedLen` target positions): moves
  /// the self-attention entries that decoder_with_past extends (`append`
  /// lines) into buffers that grow in place.
  attnc_status startInPlace(size_t cachedLen) {
    const Metadata &md = withPast->model->metadata;
    if (!InPlaceCache::enabled(md))
      return ATTNC_STATUS_OK;
    std::vector<size_t> axes;
    std::vector<std::string> names;
    for (const AppendPair &pair : md.appends) {
      const std::string &in = md.inputs[pair.input].name;
      const std::string &out = md.outputs[pair.output].name;
      if (!startsWith(in, kPast) || !startsWith(out, kPresent) ||
          in.substr(kPast.size()) != out.substr(kPresent.size()))
        continue;
      axes.push_back(pair.axis);
      names.push_back(in.substr(kPast.size()));
    }
    // Every target position but the last generated one can be fed.
    cacheLimit = static_cast<int64_t>(opts.max_new_tokens);
    std::vector<const attnc_tensor *> firsts;
    for (size_t k = 0; k < names.size(); ++k) {
      auto it = cache.find(names[k]);
      if (it == cache.end())
        continue; // fed from elsewhere: stays a plain tensor
      const attnc_tensor &first = *it->second;
      inPlace.add(first.dtype, first.dims, axes[k]);
      inPlaceNames.push_back(names[k]);
      firsts.push_back(&first);
    }
    if (inPlace.size() == 0)
      return ATTNC_STATUS_OK;
    // Room for the next step (cachedLen cached + 1), then the first
    // step's entries copied in.
    if (attnc_status s =
            inPlace.prepare(static_cast<int64_t>(cachedLen), 1, cacheLimit))
      return s;
    for (size_t k = 0; k < firsts.size(); ++k)
      if (attnc_status s = inPlace.load(k, *firsts[k]))
        return s;
    for (const std::string &name : inPlaceNames)
      cache.erase(name);
    return ATTNC_STATUS_OK;
  }

  attnc_status encode(const int64_t *source, size_t sourceLen) {
    TensorPtr ids;
    int64_t *data = nullptr;
    if (attnc_status s = makeRow(sourceLen, ids, data))
      return s;
    std::copy_n(source, sourceLen, data);
    if (attnc_status s = makeRow(sourceLen, sourceMask, data))
      return s;
    std::fill_n(data, sourceLen, 1);
    std::vector<TensorPtr> outputs;
    if (attnc_status s = runNamed(
            encoder,
            {{"input_ids", ids.get()}, {"attention_mask", sourceMask.get()}},
            outputs))
      return s;
    hidden = std::move(outputs[findDesc(encoder.model->metadata.outputs,
                                        "last_hidden_state")]);
    return ATTNC_STATUS_OK;
  }

  attnc_session &encoder, &decoder;
  attnc_session *withPast;
  const attnc_generate_options &opts;
  Sampler sampler;
  TensorPtr sourceMask, hidden;
  /// present.X outputs by X, fed back as past_key_values.X.
  std::map<std::string, TensorPtr> cache;
  /// The entries that grow in place instead (InPlaceCache), by X.
  InPlaceCache inPlace;
  std::vector<std::string> inPlaceNames;
  int64_t cacheLimit = 0; // positions the cache may need at most
};
} // namespace

extern "C" ATTNC_API attnc_status attnc_generate_seq2seq(
    attnc_session *encoder, attnc_session *decoder,
    attnc_session *decoder_with_past, const int64_t *source, size_t source_len,
    int64_t decoder_start_token_id, const attnc_generate_options *options,
    int64_t *tokens, size_t capacity, size_t *num_tokens) {
  if (num_tokens)
    *num_tokens = 0;
  return guarded(kFn, [&]() -> attnc_status {
    auto bad = [](const std::string &what) {
      return fail(ATTNC_STATUS_INVALID_ARGUMENT,
                  std::string(kFn) + ": " + what);
    };
    if (!encoder || !decoder || !num_tokens)
      return bad("encoder, decoder or num_tokens is NULL");
    if (encoder == decoder || decoder == decoder_with_past ||
        encoder == decoder_with_past)
      return bad("the encoder and decoder sessions must be distinct");
    if (!source || source_len == 0)
      return bad("the source is empty (at least one token id is needed)");
    for (size_t i = 0; i < source_len; ++i)
      if (source[i] < 0)
        return bad("source id " + std::to_string(source[i]) + " at " +
                   std::to_string(i) + " is negative");
    if (decoder_start_token_id < 0)
      return bad("decoder_start_token_id is negative");
    attnc_generate_options opts;
    if (attnc_status s = readOptions(kFn, options, tokens, capacity, opts))
      return s;
    if (attnc_status s = checkModels(*encoder, *decoder, decoder_with_past))
      return s;
    Seq2Seq loop(*encoder, *decoder, decoder_with_past, opts);
    return loop.run(source, source_len, decoder_start_token_id, tokens,
                    *num_tokens);
  });
}
