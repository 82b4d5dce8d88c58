//===- Passes.h - attnc graph and module passes -----------------*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TRANSFORMS_PASSES_H
#define ATTNC_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <optional>

namespace attnc {

#define GEN_PASS_DECL
#include "attnc/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "attnc/Transforms/Passes.h.inc"

/// Name of the module attribute holding the ABI metadata text.
/// The number XY of a GPU architecture name `sm_XY`, or nullopt for any
/// other text (--gpu-arch, attnc-gpu-fatbin).
inline std::optional<unsigned> parseGPUArch(llvm::StringRef arch) {
  unsigned sm = 0;
  if (!arch.consume_front("sm_") || arch.getAsInteger(10, sm))
    return std::nullopt;
  return sm;
}

constexpr llvm::StringLiteral kMetadataAttrName = "attnc.metadata";
/// Name of the module attribute mapping weight symbols to their data.
constexpr llvm::StringLiteral kWeightsAttrName = "attnc.weights";
/// Name of the generated entry function (see docs/abi.md).
constexpr llvm::StringLiteral kEntryFunctionName = "attnc_main";
/// Unit attribute attnc-entry-abi puts on the entry arguments that are
/// model outputs (the model writes them).
constexpr llvm::StringLiteral kOutputArgAttrName = "attnc.output";

} // namespace attnc

#endif // ATTNC_TRANSFORMS_PASSES_H
