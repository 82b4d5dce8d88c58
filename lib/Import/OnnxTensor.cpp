//===- OnnxTensor.cpp - TensorProto to MLIR elements attributes -----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Weights arrive as ONNX TensorProto: raw little-endian bytes, typed repeated
// fields, or external data files. Everything is validated before any large
// allocation (a hostile file can claim any shape). Large tensors become
// `dense_resource` blobs (one copy, never printed element by element); small
// ones become `dense` attributes that folders and tests can read.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternals.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;

namespace attnc::import {

Type convertElementType(MLIRContext *ctx, int32_t t) {
  Builder b(ctx);
  switch (t) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
    return b.getI8Type();
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return b.getI16Type();
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return b.getI32Type();
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
    return b.getI64Type();
  default:
    return {};
  }
}

StringRef dtypeName(int32_t t) {
  switch (t) {
  case onnx::TensorProto::FLOAT:
    return "f32";
  case onnx::TensorProto::DOUBLE:
    return "f64";
  case onnx::TensorProto::FLOAT16:
    return "f16";
  case onnx::TensorProto::BFLOAT16:
    return "bf16";
  case onnx::TensorProto::BOOL:
    return "bool";
  case onnx::TensorProto::INT8:
    return "i8";
  case onnx::TensorProto::UINT8:
    return "u8";
  case onnx::TensorProto::INT16:
    return "i16";
  case onnx::TensorProto::UINT16:
    return "u16";
  case onnx::TensorProto::INT32:
    return "i32";
  case onnx::TensorProto::UINT32:
    return "u32";
  case onnx::TensorProto::INT64:
    return "i64";
  case onnx::TensorProto::UINT64:
    return "u64";
  default:
    return "";
  }
}

StringRef onnxTypeName(int32_t t) {
  if (onnx::TensorProto::DataType_IsValid(t))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(t));
  return "<invalid>";
}

/// Bytes per element as stored in attnc buffers (bool: one byte).
static int64_t elementBytes(Type t) {
  if (t.isInteger(1))
    return 1;
  return (t.getIntOrFloatBitWidth() + 7) / 8;
}

/// Maps (or reads) the external data of `tensor` into `out`, refusing paths
/// that leave `baseDir`.
static LogicalResult
readExternalData(const onnx::TensorProto &tensor, StringRef baseDir,
                 int64_t expectedBytes,
                 std::unique_ptr<llvm::MemoryBuffer> &out,
                 function_ref<InFlightDiagnostic()> emitError) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &kv : tensor.external_data()) {
    if (kv.key() == "location")
      location = kv.value();
    else if (kv.key() == "offset" || kv.key() == "length") {
      long long v;
      if (StringRef(kv.value()).getAsInteger(10, v) || v < 0)
        return emitError() << "external data " << kv.key() << " '"
                           << kv.value() << "' is not a non-negative integer";
      (kv.key() == "offset" ? offset : length) = v;
    }
  }
  if (location.empty())
    return emitError() << "external data has no location";
  if (llvm::sys::path::is_absolute(location))
    return emitError() << "external data location '" << location
                       << "' is absolute; it must be relative to the model";
  for (auto it = llvm::sys::path::begin(location),
            e = llvm::sys::path::end(location);
       it != e; ++it)
    if (*it == "..")
      return emitError() << "external data location '" << location
                         << "' escapes the model's folder";
  SmallString<256> path(baseDir);
  llvm::sys::path::append(path, location);
  // Symlinks may still point outside: compare real paths.
  SmallString<256> realBase, realFile;
  if (llvm::sys::fs::real_path(baseDir.empty() ? "." : baseDir, realBase) ||
      llvm::sys::fs::real_path(path, realFile))
    return emitError() << "cannot open external data file '" << path << "'";
  if (!StringRef(realFile).starts_with((realBase + "/").str()))
    return emitError() << "external data location '" << location
                       << "' resolves outside the model's folder";
  if (length >= 0 && length != expectedBytes)
    return emitError() << "external data length " << length
                       << " does not match the " << expectedBytes
                       << " bytes its shape needs";
  uint64_t fileSize;
  if (llvm::sys::fs::file_size(realFile, fileSize))
    return emitError() << "cannot stat external data file '" << path << "'";
  if (static_cast<uint64_t>(offset) > fileSize ||
      fileSize - offset < static_cast<uint64_t>(expectedBytes))
    return emitError() << "external data file '" << path << "' has "
                       << fileSize << " bytes, too few for offset " << offset
                       << " + " << expectedBytes << " bytes";
  auto buffer = llvm::MemoryBuffer::getFileSlice(realFile, expectedBytes,
                                                 offset,
                                                 /*IsVolatile=*/false);
  if (!buffer)
    return emitError() << "cannot read external data file '" << path << "'";
  out = std::move(*buffer);
  return success();
}

