//===- vit-classify.cpp - Image classification with a compiled ViT --------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Reads a PNG or binary PPM (P6) image, turns it into ViT's pixel_values
// with the Halide pipeline generated at build time (PreprocessGenerator.cpp:
// ViTImageProcessor's resize, rescale and normalize), runs a compiled ViT
// through the runtime's C API and prints the top classes with their softmax
// probabilities. Links only the runtime, libpng and the generated pipeline
// (not libHalide); docs/apps.md.
//
//===----------------------------------------------------------------------===//

#include "Preprocess.h"

#include "HalideRuntime.h"
#include "attnc-c/runtime.h"

#include <png.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

namespace {

void usage() {
  std::printf(
      "USAGE: vit-classify MODEL.so IMAGE [options]\n"
      "       vit-classify --preprocess IMAGE --size WxH --dump FILE\n"
      "\n"
      "MODEL.so: a ViT compiled by attnc with one input pixel_values\n"
      "f32[batch, 3, H, W] and an output logits f32[batch, classes].\n"
      "IMAGE: PNG (8-bit; gray, palette and alpha are converted to RGB,\n"
      "alpha dropped) or binary PPM (P6, maxval 255).\n"
      "\n"
      "Options:\n"
      "  --labels FILE  class names, one per line (line N = class N)\n"
      "  --top K        classes to print (default 5)\n"
      "  --size WxH     preprocessing size (default: the model's H and W,\n"
      "                 224x224 when they are dynamic)\n"
      "  --dump FILE    write the preprocessed f32 [3, H, W] tensor (raw,\n"
      "                 little-endian) to FILE\n"
      "  --threads T    threads for the preprocessing and the model\n"
      "                 (0 = default: all cores)\n");
}

[[noreturn]] void die(const std::string &message) {
  std::fprintf(stderr, "vit-classify: error: %s\n", message.c_str());
  std::exit(1);
}

void check(attnc_status status, const char *what) {
  if (status != ATTNC_STATUS_OK)
    die(std::string(what) + ": " + attnc_status_string(status) + ": " +
        attnc_last_error());
}

/// The largest image accepted (16384^2 pixels, 1 GiB as RGBA): a header
/// that claims more is refused before anything is allocated for it.
constexpr uint64_t kMaxPixels = uint64_t(1) << 28;

/// An interleaved RGB 8-bit image.
struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
};

bool readFile(const std::string &path, std::vector<uint8_t> &bytes,
              std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  bytes.assign(std::istreambuf_iterator<char>(in),
               std::istreambuf_iterator<char>());
  if (in.bad()) {
    error = "cannot read '" + path + "'";
    return false;
  }
  return true;
}

/// libpng's simplified API: any PNG to 8-bit RGBA, then alpha dropped (as
/// PIL's convert("RGB") does, without compositing).
bool decodePng(const std::vector<uint8_t> &bytes, Image &image,
               std::string &error) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size())) {
    error = std::string("invalid PNG: ") + png.message;
    return false;
  }
  if (uint64_t(png.width) * png.height > kMaxPixels) {
    error = "PNG size " + std::to_string(png.width) + "x" +
            std::to_string(png.height) + " is too large (at most " +
            std::to_string(kMaxPixels) + " pixels)";
    png_image_free(&png);
    return false;
  }
  png.format = PNG_FORMAT_RGBA;
  std::vector<uint8_t> rgba(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, rgba.data(), 0, nullptr)) {
    error = std::string("invalid PNG: ") + png.message;
    png_image_free(&png);
    return false;
  }
  image.width = static_cast<int>(png.width);
  image.height = static_cast<int>(png.height);
  size_t pixels = size_t(png.width) * png.height;
  image.rgb.resize(pixels * 3);
  for (size_t p = 0; p < pixels; ++p)
    std::memcpy(&image.rgb[p * 3], &rgba[p * 4], 3);
  png_image_free(&png);
  return true;
}

