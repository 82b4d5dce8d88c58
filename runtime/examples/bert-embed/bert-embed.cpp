//===- bert-embed.cpp - Sentence embeddings with a compiled BERT ----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Tokenizes one or two sentences with BERT's uncased WordPiece tokenizer,
// runs a compiled BERT on them as one right-padded batch, and prints the
// mean-pooled sentence embeddings (the mean of last_hidden_state over the
// positions whose attention_mask is 1), their norms and, for two
// sentences, their cosine similarity. Links only the runtime; docs/apps.md.
//
//===----------------------------------------------------------------------===//

#include "WordPiece.h"

#include "attnc-c/runtime.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#ifndef ATTNC_DEFAULT_BERT_VOCAB
#define ATTNC_DEFAULT_BERT_VOCAB ""
#endif

using attnc::examples::WordPiece;

namespace {

void usage() {
  std::printf(
      "USAGE: bert-embed MODEL.so [options] SENTENCE [SENTENCE2]\n"
      "       bert-embed --tokenize TEXT [--vocab FILE]\n"
      "\n"
      "MODEL.so: a BERT compiled by attnc with inputs input_ids and\n"
      "optionally attention_mask, token_type_ids, and an output\n"
      "last_hidden_state [batch, sequence, hidden].\n"
      "\n"
      "Options:\n"
      "  --vocab FILE   vocab.txt (default: %s)\n"
      "  --values K     embedding values to print per sentence (default 8)\n"
      "  --full         print every value ('embedding N: v v ...')\n"
      "  --threads T    session threads (0 = default)\n",
      *ATTNC_DEFAULT_BERT_VOCAB ? ATTNC_DEFAULT_BERT_VOCAB : "none built in");
}

[[noreturn]] void die(const std::string &message) {
  std::fprintf(stderr, "bert-embed: error: %s\n", message.c_str());
  std::exit(1);
}

void check(attnc_status status) {
  if (status != ATTNC_STATUS_OK)
    die(attnc_last_error());
}

/// The model's inputs filled for `batch` right-padded rows.
struct Batch {
  int64_t rows = 0, length = 0;
  std::vector<int64_t> ids, mask, types;

  Batch(const std::vector<std::vector<int64_t>> &sentences, int64_t pad) {
    rows = static_cast<int64_t>(sentences.size());
    for (const auto &s : sentences)
      length = std::max<int64_t>(length, s.size());
    ids.assign(rows * length, pad);
    mask.assign(rows * length, 0);
    types.assign(rows * length, 0); // one segment per sentence
    for (int64_t r = 0; r < rows; ++r)
      for (size_t t = 0; t < sentences[r].size(); ++t) {
        ids[r * length + t] = sentences[r][t];
        mask[r * length + t] = 1;
      }
  }
};

/// Runs the model; returns last_hidden_state (caller destroys it).
attnc_tensor *runModel(attnc_model *model, int32_t threads, Batch &batch) {
  size_t numInputs = 0, numOutputs = 0;
  check(attnc_model_num_inputs(model, &numInputs));
  check(attnc_model_num_outputs(model, &numOutputs));
  int64_t dims[2] = {batch.rows, batch.length};
  std::vector<attnc_tensor *> inputs(numInputs, nullptr);
  for (size_t i = 0; i < numInputs; ++i) {
    attnc_tensor_info info;
    check(attnc_model_input_info(model, i, &info));
    std::string name = info.name;
    std::vector<int64_t> *data = name == "input_ids"        ? &batch.ids
                                 : name == "attention_mask" ? &batch.mask
                                 : name == "token_type_ids" ? &batch.types
                                                            : nullptr;
    if (!data)
      die("unexpected model input '" + name +
          "' (expected input_ids, attention_mask, token_type_ids)");
    check(attnc_tensor_wrap(ATTNC_DTYPE_I64, 2, dims, data->data(),
                            data->size() * sizeof(int64_t), &inputs[i]));
  }
  size_t hidden;
  if (attnc_model_find_output(model, "last_hidden_state", &hidden))
    die("the model has no output 'last_hidden_state'");
  attnc_session_options so;
  attnc_session_options_init(&so);
  so.num_threads = threads;
  attnc_session *session = nullptr;
  check(attnc_session_create(model, &so, &session));
  std::vector<attnc_tensor *> outputs(numOutputs, nullptr);
  attnc_status status = attnc_session_run(session, inputs.data(), numInputs,
                                          outputs.data(), numOutputs);
  attnc_session_destroy(session);
  for (attnc_tensor *t : inputs)
    attnc_tensor_destroy(t);
  check(status);
  for (size_t o = 0; o < numOutputs; ++o)
    if (o != hidden)
      attnc_tensor_destroy(outputs[o]);
  return outputs[hidden];
}

/// Mean of the rows' hidden states over their unmasked positions.
std::vector<std::vector<double>> meanPool(const attnc_tensor *hidden,
                                          const Batch &batch) {
  size_t rank;
  const int64_t *dims;
  void *data;
  check(attnc_tensor_rank(hidden, &rank));
  check(attnc_tensor_dims(hidden, &dims));
  check(attnc_tensor_data(hidden, &data));
  if (rank != 3 || dims[0] != batch.rows || dims[1] != batch.length)
    die("last_hidden_state has an unexpected shape");
  int64_t width = dims[2];
  const float *h = static_cast<const float *>(data);
  std::vector<std::vector<double>> result;
  for (int64_t r = 0; r < batch.rows; ++r) {
    std::vector<double> sum(width, 0.0);
    double count = 0;
    for (int64_t t = 0; t < batch.length; ++t) {
      if (!batch.mask[r * batch.length + t])
        continue;
      count += 1;
      for (int64_t d = 0; d < width; ++d)
        sum[d] += h[(r * batch.length + t) * width + d];
    }
    for (double &v : sum)
      v /= count;
    result.push_back(std::move(sum));
  }
  return result;
}

double dot(const std::vector<double> &a, const std::vector<double> &b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i)
    s += a[i] * b[i];
  return s;
}

} // namespace

