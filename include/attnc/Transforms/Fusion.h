//===- Fusion.h - Shared pieces of the attn fusion passes -------*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// The attention matcher is shared by attnc-fuse-attention (which rewrites
// what it matches) and the fusion report (which explains what it did not
// match), so the two can never disagree.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TRANSFORMS_FUSION_H
#define ATTNC_TRANSFORMS_FUSION_H

#include "attnc/Dialect/Attn/AttnOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

namespace attnc {

/// The value of a float constant splat of any shape. Callers check that
/// the splat does not broadcast what it is combined with.
std::optional<double> getScalarConstant(mlir::Value value);

/// The operand of the binary elementwise `op` that is not `chain`, if
/// `chain` is one of its operands and has the result's type (so `op` does
/// not broadcast it); null otherwise.
mlir::Value otherOperand(mlir::Operation *op, mlir::Value chain);

/// A location naming every op in `ops` (their own locations fused), tagged
/// with `kind` so that the report can tell fused regions apart.
mlir::Location fusedLocation(mlir::MLIRContext *ctx,
                             llvm::ArrayRef<mlir::Operation *> ops,
                             llvm::StringRef kind);

/// The ONNX node names in `loc` (NameLocs, through FusedLocs), in order,
/// without duplicates.
llvm::SmallVector<std::string> nodeNames(mlir::Location loc);

/// What attnc-fuse-attention matched around one softmax.
struct AttentionMatch {
  attn::SoftmaxOp softmax;
  attn::MatMulOp scores; // q · kᵀ
  attn::MatMulOp output; // softmax · v
  mlir::Value query, keyTransposed, value;
  /// Set when the scores are reshaped from rank 3 to rank 4 for the masks
  /// (and back before the softmax): the 4-D type of the scores.
  mlir::RankedTensorType raisedScores;
  attn::ReshapeOp raiseReshape;
  mlir::Value keepCondition; // attn.where condition
  bool keepWhenTrue = true;  // false: where(cond, fill, scores)
  llvm::SmallVector<mlir::Value> biases;
  double scale = 1.0;
  std::optional<double> fill;
  /// Every op the fused op replaces (for its location).
  llvm::SmallVector<mlir::Operation *> absorbed;
};

/// Matches the attention around `softmax`; on failure `whyNot` says why.
mlir::FailureOr<AttentionMatch> matchAttention(attn::SoftmaxOp softmax,
                                               std::string &whyNot);

/// True when `softmax` sits between two matmuls (through elementwise ops
/// and reshapes), i.e. looks like attention whether or not it fused.
bool isAttentionLike(attn::SoftmaxOp softmax);

void populateFuseAttentionPatterns(mlir::RewritePatternSet &patterns);
void populateFuseNormalizationPatterns(mlir::RewritePatternSet &patterns);
void populateFuseActivationsPatterns(mlir::RewritePatternSet &patterns);
void populateFuseLinearPatterns(mlir::RewritePatternSet &patterns);

/// Runs the patterns `populate` adds greedily on `root`; when they do not
/// converge, reports it (naming `passName`) and fails.
mlir::LogicalResult
applyFusionPatterns(mlir::Operation *root,
                    void (*populate)(mlir::RewritePatternSet &),
                    llvm::StringRef passName);

/// Writes the fusion report of `module` (see attnc-fusion-report).
void printFusionReport(mlir::ModuleOp module, llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_TRANSFORMS_FUSION_H