/// Binary PPM: "P6" width height maxval (whitespace and # comments between),
/// one whitespace byte, then width*height RGB triples.
bool decodePpm(const std::vector<uint8_t> &bytes, Image &image,
               std::string &error) {
  size_t pos = 2;
  auto readNumber = [&](long &value) {
    for (;;) {
      while (pos < bytes.size() && std::isspace(bytes[pos]))
        ++pos;
      if (pos < bytes.size() && bytes[pos] == '#') {
        while (pos < bytes.size() && bytes[pos] != '\n')
          ++pos;
        continue;
      }
      break;
    }
    if (pos >= bytes.size() || !std::isdigit(bytes[pos]))
      return false;
    value = 0;
    for (; pos < bytes.size() && std::isdigit(bytes[pos]); ++pos)
      value = std::min(value * 10 + (bytes[pos] - '0'), 1000000000L);
    return true;
  };
  long width, height, maxval;
  if (!readNumber(width) || !readNumber(height) || !readNumber(maxval) ||
      pos >= bytes.size() || !std::isspace(bytes[pos])) {
    error = "invalid PPM header";
    return false;
  }
  ++pos;
  if (width < 1 || height < 1 || uint64_t(width) * height > kMaxPixels) {
    error = "PPM size " + std::to_string(width) + "x" + std::to_string(height) +
            " is empty or too large (at most " + std::to_string(kMaxPixels) +
            " pixels)";
    return false;
  }
  if (maxval != 255) {
    error = "PPM maxval " + std::to_string(maxval) +
            " is not supported (only 8-bit, maxval 255)";
    return false;
  }
  size_t need = size_t(width) * height * 3;
  if (bytes.size() - pos < need) {
    error = "truncated PPM: " + std::to_string(bytes.size() - pos) +
            " pixel bytes, expected " + std::to_string(need);
    return false;
  }
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  image.rgb.assign(bytes.begin() + pos, bytes.begin() + pos + need);
  return true;
}

bool loadImage(const std::string &path, Image &image, std::string &error) {
  std::vector<uint8_t> bytes;
  if (!readFile(path, bytes, error))
    return false;
  static const uint8_t pngMagic[8] = {0x89, 'P',  'N',  'G',
                                      '\r', '\n', 0x1a, '\n'};
  bool ok;
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), pngMagic, 8) == 0)
    ok = decodePng(bytes, image, error);
  else if (bytes.size() >= 2 && bytes[0] == 'P' && bytes[1] == '6')
    ok = decodePpm(bytes, image, error);
  else {
    error = "not a PNG or binary PPM (P6) image";
    ok = false;
  }
  if (!ok)
    error = "'" + path + "': " + error;
  return ok;
}

/// Runs the Halide pipeline: planar f32 [3, height, width] into `pixels`.
bool preprocess(const Image &image, int width, int height,
                std::vector<float> &pixels, std::string &error) {
  pixels.assign(size_t(3) * width * height, 0.0f);
  return attnc::examples::preprocessImage(image.rgb.data(), image.width,
                                          image.height, 3, pixels.data(), width,
                                          height, error);
}

bool parseSize(const std::string &text, int &width, int &height) {
  char x = 0, extra = 0;
  return std::sscanf(text.c_str(), "%d%c%d%c", &width, &x, &height, &extra) ==
             3 &&
         x == 'x' && width >= 1 && height >= 1 && width <= 16384 &&
         height <= 16384;
}

void writeDump(const std::string &path, const std::vector<float> &pixels) {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    die("cannot write '" + path + "': " + std::strerror(errno));
  size_t n = std::fwrite(pixels.data(), sizeof(float), pixels.size(), f);
  if (std::fclose(f) != 0 || n != pixels.size())
    die("cannot write '" + path + "'");
}

/// The model's pixel_values and logits, checked against what the app feeds
/// and reads.
struct Signature {
  size_t logits = 0, numOutputs = 0;
  int64_t height = -1, width = -1; // -1: dynamic
};

