//===- OnnxTensorOps.cpp - Data-movement and constant ONNX ops --------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternals.h"
#include "OnnxBuild.h"

#include "attnc/Dialect/Attn/AttnOps.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace attnc;
using namespace attnc::import;

namespace {

LogicalResult importTranspose(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  const OnnxValue &in = nc.input(0);
  int64_t rank = in.shape.size();
  std::vector<int64_t> perm;
  if (auto p = nc.intsAttr("perm")) {
    perm = *p;
  } else {
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  }
  if (static_cast<int64_t>(perm.size()) != rank)
    return nc.emitError() << "perm has " << perm.size()
                          << " entries for a rank-" << rank << " input";
  SmallVector<bool> seen(rank, false);
  OnnxValue out = in;
  out.shape.clear();
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return nc.emitError() << "perm is not a permutation of 0.." << rank - 1;
    seen[p] = true;
    out.shape.push_back(in.shape[p]);
  }
  Type elementType = cast<RankedTensorType>(in.value.getType()).getElementType();
  out.value = attn::TransposeOp::create(nc.builder(), nc.loc,
                                        nc.tensorType(out.shape, elementType),
                                        in.value, perm);
  nc.setOutput(0, out);
  return success();
}

LogicalResult importConstant(NodeContext &nc) {
  MLIRContext *ctx = nc.builder().getContext();
  if (nc.node.attribute_size() != 1)
    return nc.emitError() << "expects exactly one value attribute, got "
                          << nc.node.attribute_size();
  const onnx::AttributeProto &a = nc.node.attribute(0);
  onnx::TensorProto tensor;
  if (a.name() == "value") {
    tensor = a.t();
  } else if (a.name() == "value_float") {
    tensor.set_data_type(onnx::TensorProto::FLOAT);
    tensor.add_float_data(a.f());
  } else if (a.name() == "value_floats") {
    tensor.set_data_type(onnx::TensorProto::FLOAT);
    tensor.add_dims(a.floats_size());
    *tensor.mutable_float_data() = a.floats();
  } else if (a.name() == "value_int") {
    tensor.set_data_type(onnx::TensorProto::INT64);
    tensor.add_int64_data(a.i());
  } else if (a.name() == "value_ints") {
    tensor.set_data_type(onnx::TensorProto::INT64);
    tensor.add_dims(a.ints_size());
    *tensor.mutable_int64_data() = a.ints();
  } else {
    return nc.emitError() << "Constant attribute '" << a.name()
                          << "' is not supported";
  }
  if (tensor.name().empty())
    tensor.set_name(nc.node.output_size() ? nc.node.output(0) : "constant");
  // Constant nodes never carry external data in practice; refusing it
  // keeps file access to initializers, whose paths are checked.
  FailureOr<ElementsAttr> attr =
      convertTensor(ctx, tensor, "", [&]() { return nc.emitError(); });
  if (failed(attr))
    return failure();
  OnnxValue out;
  out.value = attn::ConstantOp::create(nc.builder(), nc.loc, cast<TypedAttr>(*attr));
  for (int64_t d : attr->getShapedType().getShape())
    out.shape.push_back(Dim::fixed(d));
  out.onnxType = tensor.data_type();
  out.isUnsigned = dtypeName(tensor.data_type()).starts_with("u");
  nc.setOutput(0, out);
  return success();
}

LogicalResult importIdentity(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  nc.setOutput(0, nc.input(0));
  return success();
}

LogicalResult importGatherElements(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  const OnnxValue &data = nc.input(0), &indices = nc.input(1);
  int64_t rank = data.shape.size();
  if (rank < 1 || static_cast<int64_t>(indices.shape.size()) != rank)
    return nc.emitError() << "data and indices must have one rank >= 1, got "
                          << rank << " and " << indices.shape.size();
  if (indices.onnxType != onnx::TensorProto::INT64 &&
      indices.onnxType != onnx::TensorProto::INT32)
    return nc.emitError() << "indices must be int32 or int64, got "
                          << onnxTypeName(indices.onnxType);
  int64_t axis = nc.intAttr("axis", 0);
  if (axis < -rank || axis >= rank)
    return nc.emitError() << "axis " << axis << " is out of range for rank "
                          << rank;
  if (axis < 0)
    axis += rank;
  OnnxValue out = data;
  out.known.reset();
  out.shape = indices.shape;
  out.value = attn::GatherElementsOp::create(
      nc.builder(), nc.loc,
      nc.tensorType(out.shape, build::elementType(data)), data.value,
      indices.value, nc.builder().getI64IntegerAttr(axis));
  nc.setOutput(0, out);
  return success();
}

