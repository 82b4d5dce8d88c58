//===- OnnxBuild.cpp - attn op builders for decomposing handlers ----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "OnnxBuild.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace attnc;
using namespace attnc::import;

Type build::elementType(const OnnxValue &v) {
  return cast<RankedTensorType>(v.value.getType()).getElementType();
}

int64_t build::rank(const OnnxValue &v) { return v.shape.size(); }

OnnxValue build::transpose(NodeContext &nc, const OnnxValue &v,
                           ArrayRef<int64_t> perm) {
  bool identity = true;
  for (auto [i, p] : llvm::enumerate(perm))
    identity &= static_cast<int64_t>(i) == p;
  if (identity)
    return v;
  OnnxValue out = v;
  out.shape.clear();
  for (int64_t p : perm)
    out.shape.push_back(v.shape[p]);
  out.known.reset();
  out.value = attn::TransposeOp::create(
      nc.builder(), nc.loc, nc.tensorType(out.shape, elementType(v)), v.value,
      SmallVector<int64_t>(perm));
  return out;
}

OnnxValue build::reshape(NodeContext &nc, const OnnxValue &v,
                         const SymShape &shape) {
  OnnxValue out = v;
  out.shape = shape;
  out.known.reset();
  out.value = attn::ReshapeOp::create(nc.builder(), nc.loc,
                                      nc.tensorType(shape, elementType(v)),
                                      v.value, nc.dynamicDimValues(shape));
  return out;
}

FailureOr<OnnxValue> build::expand(NodeContext &nc, const OnnxValue &v,
                                   const SymShape &shape) {
  OnnxValue out = v;
  if (failed(broadcastShapes(nc, v.shape, shape, out.shape)))
    return failure();
  out.known.reset();
  out.value = attn::ExpandOp::create(nc.builder(), nc.loc,
                                     nc.tensorType(out.shape, elementType(v)),
                                     v.value, nc.dynamicDimValues(out.shape));
  return out;
}

FailureOr<OnnxValue> build::matmul(NodeContext &nc, const OnnxValue &a,
                                   const OnnxValue &b) {
  if (a.shape.size() < 2 || b.shape.size() < 2) {
    nc.emitError() << "internal: matmul of rank " << a.shape.size() << " and "
                   << b.shape.size() << " operands";
    return failure();
  }
  Dim k;
  if (failed(
          nc.symbols().unify(a.shape.back(), b.shape[b.shape.size() - 2], k))) {
    nc.emitError() << "contraction dims differ: "
                   << nc.symbols().resolve(a.shape.back()).size << " vs "
                   << nc.symbols().resolve(b.shape[b.shape.size() - 2]).size;
    return failure();
  }
  SymShape batchA(a.shape.begin(), a.shape.end() - 2);
  SymShape batchB(b.shape.begin(), b.shape.end() - 2);
  OnnxValue out = a;
  out.known.reset();
  if (failed(broadcastShapes(nc, batchA, batchB, out.shape)))
    return failure();
  out.shape.push_back(a.shape[a.shape.size() - 2]);
  out.shape.push_back(b.shape.back());
  out.value = attn::MatMulOp::create(nc.builder(), nc.loc,
                                     nc.tensorType(out.shape, elementType(a)),
                                     a.value, b.value);
  return out;
}

template <typename OpTy>
static FailureOr<OnnxValue> binary(NodeContext &nc, const OnnxValue &a,
                                   const OnnxValue &b) {
  OnnxValue out = a;
  out.known.reset();
  if (failed(broadcastShapes(nc, a.shape, b.shape, out.shape)))
    return failure();
  RankedTensorType type = nc.tensorType(out.shape, build::elementType(a));
  if constexpr (std::is_same_v<OpTy, attn::DivOp>)
    out.value = attn::DivOp::create(nc.builder(), nc.loc, type, a.value,
                                    b.value, a.isUnsigned);
  else
    out.value = OpTy::create(nc.builder(), nc.loc, type, a.value, b.value);
  return out;
}

