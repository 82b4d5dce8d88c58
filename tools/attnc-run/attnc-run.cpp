//===- attnc-run.cpp - Run and check compiled attnc models ----------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Loads a model.so through libattnc_runtime and
//  - checks it against ONNX test data (input_N.pb / output_N.pb),
//  - runs it on given inputs and prints/writes the outputs,
//  - benchmarks it,
//  - generates tokens with a language model (attnc_generate), or
//  - prints its signature.
// Exit status: 0 success, 1 outputs do not match, 2 any error. The distinct
// 1 lets scripts tell "the model computes the wrong thing" from "the model
// could not be run at all".
//
// The tool only uses the runtime's public C API, so it doubles as an example
// of that API; it links no LLVM/MLIR.
//
//===----------------------------------------------------------------------===//

#include "attnc-c/runtime.h"
#include "attnc/Support/TensorProtoIO.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using attnc::ElementType;
using attnc::HostTensor;

namespace {

constexpr int kExitMismatch = 1;
constexpr int kExitError = 2;
/// A GPU model on a machine without a usable GPU: ctest's skip code, so GPU
/// tests skip cleanly there.
constexpr int kExitNoDevice = 77;

[[noreturn]] void fatal(const std::string &message, int code = kExitError) {
  std::fprintf(stderr, "attnc-run: error: %s\n", message.c_str());
  std::fflush(stdout);
  std::exit(code);
}

void printHelp() {
  std::printf(
      "USAGE: attnc-run MODEL.so [options]\n"
      "\n"
      "Runs a model compiled by attnc through libattnc_runtime.\n"
      "\n"
      "Modes (combinable with --benchmark and --print-signature):\n"
      "  --test-data DIR        Check the model against DIR/input_N.pb and\n"
      "                         DIR/output_N.pb, or against every\n"
      "                         DIR/test_data_set_*/ when DIR holds those.\n"
      "  --input NAME=FILE.pb   Run on the given input (repeat for each\n"
      "                         input) and print the outputs.\n"
      "  --print-signature      Print the model's inputs and outputs.\n"
      "  --generate N           Generate N token ids after --prompt-ids with\n"
      "                         a decoder-only model (input_ids, logits,\n"
      "                         optional past_key_values.*/present.*).\n"
      "                         Prints 'prompt: IDS' and 'generated: IDS' on\n"
      "                         stdout and the speed on stderr.\n"
      "  --benchmark N          Run N times and print the median and p90\n"
      "                         latency. Without --test-data/--input, inputs\n"
      "                         are generated (random floats, zero integers).\n"
      "\n"
      "Options:\n"
      "  --rtol R               Relative tolerance (default 1e-4).\n"
      "  --atol A               Absolute tolerance (default 1e-5).\n"
      "                         An output matches when, element-wise,\n"
      "                         |got - expected| <= atol + rtol * |expected|\n"
      "                         (NaN matches NaN; integers must be equal).\n"
      "  --output-dir D         With --input: write D/output_N.pb.\n"
      "  --warmup W             Benchmark warm-up runs (default 1). With\n"
      "                         --generate: whole generations run first in\n"
      "                         the same sessions, unmeasured (default 0),\n"
      "                         as a server's later requests would run.\n"
      "  --threads T            Session thread count (0 = default).\n"
      "  --dim SYMBOL=VALUE     Size of a dynamic dim for generated inputs\n"
      "                         (default 1).\n"
      "\n"
      "Generation options (greedy unless --temperature, --top-k or --top-p):\n"
      "  --prompt-ids I,J,...   The prompt's token ids.\n"
      "  --temperature T        Sampling temperature (0 = greedy; default 1\n"
      "                         when --top-k or --top-p is given).\n"
      "  --top-k K              Sample from the K most likely tokens.\n"
      "  --top-p P              Nucleus sampling threshold in (0, 1].\n"
      "  --seed S               Sampler seed (default 0).\n"
      "  --eos-id E             Stop after generating token E.\n"
      "  --suppress-id I        Never generate token I.\n"
      "\n"
      "Encoder-decoder generation (MODEL.so is then the encoder):\n"
      "  --decoder D.so         The first-step decoder; --prompt-ids is the\n"
      "                         source sentence.\n"
      "  --decoder-with-past P.so  The decode step with the KV cache\n"
      "                         (without it the decoder re-runs each step).\n"
      "  --decoder-start S      The decoder's start token id (required).\n"
      "  --help                 Show this help.\n"
      "\n"
      "Exit status: 0 success, 1 outputs do not match, 2 error, 77 a GPU\n"
      "model and no usable GPU.\n");
}

//===----------------------------------------------------------------------===//
// Command line
//===----------------------------------------------------------------------===//

struct Options {
  std::string model;
  std::string testData;
  std::vector<std::pair<std::string, std::string>> inputs;
  std::string outputDir;
  double rtol = 1e-4;
  double atol = 1e-5;
  long benchmark = 0;
  long warmup = 1;
  bool warmupGiven = false;
  long threads = 0;
  std::map<std::string, int64_t> dims;
  bool printSignature = false;
  // --generate
  long generate = 0;
  std::vector<int64_t> promptIds;
  double temperature = -1; // unset: 0, or 1 with --top-k/--top-p
  long topK = 0;
  double topP = 1;
  uint64_t seed = 0;
  int64_t eosId = -1;
  int64_t suppressId = -1;
  std::string decoder, decoderWithPast;
  int64_t decoderStart = -1;
};

double parseDouble(const std::string &flag, const std::string &text) {
  char *end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end || errno || !(v >= 0) || std::isinf(v))
    fatal(flag + " expects a non-negative number, got '" + text + "'");
  return v;
}

