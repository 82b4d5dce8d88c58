//===- LoweringUtils.h - Helpers shared by attn lowerings -------*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Conversion/AttnToLinalg: building destinations with dynamic
// sizes, numpy-broadcasting indexing maps and scalar arithmetic that works on
// floats and integers alike. Each op family has its own source file with a
// populate*Patterns function; AttnToLinalg.cpp collects them.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_CONVERSION_ATTNTOLINALG_LOWERINGUTILS_H
#define ATTNC_LIB_CONVERSION_ATTNTOLINALG_LOWERINGUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

namespace attnc::lowering {

/// Builds `tensor.empty` of `type`, taking each dynamic size from the
/// (value, dim) pair in `sources[i]`.
mlir::Value createEmpty(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type,
                        llvm::ArrayRef<std::pair<mlir::Value, int64_t>> sources);

/// Indexing map that reads `operand` (aligned to the right of a loop nest
/// whose loops `firstLoop...` are the result dims) with numpy broadcasting:
/// a static size-1 dim that broadcasts reads index 0.
mlir::AffineMap broadcastMap(mlir::MLIRContext *ctx,
                             mlir::RankedTensorType operand,
                             mlir::RankedTensorType result, unsigned numLoops,
                             unsigned firstLoop);

/// For each dim of `result`, the operand dim that carries its size (the
/// first operand whose aligned dim is not a broadcast 1).
llvm::SmallVector<std::pair<mlir::Value, int64_t>>
sizeSources(mlir::RankedTensorType result, llvm::ArrayRef<mlir::Value> operands);

/// The zero of `elementType`.
mlir::Value zeroOf(mlir::OpBuilder &b, mlir::Location loc,
                   mlir::Type elementType);

/// Scalar arithmetic on floats or (signless) integers.
mlir::Value addScalar(mlir::OpBuilder &b, mlir::Location l, mlir::Value x,
                      mlir::Value y, bool isFloat);
mlir::Value subScalar(mlir::OpBuilder &b, mlir::Location l, mlir::Value x,
                      mlir::Value y, bool isFloat);
mlir::Value mulScalar(mlir::OpBuilder &b, mlir::Location l, mlir::Value x,
                      mlir::Value y, bool isFloat);
mlir::Value divScalar(mlir::OpBuilder &b, mlir::Location l, mlir::Value x,
                      mlir::Value y, bool isFloat);

/// One parallel linalg.generic computing `resultType` from `operands`, each
/// read with numpy broadcasting; `body` maps the scalar operands to the
/// scalar result.
mlir::Value buildElementwiseGeneric(
    mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType resultType,
    mlir::ValueRange operands,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::ValueRange)>
        body);

/// A float constant of type `type`.
mlir::Value floatConstant(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Type type, double value);

/// Reduces `input` over `axes` (dropped from the result) into an
/// accumulator of `accType` filled with `initValue`; `combine(x, acc)` is
/// the reduction body (ReductionToLinalg.cpp).
mlir::Value buildReduction(
    mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
    llvm::ArrayRef<int64_t> axes, mlir::Type accType, mlir::Value initValue,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::Value, mlir::Value)>
        combine);

/// The number of elements of `input` over `axes`, as a scalar of `type`.
mlir::Value buildElementCount(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value input, llvm::ArrayRef<int64_t> axes,
                              mlir::Type type);

/// Pattern families (one source file each).
void populateElementwiseLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateContractionLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateDataMovementLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateNormalizationLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateElementwiseMathLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateReductionLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateAttentionLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateLinearLoweringPatterns(mlir::RewritePatternSet &patterns);

} // namespace attnc::lowering

#endif // ATTNC_LIB_CONVERSION_ATTNTOLINALG_LOWERINGUTILS_H