FailureOr<OnnxValue> build::add(NodeContext &nc, const OnnxValue &a,
                                const OnnxValue &b) {
  return binary<attn::AddOp>(nc, a, b);
}
FailureOr<OnnxValue> build::sub(NodeContext &nc, const OnnxValue &a,
                                const OnnxValue &b) {
  return binary<attn::SubOp>(nc, a, b);
}
FailureOr<OnnxValue> build::mul(NodeContext &nc, const OnnxValue &a,
                                const OnnxValue &b) {
  return binary<attn::MulOp>(nc, a, b);
}
FailureOr<OnnxValue> build::div(NodeContext &nc, const OnnxValue &a,
                                const OnnxValue &b) {
  return binary<attn::DivOp>(nc, a, b);
}

FailureOr<OnnxValue> build::compare(NodeContext &nc,
                                    attn::ComparePredicate predicate,
                                    const OnnxValue &a, const OnnxValue &b) {
  OnnxValue out;
  if (failed(broadcastShapes(nc, a.shape, b.shape, out.shape)))
    return failure();
  out.onnxType = onnx::TensorProto::BOOL;
  out.value = attn::CompareOp::create(
      nc.builder(), nc.loc, nc.tensorType(out.shape, nc.builder().getI1Type()),
      predicate, a.value, b.value, a.isUnsigned);
  return out;
}

FailureOr<OnnxValue> build::where(NodeContext &nc, const OnnxValue &condition,
                                  const OnnxValue &x, const OnnxValue &y) {
  OnnxValue out = x;
  out.known.reset();
  SymShape xy;
  if (failed(broadcastShapes(nc, x.shape, y.shape, xy)) ||
      failed(broadcastShapes(nc, condition.shape, xy, out.shape)))
    return failure();
  out.value = attn::WhereOp::create(nc.builder(), nc.loc,
                                    nc.tensorType(out.shape, elementType(x)),
                                    condition.value, x.value, y.value);
  return out;
}

OnnxValue build::scalarOfType(NodeContext &nc, int32_t onnxType, double value) {
  Type type = convertElementType(nc.builder().getContext(), onnxType);
  auto tensorType = RankedTensorType::get({}, type);
  Attribute element;
  if (auto ft = dyn_cast<FloatType>(type))
    element = FloatAttr::get(ft, value);
  else
    element = IntegerAttr::get(type, static_cast<int64_t>(value));
  OnnxValue out;
  out.onnxType = onnxType;
  out.isUnsigned = dtypeName(onnxType).starts_with("u");
  out.value = attn::ConstantOp::create(
      nc.builder(), nc.loc, DenseElementsAttr::get(tensorType, element));
  return out;
}

OnnxValue build::scalar(NodeContext &nc, const OnnxValue &like, double value) {
  return scalarOfType(nc, like.onnxType, value);
}

OnnxValue build::softmax(NodeContext &nc, const OnnxValue &v, int64_t axis) {
  OnnxValue out = v;
  out.known.reset();
  out.value =
      attn::SoftmaxOp::create(nc.builder(), nc.loc, v.value.getType(), v.value,
                              nc.builder().getI64IntegerAttr(axis));
  return out;
}

OnnxValue build::tanh(NodeContext &nc, const OnnxValue &v) {
  OnnxValue out = v;
  out.known.reset();
  out.value =
      attn::TanhOp::create(nc.builder(), nc.loc, v.value.getType(), v.value);
  return out;
}

OnnxValue build::castTo(NodeContext &nc, const OnnxValue &v, int32_t onnxType) {
  OnnxValue out = v;
  out.onnxType = onnxType;
  out.isUnsigned = dtypeName(onnxType).starts_with("u");
  Type to = convertElementType(nc.builder().getContext(), onnxType);
  if (to == elementType(v))
    return out;
  out.known.reset();
  auto type = cast<RankedTensorType>(v.value.getType()).clone(to);
  out.value = attn::CastOp::create(nc.builder(), nc.loc, type, v.value,
                                   v.isUnsigned, out.isUnsigned);
  return out;
}