long long parseInt(const std::string &flag, const std::string &text,
                   long long min, long long max) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end || errno || v < min || v > max)
    fatal(flag + " expects an integer in [" + std::to_string(min) + ", " +
          std::to_string(max) + "], got '" + text + "'");
  return v;
}

std::pair<std::string, std::string> splitAssignment(const std::string &flag,
                                                    const std::string &text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    fatal(flag + " expects NAME=VALUE, got '" + text + "'");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

std::vector<int64_t> parseIdList(const std::string &flag,
                                 const std::string &text) {
  std::vector<int64_t> ids;
  size_t pos = 0;
  while (true) {
    size_t comma = text.find(',', pos);
    ids.push_back(
        parseInt(flag, text.substr(pos, comma - pos), 0, INT64_MAX));
    if (comma == std::string::npos)
      return ids;
    pos = comma + 1;
  }
}

Options parseArgs(int argc, char **argv) {
  Options opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    // Accept both "--flag value" and "--flag=value".
    std::string value;
    bool hasInlineValue = false;
    if (arg.rfind("--", 0) == 0) {
      size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        hasInlineValue = true;
      }
    }
    auto next = [&]() -> std::string {
      if (hasInlineValue)
        return value;
      if (i + 1 >= argc)
        fatal(arg + " expects a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      printHelp();
      std::exit(0);
    } else if (arg == "--test-data") {
      opts.testData = next();
    } else if (arg == "--input") {
      opts.inputs.push_back(splitAssignment(arg, next()));
    } else if (arg == "--output-dir") {
      opts.outputDir = next();
    } else if (arg == "--rtol") {
      opts.rtol = parseDouble(arg, next());
    } else if (arg == "--atol") {
      opts.atol = parseDouble(arg, next());
    } else if (arg == "--benchmark") {
      opts.benchmark = parseInt(arg, next(), 1, 100000000);
    } else if (arg == "--warmup") {
      opts.warmup = parseInt(arg, next(), 0, 100000000);
      opts.warmupGiven = true;
    } else if (arg == "--threads") {
      opts.threads = parseInt(arg, next(), 0, 4096);
    } else if (arg == "--dim") {
      auto [symbol, text] = splitAssignment(arg, next());
      opts.dims[symbol] = parseInt(arg, text, 0, INT64_MAX);
    } else if (arg == "--print-signature") {
      opts.printSignature = true;
    } else if (arg == "--generate") {
      opts.generate = parseInt(arg, next(), 1, 1 << 24);
    } else if (arg == "--prompt-ids") {
      opts.promptIds = parseIdList(arg, next());
    } else if (arg == "--temperature") {
      opts.temperature = parseDouble(arg, next());
    } else if (arg == "--top-k") {
      opts.topK = parseInt(arg, next(), 0, INT32_MAX);
    } else if (arg == "--top-p") {
      std::string text = next();
      opts.topP = parseDouble(arg, text);
      if (!(opts.topP > 0 && opts.topP <= 1))
        fatal("--top-p expects a number in (0, 1], got '" + text + "'");
    } else if (arg == "--seed") {
      opts.seed = static_cast<uint64_t>(parseInt(arg, next(), 0, INT64_MAX));
    } else if (arg == "--eos-id") {
      opts.eosId = parseInt(arg, next(), 0, INT64_MAX);
    } else if (arg == "--suppress-id") {
      opts.suppressId = parseInt(arg, next(), 0, INT64_MAX);
    } else if (arg == "--decoder") {
      opts.decoder = next();
    } else if (arg == "--decoder-with-past") {
      opts.decoderWithPast = next();
    } else if (arg == "--decoder-start") {
      opts.decoderStart = parseInt(arg, next(), 0, INT64_MAX);
    } else if (arg.size() > 1 && arg[0] == '-') {
      fatal("unknown option '" + arg + "' (see --help)");
    } else if (opts.model.empty()) {
      opts.model = arg;
    } else {
      fatal("unexpected argument '" + arg + "' (one model per run)");
    }
  }
  if (opts.model.empty())
    fatal("no model given (usage: attnc-run MODEL.so [options], see --help)");
  if (!opts.testData.empty() && !opts.inputs.empty())
    fatal("--test-data and --input cannot be combined");
  if (!opts.outputDir.empty() && opts.inputs.empty())
    fatal("--output-dir needs --input");
  if (opts.generate && opts.promptIds.empty())
    fatal("--generate needs --prompt-ids");
  if (!opts.generate && !opts.promptIds.empty())
    fatal("--prompt-ids needs --generate");
  if (!opts.decoderWithPast.empty() && opts.decoder.empty())
    fatal("--decoder-with-past needs --decoder");
  if (!opts.decoder.empty() && (!opts.generate || opts.decoderStart < 0))
    fatal("--decoder needs --generate and --decoder-start");
  if (opts.temperature < 0)
    opts.temperature = opts.topK > 0 || opts.topP < 1 ? 1 : 0;
  if (opts.testData.empty() && opts.inputs.empty() && !opts.benchmark &&
      !opts.printSignature && !opts.generate)
    fatal("nothing to do: give --test-data, --input, --benchmark, "
          "--generate or --print-signature");
  return opts;
}

