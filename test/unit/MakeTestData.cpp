//===- MakeTestData.cpp - Write .pb test data for the attnc-run tests -----===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Writes ONNX-style test data directories for the fixture models (see
// fixtures/) so that the attnc-run tests need no Python at build time.
//
//===----------------------------------------------------------------------===//

#include "attnc/Support/TensorProtoIO.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

using attnc::ElementType;
using attnc::HostTensor;

namespace {
std::string root;

template <typename T>
HostTensor make(const std::string &name, ElementType type,
                std::vector<int64_t> dims, const std::vector<T> &values) {
  HostTensor t;
  t.name = name;
  t.type = type;
  t.dims = std::move(dims);
  t.data.resize(values.size() * sizeof(T));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

void write(const std::string &dir, const std::string &file,
           const HostTensor &t) {
  std::filesystem::create_directories(root + "/" + dir);
  std::string error;
  if (!attnc::writeTensorProtoFile(root + "/" + dir + "/" + file, t, error)) {
    std::fprintf(stderr, "attnc-make-testdata: %s\n", error.c_str());
    std::exit(1);
  }
}

std::vector<float> iota(size_t n, float start, float step) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = start + step * static_cast<float>(i);
  return v;
}
} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: attnc-make-testdata OUTPUT_DIR\n");
    return 1;
  }
  root = argv[1];

  // add_model: sum = a + b with a = 1, 2, ..., b = 0, 0.25, ...
  std::vector<float> a = iota(8, 1, 1), b = iota(8, 0, 0.25f), sum(8);
  for (size_t i = 0; i < 8; ++i)
    sum[i] = a[i] + b[i];
  auto ta = make("a", ElementType::F32, {2, 4}, a);
  auto tb = make("b", ElementType::F32, {2, 4}, b);
  auto tsum = make("sum", ElementType::F32, {2, 4}, sum);
  write("add_pass", "input_0.pb", ta);
  write("add_pass", "input_1.pb", tb);
  write("add_pass", "output_0.pb", tsum);

  // Files in the opposite order: the TensorProto names must win.
  write("add_named_swapped", "input_0.pb", tb);
  write("add_named_swapped", "input_1.pb", ta);
  write("add_named_swapped", "output_0.pb", tsum);

  std::vector<float> wrong = sum;
  wrong[5] += 0.5f;
  write("add_fail", "input_0.pb", ta);
  write("add_fail", "input_1.pb", tb);
  write("add_fail", "output_0.pb",
        make("sum", ElementType::F32, {2, 4}, wrong));

  // ?batch is 2 in a and 3 in b.
  write("add_bad_shape", "input_0.pb", ta);
  write("add_bad_shape", "input_1.pb",
        make("b", ElementType::F32, {3, 4}, iota(12, 0, 1)));
  write("add_bad_shape", "output_0.pb", tsum);

  // two_output_model: scaled = x * k, count = 0..n-1. Set 0 is unnamed
  // (bound by position), set 1 named.
  for (int set = 0; set < 2; ++set) {
    int64_t n = set + 1, k = set + 2;
    std::vector<float> x = iota(static_cast<size_t>(n * 3), -1, 0.5f), scaled;
    for (float v : x)
      scaled.push_back(v * static_cast<float>(k));
    std::vector<int64_t> count;
    for (int64_t i = 0; i < n; ++i)
      count.push_back(i);
    std::string dir = "two_output/test_data_set_" + std::to_string(set);
    bool named = set == 1;
    write(dir, "input_0.pb",
          make(named ? "x" : "", ElementType::F32, {n, 3}, x));
    write(dir, "input_1.pb",
          make(named ? "k:scale" : "", ElementType::I64, {},
               std::vector<int64_t>{k}));
    write(dir, "output_0.pb",
          make(named ? "scaled" : "", ElementType::F32, {n, 3}, scaled));
    write(dir, "output_1.pb",
          make(named ? "count" : "", ElementType::I64, {n}, count));
  }

  std::ofstream(root + "/not_a_tensor.pb") << "this is not a protobuf\n";
  return 0;
}
