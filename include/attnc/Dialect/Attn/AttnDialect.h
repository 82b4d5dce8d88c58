//===- AttnDialect.h - The attn dialect -------------------------*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTN_ATTNDIALECT_H
#define ATTNC_DIALECT_ATTN_ATTNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "attnc/Dialect/Attn/AttnOpsDialect.h.inc"

namespace attnc::attn {
// Argument/result attributes of the model function that describe the ONNX
// signature: the tensor name, its ONNX dtype (`f32`, `i64`, `u8`, ...) and
// its symbolic shape (an array of integers and dim-symbol strings).
constexpr llvm::StringLiteral kNameAttr = "attn.name";
constexpr llvm::StringLiteral kDTypeAttr = "attn.dtype";
constexpr llvm::StringLiteral kDimsAttr = "attn.dims";
/// On a result of @main: `{input = i, axis = a}`, the result is input `i`
/// with positions appended along `a` (attnc-mark-append-outputs).
constexpr llvm::StringLiteral kAppendAttr = "attn.append";
} // namespace attnc::attn

#endif // ATTNC_DIALECT_ATTN_ATTNDIALECT_H
