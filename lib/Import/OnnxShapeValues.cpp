//===- OnnxShapeValues.cpp - Compile-time values of shape tensors ---------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Exporters compute Reshape targets, slice bounds and Range limits with
// small int64 subgraphs (Shape -> Gather -> Unsqueeze -> Concat, ...). The
// importer evaluates them symbolically: every small integer tensor may carry
// `known` values, each a dim (static or symbolic). Handlers of Reshape,
// Slice, Expand, ... read those values, so dynamic dims stay named dims
// instead of becoming unknown; fully static results become constants.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternals.h"

#include "attnc/Dialect/Attn/AttnOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

#include <cstring>

using namespace mlir;
using namespace attnc;
using namespace attnc::import;

/// Shape tensors are tiny; larger integer tensors are data.
static constexpr int64_t kMaxKnownElements = 64;

namespace {
using Known = std::optional<SmallVector<Dim, 4>>;

Known knownOfConstant(Value v) {
  ElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  auto type = cast<ShapedType>(attr.getType());
  if (!type.getElementType().isSignlessInteger() ||
      type.getElementType().isInteger(1) || type.getRank() > 1 ||
      type.getNumElements() > kMaxKnownElements)
    return std::nullopt;
  SmallVector<Dim, 4> values;
  for (APInt i : attr.getValues<APInt>())
    values.push_back(Dim::fixed(i.getSExtValue()));
  return values;
}

/// Elementwise integer arithmetic on known values (numpy broadcasting of
/// one-element operands).
Known arithmetic(DimSymbols &symbols, const Known &a, const Known &b,
                 StringRef op) {
  if (!a || !b)
    return std::nullopt;
  size_t n = std::max(a->size(), b->size());
  if ((a->size() != n && a->size() != 1) || (b->size() != n && b->size() != 1))
    return std::nullopt;
  SmallVector<Dim, 4> out;
  for (size_t i = 0; i < n; ++i) {
    AffineExpr x = symbols.expr((*a)[a->size() == 1 ? 0 : i]);
    AffineExpr y = symbols.expr((*b)[b->size() == 1 ? 0 : i]);
    AffineExpr r;
    if (op == "Add")
      r = x + y;
    else if (op == "Sub")
      r = x - y;
    else if (op == "Mul")
      r = x * y;
    else if (auto c = dyn_cast<AffineConstantExpr>(y);
             op == "Div" && c && c.getValue() > 0)
      r = x.floorDiv(c.getValue());
    else if (auto c = dyn_cast<AffineConstantExpr>(y);
             op == "Mod" && c && c.getValue() > 0)
      r = x % c.getValue(); // floor modulo: Mod with fmod = 0
    else
      return std::nullopt;
    out.push_back(symbols.derive(r));
  }
  return out;
}

bool allStatic(DimSymbols &symbols, const SmallVector<Dim, 4> &values) {
  return llvm::all_of(values,
                      [&](Dim d) { return symbols.resolve(d).sym < 0; });
}
} // namespace

