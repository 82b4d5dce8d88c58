//===- gpt2-generate.cpp - Text generation with a compiled GPT-2 ----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Encodes a text prompt with GPT-2's BPE tokenizer, generates with
// attnc_generate (libattnc_runtime), and prints each token's text as it
// arrives, then the speed. Links only the runtime. See docs/apps.md.
//
//===----------------------------------------------------------------------===//

#include "Gpt2Tokenizer.h"

#include "attnc-c/runtime.h"

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#ifndef ATTNC_DEFAULT_GPT2_VOCAB
#define ATTNC_DEFAULT_GPT2_VOCAB ""
#endif

using attnc::examples::Gpt2Tokenizer;

namespace {

void usage() {
  std::printf(
      "USAGE: gpt2-generate MODEL.so [options] PROMPT...\n"
      "       gpt2-generate --encode TEXT [--vocab DIR]\n"
      "       gpt2-generate --decode ID,ID,... [--vocab DIR]\n"
      "\n"
      "MODEL.so: a GPT-2 compiled by attnc (the decode-step export with\n"
      "past_key_values, or the full-sequence one).\n"
      "\n"
      "Options:\n"
      "  --vocab DIR        encoder.json and vocab.bpe (default: %s)\n"
      "  -n, --tokens N     tokens to generate (default 32)\n"
      "  --temperature T    0 = greedy (default; 1 with --top-k/--top-p)\n"
      "  --top-k K, --top-p P, --seed S   sampling (docs/c-api.md)\n"
      "  --eos ID           stop after this id (default <|endoftext|>;\n"
      "                     -1 = never)\n"
      "  --threads T        session threads (0 = default)\n"
      "  --print-ids        also print the prompt and generated ids\n"
      "                     ('prompt ids:', 'generated ids:') on stderr\n",
      *ATTNC_DEFAULT_GPT2_VOCAB ? ATTNC_DEFAULT_GPT2_VOCAB : "none built in");
}

[[noreturn]] void die(const std::string &message) {
  std::fprintf(stderr, "gpt2-generate: error: %s\n", message.c_str());
  std::exit(1);
}

double number(const char *flag, const char *text) {
  char *end = nullptr;
  double v = std::strtod(text, &end);
  if (!*text || *end)
    die(std::string(flag) + " expects a number, got '" + text + "'");
  return v;
}

void printIds(const char *label, const std::vector<int64_t> &ids) {
  std::fprintf(stderr, "%s:", label);
  for (int64_t id : ids)
    std::fprintf(stderr, " %" PRId64, id);
  std::fprintf(stderr, "\n");
}

struct Stream {
  const Gpt2Tokenizer *tokenizer;
  std::chrono::steady_clock::time_point first;
  /// Prints the token's bytes at once; a character split over two tokens
  /// is completed by the terminal when its second half arrives.
  static int32_t onToken(void *self, int64_t id, size_t index) {
    auto *s = static_cast<Stream *>(self);
    if (index == 0)
      s->first = std::chrono::steady_clock::now();
    std::string bytes = s->tokenizer->decodeToken(id);
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    std::fflush(stdout);
    return 0;
  }
};

void check(attnc_status status) {
  if (status != ATTNC_STATUS_OK)
    die(attnc_last_error());
}

} // namespace