//===----------------------------------------------------------------------===//
// Runtime helpers
//===----------------------------------------------------------------------===//

void check(attnc_status status) {
  if (status != ATTNC_STATUS_OK)
    fatal(attnc_last_error()[0] ? attnc_last_error()
                                : attnc_status_string(status),
          status == ATTNC_STATUS_NO_DEVICE ? kExitNoDevice : kExitError);
}

std::string dimText(int64_t dim, const char *symbol) {
  return dim >= 0 ? std::to_string(dim) : "?" + std::string(symbol);
}

std::string signatureText(const attnc_tensor_info &info) {
  std::string s =
      std::string(info.name) + ": " + attnc_dtype_name(info.dtype) + "[";
  for (size_t d = 0; d < info.rank; ++d)
    s += (d ? "," : "") + dimText(info.dims[d], info.dim_symbols[d]);
  return s + "]";
}

std::string shapeText(ElementType type, const std::vector<int64_t> &dims) {
  std::string s = std::string(attnc::elementTypeName(type)) + "[";
  for (size_t d = 0; d < dims.size(); ++d)
    s += (d ? "," : "") + std::to_string(dims[d]);
  return s + "]";
}

struct Model {
  attnc_model *model = nullptr;
  std::vector<attnc_tensor_info> inputs, outputs;
  ~Model() { attnc_model_destroy(model); }
};

void loadModel(const std::string &path, Model &m) {
  check(attnc_model_load(path.c_str(), &m.model));
  size_t n;
  check(attnc_model_num_inputs(m.model, &n));
  m.inputs.resize(n);
  for (size_t i = 0; i < n; ++i)
    check(attnc_model_input_info(m.model, i, &m.inputs[i]));
  check(attnc_model_num_outputs(m.model, &n));
  m.outputs.resize(n);
  for (size_t i = 0; i < n; ++i)
    check(attnc_model_output_info(m.model, i, &m.outputs[i]));
}

void printSignature(const Model &m, const std::string &path) {
  const char *compiler = "", *target = "";
  check(attnc_model_compiler_version(m.model, &compiler));
  check(attnc_model_target(m.model, &target));
  std::printf("model: %s\n", path.c_str());
  if (*compiler)
    std::printf("compiler: %s\n", compiler);
  if (*target)
    std::printf("target: %s\n", target);
  std::printf("inputs:\n");
  for (const attnc_tensor_info &info : m.inputs)
    std::printf("  %s\n", signatureText(info).c_str());
  std::printf("outputs:\n");
  for (const attnc_tensor_info &info : m.outputs)
    std::printf("  %s\n", signatureText(info).c_str());
}

/// Owns the runtime tensors of one run.
struct TensorList {
  std::vector<attnc_tensor *> tensors;
  ~TensorList() { clear(); }
  void clear() {
    for (attnc_tensor *t : tensors)
      attnc_tensor_destroy(t);
    tensors.clear();
  }
};

