//===- PreprocessGenerator.cpp - ViT image preprocessing in Halide --------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// A Halide generator (run at build time, docs/apps.md) for the preprocessing
// of Hugging Face's ViTImageProcessor: an interleaved RGB 8-bit image of any
// size becomes planar f32 [3, out_height, out_width] (the model's
// pixel_values [1, 3, H, W] without the batch dim).
//
// The resize is Pillow's Image.resize(BILINEAR), which ViTImageProcessor
// calls, reproduced exactly: a separable triangle filter whose support grows
// with the downscaling factor (antialiasing), weights in 22-bit fixed point,
// a horizontal pass rounded to uint8, then a vertical pass rounded to uint8.
// Then x * (1/255) in double rounded to float (rescale) and
// (x - 0.5) / 0.5 in float (normalize with mean 0.5, std 0.5).
//
//===----------------------------------------------------------------------===//

#include "Halide.h"

namespace {

using namespace Halide;

// Pillow's fixed-point precision for 8-bit images (Resample.c).
constexpr int kPrecisionBits = 32 - 8 - 2;

/// A 64-bit float constant (Halide makes bare double literals ambiguous).
Expr f64(double value) { return Expr(value); }

/// The resampling coefficients of one axis, as Pillow's precompute_coeffs
/// and normalize_coeffs_8bpc compute them: output index i reads input
/// indices start(i) + [0, taps) with fixed-point weights weight(i, k)
/// (zero past the taps this i really has).
struct AxisCoefficients {
  Func start, weight;
  Expr taps; // the most taps any output index uses

  AxisCoefficients(const std::string &name, Expr inSize, Expr outSize) {
    Var i("i"), k("k");
    Expr scale = cast<double>(inSize) / cast<double>(outSize);
    Expr filterScale = max(scale, f64(1.0));
    Expr support = filterScale; // the triangle filter's support is 1
    Expr center = (cast<double>(i) + f64(0.5)) * scale;
    // C's (int) truncates toward zero, like Halide's cast.
    Expr lo = max(cast<int>(center - support + f64(0.5)), 0);
    Expr hi = min(cast<int>(center + support + f64(0.5)), inSize);
    taps = cast<int>(ceil(support)) * 2 + 1;

    start = Func(name + "_start");
    start(i) = lo;

    Func raw(name + "_raw");
    Expr t = abs((cast<double>(k + lo) - center + f64(0.5)) *
                 (f64(1.0) / filterScale));
    raw(i, k) = select(k < hi - lo, max(f64(1.0) - t, f64(0.0)), f64(0.0));
    RDom r(0, taps, name + "_r");
    Func total(name + "_total");
    total(i) = sum(raw(i, r));
    Expr w = select(total(i) != f64(0.0), raw(i, k) / total(i), raw(i, k));
    weight = Func(name + "_weight");
    weight(i, k) = cast<int32_t>(w * f64(1 << kPrecisionBits) + f64(0.5));

    // Tiny tables: computed once per call, before the image passes.
    start.compute_root();
    total.compute_root();
    weight.compute_root();
  }
};

/// Pillow's clip8: round the fixed-point sum back to uint8.
Expr clip8(Expr fixedSum) {
  return cast<uint8_t>(clamp(fixedSum >> kPrecisionBits, 0, 255));
}

class ViTPreprocess : public Generator<ViTPreprocess> {
public:
  // (x, y, c) over interleaved RGB memory: c has stride 1, x stride 3.
  Input<Buffer<uint8_t>> input{"input", 3};
  Input<int> outWidth{"out_width", 224, 1, 16384};
  Input<int> outHeight{"out_height", 224, 1, 16384};
  // (x, y, c) planar: the row-major layout of [3, out_height, out_width].
  Output<Buffer<float>> output{"output", 3};

  void generate() {
    Var x("x"), y("y"), c("c");
    Expr inWidth = input.dim(0).extent(), inHeight = input.dim(1).extent();
    AxisCoefficients cx("cx", inWidth, outWidth);
    AxisCoefficients cy("cy", inHeight, outHeight);

    Func in = BoundaryConditions::repeat_edge(input);
    Expr half = Expr(1 << (kPrecisionBits - 1));

    // Horizontal pass first, rounded to uint8, as Pillow does.
    RDom rx(0, cx.taps, "rx");
    Func horizontal("horizontal");
    horizontal(x, y, c) =
        clip8(half + sum(cast<int32_t>(in(cx.start(x) + rx, y, c)) *
                         cx.weight(x, rx)));

    RDom ry(0, cy.taps, "ry");
    Func resized("resized");
    resized(x, y, c) =
        clip8(half + sum(cast<int32_t>(horizontal(
                             x, clamp(cy.start(y) + ry, 0, inHeight - 1), c)) *
                         cy.weight(y, ry)));

    // rescale: uint8 * (1/255) in double, stored as float (transformers'
    // rescale); normalize: (v - 0.5) / 0.5 in float.
    Expr rescaled =
        cast<float>(cast<double>(resized(x, y, c)) * f64(1.0 / 255.0));
    output(x, y, c) = (rescaled - 0.5f) / 0.5f;

    input.dim(0).set_stride(3);
    input.dim(2).set_stride(1).set_bounds(0, 3);
    output.dim(2).set_bounds(0, 3);

    // Schedule: the horizontal pass over all input rows (out_width x
    // in_height, the smaller intermediate when downscaling), then strips of
    // output rows; both parallel over rows and vectorized along x. (Row
    // windows are data-dependent, so the vertical pass cannot tell bounds
    // inference which input rows a strip needs.)
    Var yo("yo"), yi("yi");
    const int vec = natural_vector_size<float>();
    output.split(y, yo, yi, 16, TailStrategy::GuardWithIf)
        .reorder(x, yi, c, yo)
        .parallel(yo)
        .vectorize(x, vec, TailStrategy::GuardWithIf);
    Var ho("ho"), hi("hi");
    horizontal.compute_root()
        .split(y, ho, hi, 16, TailStrategy::GuardWithIf)
        .reorder(x, hi, c, ho)
        .parallel(ho)
        .vectorize(x, vec, TailStrategy::GuardWithIf);
  }
};

} // namespace

HALIDE_REGISTER_GENERATOR(ViTPreprocess, vit_preprocess)
