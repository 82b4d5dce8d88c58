//===- attnc-stress.cpp - Concurrent and repeated runs of one model -------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
//   attnc-stress MODEL.so [--threads N] [--runs N] [--cycles N]
//                [--dim SYMBOL=SIZE]...
//
// 1. Loads MODEL once, fills every input with deterministic pseudo-random
//    data (dynamic dims: --dim, default 3) and runs it serially: the
//    reference outputs.
// 2. N threads share the loaded model and the input tensors; each creates
//    its own session and runs the model --runs times. Every output must be
//    bit-identical to the reference (the model is immutable after load and
//    every run owns its workspace, docs/c-api.md).
// 3. --cycles times: load, create a session, run, destroy everything (for
//    LeakSanitizer: a cycle must not leak).
//
// Links only libattnc_runtime, so a ThreadSanitizer build needs nothing
// else (tools/sanitize.sh). Exit status: 0 ok, 1 a mismatch, 2 an error.
//
//===----------------------------------------------------------------------===//

#include "attnc-c/runtime.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

[[noreturn]] void die(const std::string &what) {
  std::fprintf(stderr, "attnc-stress: error: %s: %s\n", what.c_str(),
               attnc_last_error());
  std::exit(2);
}

struct Outputs {
  std::vector<std::vector<unsigned char>> bytes;
  std::vector<std::vector<int64_t>> dims;
  bool operator==(const Outputs &o) const {
    return bytes == o.bytes && dims == o.dims;
  }
};

/// The size of an input dim: --dim for a symbol (default 3); for a dim the
/// model derives from other inputs (`=rpn`, docs/abi.md), its value.
int64_t dimValue(const char *symbol,
                 const std::map<std::string, int64_t> &dimValues) {
  auto lookup = [&](const std::string &name) {
    auto it = dimValues.find(name);
    return it == dimValues.end() ? int64_t(3) : it->second;
  };
  if (symbol[0] != '=')
    return lookup(symbol);
  std::vector<int64_t> stack;
  std::string text = std::string(symbol + 1) + ",";
  for (size_t pos = 0, next; (next = text.find(',', pos)) != std::string::npos;
       pos = next + 1) {
    std::string tok = text.substr(pos, next - pos);
    if (tok.size() == 1 && std::strchr("+*/%", tok[0]) && stack.size() >= 2) {
      int64_t b = stack.back();
      stack.pop_back();
      int64_t &a = stack.back();
      a = tok[0] == '+' ? a + b : tok[0] == '*' ? a * b
          : b == 0      ? 0
          : tok[0] == '/' ? a / b
                          : a % b;
    } else if (tok[0] == '$') {
      stack.push_back(lookup(tok.substr(1)));
    } else {
      stack.push_back(std::atoll(tok.c_str()));
    }
  }
  return stack.empty() ? 3 : stack.back();
}

/// Inputs from the metadata, deterministic for a given seed.
std::vector<attnc_tensor *> makeInputs(attnc_model *model,
                                       const std::map<std::string, int64_t>
                                           &dimValues) {
  size_t n;
  if (attnc_model_num_inputs(model, &n))
    die("num_inputs");
  std::mt19937_64 rng(42);
  std::vector<attnc_tensor *> inputs;
  for (size_t i = 0; i < n; ++i) {
    attnc_tensor_info info;
    if (attnc_model_input_info(model, i, &info))
      die("input_info");
    std::vector<int64_t> dims(info.dims, info.dims + info.rank);
    for (size_t d = 0; d < info.rank; ++d)
      if (dims[d] < 0)
        dims[d] = dimValue(info.dim_symbols[d], dimValues);
    attnc_tensor *t;
    if (attnc_tensor_create(info.dtype, info.rank, dims.data(), &t))
      die(std::string("create input '") + info.name + "'");
    void *data;
    size_t count;
    attnc_tensor_data(t, &data);
    attnc_tensor_num_elements(t, &count);
    for (size_t e = 0; e < count; ++e) {
      uint64_t r = rng();
      switch (info.dtype) {
      case ATTNC_DTYPE_F32:
        static_cast<float *>(data)[e] = float(r % 2001) / 1000.0f - 1.0f;
        break;
      case ATTNC_DTYPE_F64:
        static_cast<double *>(data)[e] = double(r % 2001) / 1000.0 - 1.0;
        break;
      case ATTNC_DTYPE_I64:
        static_cast<int64_t *>(data)[e] = int64_t(r % 4);
        break;
      case ATTNC_DTYPE_I32:
        static_cast<int32_t *>(data)[e] = int32_t(r % 4);
        break;
      default: {
        // Other dtypes: small byte patterns (bool stays 0/1).
        size_t size = attnc_dtype_size(info.dtype);
        auto *p = static_cast<unsigned char *>(data) + e * size;
        std::memset(p, 0, size);
        p[0] = static_cast<unsigned char>(r & 1);
      }
      }
    }
    inputs.push_back(t);
  }
  return inputs;
}