/// Copies the typed repeated field of `tensor` into little-endian bytes.
template <typename Dst, typename Field>
static void appendField(const Field &field, std::vector<char> &out) {
  out.resize(field.size() * sizeof(Dst));
  for (int i = 0; i < field.size(); ++i) {
    Dst v = static_cast<Dst>(field.Get(i));
    std::memcpy(out.data() + i * sizeof(Dst), &v, sizeof(Dst));
  }
}

static void typedFieldBytes(const onnx::TensorProto &t, std::vector<char> &out) {
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    return appendField<float>(t.float_data(), out);
  case onnx::TensorProto::DOUBLE:
    return appendField<double>(t.double_data(), out);
  case onnx::TensorProto::INT64:
    return appendField<int64_t>(t.int64_data(), out);
  case onnx::TensorProto::UINT32:
    return appendField<uint32_t>(t.uint64_data(), out);
  case onnx::TensorProto::UINT64:
    return appendField<uint64_t>(t.uint64_data(), out);
  case onnx::TensorProto::INT32:
    return appendField<int32_t>(t.int32_data(), out);
  case onnx::TensorProto::INT16:
    return appendField<int16_t>(t.int32_data(), out);
  case onnx::TensorProto::UINT16:
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
    return appendField<uint16_t>(t.int32_data(), out);
  case onnx::TensorProto::INT8:
    return appendField<int8_t>(t.int32_data(), out);
  case onnx::TensorProto::UINT8:
    return appendField<uint8_t>(t.int32_data(), out);
  case onnx::TensorProto::BOOL:
    return appendField<uint8_t>(t.int32_data(), out);
  default:
    out.clear();
  }
}

/// A resource blob that owns `owner` (a std::string or a MemoryBuffer) and
/// views `data` inside it: the weight bytes are never copied.
template <typename Owner>
static AsmResourceBlob blobOwning(std::unique_ptr<Owner> owner,
                                  ArrayRef<char> data, size_t align) {
  return AsmResourceBlob(
      data, align,
      [owner = std::shared_ptr<Owner>(std::move(owner))](
          void *, size_t, size_t) mutable { owner.reset(); },
      /*dataIsMutable=*/false);
}

