//===- Preprocess.cpp - The generated ViT preprocessing, called safely ----===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "Preprocess.h"

#include "attnc_vit_preprocess.h"

#include "HalideBuffer.h"

#include <mutex>

namespace {

// The Halide runtime reports failures (a buffer that breaks the pipeline's
// constraints, out of memory) through halide_error, whose default prints and
// may abort in some runtimes: keep the message and let the pipeline return
// its error code instead.
std::mutex halideErrorMutex;
std::string halideErrorMessage;

} // namespace

extern "C" void halide_error(void * /*userContext*/, const char *message) {
  std::lock_guard<std::mutex> lock(halideErrorMutex);
  halideErrorMessage = message ? message : "unknown Halide error";
  while (!halideErrorMessage.empty() && halideErrorMessage.back() == '\n')
    halideErrorMessage.pop_back();
}

bool attnc::examples::preprocessImage(const uint8_t *interleaved, int width,
                                      int height, int channels, float *planar,
                                      int outWidth, int outHeight,
                                      std::string &error) {
  // The generated code only reads the input; Buffer wants a mutable pointer.
  auto input = Halide::Runtime::Buffer<uint8_t>::make_interleaved(
      const_cast<uint8_t *>(interleaved), width, height, channels);
  Halide::Runtime::Buffer<float> output(planar, outWidth, outHeight, 3);
  int code = attnc_vit_preprocess(input, outWidth, outHeight, output);
  if (code == 0)
    return true;
  std::lock_guard<std::mutex> lock(halideErrorMutex);
  error = "preprocessing failed (Halide error " + std::to_string(code) +
          "): " + halideErrorMessage;
  return false;
}
