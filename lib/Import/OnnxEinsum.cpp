//===- OnnxEinsum.cpp - ONNX Einsum as transpose/reshape/matmul -----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Einsum of one or two operands without repeated labels within a term
// (ellipsis allowed): the equations attention code writes
// (`bhid,bhjd->bhij`, `bhij,bhjd->bhid`, `bij,bjk->bik`, `ij->ji`, ...).
// Labels only one operand has and the output lacks are summed first;
// then the labels are grouped into batch (both operands and the output),
// contracted (both operands), left and right free, and the product is one
// batched attn.matmul between transposes and reshapes. Anything else is
// refused with "unsupported einsum equation".
//
//===----------------------------------------------------------------------===//

#include "OnnxBuild.h"

using namespace mlir;
using namespace attnc;
using namespace attnc::import;

namespace {

/// One operand during the decomposition: its value and one label per dim.
struct Term {
  OnnxValue value;
  std::string labels;
};

/// Sums the dims of `t` whose labels are not in `keep`.
void sumOut(NodeContext &nc, Term &t, StringRef keep) {
  SmallVector<int64_t> axes;
  std::string rest;
  for (auto [i, c] : llvm::enumerate(t.labels)) {
    if (keep.contains(c))
      rest.push_back(c);
    else
      axes.push_back(i);
  }
  if (axes.empty())
    return;
  t.value = build::reduce(nc, attn::ReduceKind::sum, t.value, axes,
                          /*keepdims=*/false);
  t.labels = rest;
}

/// Transposes `t` so that its labels are in the order of `order`.
void permute(NodeContext &nc, Term &t, StringRef order) {
  SmallVector<int64_t> perm;
  for (char c : order)
    perm.push_back(t.labels.find(c));
  t.value = build::transpose(nc, t.value, perm);
  t.labels = order.str();
}

/// The dims of `t` for `labels`, merged into one (1 when empty).
Dim mergedDim(NodeContext &nc, const Term &t, StringRef labels) {
  DimSymbols &s = nc.symbols();
  AffineExpr e = s.expr(Dim::fixed(1));
  for (char c : labels)
    e = e * s.expr(t.value.shape[t.labels.find(c)]);
  return s.derive(e);
}

LogicalResult importEinsum(NodeContext &nc) {
  const onnx::AttributeProto *eqAttr = nc.attr("equation");
  if (!eqAttr)
    return nc.emitError() << "missing the equation attribute";
  std::string eq;
  for (char c : eqAttr->s())
    if (!isspace(static_cast<unsigned char>(c)))
      eq.push_back(c);
  auto unsupported = [&](StringRef why) {
    return nc.emitError() << "unsupported einsum equation '" << eqAttr->s()
                          << "': " << why;
  };
  StringRef lhs = eq, out;
  bool explicitOut = false;
  if (size_t arrow = StringRef(eq).find("->"); arrow != StringRef::npos) {
    lhs = StringRef(eq).take_front(arrow);
    out = StringRef(eq).drop_front(arrow + 2);
    explicitOut = true;
  }
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != nc.numInputs())
    return unsupported("it has " + std::to_string(terms.size()) +
                       " operand terms for " + std::to_string(nc.numInputs()) +
                       " inputs");
  if (terms.size() > 2)
    return unsupported("more than two operands");
  for (size_t i = 0; i < terms.size(); ++i)
    if (!nc.hasInput(i))
      return nc.emitError() << "input " << i << " is missing";

  // Ellipsis: '...' stands for the leading dims not named by labels; the
  // ellipsis dims of all operands align to the right (numpy broadcasting).
  // They get fresh labels, the last ones shared by all operands.
  std::string ellipsisLabels;
  SmallVector<std::string> expanded;
  {
    int64_t ellipsisRank = 0;
    SmallVector<int64_t> ranks;
    for (auto [i, term] : llvm::enumerate(terms)) {
      size_t dots = term.find("...");
      if (term.count('.') != (dots == StringRef::npos ? 0 : 3))
        return unsupported("'.' only appears as one '...' per term");
      int64_t r = nc.input(i).shape.size();
      int64_t named = term.size() - (dots == StringRef::npos ? 0 : 3);
      ranks.push_back(dots == StringRef::npos ? 0 : r - named);
      if (ranks.back() < 0)
        return unsupported("term '" + term.str() + "' has " +
                           std::to_string(named) + " labels for a rank-" +
                           std::to_string(r) + " input");
      ellipsisRank = std::max(ellipsisRank, ranks.back());
    }
    for (char c = 'A'; c <= 'z' && (int64_t)ellipsisLabels.size() <
                                       ellipsisRank; ++c)
      if (isalpha(static_cast<unsigned char>(c)) &&
          !StringRef(eq).contains(c))
        ellipsisLabels.push_back(c);
    if ((int64_t)ellipsisLabels.size() < ellipsisRank)
      return unsupported("too many labels");
    for (auto [i, term] : llvm::enumerate(terms)) {
      std::string t = term.str();
      if (size_t dots = t.find("..."); dots != std::string::npos)
        t.replace(dots, 3, ellipsisLabels.substr(ellipsisRank - ranks[i]));
      expanded.push_back(t);
    }
    if (explicitOut && out.contains("...")) {
      std::string o = out.str();
      o.replace(o.find("..."), 3, ellipsisLabels);
      expanded.push_back(o);
      out = expanded.back();
    } else if (explicitOut && out.contains('.')) {
      return unsupported("'.' only appears as one '...' per term");
    }
  }

