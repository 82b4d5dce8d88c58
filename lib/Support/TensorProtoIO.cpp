//===- TensorProtoIO.cpp - Read and write ONNX TensorProto files ----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Support/TensorProtoIO.h"

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
// onnx.TensorProto's field numbers and the enum values we look at
// (onnx/onnx.proto). The file format is decoded here rather than through
// the generated protobuf classes so that attnc-run and the runtime tests
// need no protobuf library: they are cross-built for targets (aarch64)
// that have no protobuf package (docs/targets.md).
enum TensorField : uint32_t {
  kDims = 1,
  kDataType = 2,
  kSegment = 3,
  kFloatData = 4,
  kInt32Data = 5,
  kStringData = 6,
  kInt64Data = 7,
  kName = 8,
  kRawData = 9,
  kDoubleData = 10,
  kUint64Data = 11,
  kDataLocation = 14,
};
enum OnnxType : int32_t {
  kOnnxUndefined = 0,
  kOnnxString = 8,
  kOnnxComplex64 = 14,
  kOnnxComplex128 = 15,
};
constexpr int32_t kDataLocationExternal = 1;

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kFixed32 = 5,
};

/// The TensorProto fields attnc reads, as protobuf would decode them.
struct WireTensor {
  std::vector<int64_t> dims;
  int32_t dataType = 0;
  int32_t dataLocation = 0;
  bool hasSegment = false;
  std::string name;
  bool hasRawData = false;
  std::string rawData;
  std::vector<float> floatData;
  std::vector<int32_t> int32Data;
  std::vector<int64_t> int64Data;
  std::vector<double> doubleData;
  std::vector<uint64_t> uint64Data;
  size_t stringDataCount = 0;
};

/// A cursor over protobuf wire-format bytes.
class WireReader {
public:
  WireReader(const char *begin, const char *end) : pos(begin), end(end) {}
  bool atEnd() const { return pos == end; }

  bool readVarint(uint64_t &value) {
    value = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (pos == end)
        return false;
      uint8_t byte = static_cast<uint8_t>(*pos++);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80))
        return true;
    }
    return false; // more than 10 bytes
  }
  template <typename T> bool readFixed(T &value) {
    if (static_cast<size_t>(end - pos) < sizeof(T))
      return false;
    std::memcpy(&value, pos, sizeof(T));
    pos += sizeof(T);
    return true;
  }
  bool readBytes(const char *&begin, size_t &size) {
    uint64_t n;
    if (!readVarint(n) || n > static_cast<uint64_t>(end - pos))
      return false;
    begin = pos;
    size = static_cast<size_t>(n);
    pos += size;
    return true;
  }
  /// Skips a field of `wireType` (groups are not used by onnx.proto).
  bool skip(uint32_t wireType) {
    uint64_t ignored;
    const char *b;
    size_t n;
    switch (wireType) {
    case kVarint:
      return readVarint(ignored);
    case kFixed64:
      return readFixed(ignored);
    case kLengthDelimited:
      return readBytes(b, n);
    case kFixed32: {
      uint32_t ignored32;
      return readFixed(ignored32);
    }
    default:
      return false;
    }
  }

private:
  const char *pos;
  const char *end;
};

/// Appends a repeated scalar field's value(s): one element, or a packed
/// run of them (protobuf accepts both encodings for packable fields).
template <typename T, typename Read>
bool readRepeated(WireReader &r, uint32_t wireType, uint32_t elementWire,
                  std::vector<T> &out, Read readOne) {
  if (wireType == elementWire)
    return readOne(r, out);
  if (wireType != kLengthDelimited)
    return r.skip(wireType); // protobuf keeps it as an unknown field
  const char *b;
  size_t n;
  if (!r.readBytes(b, n))
    return false;
  WireReader packed(b, b + n);
  while (!packed.atEnd())
    if (!readOne(packed, out))
      return false;
  return true;
}

template <typename T> bool readVarintInto(WireReader &r, std::vector<T> &out) {
  uint64_t v;
  if (!r.readVarint(v))
    return false;
  out.push_back(static_cast<T>(v)); // int32 truncates, as protobuf does
  return true;
}
template <typename T> bool readFixedInto(WireReader &r, std::vector<T> &out) {
  T v;
  if (!r.readFixed(v))
    return false;
  out.push_back(v);
  return true;
}