void toRuntime(const std::vector<HostTensor> &host, TensorList &out) {
  out.clear();
  for (const HostTensor &h : host) {
    attnc_tensor *t = nullptr;
    check(attnc_tensor_create_copy(static_cast<attnc_dtype>(h.type),
                                   h.dims.size(), h.dims.data(), h.data.data(),
                                   h.data.size(), &t));
    out.tensors.push_back(t);
  }
}

HostTensor fromRuntime(const attnc_tensor *t, const char *name) {
  HostTensor h;
  h.name = name;
  attnc_dtype dtype;
  size_t rank, bytes;
  const int64_t *dims;
  void *data;
  check(attnc_tensor_dtype(t, &dtype));
  check(attnc_tensor_rank(t, &rank));
  check(attnc_tensor_dims(t, &dims));
  check(attnc_tensor_byte_size(t, &bytes));
  check(attnc_tensor_data(t, &data));
  h.type = static_cast<ElementType>(dtype);
  h.dims.assign(dims, dims + rank);
  h.data.assign(static_cast<uint8_t *>(data),
                static_cast<uint8_t *>(data) + bytes);
  return h;
}

/// Runs once; the outputs come back as host tensors named after the model's
/// outputs.
std::vector<HostTensor> runOnce(attnc_session *session, const Model &m,
                                const TensorList &inputs) {
  TensorList outputs;
  outputs.tensors.assign(m.outputs.size(), nullptr);
  check(attnc_session_run(session, inputs.tensors.data(), inputs.tensors.size(),
                          outputs.tensors.data(), outputs.tensors.size()));
  std::vector<HostTensor> result;
  for (size_t i = 0; i < m.outputs.size(); ++i)
    result.push_back(fromRuntime(outputs.tensors[i], m.outputs[i].name));
  return result;
}

attnc_session *createSession(const Model &m, const Options &opts) {
  attnc_session_options so;
  check(attnc_session_options_init(&so));
  so.num_threads = static_cast<int32_t>(opts.threads);
  attnc_session *session = nullptr;
  check(attnc_session_create(m.model, &so, &session));
  return session;
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

bool isFloat(ElementType t) {
  return t == ElementType::F32 || t == ElementType::F64 ||
         t == ElementType::F16 || t == ElementType::BF16;
}

/// Element `i` as a double (exact for every integer up to 2^53; 64-bit
/// integers are compared bitwise elsewhere).
double valueAt(const HostTensor &t, size_t i) {
  const uint8_t *p = t.data.data() + i * attnc::elementTypeSize(t.type);
  auto load = [p](auto v) {
    std::memcpy(&v, p, sizeof(v));
    return v;
  };
  switch (t.type) {
  case ElementType::F32:
    return load(float());
  case ElementType::F64:
    return load(double());
  case ElementType::F16:
    return attnc::halfToFloat(load(uint16_t()));
  case ElementType::BF16:
    return attnc::bf16ToFloat(load(uint16_t()));
  case ElementType::I8:
    return load(int8_t());
  case ElementType::I16:
    return load(int16_t());
  case ElementType::I32:
    return load(int32_t());
  case ElementType::I64:
    return static_cast<double>(load(int64_t()));
  case ElementType::U8:
  case ElementType::Bool:
    return load(uint8_t());
  case ElementType::U16:
    return load(uint16_t());
  case ElementType::U32:
    return load(uint32_t());
  case ElementType::U64:
    return static_cast<double>(load(uint64_t()));
  default:
    return 0;
  }
}

std::string formatValue(const HostTensor &t, size_t i) {
  const uint8_t *p = t.data.data() + i * attnc::elementTypeSize(t.type);
  char buf[64];
  if (isFloat(t.type)) {
    double v = valueAt(t, i);
    if (std::isnan(v))
      return "nan";
    if (std::isinf(v))
      return v < 0 ? "-inf" : "inf";
    std::snprintf(buf, sizeof(buf), "%.4f", v);
    return buf;
  }
  if (t.type == ElementType::Bool)
    return *p ? "True" : "False";
  if (t.type == ElementType::I64) {
    int64_t v;
    std::memcpy(&v, p, 8);
    return std::to_string(v);
  }
  if (t.type == ElementType::U64) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return std::to_string(v);
  }
  return std::to_string(static_cast<int64_t>(valueAt(t, i)));
}

