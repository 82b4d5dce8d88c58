//===- ImportFuzzer.cpp - libFuzzer target: ONNX bytes -> attn module -----===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Feeds arbitrary bytes to the importer as a binary ModelProto: parse,
// import (every op handler, known-value folding, symbolic shapes) and
// verify. Any crash, sanitizer report, hang or huge allocation is a bug;
// refusing the input with a diagnostic is the expected outcome.
//
//===----------------------------------------------------------------------===//

#include "attnc/Import/OnnxImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A fresh context per input: attributes are uniqued in the context for
  // its lifetime, so a shared one would grow without bound. The importer
  // loads the dialects it needs.
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  // Diagnostics are the expected result; printing them would only slow the
  // fuzzer down.
  mlir::ScopedDiagnosticHandler quiet(&context,
                                      [](mlir::Diagnostic &) {
                                        return mlir::success();
                                      });
  attnc::ImportOptions options;
  options.format = attnc::OnnxFormat::Binary;
  // External data resolves against a folder that does not exist, so no
  // input can make the fuzzer read real files.
  mlir::OwningOpRef<mlir::ModuleOp> module = attnc::importOnnxBuffer(
      &context,
      llvm::StringRef(reinterpret_cast<const char *>(data), size),
      "/nonexistent-attnc-fuzz/model.onnx", options);
  // The importer verifies before it returns; a module that fails now means
  // it handed out invalid IR.
  if (module && mlir::failed(mlir::verify(*module)))
    std::abort();
  return 0;
}