/// ScatterND (opsets 11-24): `reduction` from opset 16 (none/add/mul) and
/// 18 (max/min). The index tuple length k must be known at compile time;
/// updates must have shape indices.shape[:-1] ++ data.shape[k:].
LogicalResult importScatterND(NodeContext &nc) {
  if (failed(requireInputs(nc, 3)))
    return failure();
  const OnnxValue &data = nc.input(0), &indices = nc.input(1),
                  &updates = nc.input(2);
  if (failed(checkSameElementType(nc, data, updates)))
    return failure();
  if (indices.onnxType != onnx::TensorProto::INT64)
    return nc.emitError() << "indices must be int64, got "
                          << onnxTypeName(indices.onnxType);
  int64_t rank = data.shape.size();
  if (rank < 1 || indices.shape.empty())
    return nc.emitError() << "data and indices must have rank >= 1, got "
                          << rank << " and " << indices.shape.size();
  Dim last = nc.symbols().resolve(indices.shape.back());
  if (last.sym >= 0)
    return nc.emitError()
           << "the last dim of indices (the index tuple length) must be "
              "known at compile time";
  int64_t k = last.size;
  if (k < 1 || k > rank)
    return nc.emitError() << "the last dim of indices (" << k
                          << ") must be in 1.." << rank;
  SymShape expected(indices.shape.begin(), indices.shape.end() - 1);
  expected.append(data.shape.begin() + k, data.shape.end());
  if (updates.shape.size() != expected.size())
    return nc.emitError() << "updates must have rank " << expected.size()
                          << " (indices.shape[:-1] ++ data.shape[" << k
                          << ":]), got " << updates.shape.size();
  for (size_t d = 0; d < expected.size(); ++d) {
    Dim unified;
    if (failed(nc.symbols().unify(expected[d], updates.shape[d], unified)))
      return nc.emitError()
             << "updates dim " << d
             << " contradicts indices.shape[:-1] ++ data.shape[" << k << ":]";
  }

  using R = attn::ScatterReduction;
  R reduction = R::none;
  if (const onnx::AttributeProto *a = nc.attr("reduction")) {
    std::optional<R> parsed = attn::symbolizeScatterReduction(a->s());
    int minOpset = (parsed == R::max || parsed == R::min) ? 18 : 16;
    if (!parsed || nc.opset < minOpset)
      return nc.emitError() << "reduction '" << a->s()
                            << "' is not defined in opset " << nc.opset;
    reduction = *parsed;
  }
  OnnxValue out = data;
  out.known.reset();
  out.value = attn::ScatterNDOp::create(
      nc.builder(), nc.loc, data.value.getType(), reduction, data.value,
      indices.value, updates.value, data.isUnsigned);
  nc.setOutput(0, out);
  return success();
}

/// Tile with repeats known at compile time, as reshape -> expand ->
/// reshape: [d0, d1] with repeats [r0, r1] becomes [1, d0, 1, d1], then
/// [r0, d0, r1, d1], then [r0 * d0, r1 * d1]. Dynamic dims stay symbolic.
LogicalResult importTile(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  const OnnxValue &in = nc.input(0);
  auto known = nc.knownInput(1, "repeats");
  if (failed(known))
    return failure();
  int64_t rank = in.shape.size();
  if (static_cast<int64_t>(known->size()) != rank)
    return nc.emitError() << "repeats has " << known->size()
                          << " entries for a rank-" << rank << " input";
  DimSymbols &s = nc.symbols();
  SymShape split, expanded, result;
  bool identity = true;
  for (int64_t d = 0; d < rank; ++d) {
    Dim r = s.resolve((*known)[d]);
    if (r.sym >= 0)
      return nc.emitError() << "repeats must be constant, but depends on '"
                            << s.name(r.sym) << "'";
    if (r.size < 0)
      return nc.emitError() << "repeats must be >= 0, got " << r.size;
    if (r.size != 1) {
      identity = false;
      split.push_back(Dim::fixed(1));
      expanded.push_back(Dim::fixed(r.size));
    }
    split.push_back(in.shape[d]);
    expanded.push_back(in.shape[d]);
    result.push_back(s.derive(s.expr(in.shape[d]) * r.size));
  }
  if (identity) {
    nc.setOutput(0, in);
    return success();
  }
  OnnxValue v = build::reshape(nc, in, split);
  FailureOr<OnnxValue> e = build::expand(nc, v, expanded);
  if (failed(e))
    return failure();
  nc.setOutput(0, build::reshape(nc, *e, result));
  return success();
}