/// numpy-style nested lists; long axes show their first and last three
/// items around "..." when the tensor is large.
void formatArray(const HostTensor &t, size_t dim, size_t offset, bool summarise,
                 std::string &out) {
  if (dim == t.dims.size()) {
    out += formatValue(t, offset);
    return;
  }
  size_t n = static_cast<size_t>(t.dims[dim]);
  size_t stride = 1;
  for (size_t d = dim + 1; d < t.dims.size(); ++d)
    stride *= static_cast<size_t>(t.dims[d]);
  out += "[";
  for (size_t i = 0; i < n; ++i) {
    if (i)
      out += ", ";
    if (summarise && n > 6 && i == 3) {
      out += "...";
      i = n - 4; // the loop's ++i moves to n - 3
      continue;
    }
    formatArray(t, dim + 1, offset + i * stride, summarise, out);
  }
  out += "]";
}

void printTensor(const HostTensor &t) {
  std::string text;
  formatArray(t, 0, 0, t.numElements() > 64, text);
  std::printf("%s: %s = %s\n", t.name.c_str(),
              shapeText(t.type, t.dims).c_str(), text.c_str());
}

//===----------------------------------------------------------------------===//
// Comparison
//===----------------------------------------------------------------------===//

/// Compares like numpy.allclose(got, expected, rtol, atol, equal_nan=True),
/// prints one line and returns whether it matched.
bool compareOutput(const HostTensor &got, const HostTensor &expected,
                   const Options &opts) {
  std::string label = got.name + ": " + shapeText(got.type, got.dims);
  if (got.type != expected.type || got.dims != expected.dims) {
    std::printf("  %s expected %s FAIL (shape or dtype differs)\n",
                label.c_str(), shapeText(expected.type, expected.dims).c_str());
    return false;
  }
  size_t n = got.numElements();
  size_t bad = 0;
  double maxAbs = 0, maxRel = 0;
  size_t elementSize = attnc::elementTypeSize(got.type);
  bool floating = isFloat(got.type);
  for (size_t i = 0; i < n; ++i) {
    double g = valueAt(got, i), e = valueAt(expected, i);
    bool ok;
    if (!floating) {
      // Bitwise, so that 64-bit integers beyond 2^53 compare exactly.
      ok =
          std::memcmp(got.data.data() + i * elementSize,
                      expected.data.data() + i * elementSize, elementSize) == 0;
    } else if (std::isnan(g) || std::isnan(e)) {
      ok = std::isnan(g) && std::isnan(e);
      bad += !ok;
      continue;
    } else if (std::isinf(g) || std::isinf(e)) {
      ok = g == e;
      bad += !ok;
      continue;
    } else {
      ok = std::fabs(g - e) <= opts.atol + opts.rtol * std::fabs(e);
    }
    double abs = std::fabs(g - e);
    maxAbs = std::max(maxAbs, abs);
    if (e != 0)
      maxRel = std::max(maxRel, abs / std::fabs(e));
    bad += !ok;
  }
  std::printf("  %s max_abs_err=%.3g max_rel_err=%.3g", label.c_str(), maxAbs,
              maxRel);
  if (bad)
    std::printf(" mismatched=%zu/%zu FAIL\n", bad, n);
  else
    std::printf(" PASS\n");
  return bad == 0;
}

//===----------------------------------------------------------------------===//
// Test data
//===----------------------------------------------------------------------===//

std::vector<HostTensor> readNumbered(const fs::path &dir,
                                     const std::string &prefix) {
  std::vector<HostTensor> result;
  for (size_t i = 0;; ++i) {
    fs::path file = dir / (prefix + std::to_string(i) + ".pb");
    std::error_code ec;
    if (!fs::exists(file, ec))
      break;
    HostTensor t;
    std::string error;
    if (!attnc::readTensorProtoFile(file.string(), t, error))
      fatal(error);
    result.push_back(std::move(t));
  }
  return result;
}

/// Orders tensors read from files as the model's inputs or outputs: by the
/// TensorProto name when it names one of them, else by file position.
std::vector<HostTensor> bindByName(std::vector<HostTensor> files,
                                   const std::vector<attnc_tensor_info> &infos,
                                   const char *what, const fs::path &dir) {
  if (files.size() != infos.size())
    fatal(dir.string() + ": found " + std::to_string(files.size()) + " " +
          what + "_N.pb files, model has " + std::to_string(infos.size()) +
          " " + what + "s");
  std::vector<HostTensor> bound(infos.size());
  std::vector<bool> used(infos.size(), false);
  for (size_t i = 0; i < files.size(); ++i) {
    size_t index = i;
    for (size_t j = 0; j < infos.size(); ++j)
      if (!files[i].name.empty() && files[i].name == infos[j].name)
        index = j;
    if (used[index])
      fatal(dir.string() + ": two files provide " + what + " '" +
            infos[index].name + "'");
    used[index] = true;
    bound[index] = std::move(files[i]);
    bound[index].name = infos[index].name;
  }
  return bound;
}