static FailureOr<ElementsAttr>
convertTensorImpl(MLIRContext *ctx, const onnx::TensorProto &tensor,
                  std::string *takeRawData, StringRef baseDir,
                  function_ref<InFlightDiagnostic()> emitError) {
  Type elementType = convertElementType(ctx, tensor.data_type());
  if (!elementType)
    return emitError() << "tensor '" << tensor.name() << "' has element type "
                       << onnxTypeName(tensor.data_type())
                       << ", which attnc does not support";
  if (tensor.has_segment())
    return emitError() << "tensor '" << tensor.name()
                       << "' is segmented; segmented tensors are not supported";
  // Validate the shape before allocating anything: at most 2^40 bytes.
  SmallVector<int64_t> shape;
  int64_t numElements = 1;
  const int64_t kMaxBytes = int64_t(1) << 40;
  int64_t elemBytes = elementBytes(elementType);
  for (int64_t d : tensor.dims()) {
    if (d < 0)
      return emitError() << "tensor '" << tensor.name()
                         << "' has negative dim " << d;
    if (d != 0 && numElements > kMaxBytes / elemBytes / d)
      return emitError() << "tensor '" << tensor.name()
                         << "' is too large (over 2^40 bytes)";
    numElements *= d;
    shape.push_back(d);
  }
  int64_t expectedBytes = numElements * elemBytes;

  // `data` views the bytes: the raw_data string, the mapped external data
  // file or `bytes` (typed fields, converted).
  std::vector<char> bytes;
  std::unique_ptr<llvm::MemoryBuffer> external;
  ArrayRef<char> data;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    if (failed(readExternalData(tensor, baseDir, expectedBytes, external,
                                emitError)))
      return failure();
    data =
        ArrayRef<char>(external->getBufferStart(), external->getBufferSize());
  } else if (tensor.has_raw_data()) {
    if (static_cast<int64_t>(tensor.raw_data().size()) != expectedBytes)
      return emitError() << "tensor '" << tensor.name() << "' has "
                         << tensor.raw_data().size()
                         << " bytes of raw data, but its shape and type need "
                         << expectedBytes;
    data = ArrayRef<char>(tensor.raw_data().data(), tensor.raw_data().size());
  } else {
    typedFieldBytes(tensor, bytes);
    if (static_cast<int64_t>(bytes.size()) != expectedBytes)
      return emitError() << "tensor '" << tensor.name() << "' holds "
                         << bytes.size() / elemBytes
                         << " elements, but its shape needs " << numElements;
    data = ArrayRef<char>(bytes);
  }

  auto type = RankedTensorType::get(shape, elementType);
  if (numElements == 0) // e.g. an empty shape tensor for a reshape to scalar
    return ElementsAttr(DenseElementsAttr::get(type, ArrayRef<Attribute>()));
  if (elementType.isInteger(1)) {
    SmallVector<bool> values;
    for (char c : data)
      values.push_back(c != 0);
    return ElementsAttr(DenseElementsAttr::get(type, values));
  }
  // Small tensors stay readable and foldable; big ones become blobs.
  constexpr int64_t kMaxDenseElements = 64;
  if (numElements <= kMaxDenseElements)
    return ElementsAttr(DenseElementsAttr::getFromRawBuffer(type, data));
  std::string blobName = tensor.name().empty() ? "tensor" : tensor.name();
  for (char &c : blobName)
    if (!llvm::isAlnum(c) && c != '_' && c != '.')
      c = '_';
  // Big weights are not copied: the blob takes over the protobuf's
  // raw_data string (initializers, whose ModelProto is ours) or the mapped
  // external data file. Their addresses are at least 16-byte aligned
  // (malloc, mmap), more than any element type needs.
  AsmResourceBlob blob;
  if (takeRawData && tensor.data_location() != onnx::TensorProto::EXTERNAL &&
      tensor.has_raw_data()) {
    auto owner = std::make_unique<std::string>(std::move(*takeRawData));
    ArrayRef<char> view(owner->data(), owner->size());
    blob = blobOwning(std::move(owner), view, elemBytes);
  } else if (external) {
    blob = blobOwning(std::move(external), data, elemBytes);
  } else {
    blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(data, /*align=*/64);
  }
  return ElementsAttr(
      DenseResourceElementsAttr::get(type, blobName, std::move(blob)));
}

FailureOr<ElementsAttr>
convertTensor(MLIRContext *ctx, const onnx::TensorProto &tensor,
              StringRef baseDir, function_ref<InFlightDiagnostic()> emitError) {
  return convertTensorImpl(ctx, tensor, /*takeRawData=*/nullptr, baseDir,
                           emitError);
}

FailureOr<ElementsAttr>
takeTensor(MLIRContext *ctx, onnx::TensorProto &tensor, StringRef baseDir,
           function_ref<InFlightDiagnostic()> emitError) {
  // mutable_raw_data() would mark raw_data present: ask first.
  std::string *raw =
      tensor.has_raw_data() ? tensor.mutable_raw_data() : nullptr;
  return convertTensorImpl(ctx, tensor, raw, baseDir, emitError);
}

} // namespace attnc::import