OnnxValue build::reduce(NodeContext &nc, attn::ReduceKind kind,
                        const OnnxValue &v, ArrayRef<int64_t> axes,
                        bool keepdims) {
  OnnxValue out = v;
  out.known.reset();
  out.shape.clear();
  for (int64_t d = 0; d < rank(v); ++d) {
    if (!llvm::is_contained(axes, d))
      out.shape.push_back(v.shape[d]);
    else if (keepdims)
      out.shape.push_back(Dim::fixed(1));
  }
  out.value = attn::ReduceOp::create(
      nc.builder(), nc.loc, nc.tensorType(out.shape, elementType(v)), kind,
      v.value, SmallVector<int64_t>(axes), keepdims, v.isUnsigned);
  return out;
}

FailureOr<OnnxValue> build::concat(NodeContext &nc, ArrayRef<OnnxValue> values,
                                   int64_t axis) {
  OnnxValue out = values.front();
  out.known.reset();
  if (values.size() == 1)
    return out;
  AffineExpr total = nc.symbols().expr(out.shape[axis]);
  SmallVector<Value> operands = {out.value};
  for (const OnnxValue &v : values.drop_front()) {
    for (int64_t d = 0; d < rank(out); ++d) {
      if (d == axis)
        continue;
      if (failed(nc.symbols().unify(out.shape[d], v.shape[d], out.shape[d]))) {
        nc.emitError() << "concatenated tensors differ in dim " << d;
        return failure();
      }
    }
    total = total + nc.symbols().expr(v.shape[axis]);
    operands.push_back(v.value);
  }
  out.shape[axis] = nc.symbols().derive(total);
  out.value = tensor::ConcatOp::create(
      nc.builder(), nc.loc, nc.tensorType(out.shape, elementType(out)), axis,
      operands);
  return out;
}

OnnxValue build::slice(NodeContext &nc, const OnnxValue &v, int64_t axis,
                       Dim offset, Dim size) {
  OpBuilder &b = nc.builder();
  auto fold = [&](Dim d) -> OpFoldResult {
    d = nc.symbols().resolve(d);
    if (d.sym < 0)
      return b.getIndexAttr(d.size);
    return nc.dimValue(d);
  };
  OnnxValue out = v;
  out.known.reset();
  out.shape[axis] = size;
  SmallVector<OpFoldResult> offsets, sizes, strides;
  for (int64_t d = 0; d < rank(v); ++d) {
    offsets.push_back(d == axis ? fold(offset) : b.getIndexAttr(0));
    sizes.push_back(fold(out.shape[d]));
    strides.push_back(b.getIndexAttr(1));
  }
  out.value = tensor::ExtractSliceOp::create(
      b, nc.loc, nc.tensorType(out.shape, elementType(v)), v.value, offsets,
      sizes, strides);
  return out;
}

OnnxValue build::iota(NodeContext &nc, Dim n) {
  OnnxValue zero = scalarOfType(nc, onnx::TensorProto::INT64, 0);
  OnnxValue one = scalarOfType(nc, onnx::TensorProto::INT64, 1);
  OnnxValue out = zero;
  out.shape = {n};
  out.value = attn::RangeOp::create(
      nc.builder(), nc.loc, nc.tensorType(out.shape, nc.builder().getI64Type()),
      zero.value, one.value, nc.dynamicDimValues(out.shape));
  return out;
}

OnnxValue build::dimScalar(NodeContext &nc, Dim d) {
  d = nc.symbols().resolve(d);
  if (d.sym < 0)
    return scalarOfType(nc, onnx::TensorProto::INT64, d.size);
  OpBuilder &b = nc.builder();
  Value i64 =
      arith::IndexCastOp::create(b, nc.loc, b.getI64Type(), nc.dimValue(d));
  OnnxValue out;
  out.onnxType = onnx::TensorProto::INT64;
  out.value = tensor::FromElementsOp::create(
      b, nc.loc, RankedTensorType::get({}, b.getI64Type()), ValueRange{i64});
  return out;
}
