//===- TensorProtoIO.cpp - Read and write ONNX TensorProto files ----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Support/TensorProtoIO.h"

// onnx_pb.h defines ONNX_API, which the generated onnx-ml.pb.h needs.
#include "onnx/onnx_pb.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

using namespace attnc;

// raw_data is little-endian by definition; we copy it verbatim.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "TensorProtoIO assumes a little-endian host");

namespace {
struct TypeEntry {
  ElementType type;
  const char *name;
  size_t size;
};
constexpr TypeEntry kTypes[] = {
    {ElementType::F32, "f32", 4},   {ElementType::F64, "f64", 8},
    {ElementType::F16, "f16", 2},   {ElementType::BF16, "bf16", 2},
    {ElementType::I8, "i8", 1},     {ElementType::I16, "i16", 2},
    {ElementType::I32, "i32", 4},   {ElementType::I64, "i64", 8},
    {ElementType::U8, "u8", 1},     {ElementType::U16, "u16", 2},
    {ElementType::U32, "u32", 4},   {ElementType::U64, "u64", 8},
    {ElementType::Bool, "bool", 1},
};

/// Names for ONNX types we refuse, so the message says what the file held.
const char *onnxTypeName(int32_t t) {
  switch (t) {
  case onnx::TensorProto::STRING:
    return "STRING";
  case onnx::TensorProto::COMPLEX64:
    return "COMPLEX64";
  case onnx::TensorProto::COMPLEX128:
    return "COMPLEX128";
  case onnx::TensorProto::UNDEFINED:
    return "UNDEFINED";
  default:
    return nullptr;
  }
}

/// Upper bound on a tensor's byte size: a .pb file holds its data inline and
/// protobuf messages are limited to 2 GiB, so anything larger is a lie.
constexpr uint64_t kMaxTensorBytes = uint64_t(1) << 31;

template <typename To, typename From>
bool narrowInto(const From *src, size_t n, std::vector<uint8_t> &dst,
                std::string &error) {
  dst.resize(n * sizeof(To));
  for (size_t i = 0; i < n; ++i) {
    From v = src[i];
    if (v < static_cast<From>(std::numeric_limits<To>::min()) ||
        v > static_cast<From>(std::numeric_limits<To>::max())) {
      error = "element " + std::to_string(i) + " (" + std::to_string(v) +
              ") is out of range for the tensor's type";
      return false;
    }
    To t = static_cast<To>(v);
    std::memcpy(dst.data() + i * sizeof(To), &t, sizeof(To));
  }
  return true;
}
} // namespace

size_t attnc::elementTypeSize(ElementType type) {
  for (const TypeEntry &e : kTypes)
    if (e.type == type)
      return e.size;
  return 0;
}

const char *attnc::elementTypeName(ElementType type) {
  for (const TypeEntry &e : kTypes)
    if (e.type == type)
      return e.name;
  return "?";
}

ElementType attnc::elementTypeFromOnnx(int32_t onnxDataType) {
  for (const TypeEntry &e : kTypes)
    if (static_cast<int32_t>(e.type) == onnxDataType)
      return e.type;
  return ElementType::Undefined;
}

size_t HostTensor::numElements() const {
  size_t n = 1;
  for (int64_t d : dims)
    n *= static_cast<size_t>(d);
  return n;
}

bool attnc::checkedNumElements(const std::vector<int64_t> &dims,
                               size_t elementSize, uint64_t maxBytes,
                               size_t &numElements) {
  uint64_t n = 1;
  bool tooBig = false;
  for (int64_t d : dims) {
    if (d < 0)
      return false;
    if (d == 0) {
      numElements = 0;
      // Still reject negative dims after the zero.
      for (int64_t e : dims)
        if (e < 0)
          return false;
      return true;
    }
    uint64_t next;
    if (__builtin_mul_overflow(n, static_cast<uint64_t>(d), &next))
      tooBig = true;
    else
      n = next;
  }
  uint64_t bytes;
  if (tooBig ||
      __builtin_mul_overflow(n, static_cast<uint64_t>(elementSize), &bytes) ||
      bytes > maxBytes)
    return false;
  numElements = static_cast<size_t>(n);
  return true;
}

