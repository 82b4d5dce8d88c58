//===- translate.cpp - Translation with a compiled Marian model -----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Encodes a sentence with Marian's SentencePiece tokenizer, runs the
// encoder-decoder greedy (or sampled) loop attnc_generate_seq2seq over the
// three compiled graphs (encoder, decoder, decoder with past), and prints
// the decoded translation and the speed. Links only the runtime and
// libsentencepiece. See docs/apps.md.
//
//===----------------------------------------------------------------------===//

#include "MarianTokenizer.h"

#include "attnc-c/runtime.h"

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#ifndef ATTNC_DEFAULT_MARIAN_TOKENIZER
#define ATTNC_DEFAULT_MARIAN_TOKENIZER ""
#endif

using attnc::examples::MarianTokenizer;

namespace {

void usage() {
  std::printf(
      "USAGE: translate ENCODER.so DECODER.so [DECODER_WITH_PAST.so] "
      "[options] TEXT...\n"
      "       translate --encode TEXT [--tokenizer DIR]\n"
      "       translate --decode ID,ID,... [--tokenizer DIR]\n"
      "\n"
      "The three graphs of a Marian export (models/marian.py); without\n"
      "DECODER_WITH_PAST.so the decoder re-runs on the whole output each\n"
      "step.\n"
      "\n"
      "Options:\n"
      "  --tokenizer DIR    source.spm, target.spm, vocab.json (default: %s)\n"
      "  -n, --tokens N     tokens to generate at most (default 64)\n"
      "  --temperature T, --top-k K, --top-p P, --seed S   sampling\n"
      "                     (default greedy; docs/c-api.md)\n"
      "  --threads T        session threads (0 = default)\n"
      "  --print-ids        also print 'source ids:' and 'output ids:' on\n"
      "                     stderr\n",
      *ATTNC_DEFAULT_MARIAN_TOKENIZER ? ATTNC_DEFAULT_MARIAN_TOKENIZER
                                      : "none built in");
}

[[noreturn]] void die(const std::string &message) {
  std::fprintf(stderr, "translate: error: %s\n", message.c_str());
  std::exit(1);
}

void check(attnc_status status) {
  if (status != ATTNC_STATUS_OK)
    die(attnc_last_error());
}

double number(const std::string &flag, const char *text) {
  char *end = nullptr;
  double v = std::strtod(text, &end);
  if (!*text || *end)
    die(flag + " expects a number, got '" + text + "'");
  return v;
}

void printIds(FILE *out, const char *label, const std::vector<int64_t> &ids) {
  std::fprintf(out, "%s", label);
  for (size_t i = 0; i < ids.size(); ++i)
    std::fprintf(out, "%s%" PRId64, i || *label ? " " : "", ids[i]);
  std::fprintf(out, "\n");
}

/// A loaded model and one session on it.
struct Graph {
  attnc_model *model = nullptr;
  attnc_session *session = nullptr;
  Graph(const std::string &path, int32_t threads) {
    check(attnc_model_load(path.c_str(), &model));
    attnc_session_options so;
    attnc_session_options_init(&so);
    so.num_threads = threads;
    check(attnc_session_create(model, &so, &session));
  }
  ~Graph() {
    attnc_session_destroy(session);
    attnc_model_destroy(model);
  }
};

} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> graphs;
  std::string tokenizerDir = ATTNC_DEFAULT_MARIAN_TOKENIZER, text, encode,
              decode;
  bool haveEncode = false, haveDecode = false, printIdList = false;
  attnc_generate_options go;
  attnc_generate_options_init(&go);
  go.max_new_tokens = 64;
  double temperature = -1;
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
    } else if (arg == "--tokenizer") {
      tokenizerDir = value();
    } else if (arg == "--encode") {
      encode = value();
      haveEncode = true;
    } else if (arg == "--decode") {
      decode = value();
      haveDecode = true;
    } else if (arg == "-n" || arg == "--tokens") {
      go.max_new_tokens = static_cast<int32_t>(number(arg, value()));
    } else if (arg == "--temperature") {
      temperature = number(arg, value());
    } else if (arg == "--top-k") {
      go.top_k = static_cast<int32_t>(number(arg, value()));
    } else if (arg == "--top-p") {
      go.top_p = static_cast<float>(number(arg, value()));
    } else if (arg == "--seed") {
      go.seed = static_cast<uint64_t>(number(arg, value()));
    } else if (arg == "--threads") {
      threads = static_cast<int32_t>(number(arg, value()));
    } else if (arg == "--print-ids") {
      printIdList = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      die("unknown option '" + arg + "' (see --help)");
    } else if (arg.size() > 3 && arg.compare(arg.size() - 3, 3, ".so") == 0 &&
               text.empty()) {
      graphs.push_back(arg);
    } else {
      text += (text.empty() ? "" : " ") + arg;
    }
  }
  if (tokenizerDir.empty())
    die("no tokenizer: give --tokenizer DIR");
  MarianTokenizer tokenizer;
  std::string error;
  if (!tokenizer.load(tokenizerDir, error))
    die(error);

  if (haveEncode) {
    printIds(stdout, "", tokenizer.encode(encode));
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
    std::printf("%s\n", tokenizer.decode(ids).c_str());
    return 0;
  }
  if (graphs.size() < 2 || graphs.size() > 3 || text.empty())
    die("give ENCODER.so DECODER.so [DECODER_WITH_PAST.so] and a text (see "
        "--help)");

  std::vector<int64_t> source = tokenizer.encode(text);
  go.temperature = static_cast<float>(temperature >= 0 ? temperature
                                      : go.top_k > 0 || go.top_p < 1 ? 1
                                                                     : 0);
  // Marian starts the decoder with <pad>, never generates it again
  // (bad_words_ids in its config), and ends with </s>.
  go.eos_token_id = tokenizer.eosId();
  go.suppress_token_id = tokenizer.padId();
  Graph encoder(graphs[0], threads), decoder(graphs[1], threads);
  std::unique_ptr<Graph> withPast;
  if (graphs.size() == 3)
    withPast = std::make_unique<Graph>(graphs[2], threads);

  std::vector<int64_t> out(go.max_new_tokens > 0 ? go.max_new_tokens : 0);
  size_t n = 0;
  auto start = std::chrono::steady_clock::now();
  check(attnc_generate_seq2seq(encoder.session, decoder.session,
                               withPast ? withPast->session : nullptr,
                               source.data(), source.size(), tokenizer.padId(),
                               &go, out.data(), out.size(), &n));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  out.resize(n);
  std::printf("%s\n", tokenizer.decode(out).c_str());
  std::fflush(stdout);
  if (printIdList) {
    printIds(stderr, "source ids:", source);
    printIds(stderr, "output ids:", out);
  }
  std::fprintf(stderr,
               "translate: %zu source tokens, %zu output tokens in %.3f s "
               "(%.1f tokens/s)\n",
               source.size(), n, seconds, n / seconds);
  return 0;
}
