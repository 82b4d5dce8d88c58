//===- OnnxShapeOps.cpp - Shape computations and reshapes -----------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Shape, Gather, Unsqueeze, Squeeze, Flatten, Reshape, Concat, Slice, Split,
// Range, Expand, ConstantOfShape. Result shapes are computed symbolically
// from the known values of shape tensors (OnnxShapeValues.cpp), so a
// Reshape to `Concat(Shape(x)[0], Shape(x)[1], 12, 64)` keeps `batch` and
// `seq` as named dims.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternals.h"

#include "attnc/Dialect/Attn/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace attnc;
using namespace attnc::import;

namespace {

Type elementTypeOf(const OnnxValue &v) {
  return cast<RankedTensorType>(v.value.getType()).getElementType();
}

/// Normalizes an axis in [-rank, rank) to [0, rank), or fails.
FailureOr<int64_t> normalizeAxis(NodeContext &nc, int64_t axis, int64_t rank,
                                 StringRef what = "axis") {
  if (axis < -rank || axis >= rank) {
    nc.emitError() << what << " " << axis << " is out of range for rank "
                   << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

/// Static integers of `values`, or an error naming `what`.
FailureOr<SmallVector<int64_t>> staticValues(NodeContext &nc,
                                             ArrayRef<Dim> values,
                                             StringRef what) {
  SmallVector<int64_t> out;
  for (Dim d : values) {
    d = nc.symbols().resolve(d);
    if (d.sym >= 0) {
      nc.emitError() << what << " must be constant, but depends on '"
                     << nc.symbols().name(d.sym) << "'";
      return failure();
    }
    out.push_back(d.size);
  }
  return out;
}

/// The static values of optional input `i` (empty when absent), or an
/// error naming `what` when they are not compile-time constants.
FailureOr<SmallVector<int64_t>> staticInput(NodeContext &nc, size_t i,
                                            StringRef what) {
  if (!nc.hasInput(i))
    return SmallVector<int64_t>();
  auto known = nc.knownInput(i, what);
  if (failed(known))
    return failure();
  return staticValues(nc, *known, what);
}

/// Axes from the `axes` attribute (older opsets) or input `inputIndex`.
FailureOr<SmallVector<int64_t>> axesOf(NodeContext &nc, int inputOpset,
                                       size_t inputIndex) {
  if (nc.opset < inputOpset) {
    auto axes = nc.intsAttr("axes");
    return axes ? SmallVector<int64_t>(axes->begin(), axes->end())
                : SmallVector<int64_t>();
  }
  return staticInput(nc, inputIndex, "axes");
}

/// Emits attn.reshape of `in` to `shape`.
LogicalResult emitReshape(NodeContext &nc, const OnnxValue &in,
                          const SymShape &shape) {
  OnnxValue out = in;
  out.shape = shape;
  auto type = nc.tensorType(shape, elementTypeOf(in));
  out.value = attn::ReshapeOp::create(nc.builder(), nc.loc, type, in.value,
                                      nc.dynamicDimValues(shape));
  nc.setOutput(0, out);
  return success();
}

/// A product of dims as (constant factor, symbolic factors).
struct Product {
  int64_t constant = 1;
  SmallVector<AffineExpr> factors;
};

/// Adds the factors of `e` to `p`. A symbol derived as a product (the
/// `batch * heads` of a `[B * H, -1, D]` Reshape) is expanded into its
/// factors, so that it cancels against those factors in another shape.
void addFactors(DimSymbols &symbols, AffineExpr e, Product &p,
                int depth = 0) {
  if (auto s = dyn_cast<AffineSymbolExpr>(e)) {
    Dim d = symbols.resolve(Dim::symbol(s.getPosition()));
    AffineExpr def = symbols.definitionOf(d);
    if (def && def.getKind() == AffineExprKind::Mul && depth < 16) {
      addFactors(symbols, def, p, depth + 1);
      return;
    }
    e = symbols.expr(d);
  }
  if (auto c = dyn_cast<AffineConstantExpr>(e)) {
    p.constant *= c.getValue();
    return;
  }
  if (auto bin = dyn_cast<AffineBinaryOpExpr>(e);
      bin && bin.getKind() == AffineExprKind::Mul) {
    addFactors(symbols, bin.getLHS(), p, depth);
    addFactors(symbols, bin.getRHS(), p, depth);
    return;
  }
  p.factors.push_back(e);
}

/// `total / part` for products of dims, cancelling common factors so that
/// `[B, T, 768] -> [-1, 768]` gives `B * T` rather than a division.
Dim divideProducts(DimSymbols &symbols, ArrayRef<Dim> total,
                   ArrayRef<Dim> part) {
  Product t, q;
  for (Dim d : total)
    addFactors(symbols, symbols.expr(d), t);
  for (Dim d : part)
    addFactors(symbols, symbols.expr(d), q);
  for (AffineExpr f : q.factors) {
    auto it = llvm::find(t.factors, f);
    if (it == t.factors.end()) {
      // Not a clean cancellation: fall back to floor division.
      AffineExpr num = getAffineConstantExpr(t.constant, f.getContext());
      for (AffineExpr g : t.factors)
        num = num * g;
      AffineExpr den = getAffineConstantExpr(q.constant, f.getContext());
      for (AffineExpr g : q.factors)
        den = den * g;
      return symbols.derive(num.floorDiv(den));
    }
    t.factors.erase(it);
  }
  MLIRContext *ctx = symbols.expr(Dim::fixed(0)).getContext();
  if (q.constant == 0 || t.constant % q.constant != 0)
    return Dim::fixed(-1);
  AffineExpr r = getAffineConstantExpr(t.constant / q.constant, ctx);
  for (AffineExpr g : t.factors)
    r = r * g;
  return symbols.derive(r);
}

//===----------------------------------------------------------------------===//
// Handlers
//===----------------------------------------------------------------------===//

LogicalResult importShape(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  const OnnxValue &in = nc.input(0);
  int64_t rank = in.shape.size();
  int64_t start = nc.intAttr("start", 0), end = nc.intAttr("end", rank);
  start = std::clamp(start < 0 ? start + rank : start, int64_t(0), rank);
  end = std::clamp(end < 0 ? end + rank : end, int64_t(0), rank);
  OpBuilder &b = nc.builder();
  SmallVector<Value> elements;
  for (int64_t i = start; i < end; ++i)
    elements.push_back(arith::IndexCastOp::create(
        b, nc.loc, b.getI64Type(), nc.dimValue(in.shape[i])));
  OnnxValue out;
  out.onnxType = onnx::TensorProto::INT64;
  out.shape = {Dim::fixed(std::max<int64_t>(end - start, 0))};
  auto type = RankedTensorType::get({end > start ? end - start : 0},
                                    b.getI64Type());
  if (elements.empty())
    out.value = attn::ConstantOp::create(
        b, nc.loc, DenseElementsAttr::get(type, ArrayRef<int64_t>()));
  else
    out.value = tensor::FromElementsOp::create(b, nc.loc, type, elements);
  nc.setOutput(0, out);
  return success();
}

LogicalResult importSize(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  OpBuilder &b = nc.builder();
  Value product = arith::ConstantIndexOp::create(b, nc.loc, 1);
  for (Dim d : nc.input(0).shape)
    product = arith::MulIOp::create(b, nc.loc, product, nc.dimValue(d));
  Value i64 = arith::IndexCastOp::create(b, nc.loc, b.getI64Type(), product);
  OnnxValue out;
  out.onnxType = onnx::TensorProto::INT64;
  out.value = tensor::FromElementsOp::create(
      b, nc.loc, RankedTensorType::get({}, b.getI64Type()), ValueRange{i64});
  nc.setOutput(0, out);
  return success();
}

LogicalResult importGather(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  const OnnxValue &data = nc.input(0), &indices = nc.input(1);
  auto axis = normalizeAxis(nc, nc.intAttr("axis", 0), data.shape.size());
  if (failed(axis))
    return failure();
  if (!elementTypeOf(indices).isSignlessInteger() ||
      elementTypeOf(indices).isInteger(1))
    return nc.emitError() << "indices must be int32 or int64";
  OnnxValue out = data;
  out.shape.assign(data.shape.begin(), data.shape.begin() + *axis);
  out.shape.append(indices.shape.begin(), indices.shape.end());
  out.shape.append(data.shape.begin() + *axis + 1, data.shape.end());
  out.value = attn::GatherOp::create(
      nc.builder(), nc.loc, nc.tensorType(out.shape, elementTypeOf(data)),
      data.value, indices.value, nc.builder().getI64IntegerAttr(*axis));
  nc.setOutput(0, out);
  return success();
}

LogicalResult importUnsqueeze(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  const OnnxValue &in = nc.input(0);
  auto axes = axesOf(nc, 13, 1);
  if (failed(axes))
    return failure();
  int64_t rank = in.shape.size() + axes->size();
  SmallVector<bool> isNew(rank, false);
  for (int64_t a : *axes) {
    auto n = normalizeAxis(nc, a, rank, "axes entry");
    if (failed(n))
      return failure();
    if (isNew[*n])
      return nc.emitError() << "axes has a duplicate entry " << a;
    isNew[*n] = true;
  }
  SymShape shape;
  size_t next = 0;
  for (int64_t i = 0; i < rank; ++i)
    shape.push_back(isNew[i] ? Dim::fixed(1) : in.shape[next++]);
  return emitReshape(nc, in, shape);
}

LogicalResult importSqueeze(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  const OnnxValue &in = nc.input(0);
  auto axes = axesOf(nc, 13, 1);
  if (failed(axes))
    return failure();
  int64_t rank = in.shape.size();
  SmallVector<bool> drop(rank, false);
  if (axes->empty()) {
    for (int64_t i = 0; i < rank; ++i) {
      Dim d = nc.symbols().resolve(in.shape[i]);
      if (d.sym >= 0)
        return nc.emitError()
               << "Squeeze without axes of a dynamic dim ('"
               << nc.symbols().name(d.sym) << "') is ambiguous";
      drop[i] = d.size == 1;
    }
  }
  for (int64_t a : *axes) {
    auto n = normalizeAxis(nc, a, rank, "axes entry");
    if (failed(n))
      return failure();
    Dim d = nc.symbols().resolve(in.shape[*n]);
    if (d.sym < 0 && d.size != 1)
      return nc.emitError() << "cannot squeeze dim " << *n << " of size "
                            << d.size;
    // A dynamic dim being squeezed must be 1.
    Dim unused;
    (void)nc.symbols().unify(in.shape[*n], Dim::fixed(1), unused);
    drop[*n] = true;
  }
  SymShape shape;
  for (int64_t i = 0; i < rank; ++i)
    if (!drop[i])
      shape.push_back(in.shape[i]);
  return emitReshape(nc, in, shape);
}

LogicalResult importFlatten(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  const OnnxValue &in = nc.input(0);
  int64_t rank = in.shape.size();
  int64_t axis = nc.intAttr("axis", 1);
  if (axis < -rank || axis > rank)
    return nc.emitError() << "axis " << axis << " is out of range for rank "
                          << rank;
  if (axis < 0)
    axis += rank;
  ArrayRef<Dim> dims = in.shape;
  SymShape shape = {divideProducts(nc.symbols(), dims.take_front(axis), {}),
                    divideProducts(nc.symbols(), dims.drop_front(axis), {})};
  return emitReshape(nc, in, shape);
}

LogicalResult importReshape(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  const OnnxValue &in = nc.input(0);
  auto target = nc.knownInput(1, "the target shape");
  if (failed(target))
    return failure();
  bool allowZero = nc.opset >= 14 && nc.intAttr("allowzero", 0) != 0;
  SymShape shape;
  int inferred = -1;
  for (auto [i, d] : llvm::enumerate(*target)) {
    Dim r = nc.symbols().resolve(d);
    if (r.sym < 0 && r.size == -1) {
      if (inferred >= 0)
        return nc.emitError() << "the target shape has more than one -1";
      inferred = i;
      shape.push_back(Dim::fixed(1)); // placeholder
    } else if (r.sym < 0 && r.size == 0 && !allowZero) {
      if (i >= in.shape.size())
        return nc.emitError() << "target dim " << i
                              << " is 0 (copy) but the input has rank "
                              << in.shape.size();
      shape.push_back(in.shape[i]);
    } else if (r.sym < 0 && r.size < 0) {
      return nc.emitError() << "target dim " << i << " is negative ("
                            << r.size << ")";
    } else {
      shape.push_back(d);
    }
  }
  if (inferred >= 0) {
    SmallVector<Dim> others(shape.begin(), shape.end());
    others.erase(others.begin() + inferred);
    Dim d = divideProducts(nc.symbols(), in.shape, others);
    if (d.sym < 0 && d.size < 0)
      return nc.emitError() << "cannot infer the -1 dim of the target shape";
    shape[inferred] = d;
  }
  return emitReshape(nc, in, shape);
}

LogicalResult importConcat(NodeContext &nc) {
  if (nc.numInputs() == 0 || !nc.hasInput(0))
    return nc.emitError() << "expects at least one input";
  const OnnxValue &first = nc.input(0);
  int64_t rank = first.shape.size();
  auto axis = normalizeAxis(nc, nc.intAttr("axis", 0), rank);
  if (failed(axis))
    return failure();
  SymShape shape = first.shape;
  AffineExpr total = nc.symbols().expr(first.shape[*axis]);
  SmallVector<Value> values = {first.value};
  for (size_t i = 1; i < nc.numInputs(); ++i) {
    if (!nc.hasInput(i))
      return nc.emitError() << "input " << i << " is missing";
    const OnnxValue &v = nc.input(i);
    if (failed(checkSameElementType(nc, first, v)))
      return failure();
    if (static_cast<int64_t>(v.shape.size()) != rank)
      return nc.emitError() << "input " << i << " has rank " << v.shape.size()
                            << ", expected " << rank;
    for (int64_t d = 0; d < rank; ++d) {
      if (d == *axis)
        continue;
      if (failed(nc.symbols().unify(shape[d], v.shape[d], shape[d])))
        return nc.emitError() << "input " << i << " dim " << d
                              << " does not match the first input";
    }
    total = total + nc.symbols().expr(v.shape[*axis]);
    values.push_back(v.value);
  }
  shape[*axis] = nc.symbols().derive(total);
  OnnxValue out = first;
  out.shape = shape;
  auto type = nc.tensorType(shape, elementTypeOf(first));
  if (values.size() == 1)
    out.value = values[0];
  else
    out.value = tensor::ConcatOp::create(nc.builder(), nc.loc, type, *axis,
                                         values);
  nc.setOutput(0, out);
  return success();
}

/// ONNX clamps slice bounds to [0, dim]; with a symbolic dim, bounds that
/// are huge ("to the end") or negative (from the end) are made relative to
/// it and symbolic bounds are trusted.
Dim sliceBound(NodeContext &nc, Dim bound, Dim dim) {
  DimSymbols &s = nc.symbols();
  bound = s.resolve(bound);
  dim = s.resolve(dim);
  if (bound.sym >= 0)
    return bound;
  int64_t v = bound.size;
  if (dim.sym < 0) {
    if (v < 0)
      v += dim.size;
    return Dim::fixed(std::clamp<int64_t>(v, 0, dim.size));
  }
  if (v >= (int64_t(1) << 31))
    return dim;
  if (v < 0)
    return s.derive(s.expr(dim) + v);
  return Dim::fixed(v);
}

/// Emits tensor.extract_slice of `in` with unit strides except `steps`.
Value extractSlice(NodeContext &nc, const OnnxValue &in, ArrayRef<Dim> offsets,
                   ArrayRef<Dim> sizes, ArrayRef<int64_t> strides,
                   RankedTensorType type) {
  OpBuilder &b = nc.builder();
  auto fold = [&](Dim d) -> OpFoldResult {
    d = nc.symbols().resolve(d);
    if (d.sym < 0)
      return b.getIndexAttr(d.size);
    return nc.dimValue(d);
  };
  SmallVector<OpFoldResult> o, s, st;
  for (size_t i = 0; i < offsets.size(); ++i) {
    o.push_back(fold(offsets[i]));
    s.push_back(fold(sizes[i]));
    st.push_back(b.getIndexAttr(strides[i]));
  }
  // An empty slice may start at the end of its dim (ONNX clamps starts to
  // [0, dim]), which tensor.extract_slice rejects: it reads nothing anyway.
  if (llvm::is_contained(type.getShape(), 0)) {
    SmallVector<Value> dynamicSizes;
    for (auto [i, size] : llvm::enumerate(s))
      if (type.isDynamicDim(i))
        dynamicSizes.push_back(cast<Value>(size));
    return tensor::EmptyOp::create(b, nc.loc, type.getShape(),
                                   type.getElementType(), dynamicSizes);
  }
  return tensor::ExtractSliceOp::create(b, nc.loc, type, in.value, o, s, st);
}

LogicalResult importSlice(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  const OnnxValue &in = nc.input(0);
  int64_t rank = in.shape.size();
  SmallVector<Dim> starts, ends;
  SmallVector<int64_t> axes, steps;
  if (nc.opset < 10) {
    auto s = nc.intsAttr("starts"), e = nc.intsAttr("ends");
    if (!s || !e)
      return nc.emitError() << "needs starts and ends attributes";
    for (int64_t v : *s)
      starts.push_back(Dim::fixed(v));
    for (int64_t v : *e)
      ends.push_back(Dim::fixed(v));
    if (auto a = nc.intsAttr("axes"))
      axes.assign(a->begin(), a->end());
  } else {
    auto s = nc.knownInput(1, "starts"), e = nc.knownInput(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts.assign(s->begin(), s->end());
    ends.assign(e->begin(), e->end());
    auto a = staticInput(nc, 3, "axes"), st = staticInput(nc, 4, "steps");
    if (failed(a) || failed(st))
      return failure();
    axes = *a;
    steps = *st;
  }
  if (starts.size() != ends.size())
    return nc.emitError() << "starts and ends differ in length";
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size())
    return nc.emitError() << "starts, ends, axes and steps differ in length";

  SmallVector<Dim> offsets(rank, Dim::fixed(0));
  SymShape sizes = in.shape;
  SmallVector<int64_t> strides(rank, 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    auto axis = normalizeAxis(nc, axes[i], rank, "axes entry");
    if (failed(axis))
      return failure();
    if (steps[i] <= 0)
      return nc.emitError() << "step " << steps[i]
                            << " is not supported (only positive steps)";
    Dim dim = in.shape[*axis];
    Dim b = sliceBound(nc, starts[i], dim), e = sliceBound(nc, ends[i], dim);
    DimSymbols &s = nc.symbols();
    AffineExpr len = (s.expr(e) - s.expr(b)).ceilDiv(steps[i]);
    Dim size = s.derive(len);
    if (size.sym < 0 && size.size < 0)
      size = Dim::fixed(0);
    offsets[*axis] = b;
    sizes[*axis] = size;
    strides[*axis] = steps[i];
  }
  OnnxValue out = in;
  out.shape = sizes;
  auto type = nc.tensorType(sizes, elementTypeOf(in));
  out.value = extractSlice(nc, in, offsets, sizes, strides, type);
  nc.setOutput(0, out);
  return success();
}

LogicalResult importSplit(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  const OnnxValue &in = nc.input(0);
  int64_t rank = in.shape.size();
  auto axis = normalizeAxis(nc, nc.intAttr("axis", 0), rank);
  if (failed(axis))
    return failure();
  DimSymbols &s = nc.symbols();
  int64_t n = nc.node.output_size();
  SmallVector<Dim> parts;
  std::optional<std::vector<int64_t>> splitAttr = nc.intsAttr("split");
  if (nc.opset < 13 && splitAttr) {
    for (int64_t v : *splitAttr)
      parts.push_back(Dim::fixed(v));
  } else if (nc.opset >= 13 && nc.hasInput(1)) {
    auto k = nc.knownInput(1, "split");
    if (failed(k))
      return failure();
    parts.assign(k->begin(), k->end());
  } else {
    // Equal parts (num_outputs in opset 18+, else one per output); the last
    // part is smaller when the dim does not divide evenly.
    if (nc.opset >= 18 && nc.attr("num_outputs"))
      n = nc.intAttr("num_outputs", n);
    if (n <= 0)
      return nc.emitError() << "needs at least one output";
    AffineExpr dim = s.expr(in.shape[*axis]);
    AffineExpr chunk = dim.ceilDiv(n);
    for (int64_t i = 0; i < n; ++i)
      parts.push_back(i + 1 < n ? s.derive(chunk) : s.derive(dim - chunk * (n - 1)));
  }
  if (static_cast<int64_t>(parts.size()) != nc.node.output_size())
    return nc.emitError() << parts.size() << " split sizes for "
                          << nc.node.output_size() << " outputs";
  AffineExpr offset = s.expr(Dim::fixed(0));
  for (size_t i = 0; i < parts.size(); ++i) {
    SmallVector<Dim> offsets(rank, Dim::fixed(0));
    offsets[*axis] = s.derive(offset);
    SymShape sizes = in.shape;
    sizes[*axis] = parts[i];
    OnnxValue out = in;
    out.shape = sizes;
    auto type = nc.tensorType(sizes, elementTypeOf(in));
    out.value = extractSlice(nc, in, offsets, sizes,
                             SmallVector<int64_t>(rank, 1), type);
    nc.setOutput(i, out);
    offset = offset + s.expr(parts[i]);
  }
  return success();
}

LogicalResult importRange(NodeContext &nc) {
  if (failed(requireInputs(nc, 3)))
    return failure();
  const OnnxValue &start = nc.input(0), &delta = nc.input(2);
  auto s = nc.knownInput(0, "start"), l = nc.knownInput(1, "limit"),
       d = nc.knownInput(2, "delta");
  if (failed(s) || failed(l) || failed(d))
    return failure();
  if (s->size() != 1 || l->size() != 1 || d->size() != 1)
    return nc.emitError() << "start, limit and delta must be scalars";
  Dim step = nc.symbols().resolve((*d)[0]);
  if (step.sym >= 0 || step.size <= 0)
    return nc.emitError() << "only a constant positive delta is supported";
  DimSymbols &sy = nc.symbols();
  Dim size = sy.derive(
      (sy.expr((*l)[0]) - sy.expr((*s)[0])).ceilDiv(step.size));
  OnnxValue out = start;
  out.shape = {size};
  auto type = nc.tensorType(out.shape, elementTypeOf(start));
  out.value = attn::RangeOp::create(nc.builder(), nc.loc, type, start.value,
                                    delta.value, nc.dynamicDimValues(out.shape));
  nc.setOutput(0, out);
  return success();
}

LogicalResult importExpand(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  const OnnxValue &in = nc.input(0);
  auto target = nc.knownInput(1, "the target shape");
  if (failed(target))
    return failure();
  SymShape shape(target->begin(), target->end());
  SymShape result;
  if (failed(broadcastShapes(nc, in.shape, shape, result)))
    return failure();
  OnnxValue out = in;
  out.shape = result;
  auto type = nc.tensorType(result, elementTypeOf(in));
  out.value = attn::ExpandOp::create(nc.builder(), nc.loc, type, in.value,
                                     nc.dynamicDimValues(result));
  nc.setOutput(0, out);
  return success();
}

LogicalResult importConstantOfShape(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  auto target = nc.knownInput(0, "the shape");
  if (failed(target))
    return failure();
  MLIRContext *ctx = nc.builder().getContext();
  onnx::TensorProto value;
  if (const onnx::AttributeProto *a = nc.attr("value")) {
    value = a->t();
  } else {
    value.set_data_type(onnx::TensorProto::FLOAT);
    value.add_dims(1);
    value.add_float_data(0.0f);
  }
  value.set_name("value");
  auto attr = convertTensor(ctx, value, "", [&]() { return nc.emitError(); });
  if (failed(attr))
    return failure();
  auto dense = dyn_cast<DenseElementsAttr>(*attr);
  if (!dense || dense.getNumElements() != 1)
    return nc.emitError() << "value must hold exactly one element";
  OnnxValue out;
  out.onnxType = value.data_type();
  out.isUnsigned = dtypeName(value.data_type()).starts_with("u");
  out.shape.assign(target->begin(), target->end());
  Type elementType = dense.getElementType();
  auto type = nc.tensorType(out.shape, elementType);
  OpBuilder &b = nc.builder();
  if (type.hasStaticShape()) {
    out.value = attn::ConstantOp::create(
        b, nc.loc, DenseElementsAttr::get(type, dense.getSplatValue<Attribute>()));
  } else {
    Value scalar = arith::ConstantOp::create(
        b, nc.loc, cast<TypedAttr>(dense.getSplatValue<Attribute>()));
    out.value = tensor::SplatOp::create(b, nc.loc, scalar, type,
                                        nc.dynamicDimValues(out.shape));
  }
  nc.setOutput(0, out);
  return success();
}

} // namespace

void import::appendShapeOpHandlers(std::vector<OpHandlerEntry> &handlers) {
  handlers.insert(
      handlers.end(),
      {
          {"", "Shape", 1, 24, "start/end (opset 15)", importShape},
          {"", "Size", 1, 24, "", importSize},
          {"", "Gather", 1, 24, "indices clamped to the valid range",
           importGather},
          {"", "Unsqueeze", 1, 24, "axes attribute (< 13) or constant input",
           importUnsqueeze},
          {"", "Squeeze", 1, 24, "axes attribute (< 13) or constant input",
           importSqueeze},
          {"", "Flatten", 1, 24, "", importFlatten},
          {"", "Reshape", 5, 24,
           "target shape computable at compile time (constant or from "
           "input shapes)",
           importReshape},
          {"", "Concat", 4, 24, "", importConcat},
          {"", "Slice", 1, 24, "positive steps; bounds computable at compile time",
           importSlice},
          {"", "Split", 2, 24, "split attribute, input, or num_outputs",
           importSplit},
          {"", "Range", 11, 24, "constant positive delta", importRange},
          {"", "Expand", 8, 24, "target shape computable at compile time",
           importExpand},
          {"", "ConstantOfShape", 9, 24, "", importConstantOfShape},
      });
}