bool isDataSet(const fs::path &dir) {
  std::error_code ec;
  return fs::exists(dir / "input_0.pb", ec) ||
         fs::exists(dir / "output_0.pb", ec);
}

std::vector<fs::path> findDataSets(const std::string &root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    fatal("test data directory '" + root + "' does not exist");
  if (isDataSet(root))
    return {fs::path(root)};
  std::vector<fs::path> sets;
  for (const fs::directory_entry &e : fs::directory_iterator(root, ec))
    if (e.is_directory(ec) &&
        e.path().filename().string().rfind("test_data_set_", 0) == 0)
      sets.push_back(e.path());
  if (ec)
    fatal("cannot list '" + root + "': " + ec.message());
  if (sets.empty())
    fatal("'" + root +
          "' has neither input_0.pb/output_0.pb nor "
          "test_data_set_* directories");
  // Numeric order, so test_data_set_10 follows test_data_set_9.
  auto key = [](const fs::path &p) {
    std::string s = p.filename().string().substr(14);
    return std::make_pair(s.size(), s);
  };
  std::sort(
      sets.begin(), sets.end(),
      [&](const fs::path &a, const fs::path &b) { return key(a) < key(b); });
  return sets;
}

//===----------------------------------------------------------------------===//
// Benchmark
//===----------------------------------------------------------------------===//

/// A generated input's dim: --dim for a symbol (default 1); for an `=` dim
/// (an input the model derives from other inputs, docs/abi.md) its RPN
/// evaluated over the same values, so that generated inputs are consistent.
int64_t generatedDim(const char *symbol, const Options &opts) {
  auto lookup = [&](const std::string &name) {
    auto it = opts.dims.find(name);
    return it == opts.dims.end() ? int64_t(1) : it->second;
  };
  if (symbol[0] != '=')
    return lookup(symbol);
  std::vector<int64_t> stack;
  std::string text = std::string(symbol + 1) + ",";
  for (size_t pos = 0, next; (next = text.find(',', pos)) != std::string::npos;
       pos = next + 1) {
    std::string tok = text.substr(pos, next - pos);
    if (tok.size() == 1 && std::strchr("+*/%", tok[0])) {
      if (stack.size() < 2)
        return 1; // malformed: the runtime reports it
      int64_t b = stack.back();
      stack.pop_back();
      int64_t &a = stack.back();
      if (tok[0] == '+')
        a += b;
      else if (tok[0] == '*')
        a *= b;
      else if (b != 0)
        a = tok[0] == '/' ? a / b : a % b;
    } else if (!tok.empty() && tok[0] == '$') {
      stack.push_back(lookup(tok.substr(1)));
    } else {
      stack.push_back(std::strtoll(tok.c_str(), nullptr, 10));
    }
  }
  return stack.empty() ? 1 : stack.back();
}

std::vector<HostTensor> generateInputs(const Model &m, const Options &opts) {
  std::mt19937 rng(0); // fixed seed: repeatable runs
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<HostTensor> result;
  for (const attnc_tensor_info &info : m.inputs) {
    HostTensor t;
    t.name = info.name;
    t.type = static_cast<ElementType>(info.dtype);
    for (size_t d = 0; d < info.rank; ++d) {
      int64_t dim = info.dims[d];
      if (dim < 0)
        dim = generatedDim(info.dim_symbols[d], opts);
      t.dims.push_back(dim);
    }
    size_t count;
    size_t elementSize = attnc::elementTypeSize(t.type);
    if (!attnc::checkedNumElements(t.dims, elementSize, uint64_t(1) << 34,
                                   count))
      fatal("generated input '" + t.name + "' would be too large");
    t.data.assign(count * elementSize, 0);
    for (size_t i = 0; i < count; ++i) {
      uint8_t *p = t.data.data() + i * elementSize;
      float v = dist(rng);
      if (t.type == ElementType::F32) {
        std::memcpy(p, &v, 4);
      } else if (t.type == ElementType::F64) {
        double d = v;
        std::memcpy(p, &d, 8);
      } else if (t.type == ElementType::F16) {
        uint16_t h = attnc::floatToHalf(v);
        std::memcpy(p, &h, 2);
      } else if (t.type == ElementType::BF16) {
        uint16_t h = attnc::floatToBf16(v);
        std::memcpy(p, &h, 2);
      }
    }
    result.push_back(std::move(t));
  }
  return result;
}