int main(int argc, char **argv) {
  std::string modelPath, vocab = ATTNC_DEFAULT_BERT_VOCAB, tokenize;
  std::vector<std::string> sentences;
  bool haveTokenize = false, full = false;
  long values = 8;
  int32_t threads = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        die(arg + " expects a value");
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      usage();
      return 0;
    } else if (arg == "--vocab") {
      vocab = value();
    } else if (arg == "--tokenize") {
      tokenize = value();
      haveTokenize = true;
    } else if (arg == "--values") {
      values = std::strtol(value().c_str(), nullptr, 10);
    } else if (arg == "--threads") {
      threads = static_cast<int32_t>(std::strtol(value().c_str(), nullptr, 10));
    } else if (arg == "--full") {
      full = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      die("unknown option '" + arg + "' (see --help)");
    } else if (modelPath.empty() && !haveTokenize) {
      modelPath = arg;
    } else {
      sentences.push_back(arg);
    }
  }
  if (vocab.empty())
    die("no vocabulary: give --vocab FILE (vocab.txt)");
  WordPiece tokenizer;
  std::string error;
  if (!tokenizer.load(vocab, error))
    die(error);
  if (haveTokenize) {
    std::vector<int64_t> ids = tokenizer.encode(tokenize);
    for (size_t i = 0; i < ids.size(); ++i)
      std::printf("%s%" PRId64, i ? " " : "", ids[i]);
    std::printf("\n");
    return 0;
  }
  if (modelPath.empty() || sentences.empty() || sentences.size() > 2)
    die("give MODEL.so and one or two sentences (see --help)");

  std::vector<std::vector<int64_t>> tokenized;
  for (const std::string &s : sentences)
    tokenized.push_back(tokenizer.encode(s));
  Batch batch(tokenized, tokenizer.padId());
  attnc_model *model = nullptr;
  check(attnc_model_load(modelPath.c_str(), &model));
  attnc_tensor *hidden = runModel(model, threads, batch);
  std::vector<std::vector<double>> embeddings = meanPool(hidden, batch);
  attnc_tensor_destroy(hidden);
  attnc_model_destroy(model);

  for (size_t s = 0; s < embeddings.size(); ++s) {
    const std::vector<double> &e = embeddings[s];
    std::printf("sentence %zu: %zu tokens, dim %zu, norm %.6f\n", s + 1,
                tokenized[s].size(), e.size(), std::sqrt(dot(e, e)));
    size_t shown = std::min<size_t>(values < 0 ? 0 : values, e.size());
    std::printf("  first %zu:", shown);
    for (size_t d = 0; d < shown; ++d)
      std::printf(" %.6f", e[d]);
    std::printf("\n");
    if (full) {
      std::printf("embedding %zu:", s + 1);
      for (double v : e)
        std::printf(" %.9g", v);
      std::printf("\n");
    }
  }
  if (embeddings.size() == 2) {
    const auto &a = embeddings[0], &b = embeddings[1];
    std::printf("cosine similarity: %.6f\n",
                dot(a, b) / std::sqrt(dot(a, a) * dot(b, b)));
  }
  return 0;
}