Signature checkSignature(attnc_model *model) {
  Signature sig;
  size_t numInputs = 0;
  check(attnc_model_num_inputs(model, &numInputs), "model");
  check(attnc_model_num_outputs(model, &sig.numOutputs), "model");
  if (numInputs != 1)
    die("the model has " + std::to_string(numInputs) +
        " inputs; a ViT classifier has one (pixel_values)");
  attnc_tensor_info info;
  check(attnc_model_input_info(model, 0, &info), "model");
  if (info.dtype != ATTNC_DTYPE_F32 || info.rank != 4 ||
      (info.dims[0] != -1 && info.dims[0] != 1) ||
      (info.dims[1] != -1 && info.dims[1] != 3))
    die(std::string("model input '") + info.name +
        "' is not f32[batch, 3, height, width]");
  sig.height = info.dims[2];
  sig.width = info.dims[3];
  if (attnc_model_find_output(model, "logits", &sig.logits) !=
      ATTNC_STATUS_OK) {
    if (sig.numOutputs != 1)
      die("the model has no output 'logits'");
    sig.logits = 0;
  }
  check(attnc_model_output_info(model, sig.logits, &info), "model");
  if (info.dtype != ATTNC_DTYPE_F32 || info.rank != 2)
    die(std::string("model output '") + info.name +
        "' is not f32[batch, classes]");
  return sig;
}

/// Runs the model on one image; returns its logits.
std::vector<float> classify(attnc_model *model, const Signature &sig,
                            int32_t threads, std::vector<float> &pixels,
                            int width, int height) {
  int64_t dims[4] = {1, 3, height, width};
  attnc_tensor *input = nullptr;
  check(attnc_tensor_wrap(ATTNC_DTYPE_F32, 4, dims, pixels.data(),
                          pixels.size() * sizeof(float), &input),
        "input tensor");
  attnc_session_options so;
  attnc_session_options_init(&so);
  so.num_threads = threads;
  attnc_session *session = nullptr;
  check(attnc_session_create(model, &so, &session), "session");
  std::vector<attnc_tensor *> outputs(sig.numOutputs, nullptr);
  attnc_status status =
      attnc_session_run(session, &input, 1, outputs.data(), outputs.size());
  attnc_session_destroy(session);
  attnc_tensor_destroy(input);
  check(status, "run");
  size_t count = 0;
  void *data = nullptr;
  check(attnc_tensor_num_elements(outputs[sig.logits], &count), "logits");
  check(attnc_tensor_data(outputs[sig.logits], &data), "logits");
  const float *values = static_cast<const float *>(data);
  std::vector<float> logits(values, values + count);
  for (attnc_tensor *t : outputs)
    attnc_tensor_destroy(t);
  return logits;
}

std::vector<std::string> readLabels(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    die("cannot open labels file '" + path + "': " + std::strerror(errno));
  std::vector<std::string> labels;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    labels.push_back(line);
  }
  return labels;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

} // namespace