/// Trilu of a constant input with a constant k folds to a constant.
static Value foldTrilu(NodeContext &nc, const OnnxValue &in,
                       std::optional<int64_t> k, bool upper) {
  auto constant = in.value.getDefiningOp<attn::ConstantOp>();
  if (!constant || !k)
    return {};
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  auto type = cast<RankedTensorType>(in.value.getType());
  if (!dense || !type.hasStaticShape())
    return {};
  SmallVector<Attribute> values(dense.getValues<Attribute>());
  int64_t rows = type.getDimSize(type.getRank() - 2);
  int64_t cols = type.getDimSize(type.getRank() - 1);
  Attribute zero = nc.builder().getZeroAttr(type.getElementType());
  for (size_t i = 0; i < values.size(); ++i) {
    int64_t r = (i / cols) % rows, c = i % cols;
    bool keep = upper ? c - r >= *k : c - r <= *k;
    if (!keep)
      values[i] = zero;
  }
  return attn::ConstantOp::create(nc.builder(), nc.loc,
                                  DenseElementsAttr::get(type, values));
}

/// Trilu: keeps the elements with `col - row >= k` (upper) or `<= k`
/// (lower) of the last two dims, as iota/compare/where so that dynamic
/// inputs and a run-time k work.
LogicalResult importTrilu(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  const OnnxValue &in = nc.input(0);
  int64_t rank = in.shape.size();
  if (rank < 2)
    return nc.emitError() << "input must have rank >= 2, got " << rank;
  bool upper = nc.intAttr("upper", 1) != 0;
  std::optional<OnnxValue> k;
  std::optional<int64_t> staticK = 0;
  if (nc.hasInput(1)) {
    k = nc.input(1);
    if (k->onnxType != onnx::TensorProto::INT64)
      return nc.emitError() << "k must be int64, got "
                            << onnxTypeName(k->onnxType);
    if (!k->shape.empty() &&
        !(k->shape.size() == 1 && nc.symbols().resolve(k->shape[0]).sym < 0 &&
          nc.symbols().resolve(k->shape[0]).size == 1))
      return nc.emitError() << "k must be a scalar";
    staticK.reset();
    if (k->known && k->known->size() == 1 &&
        nc.symbols().resolve((*k->known)[0]).sym < 0)
      staticK = nc.symbols().resolve((*k->known)[0]).size;
    if (!k->shape.empty())
      k = build::reshape(nc, *k, {});
  }
  if (Value folded = foldTrilu(nc, in, staticK, upper)) {
    OnnxValue out = in;
    out.known.reset();
    out.value = folded;
    nc.setOutput(0, out);
    return success();
  }
  Dim numRows = in.shape[rank - 2];
  OnnxValue rows = build::reshape(nc, build::iota(nc, numRows),
                                  {numRows, Dim::fixed(1)});
  OnnxValue cols = build::iota(nc, in.shape[rank - 1]);
  FailureOr<OnnxValue> diff = build::sub(nc, cols, rows);
  if (failed(diff))
    return failure();
  OnnxValue kv = k ? *k : build::scalarOfType(nc, onnx::TensorProto::INT64, 0);
  auto pred = upper ? attn::ComparePredicate::ge : attn::ComparePredicate::le;
  FailureOr<OnnxValue> mask = build::compare(nc, pred, *diff, kv);
  if (failed(mask))
    return failure();
  FailureOr<OnnxValue> out =
      build::where(nc, *mask, in, build::scalar(nc, in, 0));
  if (failed(out))
    return failure();
  nc.setOutput(0, *out);
  return success();
}

} // namespace

void import::appendTensorOpHandlers(std::vector<OpHandlerEntry> &handlers) {
  handlers.insert(
      handlers.end(),
      {
          {"", "Transpose", 1, 24, "", importTranspose},
          {"", "Constant", 1, 24, "value, value_float(s), value_int(s)",
           importConstant},
          {"", "Identity", 1, 24, "tensors only", importIdentity},
          {"", "GatherElements", 11, 24, "indices clamped to the valid range",
           importGatherElements},
          {"", "ScatterND", 11, 24,
           "reduction none/add/mul (opset 16), max/min (opset 18); indices "
           "clamped to the valid range; duplicate indices: the last one wins",
           importScatterND},
          {"", "Tile", 6, 24, "repeats computable at compile time", importTile},
          {"", "Trilu", 14, 24,
           "k may be a run-time input; constant inputs fold", importTrilu},
      });
}
