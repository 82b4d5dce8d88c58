//===- OnnxBuild.h - attn op builders for decomposing handlers --*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Import. Handlers that decompose one ONNX op into several
// attn ops (Einsum, Tile, Trilu, Attention and the com.microsoft
// transformer ops) build them through these helpers, which keep the
// symbolic shape of every intermediate value like a handler would. Errors
// (shapes that do not broadcast or contract) are reported on the node.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_IMPORT_ONNXBUILD_H
#define ATTNC_LIB_IMPORT_ONNXBUILD_H

#include "ImporterInternals.h"

#include "attnc/Dialect/Attn/AttnOps.h"

namespace attnc::import::build {

mlir::Type elementType(const OnnxValue &v);
int64_t rank(const OnnxValue &v);

OnnxValue transpose(NodeContext &nc, const OnnxValue &v,
                    llvm::ArrayRef<int64_t> perm);
/// attn.reshape to `shape` (same number of elements, not checked).
OnnxValue reshape(NodeContext &nc, const OnnxValue &v, const SymShape &shape);
/// attn.expand to `shape` (numpy broadcasting of `v` to it).
mlir::FailureOr<OnnxValue> expand(NodeContext &nc, const OnnxValue &v,
                                  const SymShape &shape);
/// attn.matmul with batch broadcasting; unifies the contraction dims.
mlir::FailureOr<OnnxValue> matmul(NodeContext &nc, const OnnxValue &a,
                                  const OnnxValue &b);
/// Elementwise binary ops with numpy broadcasting.
mlir::FailureOr<OnnxValue> add(NodeContext &nc, const OnnxValue &a,
                               const OnnxValue &b);
mlir::FailureOr<OnnxValue> sub(NodeContext &nc, const OnnxValue &a,
                               const OnnxValue &b);
mlir::FailureOr<OnnxValue> mul(NodeContext &nc, const OnnxValue &a,
                               const OnnxValue &b);
mlir::FailureOr<OnnxValue> div(NodeContext &nc, const OnnxValue &a,
                               const OnnxValue &b);
mlir::FailureOr<OnnxValue> compare(NodeContext &nc,
                                   attn::ComparePredicate predicate,
                                   const OnnxValue &a, const OnnxValue &b);
mlir::FailureOr<OnnxValue> where(NodeContext &nc, const OnnxValue &condition,
                                 const OnnxValue &x, const OnnxValue &y);
/// A rank-0 constant of `like`'s element type.
OnnxValue scalar(NodeContext &nc, const OnnxValue &like, double value);
/// A rank-0 constant of ONNX element type `onnxType` (ints and floats).
OnnxValue scalarOfType(NodeContext &nc, int32_t onnxType, double value);
OnnxValue softmax(NodeContext &nc, const OnnxValue &v, int64_t axis);
OnnxValue tanh(NodeContext &nc, const OnnxValue &v);
OnnxValue castTo(NodeContext &nc, const OnnxValue &v, int32_t onnxType);
/// attn.reduce with keepdims.
OnnxValue reduce(NodeContext &nc, attn::ReduceKind kind, const OnnxValue &v,
                 llvm::ArrayRef<int64_t> axes, bool keepdims);
/// Concatenation along `axis` (tensor.concat).
mlir::FailureOr<OnnxValue>
concat(NodeContext &nc, llvm::ArrayRef<OnnxValue> values, int64_t axis);
/// The slice [offset, offset + size) of dim `axis` (tensor.extract_slice).
OnnxValue slice(NodeContext &nc, const OnnxValue &v, int64_t axis, Dim offset,
                Dim size);
/// The value of dim `d` as a rank-0 int64 tensor.
OnnxValue dimScalar(NodeContext &nc, Dim d);
/// 0, 1, ..., n-1 as a 1-D int64 tensor (attn.range).
OnnxValue iota(NodeContext &nc, Dim n);

} // namespace attnc::import::build

#endif // ATTNC_LIB_IMPORT_ONNXBUILD_H