bool runOnce(attnc_session *session, const std::vector<attnc_tensor *> &in,
             size_t numOutputs, Outputs &out, std::string &error) {
  std::vector<attnc_tensor *> results(numOutputs, nullptr);
  if (attnc_session_run(session, in.data(), in.size(), results.data(),
                        numOutputs)) {
    error = attnc_last_error();
    return false;
  }
  out.bytes.resize(numOutputs);
  out.dims.resize(numOutputs);
  for (size_t o = 0; o < numOutputs; ++o) {
    void *data;
    size_t bytes, rank;
    const int64_t *dims;
    attnc_tensor_data(results[o], &data);
    attnc_tensor_byte_size(results[o], &bytes);
    attnc_tensor_rank(results[o], &rank);
    attnc_tensor_dims(results[o], &dims);
    auto *p = static_cast<unsigned char *>(data);
    out.bytes[o].clear();
    if (bytes) // empty outputs may have no buffer at all
      out.bytes[o].assign(p, p + bytes);
    out.dims[o].assign(dims, dims + rank);
    attnc_tensor_destroy(results[o]);
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  std::string path;
  int threads = 8, runs = 100, cycles = 0;
  std::map<std::string, int64_t> dimValues;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "attnc-stress: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--threads")
      threads = std::atoi(next().c_str());
    else if (a == "--runs")
      runs = std::atoi(next().c_str());
    else if (a == "--cycles")
      cycles = std::atoi(next().c_str());
    else if (a == "--dim") {
      std::string spec = next();
      size_t eq = spec.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "attnc-stress: --dim wants SYMBOL=SIZE\n");
        return 2;
      }
      dimValues[spec.substr(0, eq)] = std::atoll(spec.c_str() + eq + 1);
    } else if (path.empty() && a[0] != '-')
      path = a;
    else {
      std::fprintf(stderr, "usage: attnc-stress MODEL.so [--threads N] "
                           "[--runs N] [--cycles N] [--dim SYM=N]...\n");
      return 2;
    }
  }
  if (path.empty() || threads < 1 || runs < 1 || cycles < 0) {
    std::fprintf(stderr, "attnc-stress: bad arguments (try without any)\n");
    return 2;
  }

  attnc_model *model;
  if (attnc_model_load(path.c_str(), &model))
    die("load");
  size_t numOutputs;
  attnc_model_num_outputs(model, &numOutputs);
  std::vector<attnc_tensor *> inputs = makeInputs(model, dimValues);

  // 1. The serial reference, and a second serial run: a model that is not
  // deterministic even serially would make step 2 meaningless.
  attnc_session *session;
  if (attnc_session_create(model, nullptr, &session))
    die("session");
  Outputs reference, again;
  std::string error;
  if (!runOnce(session, inputs, numOutputs, reference, error) ||
      !runOnce(session, inputs, numOutputs, again, error)) {
    std::fprintf(stderr, "attnc-stress: error: serial run: %s\n",
                 error.c_str());
    return 2;
  }
  attnc_session_destroy(session);
  if (!(reference == again)) {
    std::fprintf(stderr, "attnc-stress: two serial runs differ\n");
    return 1;
  }

  // 2. Concurrent runs: one session per thread, shared model and inputs.
  std::atomic<int> mismatches{0}, failures{0};
  std::vector<std::string> errors(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      attnc_session *s;
      if (attnc_session_create(model, nullptr, &s)) {
        errors[t] = attnc_last_error();
        ++failures;
        return;
      }
      Outputs out;
      for (int r = 0; r < runs; ++r) {
        if (!runOnce(s, inputs, numOutputs, out, errors[t])) {
          ++failures;
          break;
        }
        if (!(out == reference))
          ++mismatches;
      }
      attnc_session_destroy(s);
    });
  for (std::thread &t : pool)
    t.join();
  for (const std::string &e : errors)
    if (!e.empty())
      std::fprintf(stderr, "attnc-stress: error in a thread: %s\n", e.c_str());
  if (failures)
    return 2;
  if (mismatches) {
    std::fprintf(stderr,
                 "attnc-stress: %d of %d concurrent runs differ from the "
                 "serial run\n",
                 mismatches.load(), threads * runs);
    return 1;
  }
  std::printf("attnc-stress: %d threads x %d runs: all %zu output(s) "
              "bit-identical to the serial run\n",
              threads, runs, numOutputs);

  for (attnc_tensor *t : inputs)
    attnc_tensor_destroy(t);
  attnc_model_destroy(model);

  // 3. Load/run/unload cycles (LeakSanitizer in the sanitizer lane).
  for (int c = 0; c < cycles; ++c) {
    attnc_model *m;
    attnc_session *s;
    if (attnc_model_load(path.c_str(), &m))
      die("load (cycle)");
    std::vector<attnc_tensor *> in = makeInputs(m, dimValues);
    if (attnc_session_create(m, nullptr, &s))
      die("session (cycle)");
    attnc_model_destroy(m); // the session keeps the model alive
    Outputs out;
    if (!runOnce(s, in, numOutputs, out, error)) {
      std::fprintf(stderr, "attnc-stress: error: cycle %d: %s\n", c,
                   error.c_str());
      return 2;
    }
    if (!(out == reference)) {
      std::fprintf(stderr, "attnc-stress: cycle %d differs\n", c);
      return 1;
    }
    attnc_session_destroy(s);
    for (attnc_tensor *t : in)
      attnc_tensor_destroy(t);
  }
  if (cycles)
    std::printf("attnc-stress: %d load/run/unload cycles\n", cycles);
  return 0;
}
