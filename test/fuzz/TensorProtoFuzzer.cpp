//===- TensorProtoFuzzer.cpp - libFuzzer target: the .pb tensor reader ----===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Feeds arbitrary bytes to parseTensorProto (what attnc-run reads with
// --input and --test-data). A tensor it accepts must be self-consistent
// and survive a serialize/parse round trip unchanged.
//
//===----------------------------------------------------------------------===//

#include "attnc/Support/TensorProtoIO.h"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string bytes(reinterpret_cast<const char *>(data), size);
  attnc::HostTensor tensor;
  std::string error;
  if (!attnc::parseTensorProto(bytes, tensor, error)) {
    if (error.empty()) // every refusal must say why
      std::abort();
    return 0;
  }
  if (tensor.data.size() !=
      tensor.numElements() * attnc::elementTypeSize(tensor.type))
    std::abort();
  std::string again;
  attnc::HostTensor back;
  if (!attnc::serializeTensorProto(tensor, again, error) ||
      !attnc::parseTensorProto(again, back, error))
    std::abort();
  if (back.type != tensor.type || back.dims != tensor.dims ||
      back.data != tensor.data || back.name != tensor.name)
    std::abort();
  return 0;
}