bool attnc::parseTensorProto(const std::string &bytes, HostTensor &out,
                             std::string &error) {
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) {
    error = "not a valid serialized onnx.TensorProto";
    return false;
  }
  int32_t onnxType = proto.data_type();
  ElementType type = elementTypeFromOnnx(onnxType);
  if (type == ElementType::Undefined) {
    const char *name = onnxTypeName(onnxType);
    error = std::string("unsupported tensor element type ") +
            (name ? name : "") + " (" + std::to_string(onnxType) + ")";
    return false;
  }
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    error = "tensors with external data are not supported";
    return false;
  }
  if (proto.has_segment()) {
    error = "segmented tensors are not supported";
    return false;
  }
  std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0) {
      error = "dim " + std::to_string(i) + " is negative (" +
              std::to_string(dims[i]) + ")";
      return false;
    }
  }
  size_t elementSize = elementTypeSize(type);
  size_t count;
  if (!checkedNumElements(dims, elementSize, kMaxTensorBytes, count)) {
    error = "shape is too large (more than 2 GiB of data)";
    return false;
  }

  struct Field {
    const char *name;
    int size;
  };
  const Field typed[] = {{"float_data", proto.float_data_size()},
                         {"int32_data", proto.int32_data_size()},
                         {"int64_data", proto.int64_data_size()},
                         {"double_data", proto.double_data_size()},
                         {"uint64_data", proto.uint64_data_size()},
                         {"string_data", proto.string_data_size()}};
  const char *typedField = nullptr;
  size_t typedCount = 0;
  for (const Field &f : typed) {
    if (f.size == 0)
      continue;
    if (typedField) {
      error = std::string("tensor has both ") + typedField + " and " + f.name;
      return false;
    }
    typedField = f.name;
    typedCount = static_cast<size_t>(f.size);
  }
  bool hasRaw = proto.has_raw_data() && !proto.raw_data().empty();
  if (hasRaw && typedField) {
    error = std::string("tensor has both raw_data and ") + typedField;
    return false;
  }

  out.name = proto.name();
  out.type = type;
  out.dims = std::move(dims);
  out.data.clear();
  std::string shape = "[";
  for (size_t i = 0; i < out.dims.size(); ++i)
    shape += (i ? "," : "") + std::to_string(out.dims[i]);
  shape += "]";

  if (hasRaw || !typedField) {
    size_t have = proto.raw_data().size();
    if (have != count * elementSize) {
      error = "shape " + shape + " of " + elementTypeName(type) + " needs " +
              std::to_string(count * elementSize) +
              " bytes of data, file has " + std::to_string(have);
      return false;
    }
    out.data.assign(proto.raw_data().begin(), proto.raw_data().end());
    return true;
  }

  if (typedCount != count) {
    error = "shape " + shape + " needs " + std::to_string(count) +
            " elements, " + typedField + " has " + std::to_string(typedCount);
    return false;
  }
  auto wrongField = [&] {
    error = std::string(typedField) + " cannot hold " + elementTypeName(type) +
            " elements";
    return false;
  };
  std::string rangeError;
  bool ok = true;
  switch (type) {
  case ElementType::F32:
    if (proto.float_data_size() != static_cast<int>(count))
      return wrongField();
    out.data.resize(count * 4);
    std::memcpy(out.data.data(), proto.float_data().data(), count * 4);
    return true;
  case ElementType::F64:
    if (proto.double_data_size() != static_cast<int>(count))
      return wrongField();
    out.data.resize(count * 8);
    std::memcpy(out.data.data(), proto.double_data().data(), count * 8);
    return true;
  case ElementType::I64:
    if (proto.int64_data_size() != static_cast<int>(count))
      return wrongField();
    out.data.resize(count * 8);
    std::memcpy(out.data.data(), proto.int64_data().data(), count * 8);
    return true;
  case ElementType::U64:
    if (proto.uint64_data_size() != static_cast<int>(count))
      return wrongField();
    out.data.resize(count * 8);
    std::memcpy(out.data.data(), proto.uint64_data().data(), count * 8);
    return true;
  case ElementType::U32:
    if (proto.uint64_data_size() != static_cast<int>(count))
      return wrongField();
    ok = narrowInto<uint32_t>(proto.uint64_data().data(), count, out.data,
                              rangeError);
    break;
  case ElementType::I32:
  case ElementType::I16:
  case ElementType::I8:
  case ElementType::U16:
  case ElementType::U8:
  case ElementType::Bool:
  case ElementType::F16:
  case ElementType::BF16: {
    if (proto.int32_data_size() != static_cast<int>(count))
      return wrongField();
    const int32_t *src = proto.int32_data().data();
    switch (type) {
    case ElementType::I32:
      ok = narrowInto<int32_t>(src, count, out.data, rangeError);
      break;
    case ElementType::I16:
      ok = narrowInto<int16_t>(src, count, out.data, rangeError);
      break;
    case ElementType::I8:
      ok = narrowInto<int8_t>(src, count, out.data, rangeError);
      break;
    case ElementType::U8:
      ok = narrowInto<uint8_t>(src, count, out.data, rangeError);
      break;
    case ElementType::Bool:
      // Written as 0/1 by ONNX; any non-zero value means true.
      out.data.resize(count);
      for (size_t i = 0; i < count; ++i)
        out.data[i] = src[i] != 0;
      break;
    default:
      // u16, f16 and bf16 are 16-bit patterns stored in the low half.
      ok = narrowInto<uint16_t>(src, count, out.data, rangeError);
      break;
    }
    break;
  }
  default:
    return wrongField();
  }
  if (!ok)
    error = std::string(typedField) + ": " + rangeError;
  return ok;
}

