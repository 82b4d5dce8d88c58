//===- Preprocess.h - The generated ViT preprocessing, called safely ------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// A wrapper over the Halide pipeline that PreprocessGenerator.cpp generates
// at build time: plain pointers in, an error message out, and Halide's
// errors reported through the return value, never an abort.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_EXAMPLES_VIT_CLASSIFY_PREPROCESS_H
#define ATTNC_EXAMPLES_VIT_CLASSIFY_PREPROCESS_H

#include <cstdint>
#include <string>

namespace attnc::examples {

/// Resizes, rescales and normalizes an interleaved 8-bit image of `width` x
/// `height` pixels with `channels` values each (the pipeline takes 3, RGB)
/// into planar f32 [3, outHeight, outWidth] at `planar` like
/// ViTImageProcessor (docs/apps.md). Returns false with `error` set when the
/// pipeline refuses its arguments.
bool preprocessImage(const uint8_t *interleaved, int width, int height,
                     int channels, float *planar, int outWidth, int outHeight,
                     std::string &error);

} // namespace attnc::examples

#endif // ATTNC_EXAMPLES_VIT_CLASSIFY_PREPROCESS_H