void benchmark(const Model &m, const Options &opts,
               const std::vector<HostTensor> &hostInputs) {
  attnc_session *session = createSession(m, opts);
  TensorList inputs;
  toRuntime(hostInputs, inputs);
  std::vector<attnc_tensor *> outputs(m.outputs.size(), nullptr);
  std::vector<double> ms;
  for (long i = 0; i < opts.warmup + opts.benchmark; ++i) {
    auto start = std::chrono::steady_clock::now();
    check(attnc_session_run(session, inputs.tensors.data(),
                            inputs.tensors.size(), outputs.data(),
                            outputs.size()));
    auto end = std::chrono::steady_clock::now();
    // Output allocation is part of a run; freeing them is not.
    for (attnc_tensor *&t : outputs) {
      attnc_tensor_destroy(t);
      t = nullptr;
    }
    if (i >= opts.warmup)
      ms.push_back(
          std::chrono::duration<double, std::milli>(end - start).count());
  }
  attnc_memory_stats mem;
  mem.struct_size = sizeof(mem);
  check(attnc_session_memory_stats(session, &mem));
  attnc_session_destroy(session);
  std::sort(ms.begin(), ms.end());
  double median = ms.size() % 2
                      ? ms[ms.size() / 2]
                      : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
  size_t p90Index = static_cast<size_t>(std::ceil(0.9 * ms.size())) - 1;
  std::printf("benchmark: %zu runs (%ld warm-up, threads %ld): median %.4f ms, "
              "p90 %.4f ms\n",
              ms.size(), opts.warmup, opts.threads, median, ms[p90Index]);
  // Intermediate buffers only: inputs, outputs and weights come on top.
  std::printf("workspace: peak %.1f MiB of intermediate buffers\n",
              static_cast<double>(mem.peak_bytes) / (1 << 20));
}

//===----------------------------------------------------------------------===//
// Generation
//===----------------------------------------------------------------------===//

/// Records when each token arrived, for the speed line.
struct GenerateClock {
  std::chrono::steady_clock::time_point start, first, last;
  static int32_t onToken(void *self, int64_t, size_t index) {
    auto *clock = static_cast<GenerateClock *>(self);
    clock->last = std::chrono::steady_clock::now();
    if (index == 0)
      clock->first = clock->last;
    return 0;
  }
};

void printIds(const char *label, const int64_t *ids, size_t n) {
  std::printf("%s:", label);
  for (size_t i = 0; i < n; ++i)
    std::printf(" %" PRId64, ids[i]);
  std::printf("\n");
}

/// --generate: ids on stdout (machine-readable), speed on stderr. With
/// --decoder, `m` is the encoder of an encoder-decoder model.
void generate(const Model &m, const Options &opts) {
  attnc_session *session = createSession(m, opts);
  Model decoder, withPast;
  attnc_session *decoderSession = nullptr, *withPastSession = nullptr;
  if (!opts.decoder.empty()) {
    loadModel(opts.decoder, decoder);
    decoderSession = createSession(decoder, opts);
  }
  if (!opts.decoderWithPast.empty()) {
    loadModel(opts.decoderWithPast, withPast);
    withPastSession = createSession(withPast, opts);
  }
  attnc_generate_options go;
  check(attnc_generate_options_init(&go));
  go.max_new_tokens = static_cast<int32_t>(opts.generate);
  go.temperature = static_cast<float>(opts.temperature);
  go.top_k = static_cast<int32_t>(opts.topK);
  go.top_p = static_cast<float>(opts.topP);
  go.seed = opts.seed;
  go.eos_token_id = opts.eosId;
  go.suppress_token_id = opts.suppressId;
  GenerateClock clock;
  go.callback = &GenerateClock::onToken;
  go.user_data = &clock;
  std::vector<int64_t> ids(opts.generate);
  size_t n = 0;
  auto run = [&] {
    clock.start = std::chrono::steady_clock::now();
    return decoderSession
               ? attnc_generate_seq2seq(session, decoderSession,
                                        withPastSession, opts.promptIds.data(),
                                        opts.promptIds.size(),
                                        opts.decoderStart, &go, ids.data(),
                                        ids.size(), &n)
               : attnc_generate(session, opts.promptIds.data(),
                                opts.promptIds.size(), &go, ids.data(),
                                ids.size(), &n);
  };
  // Warm-up generations leave the sessions' workspaces grown to this
  // prompt, so the measured one pays no first-touch page faults.
  attnc_status status = ATTNC_STATUS_OK;
  long warmups = opts.warmupGiven ? opts.warmup : 0;
  for (long i = 0; i < warmups && status == ATTNC_STATUS_OK; ++i)
    status = run();
  if (status == ATTNC_STATUS_OK)
    status = run();
  attnc_session_destroy(withPastSession);
  attnc_session_destroy(decoderSession);
  attnc_session_destroy(session);
  check(status);
  printIds("prompt", opts.promptIds.data(), opts.promptIds.size());
  printIds("generated", ids.data(), n);
  std::fflush(stdout);
  using Seconds = std::chrono::duration<double>;
  double total = Seconds(clock.last - clock.start).count();
  double decode = Seconds(clock.last - clock.first).count();
  std::fprintf(stderr,
               "generate: %zu tokens in %.3f s: %.1f tokens/s overall; "
               "prompt of %zu + first token %.1f ms, then %.1f tokens/s\n",
               n, total, n / total, opts.promptIds.size(),
               1e3 * Seconds(clock.first - clock.start).count(),
               n > 1 ? (n - 1) / decode : 0.0);
}

} // namespace

