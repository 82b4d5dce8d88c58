//===- TensorProtoIOTest.cpp - AttncTensorIO
//-------------------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Support/TensorProtoIO.h"

// onnx_pb.h defines ONNX_API, which the generated onnx-ml.pb.h needs.
#include "onnx/onnx_pb.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <filesystem>

using namespace attnc;

namespace {

std::string serialize(const onnx::TensorProto &p) {
  std::string s;
  EXPECT_TRUE(p.SerializeToString(&s));
  return s;
}

onnx::TensorProto proto(int32_t type, std::vector<int64_t> dims) {
  onnx::TensorProto p;
  p.set_name("t");
  p.set_data_type(type);
  for (int64_t d : dims)
    p.add_dims(d);
  return p;
}

template <typename T> std::vector<T> values(const HostTensor &t) {
  std::vector<T> v(t.data.size() / sizeof(T));
  std::memcpy(v.data(), t.data.data(), t.data.size());
  return v;
}

bool parse(const onnx::TensorProto &p, HostTensor &t, std::string &error) {
  return parseTensorProto(serialize(p), t, error);
}

TEST(TensorProtoIOTest, RoundTripEveryType) {
  ElementType types[] = {ElementType::F32,  ElementType::F64, ElementType::F16,
                         ElementType::BF16, ElementType::I8,  ElementType::I16,
                         ElementType::I32,  ElementType::I64, ElementType::U8,
                         ElementType::U16,  ElementType::U32, ElementType::U64,
                         ElementType::Bool};
  for (ElementType type : types) {
    SCOPED_TRACE(elementTypeName(type));
    HostTensor t;
    t.name = "x";
    t.type = type;
    t.dims = {2, 3};
    t.data.resize(6 * elementTypeSize(type));
    for (size_t i = 0; i < t.data.size(); ++i)
      t.data[i] = static_cast<uint8_t>(type == ElementType::Bool ? i % 2 : i);
    std::string bytes, error;
    ASSERT_TRUE(serializeTensorProto(t, bytes, error)) << error;
    HostTensor back;
    ASSERT_TRUE(parseTensorProto(bytes, back, error)) << error;
    EXPECT_EQ(back.name, "x");
    EXPECT_EQ(back.type, type);
    EXPECT_EQ(back.dims, t.dims);
    EXPECT_EQ(back.data, t.data);
  }
}

TEST(TensorProtoIOTest, Scalar) {
  auto p = proto(onnx::TensorProto::INT64, {});
  p.add_int64_data(-5);
  HostTensor t;
  std::string error;
  ASSERT_TRUE(parse(p, t, error)) << error;
  EXPECT_TRUE(t.dims.empty());
  EXPECT_EQ(values<int64_t>(t), std::vector<int64_t>{-5});
}

TEST(TensorProtoIOTest, TypedFields) {
  HostTensor t;
  std::string error;

  auto f = proto(onnx::TensorProto::FLOAT, {2});
  f.add_float_data(1.5f);
  f.add_float_data(-2);
  ASSERT_TRUE(parse(f, t, error)) << error;
  EXPECT_EQ(values<float>(t), (std::vector<float>{1.5f, -2}));

  auto d = proto(onnx::TensorProto::DOUBLE, {1});
  d.add_double_data(0.25);
  ASSERT_TRUE(parse(d, t, error)) << error;
  EXPECT_EQ(values<double>(t), std::vector<double>{0.25});

  auto i8 = proto(onnx::TensorProto::INT8, {3});
  for (int v : {-128, 0, 127})
    i8.add_int32_data(v);
  ASSERT_TRUE(parse(i8, t, error)) << error;
  EXPECT_EQ(values<int8_t>(t), (std::vector<int8_t>{-128, 0, 127}));

  auto u16 = proto(onnx::TensorProto::UINT16, {1});
  u16.add_int32_data(65535);
  ASSERT_TRUE(parse(u16, t, error)) << error;
  EXPECT_EQ(values<uint16_t>(t), std::vector<uint16_t>{65535});

  auto b = proto(onnx::TensorProto::BOOL, {3});
  for (int v : {0, 1, 5})
    b.add_int32_data(v);
  ASSERT_TRUE(parse(b, t, error)) << error;
  EXPECT_EQ(values<uint8_t>(t), (std::vector<uint8_t>{0, 1, 1}));

  auto h = proto(onnx::TensorProto::FLOAT16, {1});
  h.add_int32_data(0x3c00);
  ASSERT_TRUE(parse(h, t, error)) << error;
  EXPECT_EQ(halfToFloat(values<uint16_t>(t)[0]), 1.0f);

  auto bf = proto(onnx::TensorProto::BFLOAT16, {1});
  bf.add_int32_data(0x4000);
  ASSERT_TRUE(parse(bf, t, error)) << error;
  EXPECT_EQ(bf16ToFloat(values<uint16_t>(t)[0]), 2.0f);

  auto u32 = proto(onnx::TensorProto::UINT32, {1});
  u32.add_uint64_data(4000000000u);
  ASSERT_TRUE(parse(u32, t, error)) << error;
  EXPECT_EQ(values<uint32_t>(t), std::vector<uint32_t>{4000000000u});

  auto u64 = proto(onnx::TensorProto::UINT64, {1});
  u64.add_uint64_data(UINT64_MAX);
  ASSERT_TRUE(parse(u64, t, error)) << error;
  EXPECT_EQ(values<uint64_t>(t), std::vector<uint64_t>{UINT64_MAX});

  auto i64 = proto(onnx::TensorProto::INT64, {2});
  i64.add_int64_data(INT64_MIN);
  i64.add_int64_data(INT64_MAX);
  ASSERT_TRUE(parse(i64, t, error)) << error;
  EXPECT_EQ(values<int64_t>(t), (std::vector<int64_t>{INT64_MIN, INT64_MAX}));
}

struct Bad {
  const char *label;
  onnx::TensorProto proto;
  const char *message;
};

TEST(TensorProtoIOTest, RejectsBadTensors) {
  std::vector<Bad> cases;
  auto add = [&](const char *label, onnx::TensorProto p, const char *msg) {
    cases.push_back({label, std::move(p), msg});
  };
  {
    auto p = proto(onnx::TensorProto::FLOAT, {2, 3});
    p.set_raw_data(std::string(20, '\0'));
    add("short raw data", p, "needs 24 bytes of data, file has 20");
  }
  {
    auto p = proto(onnx::TensorProto::FLOAT, {2});
    add("no data", p, "needs 8 bytes of data, file has 0");
  }
  {
    auto p = proto(onnx::TensorProto::FLOAT, {INT64_MAX, INT64_MAX});
    p.set_raw_data("abcd");
    add("enormous dims", p, "too large");
  }
  {
    auto p = proto(onnx::TensorProto::FLOAT, {int64_t(1) << 40});
    p.set_raw_data("abcd");
    add("large dims", p, "too large");
  }
  {
    auto p = proto(onnx::TensorProto::FLOAT, {2, -1});
    add("negative dim", p, "dim 1 is negative");
  }
  {
    auto p = proto(onnx::TensorProto::STRING, {1});
    p.add_string_data("hello");
    add("string", p, "unsupported tensor element type STRING (8)");
  }
  {
    auto p = proto(onnx::TensorProto::COMPLEX64, {1});
    add("complex", p, "COMPLEX64");
  }
  {
    auto p = proto(onnx::TensorProto::UNDEFINED, {1});
    add("undefined", p, "UNDEFINED");
  }
  {
    auto p = proto(onnx::TensorProto::FLOAT, {2});
    p.add_float_data(1);
    add("short typed data", p, "needs 2 elements, float_data has 1");
  }
  {
    auto p = proto(onnx::TensorProto::FLOAT, {1});
    p.add_int32_data(1);
    add("wrong field", p, "int32_data cannot hold f32");
  }
  {
    auto p = proto(onnx::TensorProto::INT8, {1});
    p.add_int32_data(300);
    add("int8 out of range", p, "out of range");
  }
  {
    auto p = proto(onnx::TensorProto::UINT32, {1});
    p.add_uint64_data(uint64_t(1) << 40);
    add("uint32 out of range", p, "out of range");
  }
  {
    auto p = proto(onnx::TensorProto::FLOAT, {1});
    p.add_float_data(1);
    p.set_raw_data("abcd");
    add("raw and typed", p, "both raw_data and float_data");
  }
  {
    auto p = proto(onnx::TensorProto::FLOAT, {1});
    p.add_float_data(1);
    p.add_int64_data(1);
    add("two typed fields", p, "both float_data and int64_data");
  }
  {
    auto p = proto(onnx::TensorProto::FLOAT, {1});
    p.set_data_location(onnx::TensorProto::EXTERNAL);
    add("external", p, "external data");
  }
  for (const Bad &c : cases) {
    SCOPED_TRACE(c.label);
    HostTensor t;
    std::string error;
    EXPECT_FALSE(parse(c.proto, t, error));
    EXPECT_NE(error.find(c.message), std::string::npos) << error;
  }
}

TEST(TensorProtoIOTest, RejectsGarbageAndMissingFiles) {
  HostTensor t;
  std::string error;
  EXPECT_FALSE(parseTensorProto("this is not a protobuf", t, error));
  EXPECT_NE(error.find("not a valid"), std::string::npos) << error;
  EXPECT_FALSE(readTensorProtoFile("/nonexistent/x.pb", t, error));
  EXPECT_NE(error.find("cannot open '/nonexistent/x.pb'"), std::string::npos)
      << error;
}

// AttncTensorIO decodes the wire format itself (no protobuf library, so it
// cross-builds); these cases pin it to protobuf's behaviour.
TEST(TensorProtoIOTest, WritesWhatProtobufReads) {
  HostTensor t;
  t.name = "y";
  t.type = ElementType::F32;
  t.dims = {2, 0, 3};
  std::string bytes, error;
  ASSERT_TRUE(serializeTensorProto(t, bytes, error)) << error;
  onnx::TensorProto p;
  ASSERT_TRUE(p.ParseFromString(bytes));
  EXPECT_EQ(p.name(), "y");
  EXPECT_EQ(p.data_type(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(std::vector<int64_t>(p.dims().begin(), p.dims().end()),
            (std::vector<int64_t>{2, 0, 3}));
  EXPECT_TRUE(p.has_raw_data());
  EXPECT_TRUE(p.raw_data().empty());
}

TEST(TensorProtoIOTest, WireFormatVariants) {
  // Hand-written bytes: dims packed (protobuf writes them one per key),
  // float_data unpacked (protobuf packs it), negative int32 as a 10-byte
  // varint, and unknown fields of every wire type in between.
  std::string b;
  auto byte = [&](std::initializer_list<int> v) {
    for (int x : v)
      b.push_back(static_cast<char>(x));
  };
  byte({0x0a, 0x02, 0x01, 0x02});           // dims: packed [1, 2]
  byte({0x10, 0x01});                       // data_type: FLOAT
  byte({0xf8, 0x06, 0x07});                 // field 111 varint (unknown)
  byte({0x81, 0x07, 0, 0, 0, 0, 0, 0, 0, 0}); // field 112 fixed64
  byte({0x8a, 0x07, 0x01, 0x00});           // field 113 bytes
  byte({0x95, 0x07, 0, 0, 0, 0});           // field 114 fixed32
  byte({0x25, 0x00, 0x00, 0x80, 0x3f});     // float_data 1.0 (unpacked)
  byte({0x25, 0x00, 0x00, 0x00, 0xc0});     // float_data -2.0 (unpacked)
  byte({0x42, 0x01, 'z'});                  // name "z"
  HostTensor t;
  std::string error;
  ASSERT_TRUE(parseTensorProto(b, t, error)) << error;
  EXPECT_EQ(t.name, "z");
  EXPECT_EQ(t.dims, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(values<float>(t), (std::vector<float>{1.0f, -2.0f}));

  auto i32 = proto(onnx::TensorProto::INT32, {1});
  i32.add_int32_data(-5);
  ASSERT_TRUE(parse(i32, t, error)) << error;
  EXPECT_EQ(values<int32_t>(t), (std::vector<int32_t>{-5}));

  // Truncated messages and over-long varints are malformed.
  auto f = proto(onnx::TensorProto::FLOAT, {1});
  f.set_raw_data("abcd");
  std::string whole = serialize(f);
  for (size_t cut = 1; cut < whole.size(); ++cut) {
    // A cut between fields is a valid (smaller) message, inside one it is
    // malformed: agree with protobuf on which.
    std::string part = whole.substr(0, cut);
    onnx::TensorProto reference;
    bool wellFormed = reference.ParseFromString(part);
    HostTensor ignored;
    error.clear();
    parseTensorProto(part, ignored, error);
    EXPECT_EQ(error.find("not a valid") == std::string::npos, wellFormed)
        << "cut at " << cut << ": " << error;
  }
  EXPECT_FALSE(parseTensorProto(whole.substr(0, whole.size() - 1), t, error));
  EXPECT_FALSE(parseTensorProto(std::string(11, '\xff'), t, error));
  EXPECT_NE(error.find("not a valid"), std::string::npos) << error;
  // Field number 0 is invalid.
  EXPECT_FALSE(parseTensorProto(std::string("\x00\x01", 2), t, error));
}

TEST(TensorProtoIOTest, FileRoundTrip) {
  std::filesystem::create_directories(ATTNC_TEST_TMPDIR);
  std::string path = std::string(ATTNC_TEST_TMPDIR) + "/roundtrip.pb";
  HostTensor t;
  t.name = "y";
  t.type = ElementType::I32;
  t.dims = {2};
  t.data = {1, 0, 0, 0, 2, 0, 0, 0};
  std::string error;
  ASSERT_TRUE(writeTensorProtoFile(path, t, error)) << error;
  HostTensor back;
  ASSERT_TRUE(readTensorProtoFile(path, back, error)) << error;
  EXPECT_EQ(back.data, t.data);

  t.data.pop_back(); // no longer matches the shape
  EXPECT_FALSE(writeTensorProtoFile(path, t, error));
  EXPECT_NE(error.find("does not match"), std::string::npos) << error;
}

TEST(TensorProtoIOTest, HalfConversions) {
  EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00); // rounds to infinity
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -26)), 0x0000);
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00); // tie: even
  EXPECT_EQ(floatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(NAN))));
  EXPECT_EQ(halfToFloat(0x7c00), INFINITY);
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(halfToFloat(0x3555), 0.333251953125f);
  for (uint32_t bits = 0; bits < 0x7c00; ++bits)
    ASSERT_EQ(floatToHalf(halfToFloat(static_cast<uint16_t>(bits))), bits);

  EXPECT_EQ(floatToBf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(floatToBf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80); // tie: even
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(NAN))));
}

TEST(TensorProtoIOTest, CheckedNumElements) {
  size_t n = 0;
  EXPECT_TRUE(checkedNumElements({2, 3}, 4, 1000, n));
  EXPECT_EQ(n, 6u);
  EXPECT_FALSE(checkedNumElements({2, 3}, 4, 23, n));
  EXPECT_FALSE(checkedNumElements({-1}, 4, 1000, n));
  EXPECT_FALSE(checkedNumElements({0, -1}, 4, 1000, n));
  EXPECT_TRUE(checkedNumElements({INT64_MAX, 0}, 4, 1000, n));
  EXPECT_EQ(n, 0u);
  EXPECT_TRUE(checkedNumElements({}, 4, 1000, n));
  EXPECT_EQ(n, 1u);
}

} // namespace