static int runApp(int argc, char **argv) {
  std::string modelPath, imagePath, labelsPath, dumpPath, sizeText;
  bool preprocessOnly = false;
  long top = 5;
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
    } else if (arg == "--preprocess") {
      preprocessOnly = true;
      imagePath = value();
    } else if (arg == "--labels") {
      labelsPath = value();
    } else if (arg == "--top") {
      top = std::strtol(value().c_str(), nullptr, 10);
    } else if (arg == "--size") {
      sizeText = value();
    } else if (arg == "--dump") {
      dumpPath = value();
    } else if (arg == "--threads") {
      threads = static_cast<int32_t>(std::strtol(value().c_str(), nullptr, 10));
    } else if (arg.size() > 1 && arg[0] == '-') {
      die("unknown option '" + arg + "' (see --help)");
    } else if (modelPath.empty() && !preprocessOnly) {
      modelPath = arg;
    } else if (imagePath.empty()) {
      imagePath = arg;
    } else {
      die("unexpected argument '" + arg + "' (see --help)");
    }
  }
  int width = 224, height = 224;
  if (!sizeText.empty() && !parseSize(sizeText, width, height))
    die("--size expects WxH with 1 <= W, H <= 16384, got '" + sizeText + "'");
  if (preprocessOnly && dumpPath.empty())
    die("--preprocess needs --dump FILE");
  if (!preprocessOnly && (modelPath.empty() || imagePath.empty()))
    die("give MODEL.so and IMAGE (see --help)");
  if (top < 1)
    die("--top expects a positive number");
  // The Halide pipeline has its own thread pool (default: HL_NUM_THREADS or
  // all cores); --threads bounds it like the model's session.
  if (threads > 0)
    halide_set_num_threads(threads);

  std::vector<std::string> labels;
  if (!labelsPath.empty())
    labels = readLabels(labelsPath);

  // Load the model first so that a wrong model fails before any image work,
  // and so that its image size drives the preprocessing.
  attnc_model *model = nullptr;
  Signature sig;
  if (!preprocessOnly) {
    check(attnc_model_load(modelPath.c_str(), &model), "cannot load model");
    sig = checkSignature(model);
    if (sig.height > 0 && sig.width > 0) {
      if (!sizeText.empty() && (sig.height != height || sig.width != width))
        die("--size " + sizeText + " does not match the model's " +
            std::to_string(sig.width) + "x" + std::to_string(sig.height));
      width = static_cast<int>(sig.width);
      height = static_cast<int>(sig.height);
    }
  }

  Image image;
  std::string error;
  if (!loadImage(imagePath, image, error))
    die(error);
  std::vector<float> pixels;
  auto start = std::chrono::steady_clock::now();
  if (!preprocess(image, width, height, pixels, error))
    die(error);
  double preprocessSeconds = secondsSince(start);
  if (!dumpPath.empty())
    writeDump(dumpPath, pixels);
  std::fprintf(stderr, "vit-classify: %s: %dx%d -> 3x%dx%d in %.3f ms\n",
               imagePath.c_str(), image.width, image.height, height, width,
               preprocessSeconds * 1e3);
  if (preprocessOnly)
    return 0;

  start = std::chrono::steady_clock::now();
  std::vector<float> logits =
      classify(model, sig, threads, pixels, width, height);
  double modelSeconds = secondsSince(start);
  attnc_model_destroy(model);
  if (logits.empty())
    die("the model returned no logits");

  // Softmax in double, shifted by the largest logit.
  double maxLogit = *std::max_element(logits.begin(), logits.end());
  std::vector<double> probs(logits.size());
  double total = 0;
  for (size_t i = 0; i < logits.size(); ++i)
    total += probs[i] = std::exp(double(logits[i]) - maxLogit);
  for (double &p : probs)
    p /= total;
  std::vector<size_t> order(probs.size());
  std::iota(order.begin(), order.end(), 0);
  size_t shown = std::min<size_t>(top, order.size());
  std::partial_sort(order.begin(), order.begin() + shown, order.end(),
                    [&](size_t a, size_t b) {
                      return probs[a] > probs[b] ||
                             (probs[a] == probs[b] && a < b);
                    });
  std::printf("top %zu of %zu classes:\n", shown, probs.size());
  for (size_t r = 0; r < shown; ++r) {
    size_t id = order[r];
    std::printf("%zu: class %zu p %.6f", r + 1, id, probs[id]);
    if (id < labels.size())
      std::printf("  %s", labels[id].c_str());
    std::printf("\n");
  }
  std::fprintf(stderr, "vit-classify: model %.3f ms\n", modelSeconds * 1e3);
  return 0;
}

int main(int argc, char **argv) {
  // Allocation failures (a large --size, a large valid image) become an
  // error message, never an abort.
  try {
    return runApp(argc, argv);
  } catch (const std::bad_alloc &) {
    die("out of memory");
  }
}
