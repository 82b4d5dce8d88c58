//===- VitPreprocessTest.cpp - The generated ViT preprocessing ------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// The Halide pipeline of vit-classify called directly: properties that hold
// for any correct resize (constant images stay constant, output layout),
// and arguments the pipeline must refuse with an error, not an abort.
// Numerical agreement with ViTImageProcessor is run_vit_classify_test.py's.
//
//===----------------------------------------------------------------------===//

#include "Preprocess.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

using attnc::examples::preprocessImage;

namespace {

// (v / 255 - 0.5) / 0.5 for a constant image of value v, computed the way
// the pipeline documents it (double rescale, float normalize).
float normalized(int v) {
  return (static_cast<float>(v * (1.0 / 255.0)) - 0.5f) / 0.5f;
}

TEST(VitPreprocess, ConstantImagesStayConstant) {
  for (int value : {0, 1, 128, 254, 255}) {
    for (auto [w, h, ow, oh] : {std::array<int, 4>{1, 1, 7, 5},
                                {640, 480, 224, 224},
                                {13, 300, 32, 32}}) {
      std::vector<uint8_t> rgb(size_t(w) * h * 3, uint8_t(value));
      std::vector<float> out(size_t(3) * ow * oh, -7.0f);
      std::string error;
      ASSERT_TRUE(
          preprocessImage(rgb.data(), w, h, 3, out.data(), ow, oh, error))
          << error;
      for (float v : out)
        ASSERT_EQ(v, normalized(value))
            << w << "x" << h << " -> " << ow << "x" << oh << " value " << value;
    }
  }
}

TEST(VitPreprocess, ChannelsAreInterleavedInAndPlanarOut) {
  // Each channel constant, different per channel: plane c holds channel c.
  const int w = 50, h = 40, ow = 32, oh = 24;
  const uint8_t rgb[3] = {10, 200, 77};
  std::vector<uint8_t> image(size_t(w) * h * 3);
  for (size_t p = 0; p < size_t(w) * h; ++p)
    for (int c = 0; c < 3; ++c)
      image[p * 3 + c] = rgb[c];
  std::vector<float> out(size_t(3) * ow * oh);
  std::string error;
  ASSERT_TRUE(preprocessImage(image.data(), w, h, 3, out.data(), ow, oh, error))
      << error;
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < ow * oh; ++i)
      ASSERT_EQ(out[size_t(c) * ow * oh + i], normalized(rgb[c]));
}

TEST(VitPreprocess, RefusesFourChannelInput) {
  // RGBA memory: the pipeline's input must have stride 3 and 3 channels.
  std::vector<uint8_t> rgba(8 * 8 * 4, 100);
  std::vector<float> out(3 * 4 * 4);
  std::string error;
  EXPECT_FALSE(preprocessImage(rgba.data(), 8, 8, 4, out.data(), 4, 4, error));
  EXPECT_NE(error.find("Halide error"), std::string::npos) << error;
  // halide_error's message came through (not just the code).
  EXPECT_NE(error.find("input"), std::string::npos) << error;
}

TEST(VitPreprocess, RefusesOutputSizeOutOfRange) {
  std::vector<uint8_t> rgb(4 * 4 * 3, 100);
  std::vector<float> out(3);
  std::string error;
  // out_width is declared in [1, 16384]; 0 is refused by the pipeline.
  EXPECT_FALSE(preprocessImage(rgb.data(), 4, 4, 3, out.data(), 0, 1, error));
  EXPECT_NE(error.find("out_width"), std::string::npos) << error;
}

} // namespace