  std::string implicitOut;
  SmallVector<Term> ops;
  for (size_t i = 0; i < terms.size(); ++i) {
    Term t{nc.input(i), expanded[i]};
    if (t.labels.size() != t.value.shape.size())
      return unsupported("term '" + t.labels + "' has " +
                         std::to_string(t.labels.size()) +
                         " labels for a rank-" +
                         std::to_string(t.value.shape.size()) + " input");
    for (auto [j, c] : llvm::enumerate(t.labels)) {
      if (!isalpha(static_cast<unsigned char>(c)))
        return unsupported(std::string("invalid label '") + c + "'");
      if (t.labels.find(c) != j)
        return unsupported(std::string("label '") + c +
                           "' repeats within a term (diagonals)");
    }
    ops.push_back(std::move(t));
  }
  if (!explicitOut) {
    // Implicit output: the ellipsis dims, then the labels that occur once,
    // in alphabetical order.
    std::string all;
    for (const Term &t : ops)
      all += t.labels;
    implicitOut = ellipsisLabels;
    for (char c = 'A'; c <= 'z'; ++c)
      if (llvm::count(all, c) == 1 && !StringRef(ellipsisLabels).contains(c))
        implicitOut.push_back(c);
    out = implicitOut;
  }
  for (auto [j, c] : llvm::enumerate(out)) {
    if (out.find(c) != j)
      return unsupported(std::string("output label '") + c + "' repeats");
    if (llvm::none_of(ops, [&](const Term &t) {
          return StringRef(t.labels).contains(c);
        }))
      return unsupported(std::string("output label '") + c +
                         "' is in no operand");
  }
  if (ops.size() == 2 &&
      failed(checkSameElementType(nc, ops[0].value, ops[1].value)))
    return failure();

  if (ops.size() == 1) {
    Term &t = ops[0];
    sumOut(nc, t, out);
    permute(nc, t, out);
    nc.setOutput(0, t.value);
    return success();
  }

  Term &a = ops[0], &b = ops[1];
  // Labels of one operand that neither the other nor the output has are
  // summed away first.
  sumOut(nc, a, b.labels + out.str());
  sumOut(nc, b, a.labels + out.str());
  std::string batch, contract, aFree, bFree;
  for (char c : a.labels) {
    bool inB = StringRef(b.labels).contains(c), inOut = out.contains(c);
    if (inB && inOut)
      batch.push_back(c);
    else if (inB)
      contract.push_back(c);
    else
      aFree.push_back(c);
  }
  for (char c : b.labels)
    if (!StringRef(a.labels).contains(c))
      bFree.push_back(c);
  int64_t nb = batch.size();
  permute(nc, a, batch + aFree + contract);
  permute(nc, b, batch + contract + bFree);

  // [batch..., M, K] x [batch..., K, N]; groups that are not exactly one
  // dim are merged (or created as 1) by a reshape.
  auto toMatrix = [&](Term &t, StringRef rows, StringRef cols) {
    if (rows.size() == 1 && cols.size() == 1)
      return;
    SymShape shape(t.value.shape.begin(), t.value.shape.begin() + nb);
    shape.push_back(mergedDim(nc, t, rows));
    shape.push_back(mergedDim(nc, t, cols));
    t.value = build::reshape(nc, t.value, shape);
  };
  SymShape resultShape;
  for (char c : batch)
    resultShape.push_back(a.value.shape[a.labels.find(c)]);
  for (char c : aFree)
    resultShape.push_back(a.value.shape[a.labels.find(c)]);
  for (char c : bFree)
    resultShape.push_back(b.value.shape[b.labels.find(c)]);
  toMatrix(a, aFree, contract);
  toMatrix(b, contract, bFree);
  FailureOr<OnnxValue> product = build::matmul(nc, a.value, b.value);
  if (failed(product))
    return failure();
  Term r{*product, batch + aFree + bFree};
  // Batch dims broadcast in the matmul; take them from its result.
  for (int64_t i = 0; i < nb; ++i)
    resultShape[i] = product->shape[i];
  if (aFree.size() != 1 || bFree.size() != 1)
    r.value = build::reshape(nc, r.value, resultShape);
  permute(nc, r, out);
  nc.setOutput(0, r.value);
  return success();
}

} // namespace

void import::appendEinsumOpHandlers(std::vector<OpHandlerEntry> &handlers) {
  handlers.push_back(
      {"", "Einsum", 12, 24,
       "one or two operands, no diagonals; as transpose, reshape "
       "and a batched matmul",
       importEinsum});
}
