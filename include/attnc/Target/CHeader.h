//===- CHeader.h - Typed C header for a compiled model ----------*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// `attnc --emit-header=FILE` writes, next to the model .so, a C header with a
// typed interface to that model: one struct field per input and output
// (named after the ONNX name, with its dtype and dims as a comment), macros
// for the indices, dtypes, ranks and static dims, and static inline
// wrappers `<name>_load`, `<name>_run`, `<name>_outputs_destroy` and
// `<name>_destroy` over the runtime C API (include/attnc-c/runtime.h).
// attnc_add_model (cmake/AttncModel.cmake) uses it; see README.md.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TARGET_CHEADER_H
#define ATTNC_TARGET_CHEADER_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace attnc {

/// Turns `text` into a C identifier: characters outside [A-Za-z0-9_] become
/// '_', a leading digit gets a '_' prefix, C keywords get a '_' suffix.
std::string makeCIdentifier(llvm::StringRef text);

/// Writes the header for the model whose metadata text (docs/abi.md) is
/// `metadata`. `name` is the C prefix of every declaration (made a C
/// identifier); `soPath` is the .so that `<name>_load(NULL, ...)` loads.
/// Fails with `error` set when the metadata cannot be parsed or the name
/// starts with the runtime's prefix `attnc_`.
mlir::LogicalResult writeCHeader(llvm::StringRef metadata, llvm::StringRef name,
                                 llvm::StringRef soPath, llvm::raw_ostream &os,
                                 std::string &error);

} // namespace attnc

#endif // ATTNC_TARGET_CHEADER_H