bool attnc::serializeTensorProto(const HostTensor &tensor, std::string &out,
                                 std::string &error) {
  size_t elementSize = elementTypeSize(tensor.type);
  if (elementSize == 0) {
    error = "cannot write a tensor of unsupported type";
    return false;
  }
  size_t count;
  if (!checkedNumElements(tensor.dims, elementSize, kMaxTensorBytes, count) ||
      tensor.data.size() != count * elementSize) {
    error = "tensor data does not match its shape";
    return false;
  }
  onnx::TensorProto proto;
  proto.set_name(tensor.name);
  proto.set_data_type(static_cast<int32_t>(tensor.type));
  for (int64_t d : tensor.dims)
    proto.add_dims(d);
  proto.set_raw_data(tensor.data.data(), tensor.data.size());
  if (!proto.SerializeToString(&out)) {
    error = "cannot serialize the tensor";
    return false;
  }
  return true;
}

bool attnc::readTensorProtoFile(const std::string &path, HostTensor &out,
                                std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size < 0 || static_cast<uint64_t>(size) > kMaxTensorBytes + 4096) {
    error = "'" + path + "' is not a readable file of at most 2 GiB";
    return false;
  }
  std::string bytes(static_cast<size_t>(size), '\0');
  if (size > 0 && !in.read(&bytes[0], size)) {
    error = "cannot read '" + path + "'";
    return false;
  }
  if (!parseTensorProto(bytes, out, error)) {
    error = "'" + path + "': " + error;
    return false;
  }
  return true;
}

bool attnc::writeTensorProtoFile(const std::string &path,
                                 const HostTensor &tensor, std::string &error) {
  std::string bytes;
  if (!serializeTensorProto(tensor, bytes, error)) {
    error = "'" + path + "': " + error;
    return false;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out || !out.write(bytes.data(), bytes.size()) || !out.flush()) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Half-precision conversions
//===----------------------------------------------------------------------===//

float attnc::halfToFloat(uint16_t bits) {
  int sign = bits >> 15;
  int exponent = (bits >> 10) & 0x1f;
  int mantissa = bits & 0x3ff;
  float value;
  if (exponent == 0)
    value = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 31)
    value = mantissa ? std::numeric_limits<float>::quiet_NaN()
                     : std::numeric_limits<float>::infinity();
  else
    value = std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
  return sign ? -value : value;
}

uint16_t attnc::floatToHalf(float value) {
  uint32_t x;
  std::memcpy(&x, &value, 4);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  uint32_t abs = x & 0x7fffffff;
  if (abs > 0x7f800000)
    return sign | 0x7e00; // NaN
  if (abs >= 0x477ff000)
    return sign | 0x7c00; // rounds to infinity (>= 65520)
  if (abs < 0x38800000) {
    // Result is subnormal (or zero): scale so that one unit is 2^-24 and
    // round to nearest even.
    float f;
    std::memcpy(&f, &abs, 4);
    return sign | static_cast<uint16_t>(std::nearbyint(f * 16777216.0f));
  }
  uint32_t h = ((((abs >> 23) - 127 + 15) << 10) | ((abs & 0x7fffff) >> 13));
  uint32_t rest = abs & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
    ++h; // a carry into the exponent is the correct rounding
  return sign | static_cast<uint16_t>(h);
}

float attnc::bf16ToFloat(uint16_t bits) {
  uint32_t x = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

uint16_t attnc::floatToBf16(float value) {
  uint32_t x;
  std::memcpy(&x, &value, 4);
  if ((x & 0x7fffffff) > 0x7f800000)
    return static_cast<uint16_t>((x >> 16) | 0x40); // keep NaN a NaN
  x += 0x7fff + ((x >> 16) & 1);                    // round to nearest even
  return static_cast<uint16_t>(x >> 16);
}
