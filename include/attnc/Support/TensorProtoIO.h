//===- TensorProtoIO.h - Read and write ONNX TensorProto files --*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Reads and writes the serialized onnx.TensorProto (`.pb`) files used by
// ONNX's test data sets (input_0.pb, output_0.pb, ...). Deliberately free of
// LLVM and MLIR so that attnc-run and test helpers can use it; the ONNX
// protobuf types stay out of this header.
//
// Files are treated as untrusted: the declared shape must match the data
// actually present, element counts are overflow-checked before anything is
// allocated, and unsupported element types are refused with a message.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_SUPPORT_TENSORPROTOIO_H
#define ATTNC_SUPPORT_TENSORPROTOIO_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace attnc {

/// Element types, numbered like onnx.TensorProto.DataType (and like
/// attnc_dtype in attnc-c/runtime.h).
enum class ElementType : int32_t {
  Undefined = 0,
  F32 = 1,
  U8 = 2,
  I8 = 3,
  U16 = 4,
  I16 = 5,
  I32 = 6,
  I64 = 7,
  Bool = 9,
  F16 = 10,
  F64 = 11,
  U32 = 12,
  U64 = 13,
  BF16 = 16,
};

/// Bytes per element, 0 for an unsupported type.
size_t elementTypeSize(ElementType type);
/// "f32", "bool", ... (the attnc metadata spelling); "?" if unsupported.
const char *elementTypeName(ElementType type);
/// Maps an ONNX data_type number; Undefined if attnc does not support it.
ElementType elementTypeFromOnnx(int32_t onnxDataType);

/// A dense, row-major, little-endian host tensor.
struct HostTensor {
  std::string name; ///< TensorProto name; may be empty
  ElementType type = ElementType::Undefined;
  std::vector<int64_t> dims;
  std::vector<uint8_t> data; ///< exactly numElements() * elementTypeSize()

  size_t numElements() const;
};

/// Element count of `dims`, or false if a dim is negative or the count (times
/// `elementSize`) overflows or exceeds `maxBytes`.
bool checkedNumElements(const std::vector<int64_t> &dims, size_t elementSize,
                        uint64_t maxBytes, size_t &numElements);

/// Parses a serialized TensorProto. Returns false with a message in `error`.
bool parseTensorProto(const std::string &bytes, HostTensor &out,
                      std::string &error);
/// Serializes `tensor` as a TensorProto with raw_data.
bool serializeTensorProto(const HostTensor &tensor, std::string &out,
                          std::string &error);

/// File wrappers; messages name the file.
bool readTensorProtoFile(const std::string &path, HostTensor &out,
                         std::string &error);
bool writeTensorProtoFile(const std::string &path, const HostTensor &tensor,
                          std::string &error);

/// Converts IEEE half / bfloat16 bit patterns to and from float.
float halfToFloat(uint16_t bits);
uint16_t floatToHalf(float value);
float bf16ToFloat(uint16_t bits);
uint16_t floatToBf16(float value);

} // namespace attnc

#endif // ATTNC_SUPPORT_TENSORPROTOIO_H
