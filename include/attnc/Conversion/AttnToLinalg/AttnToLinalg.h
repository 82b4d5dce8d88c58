//===- AttnToLinalg.h - attn to linalg conversion ---------------*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CONVERSION_ATTNTOLINALG_ATTNTOLINALG_H
#define ATTNC_CONVERSION_ATTNTOLINALG_ATTNTOLINALG_H

#include "mlir/Pass/Pass.h"
#include <memory>

namespace mlir {
class RewritePatternSet;
class TypeConverter;
} // namespace mlir

namespace attnc {

#define GEN_PASS_DECL_CONVERTATTNTOLINALG
#include "attnc/Conversion/Passes.h.inc"

/// Adds the patterns that lower every attn op to linalg/tensor/arith.
void populateAttnToLinalgConversionPatterns(mlir::RewritePatternSet &patterns);

} // namespace attnc

#endif // ATTNC_CONVERSION_ATTNTOLINALG_ATTNTOLINALG_H