int main(int argc, char **argv) {
  Options opts = parseArgs(argc, argv);
  Model m;
  loadModel(opts.model, m);
  if (opts.printSignature)
    printSignature(m, opts.model);

  std::vector<HostTensor> benchInputs;
  bool haveBenchInputs = false;
  int exitCode = 0;

  if (!opts.testData.empty()) {
    std::vector<fs::path> sets = findDataSets(opts.testData);
    attnc_session *session = createSession(m, opts);
    for (const fs::path &dir : sets) {
      std::vector<HostTensor> inputs =
          bindByName(readNumbered(dir, "input_"), m.inputs, "input", dir);
      std::vector<HostTensor> expected =
          bindByName(readNumbered(dir, "output_"), m.outputs, "output", dir);
      TensorList rtInputs;
      toRuntime(inputs, rtInputs);
      std::vector<HostTensor> got = runOnce(session, m, rtInputs);
      std::printf("%s:\n", dir.string().c_str());
      bool allOk = true;
      for (size_t i = 0; i < got.size(); ++i)
        allOk &= compareOutput(got[i], expected[i], opts);
      std::printf("%s: %s\n", dir.filename().string().c_str(),
                  allOk ? "PASS" : "FAIL");
      if (!allOk)
        exitCode = kExitMismatch;
      if (!haveBenchInputs) {
        benchInputs = std::move(inputs);
        haveBenchInputs = true;
      }
    }
    attnc_session_destroy(session);
  }

  if (!opts.inputs.empty()) {
    std::vector<HostTensor> inputs(m.inputs.size());
    std::vector<bool> given(m.inputs.size(), false);
    for (const auto &[name, file] : opts.inputs) {
      size_t index;
      if (attnc_model_find_input(m.model, name.c_str(), &index) !=
          ATTNC_STATUS_OK)
        fatal(attnc_last_error());
      if (given[index])
        fatal("input '" + name + "' given twice");
      given[index] = true;
      std::string error;
      if (!attnc::readTensorProtoFile(file, inputs[index], error))
        fatal(error);
      inputs[index].name = name;
    }
    for (size_t i = 0; i < m.inputs.size(); ++i)
      if (!given[i])
        fatal(std::string("missing --input for model input '") +
              m.inputs[i].name + "'");
    attnc_session *session = createSession(m, opts);
    TensorList rtInputs;
    toRuntime(inputs, rtInputs);
    std::vector<HostTensor> outputs = runOnce(session, m, rtInputs);
    attnc_session_destroy(session);
    for (const HostTensor &t : outputs)
      printTensor(t);
    if (!opts.outputDir.empty()) {
      std::error_code ec;
      fs::create_directories(opts.outputDir, ec);
      if (ec)
        fatal("cannot create '" + opts.outputDir + "': " + ec.message());
      for (size_t i = 0; i < outputs.size(); ++i) {
        std::string error;
        fs::path file =
            fs::path(opts.outputDir) / ("output_" + std::to_string(i) + ".pb");
        if (!attnc::writeTensorProtoFile(file.string(), outputs[i], error))
          fatal(error);
      }
    }
    benchInputs = std::move(inputs);
    haveBenchInputs = true;
  }

  if (opts.generate)
    generate(m, opts);

  if (opts.benchmark) {
    if (!haveBenchInputs)
      benchInputs = generateInputs(m, opts);
    benchmark(m, opts, benchInputs);
  }
  std::fflush(stdout);
  return exitCode;
}
