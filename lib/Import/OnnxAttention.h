//===- OnnxAttention.h - Shared pieces of attention imports -----*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Import: ONNX Attention (OnnxAttentionOps.cpp) and the
// com.microsoft attention ops (OnnxContribOps.cpp) build the same
// decomposed attention from these.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_IMPORT_ONNXATTENTION_H
#define ATTNC_LIB_IMPORT_ONNXATTENTION_H

#include "OnnxBuild.h"

namespace attnc::import::attention {

/// [B, S, H*D] -> [B, H, S, D]; `what` names the input in errors.
mlir::FailureOr<OnnxValue> splitHeads(NodeContext &nc, llvm::StringRef what,
                                      const OnnxValue &x, int64_t heads);
/// [B, H, S, D] -> [B, S, H*D].
OnnxValue mergeHeads(NodeContext &nc, const OnnxValue &x);
/// [B, H, T, D] -> [B, H*reps, T, D], each head repeated `reps` times in a
/// row (grouped-query attention).
mlir::FailureOr<OnnxValue> repeatHeads(NodeContext &nc, const OnnxValue &x,
                                       int64_t reps);
/// Bool [queries, keys]: key j is visible to query i when j <= i + past.
mlir::FailureOr<OnnxValue> causalKeep(NodeContext &nc, Dim queries, Dim keys,
                                      Dim past);
/// Masks `scores` where `keep` is false: to -inf (std::nullopt), or by
/// adding `filter`.
mlir::FailureOr<OnnxValue> maskScores(NodeContext &nc, const OnnxValue &scores,
                                      const OnnxValue &keep,
                                      std::optional<double> filter);

} // namespace attnc::import::attention

#endif // ATTNC_LIB_IMPORT_ONNXATTENTION_H