void attnc::import::propagateKnownValues(NodeContext &nc) {
  const onnx::NodeProto &node = nc.node;
  DimSymbols &symbols = nc.symbols();
  if (node.output_size() == 0 || !nc.outputValue(0))
    return;
  StringRef op = node.op_type();
  auto in = [&](size_t i) -> Known {
    return nc.hasInput(i) ? nc.input(i).known : Known();
  };
  Known result;
  bool standardDomain = node.domain().empty() || node.domain() == "ai.onnx";
  if (!standardDomain) {
    result = std::nullopt;
  } else if (op == "Shape") {
    const SymShape &shape = nc.input(0).shape;
    int64_t rank = shape.size();
    int64_t start = nc.intAttr("start", 0), end = nc.intAttr("end", rank);
    start = std::clamp(start < 0 ? start + rank : start, int64_t(0), rank);
    end = std::clamp(end < 0 ? end + rank : end, int64_t(0), rank);
    result.emplace();
    for (int64_t i = start; i < end; ++i)
      result->push_back(shape[i]);
  } else if (op == "Size") {
    AffineExpr product = getAffineConstantExpr(1, nc.builder().getContext());
    for (Dim d : nc.input(0).shape)
      product = product * symbols.expr(d);
    result = SmallVector<Dim, 4>{symbols.derive(product)};
  } else if (op == "Identity" || op == "Unsqueeze" || op == "Squeeze" ||
             op == "Reshape" || op == "Flatten" ||
             ((op == "Cast" || op == "CastLike") &&
              cast<RankedTensorType>(nc.outputValue(0)->value.getType())
                  .getElementType()
                  .isSignlessInteger())) {
    result = in(0);
  } else if (op == "Concat") {
    result.emplace();
    for (size_t i = 0; i < nc.numInputs() && result; ++i) {
      Known k = in(i);
      if (!k)
        result = std::nullopt;
      else
        result->append(k->begin(), k->end());
    }
  } else if (op == "Gather") {
    Known data = in(0), indices = in(1);
    if (data && indices && nc.intAttr("axis", 0) == 0 &&
        nc.input(0).shape.size() <= 1) {
      result.emplace();
      for (Dim idx : *indices) {
        idx = symbols.resolve(idx);
        int64_t n = data->size();
        int64_t i = idx.sym < 0 ? (idx.size < 0 ? idx.size + n : idx.size) : -1;
        if (i < 0 || i >= n) {
          result = std::nullopt;
          break;
        }
        result->push_back((*data)[i]);
      }
    }
  } else if (op == "Slice" && nc.opset >= 10) {
    Known data = in(0), starts = in(1), ends = in(2);
    Known steps = nc.hasInput(4) ? in(4) : Known();
    if (data && starts && ends && starts->size() == 1 && ends->size() == 1 &&
        (!nc.hasInput(4) || (steps && steps->size() == 1))) {
      Dim s = symbols.resolve((*starts)[0]), e = symbols.resolve((*ends)[0]);
      int64_t step = steps ? symbols.resolve((*steps)[0]).size : 1;
      int64_t n = data->size();
      if (s.sym < 0 && e.sym < 0 && step > 0) {
        int64_t b = std::clamp(s.size < 0 ? s.size + n : s.size, int64_t(0), n);
        int64_t f = std::clamp(e.size < 0 ? e.size + n : e.size, int64_t(0), n);
        result.emplace();
        for (int64_t i = b; i < f; i += step)
          result->push_back((*data)[i]);
      }
    }
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" ||
             (op == "Mod" && nc.intAttr("fmod", 0) == 0)) {
    if (cast<RankedTensorType>(nc.outputValue(0)->value.getType())
            .getElementType()
            .isSignlessInteger())
      result = arithmetic(symbols, in(0), in(1), op);
  } else if (op == "Neg") {
    if (Known a = in(0)) {
      result.emplace();
      for (Dim d : *a)
        result->push_back(symbols.derive(-symbols.expr(d)));
    }
  } else if (op == "Constant") {
    result = knownOfConstant(nc.outputValue(0)->value);
  } else if (op == "Equal") {
    // Dims are never negative, so `Equal(shape, -1)` (torch's Expand and
    // Reshape idiom) is decidable even for symbolic dims.
    Known a = in(0), b = in(1);
    if (a && b && (a->size() == b->size() || a->size() == 1 ||
                   b->size() == 1)) {
      size_t n = std::max(a->size(), b->size());
      result.emplace();
      for (size_t i = 0; i < n && result; ++i) {
        Dim x = symbols.resolve((*a)[a->size() == 1 ? 0 : i]);
        Dim y = symbols.resolve((*b)[b->size() == 1 ? 0 : i]);
        if (x.sym < 0 && y.sym < 0)
          result->push_back(Dim::fixed(x.size == y.size));
        else if (x.sym == y.sym)
          result->push_back(Dim::fixed(1));
        else if ((x.sym < 0 && x.size < 0) || (y.sym < 0 && y.size < 0))
          result->push_back(Dim::fixed(0));
        else
          result = std::nullopt;
      }
    }
  } else if (op == "Where") {
    Known c = in(0), x = in(1), y = in(2);
    if (c && x && y) {
      size_t n = std::max({c->size(), x->size(), y->size()});
      auto at = [&](const Known &k, size_t i) {
        return (*k)[k->size() == 1 ? 0 : i];
      };
      if ((c->size() == n || c->size() == 1) &&
          (x->size() == n || x->size() == 1) &&
          (y->size() == n || y->size() == 1)) {
        result.emplace();
        for (size_t i = 0; i < n && result; ++i) {
          Dim cond = symbols.resolve(at(c, i));
          if (cond.sym >= 0)
            result = std::nullopt;
          else
            result->push_back(cond.size ? at(x, i) : at(y, i));
        }
      }
    }
  } else if (op == "Not" || op == "And" || op == "Or") {
    // Bool conditions on shapes (GQA checks in function-expanded graphs).
    Known a = in(0), b = op == "Not" ? in(0) : in(1);
    if (a && b && (a->size() == b->size() || a->size() == 1 ||
                   b->size() == 1)) {
      size_t n = std::max(a->size(), b->size());
      result.emplace();
      for (size_t i = 0; i < n && result; ++i) {
        Dim x = symbols.resolve((*a)[a->size() == 1 ? 0 : i]);
        Dim y = symbols.resolve((*b)[b->size() == 1 ? 0 : i]);
        if (x.sym >= 0 || y.sym >= 0)
          result = std::nullopt;
        else if (op == "Not")
          result->push_back(Dim::fixed(x.size == 0));
        else if (op == "And")
          result->push_back(Dim::fixed(x.size != 0 && y.size != 0));
        else
          result->push_back(Dim::fixed(x.size != 0 || y.size != 0));
      }
    }
  } else if (op == "ConstantOfShape") {
    Known shape = in(0);
    Known value = knownOfConstant(nc.outputValue(0)->value);
    auto type = dyn_cast<RankedTensorType>(nc.outputValue(0)->value.getType());
    if (shape && shape->size() == 1 && type && type.getRank() == 1 &&
        type.getElementType().isSignlessInteger()) {
      Dim n = symbols.resolve((*shape)[0]);
      if (n.sym < 0 && n.size <= kMaxKnownElements) {
        // The fill value: the attribute, or 0 by default.
        int64_t fill = 0;
        if (const onnx::AttributeProto *a = nc.attr("value"))
          if (a->t().int64_data_size())
            fill = a->t().int64_data(0);
          else if (a->t().int32_data_size())
            fill = a->t().int32_data(0);
          else if (a->t().raw_data().size() == 8)
            std::memcpy(&fill, a->t().raw_data().data(), 8);
        result = SmallVector<Dim, 4>(n.size, Dim::fixed(fill));
      }
    }
  }

  OnnxValue *out = nc.outputValue(0);
  if (result && static_cast<int64_t>(result->size()) > kMaxKnownElements)
    result = std::nullopt;
  out->known = result;
  for (int i = 1; i < node.output_size(); ++i)
    if (OnnxValue *o = nc.outputValue(i))
      o->known = std::nullopt;

  // A fully static shape computation becomes a constant; the ops that
  // computed it are dead and canonicalization removes them.
  auto type = dyn_cast<RankedTensorType>(out->value.getType());
  if (!result || !type || !allStatic(symbols, *result) ||
      !type.hasStaticShape() || type.getNumElements() !=
                                    static_cast<int64_t>(result->size()) ||
      !type.getElementType().isSignlessInteger() ||
      out->value.getDefiningOp<attn::ConstantOp>())
    return;
  SmallVector<APInt> values;
  for (Dim d : *result)
    values.push_back(APInt(type.getElementTypeBitWidth(),
                           symbols.resolve(d).size, /*isSigned=*/true));
  out->value = attn::ConstantOp::create(
      nc.builder(), nc.loc, DenseElementsAttr::get(type, values));
}

std::optional<SmallVector<Dim, 4>>
attnc::import::knownValuesOf(Value constant) {
  return knownOfConstant(constant);
}
