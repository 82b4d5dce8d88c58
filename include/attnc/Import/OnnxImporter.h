//===- OnnxImporter.h - ONNX protobuf to the attn dialect -------*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// The importer turns an ONNX model (binary protobuf, protobuf text format or
// the ONNX textual syntax) into a module holding `func.func @main` made of
// `attn` ops. It checks the model as it goes and reports every problem as an
// MLIR diagnostic that names the ONNX node; unsupported ops are all listed in
// one error. The ONNX protobuf headers stay private to lib/Import.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_IMPORT_ONNXIMPORTER_H
#define ATTNC_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace attnc {

/// How the bytes of a model file are encoded.
enum class OnnxFormat {
  Auto,      ///< From the file extension: .onnxtxt -> Text, .textproto/.pbtxt
             ///< -> TextProto, anything else -> Binary.
  Binary,    ///< Serialized ModelProto (`.onnx`).
  TextProto, ///< Protobuf text format of ModelProto.
  Text,      ///< The ONNX textual syntax (onnx/defs/parser.h).
};

struct ImportOptions {
  OnnxFormat format = OnnxFormat::Auto;
  /// Graph inputs to specialize: (input name, TensorProto file). Each named
  /// input becomes an initializer holding the file's value, so that shape
  /// parameters a graph takes as inputs (Reshape's shape, ReduceSum's axes)
  /// are known at compile time. The compiled model no longer has them.
  std::vector<std::pair<std::string, std::string>> constantInputs;
};

/// Imports the model at `path`. On failure, diagnostics have been emitted
/// through `context` and the result is null.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxFile(mlir::MLIRContext *context,
                                                 llvm::StringRef path,
                                                 const ImportOptions &options);

/// Imports a model from memory; `name` is the file name used in
/// diagnostics and to resolve external data (its folder). Used by the
/// fuzzer (test/fuzz), which must not touch the file system per input.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxBuffer(mlir::MLIRContext *context,
                                                   llvm::StringRef bytes,
                                                   llvm::StringRef name,
                                                   const ImportOptions &options);

/// One row of the supported-op table (`attnc --list-ops`).
struct SupportedOp {
  std::string domain;
  std::string opType;
  int minOpset;
  int maxOpset;
  std::string notes;
};

/// The ONNX ops the importer handles, sorted by domain and op type.
std::vector<SupportedOp> getSupportedOnnxOps();

/// The newest ai.onnx opset the importer accepts.
int getMaxSupportedOnnxOpset();

} // namespace attnc

#endif // ATTNC_IMPORT_ONNXIMPORTER_H