bool decodeTensorProto(const std::string &bytes, WireTensor &t) {
  WireReader r(bytes.data(), bytes.data() + bytes.size());
  while (!r.atEnd()) {
    uint64_t key;
    if (!r.readVarint(key) || (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
      return false;
    uint32_t field = static_cast<uint32_t>(key >> 3);
    uint32_t wire = static_cast<uint32_t>(key & 7);
    auto scalar = [&](int32_t &out) {
      if (wire != kVarint)
        return r.skip(wire);
      uint64_t v;
      if (!r.readVarint(v))
        return false;
      out = static_cast<int32_t>(v);
      return true;
    };
    auto bytesField = [&](std::string *out, bool *seen) {
      if (wire != kLengthDelimited)
        return r.skip(wire);
      const char *b;
      size_t n;
      if (!r.readBytes(b, n))
        return false;
      if (out)
        out->assign(b, n);
      if (seen)
        *seen = true;
      return true;
    };
    bool ok;
    switch (field) {
    case kDims:
      ok = readRepeated(r, wire, kVarint, t.dims, readVarintInto<int64_t>);
      break;
    case kDataType:
      ok = scalar(t.dataType);
      break;
    case kSegment:
      ok = bytesField(nullptr, &t.hasSegment);
      break;
    case kFloatData:
      ok = readRepeated(r, wire, kFixed32, t.floatData, readFixedInto<float>);
      break;
    case kInt32Data:
      ok = readRepeated(r, wire, kVarint, t.int32Data, readVarintInto<int32_t>);
      break;
    case kStringData: {
      bool seen = false;
      ok = bytesField(nullptr, &seen);
      t.stringDataCount += seen;
      break;
    }
    case kInt64Data:
      ok = readRepeated(r, wire, kVarint, t.int64Data, readVarintInto<int64_t>);
      break;
    case kName:
      ok = bytesField(&t.name, nullptr);
      break;
    case kRawData:
      ok = bytesField(&t.rawData, &t.hasRawData);
      break;
    case kDoubleData:
      ok = readRepeated(r, wire, kFixed64, t.doubleData,
                        readFixedInto<double>);
      break;
    case kUint64Data:
      ok = readRepeated(r, wire, kVarint, t.uint64Data,
                        readVarintInto<uint64_t>);
      break;
    case kDataLocation:
      ok = scalar(t.dataLocation);
      break;
    default:
      ok = r.skip(wire);
      break;
    }
    if (!ok)
      return false;
  }
  return true;
}

void writeVarint(std::string &out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void writeKey(std::string &out, uint32_t field, uint32_t wire) {
  writeVarint(out, (static_cast<uint64_t>(field) << 3) | wire);
}
void writeBytesField(std::string &out, uint32_t field, const void *data,
                     size_t size) {
  writeKey(out, field, kLengthDelimited);
  writeVarint(out, size);
  out.append(static_cast<const char *>(data), size);
}

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
  case kOnnxString:
    return "STRING";
  case kOnnxComplex64:
    return "COMPLEX64";
  case kOnnxComplex128:
    return "COMPLEX128";
  case kOnnxUndefined:
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
  WireTensor proto;
  if (!decodeTensorProto(bytes, proto)) {
    error = "not a valid serialized onnx.TensorProto";
    return false;
  }
  int32_t onnxType = proto.dataType;
  ElementType type = elementTypeFromOnnx(onnxType);
  if (type == ElementType::Undefined) {
    const char *name = onnxTypeName(onnxType);
    error = std::string("unsupported tensor element type ") +
            (name ? name : "") + " (" + std::to_string(onnxType) + ")";
    return false;
  }
  if (proto.dataLocation == kDataLocationExternal) {
    error = "tensors with external data are not supported";
    return false;
  }
  if (proto.hasSegment) {
    error = "segmented tensors are not supported";
    return false;
  }
  std::vector<int64_t> dims = std::move(proto.dims);
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
    size_t size;
  };
  const Field typed[] = {{"float_data", proto.floatData.size()},
                         {"int32_data", proto.int32Data.size()},
                         {"int64_data", proto.int64Data.size()},
                         {"double_data", proto.doubleData.size()},
                         {"uint64_data", proto.uint64Data.size()},
                         {"string_data", proto.stringDataCount}};
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
    typedCount = f.size;
  }
  bool hasRaw = proto.hasRawData && !proto.rawData.empty();
  if (hasRaw && typedField) {
    error = std::string("tensor has both raw_data and ") + typedField;
    return false;
  }

  out.name = std::move(proto.name);
  out.type = type;
  out.dims = std::move(dims);
  out.data.clear();
  std::string shape = "[";
  for (size_t i = 0; i < out.dims.size(); ++i)
    shape += (i ? "," : "") + std::to_string(out.dims[i]);
  shape += "]";

  if (hasRaw || !typedField) {
    size_t have = proto.rawData.size();
    if (have != count * elementSize) {
      error = "shape " + shape + " of " + elementTypeName(type) + " needs " +
              std::to_string(count * elementSize) +
              " bytes of data, file has " + std::to_string(have);
      return false;
    }
    out.data.assign(proto.rawData.begin(), proto.rawData.end());
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
    if (proto.floatData.size() != count)
      return wrongField();
    out.data.resize(count * 4);
    std::memcpy(out.data.data(), proto.floatData.data(), count * 4);
    return true;
  case ElementType::F64:
    if (proto.doubleData.size() != count)
      return wrongField();
    out.data.resize(count * 8);
    std::memcpy(out.data.data(), proto.doubleData.data(), count * 8);
    return true;
  case ElementType::I64:
    if (proto.int64Data.size() != count)
      return wrongField();
    out.data.resize(count * 8);
    std::memcpy(out.data.data(), proto.int64Data.data(), count * 8);
    return true;
  case ElementType::U64:
    if (proto.uint64Data.size() != count)
      return wrongField();
    out.data.resize(count * 8);
    std::memcpy(out.data.data(), proto.uint64Data.data(), count * 8);
    return true;
  case ElementType::U32:
    if (proto.uint64Data.size() != count)
      return wrongField();
    ok = narrowInto<uint32_t>(proto.uint64Data.data(), count, out.data,
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
    if (proto.int32Data.size() != count)
      return wrongField();
    const int32_t *src = proto.int32Data.data();
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
  // Fields in number order, as protobuf writes them.
  out.clear();
  for (int64_t d : tensor.dims) {
    writeKey(out, kDims, kVarint);
    writeVarint(out, static_cast<uint64_t>(d));
  }
  writeKey(out, kDataType, kVarint);
  writeVarint(out, static_cast<uint64_t>(static_cast<int32_t>(tensor.type)));
  writeBytesField(out, kName, tensor.name.data(), tensor.name.size());
  writeBytesField(out, kRawData, tensor.data.data(), tensor.data.size());
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