int main(int argc, char **argv) {
  std::string modelPath, vocab = ATTNC_DEFAULT_GPT2_VOCAB, prompt, encode,
                         decode;
  bool haveEncode = false, haveDecode = false, printIdList = false;
  attnc_generate_options go;
  attnc_generate_options_init(&go);
  go.max_new_tokens = 32;
  double temperature = -1;
  int64_t eos = -2; // -2: <|endoftext|>
  int32_t threads = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char * {
      if (i + 1 >= argc)
        die(arg + " expects a value");
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      usage();
      return 0;
    } else if (arg == "--vocab") {
      vocab = value();
    } else if (arg == "--encode") {
      encode = value();
      haveEncode = true;
    } else if (arg == "--decode") {
      decode = value();
      haveDecode = true;
    } else if (arg == "-n" || arg == "--tokens") {
      go.max_new_tokens = static_cast<int32_t>(number(arg.c_str(), value()));
    } else if (arg == "--temperature") {
      temperature = number(arg.c_str(), value());
    } else if (arg == "--top-k") {
      go.top_k = static_cast<int32_t>(number(arg.c_str(), value()));
    } else if (arg == "--top-p") {
      go.top_p = static_cast<float>(number(arg.c_str(), value()));
    } else if (arg == "--seed") {
      go.seed = static_cast<uint64_t>(number(arg.c_str(), value()));
    } else if (arg == "--eos") {
      eos = static_cast<int64_t>(number(arg.c_str(), value()));
    } else if (arg == "--threads") {
      threads = static_cast<int32_t>(number(arg.c_str(), value()));
    } else if (arg == "--print-ids") {
      printIdList = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      die("unknown option '" + arg + "' (see --help)");
    } else if (modelPath.empty() && !haveEncode && !haveDecode) {
      modelPath = arg;
    } else {
      prompt += (prompt.empty() ? "" : " ") + arg;
    }
  }
  if (vocab.empty())
    die("no tokenizer: give --vocab DIR (encoder.json, vocab.bpe)");
  Gpt2Tokenizer tokenizer;
  std::string error;
  if (!tokenizer.load(vocab, error))
    die(error);

  if (haveEncode) {
    std::vector<int64_t> ids = tokenizer.encode(encode);
    for (size_t i = 0; i < ids.size(); ++i)
      std::printf("%s%" PRId64, i ? " " : "", ids[i]);
    std::printf("\n");
    return 0;
  }
  if (haveDecode) {
    std::vector<int64_t> ids;
    for (const char *p = decode.c_str(); *p;) {
      char *end = nullptr;
      ids.push_back(std::strtoll(p, &end, 10));
      if (end == p || (*end && *end != ','))
        die("--decode expects comma-separated ids, got '" + decode + "'");
      p = *end ? end + 1 : end;
    }
    std::string text = tokenizer.decode(ids);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  if (modelPath.empty() || prompt.empty())
    die("give MODEL.so and a prompt (see --help)");

  std::vector<int64_t> promptIds = tokenizer.encode(prompt);
  if (promptIds.empty())
    die("the prompt encodes to no tokens");
  go.temperature = static_cast<float>(temperature >= 0 ? temperature
                                      : go.top_k > 0 || go.top_p < 1 ? 1
                                                                     : 0);
  go.eos_token_id = eos == -2 ? tokenizer.endOfText() : eos;

  attnc_model *model = nullptr;
  attnc_session *session = nullptr;
  check(attnc_model_load(modelPath.c_str(), &model));
  attnc_session_options so;
  attnc_session_options_init(&so);
  so.num_threads = threads;
  check(attnc_session_create(model, &so, &session));

  Stream stream{&tokenizer, {}};
  go.callback = &Stream::onToken;
  go.user_data = &stream;
  std::vector<int64_t> out(go.max_new_tokens > 0 ? go.max_new_tokens : 0);
  size_t n = 0;
  std::fwrite(prompt.data(), 1, prompt.size(), stdout);
  std::fflush(stdout);
  auto start = std::chrono::steady_clock::now();
  attnc_status status =
      attnc_generate(session, promptIds.data(), promptIds.size(), &go,
                     out.data(), out.size(), &n);
  auto end = std::chrono::steady_clock::now();
  std::printf("\n");
  std::fflush(stdout);
  attnc_session_destroy(session);
  attnc_model_destroy(model);
  check(status);
  out.resize(n);
  if (printIdList) {
    printIds("prompt ids", promptIds);
    printIds("generated ids", out);
  }
  using Seconds = std::chrono::duration<double>;
  double total = Seconds(end - start).count();
  std::fprintf(stderr,
               "gpt2-generate: %zu tokens in %.3f s (%.1f tokens/s; prompt "
               "of %zu tokens + first token %.1f ms, then %.1f tokens/s)\n",
               n, total, n / total, promptIds.size(),
               n ? 1e3 * Seconds(stream.first - start).count() : 0.0,
               n > 1 ? (n - 1) / Seconds(end - stream.first).count() : 0.0);
  return 0;
}
