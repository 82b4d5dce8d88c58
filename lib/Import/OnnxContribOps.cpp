//===- OnnxContribOps.cpp - com.microsoft transformer ops -----------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// The com.microsoft ops that ONNX Runtime's transformer optimizer writes
// (Attention, MultiHeadAttention, SkipLayerNormalization, FastGelu,
// BiasGelu, Gelu, FusedMatMul), decomposed into attn ops with the
// semantics of ONNX Runtime's CPU kernels: masks add `mask_filter_value`
// (default -10000) instead of -inf, so fully masked rows stay finite.
//
//===----------------------------------------------------------------------===//

#include "OnnxAttention.h"

#include <cmath>

using namespace mlir;
using namespace attnc;
using namespace attnc::import;

namespace {



LogicalResult requireFloat(NodeContext &nc, StringRef what,
                           const OnnxValue &v) {
  if (!isa<FloatType>(build::elementType(v)))
    return nc.emitError() << what << " must be a float tensor, got "
                          << onnxTypeName(v.onnxType);
  return success();
}

/// Keep-mask from a com.microsoft key-padding mask (> 0 = attend, as ONNX
/// Runtime reads it): [B, T] -> [B, 1, 1, T], [B, S, T] -> [B, 1, S, T].
/// A 1-D [B] mask holds each batch row's length (keys at or past it are
/// padding), which ONNX Runtime's optimizer writes from a 2-D mask.
FailureOr<OnnxValue> keyPaddingKeep(NodeContext &nc, StringRef what,
                                    const OnnxValue &mask, Dim batch,
                                    Dim total) {
  if (mask.onnxType != onnx::TensorProto::INT32 &&
      mask.onnxType != onnx::TensorProto::INT64 &&
      mask.onnxType != onnx::TensorProto::BOOL) {
    nc.emitError() << what << " must be an int32 mask, got "
                   << onnxTypeName(mask.onnxType);
    return failure();
  }
  DimSymbols &s = nc.symbols();
  if (mask.shape.size() == 1 && mask.onnxType != onnx::TensorProto::BOOL) {
    Dim n = s.resolve(mask.shape[0]), b = s.resolve(batch);
    if (n.sym != b.sym || (n.sym < 0 && n.size != b.size)) {
      nc.emitError() << what << " of shape [2 * batch] (end and start "
                     << "positions) is not supported, only [batch] lengths";
      return failure();
    }
    OnnxValue lengths = build::castTo(
        nc, build::reshape(nc, mask, {mask.shape[0], Dim::fixed(1)}),
        onnx::TensorProto::INT64);
    auto valid = build::compare(nc, attn::ComparePredicate::lt,
                                build::iota(nc, total), lengths);
    if (failed(valid))
      return failure();
    return build::reshape(
        nc, *valid,
        {valid->shape[0], Dim::fixed(1), Dim::fixed(1), valid->shape[1]});
  }
  SymShape shape;
  if (mask.shape.size() == 2)
    shape = {mask.shape[0], Dim::fixed(1), Dim::fixed(1), mask.shape[1]};
  else if (mask.shape.size() == 3)
    shape = {mask.shape[0], Dim::fixed(1), mask.shape[1], mask.shape[2]};
  else {
    nc.emitError() << what << " of rank " << mask.shape.size()
                   << " is not supported (only [batch] lengths, [batch, "
                      "total_sequence] or [batch, sequence, total_sequence] "
                      "masks)";
    return failure();
  }
  OnnxValue m = build::reshape(nc, mask, shape);
  if (m.onnxType == onnx::TensorProto::BOOL)
    return m;
  return build::compare(nc, attn::ComparePredicate::gt, m,
                        build::scalar(nc, m, 0));
}

/// softmax(q kᵀ * scale + masks) v for q [B, N, S, D], k/v [B, N, T, D],
/// merged back to [B, S, N*Dv].
FailureOr<OnnxValue> attend(NodeContext &nc, const OnnxValue &q,
                            const OnnxValue &k, const OnnxValue &v,
                            std::optional<OnnxValue> keep,
                            std::optional<OnnxValue> attnBias, Dim past) {
  Dim headSize = nc.symbols().resolve(q.shape[3]);
  double scale = nc.attr("scale") && nc.floatAttr("scale", 0) != 0
                     ? nc.floatAttr("scale", 1.0f)
                     : 1.0 / std::sqrt(double(headSize.size));
  double filter = nc.floatAttr("mask_filter_value", -10000.0f);
  auto scores =
      build::matmul(nc, q, build::transpose(nc, k, {0, 1, 3, 2}));
  if (failed(scores))
    return failure();
  scores = build::mul(nc, *scores, build::scalar(nc, q, scale));
  if (failed(scores))
    return failure();
  if (attnBias) {
    scores = build::add(nc, *scores, *attnBias);
    if (failed(scores))
      return failure();
  }
  if (keep) {
    scores = attention::maskScores(nc, *scores, *keep, filter);
    if (failed(scores))
      return failure();
  }
  if (nc.intAttr("unidirectional", 0)) {
    auto causal = attention::causalKeep(nc, q.shape[2], k.shape[2], past);
    if (failed(causal))
      return failure();
    scores = attention::maskScores(nc, *scores, *causal, filter);
    if (failed(scores))
      return failure();
  }
  auto y = build::matmul(nc, build::softmax(nc, *scores, 3), v);
  if (failed(y))
    return failure();
  return attention::mergeHeads(nc, *y);
}

LogicalResult refuseAttrs(NodeContext &nc, ArrayRef<StringRef> names) {
  for (StringRef name : names)
    if (nc.intAttr(name, 0) != 0)
      return nc.emitError() << "attribute " << name << " is not supported";
  return success();
}

/// com.microsoft Attention: packed QKV projection of one input.
LogicalResult importContribAttention(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  if (failed(refuseAttrs(nc, {"do_rotary", "past_present_share_buffer"})))
    return failure();
  if (nc.hasInput(6) || nc.hasInput(7))
    return nc.emitError()
           << "past_sequence_length and relative-position inputs are not "
              "supported";
  const OnnxValue &x = nc.input(0), &w = nc.input(1);
  if (failed(requireFloat(nc, "input", x)) ||
      failed(checkSameElementType(nc, x, w)))
    return failure();
  int64_t heads = nc.intAttr("num_heads", 0);
  if (heads <= 0)
    return nc.emitError() << "num_heads must be positive";
  if (x.shape.size() != 3 || w.shape.size() != 2)
    return nc.emitError() << "input must be 3-D and weights 2-D, got ranks "
                          << x.shape.size() << " and " << w.shape.size();
  auto qkv = build::matmul(nc, x, w);
  if (failed(qkv))
    return failure();
  if (nc.hasInput(2)) {
    qkv = build::add(nc, *qkv, nc.input(2));
    if (failed(qkv))
      return failure();
  }
  Dim width = nc.symbols().resolve(w.shape[1]);
  if (width.sym >= 0)
    return nc.emitError() << "the weights' output width must be static";
  SmallVector<int64_t> sizes;
  if (auto s = nc.intsAttr("qkv_hidden_sizes"); s && !s->empty())
    sizes.assign(s->begin(), s->end());
  else if (width.size % 3 == 0)
    sizes.assign(3, width.size / 3);
  if (sizes.size() != 3 || sizes[0] != sizes[1] ||
      sizes[0] + sizes[1] + sizes[2] != width.size)
    return nc.emitError() << "cannot split the " << width.size
                          << " projected features into Q, K and V";
  int64_t offset = 0;
  SmallVector<OnnxValue> parts;
  for (auto [i, n] : llvm::enumerate(sizes)) {
    OnnxValue part = build::slice(nc, *qkv, 2, Dim::fixed(offset),
                                  Dim::fixed(n));
    offset += n;
    auto split = attention::splitHeads(nc, i == 0 ? "Q" : i == 1 ? "K" : "V",
                                       part, heads);
    if (failed(split))
      return failure();
    parts.push_back(*split);
  }
  OnnxValue k = parts[1], v = parts[2];
  Dim past = Dim::fixed(0);
  if (nc.hasInput(4)) {
    // past [2, B, N, P, D]: past key and value stacked.
    const OnnxValue &p = nc.input(4);
    Dim two = nc.symbols().resolve(p.shape.empty() ? Dim::fixed(0)
                                                   : p.shape[0]);
    if (p.shape.size() != 5 || two.sym >= 0 || two.size != 2)
      return nc.emitError() << "past must be 5-D [2, B, N, P, D]";
    past = p.shape[3];
    SymShape one(p.shape.begin() + 1, p.shape.end());
    OnnxValue pk = build::reshape(
        nc, build::slice(nc, p, 0, Dim::fixed(0), Dim::fixed(1)), one);
    OnnxValue pv = build::reshape(
        nc, build::slice(nc, p, 0, Dim::fixed(1), Dim::fixed(1)), one);
    auto ck = build::concat(nc, {pk, k}, 2);
    auto cv = failed(ck) ? ck : build::concat(nc, {pv, v}, 2);
    if (failed(cv))
      return failure();
    k = *ck;
    v = *cv;
  }
  if (nc.hasOutput(1)) {
    SymShape stacked = {Dim::fixed(1)};
    stacked.append(k.shape.begin(), k.shape.end());
    auto present = build::concat(nc,
                                 {build::reshape(nc, k, stacked),
                                  build::reshape(nc, v, stacked)},
                                 0);
    if (failed(present))
      return failure();
    nc.setOutput(1, *present);
  }
  std::optional<OnnxValue> keep, bias;
  if (nc.hasInput(3)) {
    auto m =
        keyPaddingKeep(nc, "mask_index", nc.input(3), x.shape[0], k.shape[2]);
    if (failed(m))
      return failure();
    keep = *m;
  }
  if (nc.hasInput(5))
    bias = nc.input(5);
  auto y = attend(nc, parts[0], k, v, keep, bias, past);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// com.microsoft MultiHeadAttention with separate 3-D query, key, value.
LogicalResult importMultiHeadAttention(NodeContext &nc) {
  if (failed(requireInputs(nc, 3)))
    return failure();
  if (nc.hasInput(8) || nc.hasInput(9))
    return nc.emitError() << "past_sequence_length and cache_indirection "
                             "inputs are not supported";
  if (nc.hasOutput(3))
    return nc.emitError() << "the qk output is not supported";
  OnnxValue q = nc.input(0), k = nc.input(1), v = nc.input(2);
  if (failed(requireFloat(nc, "query", q)) ||
      failed(checkSameElementType(nc, q, k)) ||
      failed(checkSameElementType(nc, q, v)))
    return failure();
  if (q.shape.size() != 3 || k.shape.size() != 3 || v.shape.size() != 3)
    return nc.emitError() << "only 3-D query, key and value are supported "
                             "(no packed or BNSH layouts), got ranks "
                          << q.shape.size() << ", " << k.shape.size() << ", "
                          << v.shape.size();
  int64_t heads = nc.intAttr("num_heads", 0);
  if (heads <= 0)
    return nc.emitError() << "num_heads must be positive";
  if (nc.hasInput(3)) {
    // bias [Dq + Dk + Dv], added to the projected query, key and value.
    const OnnxValue &b = nc.input(3);
    Dim dq = nc.symbols().resolve(q.shape[2]),
        dk = nc.symbols().resolve(k.shape[2]),
        dv = nc.symbols().resolve(v.shape[2]);
    Dim n = b.shape.empty() ? Dim::fixed(0) : nc.symbols().resolve(b.shape[0]);
    if (b.shape.size() != 1 || dq.sym >= 0 || dk.sym >= 0 || dv.sym >= 0 ||
        n.sym >= 0 || n.size != dq.size + dk.size + dv.size)
      return nc.emitError() << "bias must be a vector of the query, key and "
                               "value hidden sizes together (static)";
    int64_t offset = 0;
    for (auto [x, d] : llvm::zip(SmallVector<OnnxValue *>{&q, &k, &v},
                                 SmallVector<int64_t>{dq.size, dk.size,
                                                      dv.size})) {
      auto sum = build::add(
          nc, *x, build::slice(nc, b, 0, Dim::fixed(offset), Dim::fixed(d)));
      if (failed(sum))
        return failure();
      *x = *sum;
      offset += d;
    }
  }
  auto q4 = attention::splitHeads(nc, "query", q, heads);
  if (failed(q4))
    return failure();
  auto k4 = attention::splitHeads(nc, "key", k, heads);
  if (failed(k4))
    return failure();
  auto v4 = attention::splitHeads(nc, "value", v, heads);
  if (failed(v4))
    return failure();
  OnnxValue kk = *k4, vv = *v4;
  Dim past = Dim::fixed(0);
  if (nc.hasInput(6) != nc.hasInput(7))
    return nc.emitError() << "past_key and past_value must be given together";
  if (nc.hasInput(6)) {
    const OnnxValue &pk = nc.input(6), &pv = nc.input(7);
    if (pk.shape.size() != 4 || pv.shape.size() != 4)
      return nc.emitError() << "past_key and past_value must be 4-D";
    past = pk.shape[2];
    auto ck = build::concat(nc, {pk, kk}, 2);
    auto cv = failed(ck) ? ck : build::concat(nc, {pv, vv}, 2);
    if (failed(cv))
      return failure();
    kk = *ck;
    vv = *cv;
  }
  if (nc.hasOutput(1))
    nc.setOutput(1, kk);
  if (nc.hasOutput(2))
    nc.setOutput(2, vv);
  std::optional<OnnxValue> keep, bias;
  if (nc.hasInput(4)) {
    auto m = keyPaddingKeep(nc, "key_padding_mask", nc.input(4), q.shape[0],
                            kk.shape[2]);
    if (failed(m))
      return failure();
    keep = *m;
  }
  if (nc.hasInput(5))
    bias = nc.input(5);
  auto y = attend(nc, *q4, kk, vv, keep, bias, past);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// input + skip (+ bias at input `biasIndex`): the residual sum that the
/// Skip(Simplified)LayerNormalization ops normalize over the last dim.
FailureOr<OnnxValue> skipSum(NodeContext &nc, unsigned biasIndex) {
  if (failed(requireInputs(nc, 3)))
    return failure();
  const OnnxValue &x = nc.input(0), &skip = nc.input(1),
                  &gamma = nc.input(2);
  if (failed(requireFloat(nc, "input", x)) ||
      failed(checkSameElementType(nc, x, skip)) ||
      failed(checkSameElementType(nc, x, gamma)))
    return failure();
  if (x.shape.size() < 2)
    return nc.emitError() << "input must have rank >= 2";
  auto sum = build::add(nc, x, skip);
  if (failed(sum))
    return failure();
  if (nc.hasInput(biasIndex)) {
    sum = build::add(nc, *sum, nc.input(biasIndex));
    if (failed(sum))
      return failure();
  }
  if (sum->shape.size() != x.shape.size())
    return nc.emitError() << "skip and bias must broadcast to the input";
  return sum;
}

/// com.microsoft SkipLayerNormalization: LayerNorm(input + skip + bias) over
/// the last axis; optional outputs mean, inv_std_var and the sum.
LogicalResult importSkipLayerNorm(NodeContext &nc) {
  auto sum = skipSum(nc, 4);
  if (failed(sum))
    return failure();
  const OnnxValue &x = nc.input(0), &gamma = nc.input(2);
  int64_t axis = x.shape.size() - 1;
  // gamma and beta are [hidden] vectors over the normalized last dim.
  auto checkVector = [&](StringRef what, const OnnxValue &v) {
    Dim unified;
    if (v.shape.size() == 1 &&
        succeeded(nc.symbols().unify(v.shape[0], x.shape[axis], unified)))
      return success();
    nc.emitError() << what << " must be a vector of the input's last dim";
    return failure();
  };
  if (failed(checkVector("gamma", gamma)))
    return failure();
  Value beta;
  if (nc.hasInput(3)) {
    if (failed(checkSameElementType(nc, x, nc.input(3))) ||
        failed(checkVector("beta", nc.input(3))))
      return failure();
    beta = nc.input(3).value;
  }
  float epsilon = nc.floatAttr("epsilon", 1e-12f);
  OpBuilder &b = nc.builder();
  OnnxValue y = *sum;
  y.value = attn::LayerNormOp::create(
      b, nc.loc, sum->value.getType(), sum->value, gamma.value, beta,
      b.getI64IntegerAttr(axis), b.getF32FloatAttr(epsilon));
  nc.setOutput(0, y);
  if (nc.hasOutput(1) || nc.hasOutput(2)) {
    OnnxValue mean =
        build::reduce(nc, attn::ReduceKind::mean, *sum, {axis}, true);
    auto centered = build::sub(nc, *sum, mean);
    if (failed(centered))
      return failure();
    auto squares = build::mul(nc, *centered, *centered);
    if (failed(squares))
      return failure();
    OnnxValue var =
        build::reduce(nc, attn::ReduceKind::mean, *squares, {axis}, true);
    auto shifted = build::add(nc, var, build::scalar(nc, var, epsilon));
    if (failed(shifted))
      return failure();
    OnnxValue inv = *shifted;
    inv.value = attn::ReciprocalOp::create(
        b, nc.loc, shifted->value.getType(),
        attn::SqrtOp::create(b, nc.loc, shifted->value.getType(),
                             shifted->value));
    nc.setOutput(1, mean);
    nc.setOutput(2, inv);
  }
  nc.setOutput(3, *sum);
  return success();
}

/// Gelu of `x` (+ optional bias input 1).
template <attn::GeluApproximation approx>
LogicalResult importBiasGelu(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  OnnxValue x = nc.input(0);
  if (failed(requireFloat(nc, "input", x)))
    return failure();
  if (nc.hasInput(1)) {
    if (failed(checkSameElementType(nc, x, nc.input(1))))
      return failure();
    auto sum = build::add(nc, x, nc.input(1));
    if (failed(sum))
      return failure();
    x = *sum;
  }
  OnnxValue out = x;
  out.value = attn::GeluOp::create(nc.builder(), nc.loc, x.value.getType(),
                                   x.value, approx);
  nc.setOutput(0, out);
  return success();
}

/// com.microsoft FusedMatMul: alpha * op(A) op(B), op = optional transpose
/// of the last two dims.
LogicalResult importFusedMatMul(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  if (failed(refuseAttrs(nc, {"transBatchA", "transBatchB"})))
    return failure();
  OnnxValue a = nc.input(0), b = nc.input(1);
  if (failed(requireFloat(nc, "A", a)) ||
      failed(checkSameElementType(nc, a, b)))
    return failure();
  if (a.shape.size() < 2 || b.shape.size() < 2)
    return nc.emitError() << "operands must have rank >= 2, got "
                          << a.shape.size() << " and " << b.shape.size();
  auto swapLast = [&](const OnnxValue &v) {
    SmallVector<int64_t> perm;
    for (int64_t i = 0; i < build::rank(v); ++i)
      perm.push_back(i);
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
    return build::transpose(nc, v, perm);
  };
  if (nc.intAttr("transA", 0))
    a = swapLast(a);
  if (nc.intAttr("transB", 0))
    b = swapLast(b);
  auto y = build::matmul(nc, a, b);
  if (failed(y))
    return failure();
  float alpha = nc.floatAttr("alpha", 1.0f);
  if (alpha != 1.0f) {
    y = build::mul(nc, *y, build::scalar(nc, *y, alpha));
    if (failed(y))
      return failure();
  }
  nc.setOutput(0, *y);
  return success();
}

/// RMS normalization over the dims from `axis`: x / sqrt(mean(x^2) + eps)
/// * scale; also returns the inverse RMS (keepdims).
FailureOr<std::pair<OnnxValue, OnnxValue>>
rmsNorm(NodeContext &nc, const OnnxValue &x, const OnnxValue &scale,
        int64_t axis, float epsilon) {
  SmallVector<int64_t> axes;
  for (int64_t d = axis; d < build::rank(x); ++d)
    axes.push_back(d);
  auto squares = build::mul(nc, x, x);
  if (failed(squares))
    return failure();
  OnnxValue meanSquare =
      build::reduce(nc, attn::ReduceKind::mean, *squares, axes, true);
  auto shifted =
      build::add(nc, meanSquare, build::scalar(nc, meanSquare, epsilon));
  if (failed(shifted))
    return failure();
  OpBuilder &b = nc.builder();
  OnnxValue inv = *shifted;
  inv.value = attn::ReciprocalOp::create(
      b, nc.loc, shifted->value.getType(),
      attn::SqrtOp::create(b, nc.loc, shifted->value.getType(),
                           shifted->value));
  auto normalized = build::mul(nc, x, inv);
  if (failed(normalized))
    return failure();
  auto y = build::mul(nc, *normalized, scale);
  if (failed(y))
    return failure();
  if (y->shape.size() != x.shape.size()) {
    nc.emitError() << "scale must broadcast to the normalized dims";
    return failure();
  }
  return std::make_pair(*y, inv);
}

/// SimplifiedLayerNormalization (ONNX Runtime's RMSNorm, ai.onnx domain).
LogicalResult importSimplifiedLayerNorm(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  const OnnxValue &x = nc.input(0), &scale = nc.input(1);
  if (failed(requireFloat(nc, "X", x)) ||
      failed(checkSameElementType(nc, x, scale)))
    return failure();
  int64_t rank = x.shape.size(), axis = nc.intAttr("axis", -1);
  if (axis < -rank || axis >= rank)
    return nc.emitError() << "axis " << axis << " is out of range for rank "
                          << rank;
  if (axis < 0)
    axis += rank;
  auto r = rmsNorm(nc, x, scale, axis, nc.floatAttr("epsilon", 1e-5f));
  if (failed(r))
    return failure();
  nc.setOutput(0, r->first);
  nc.setOutput(1, r->second);
  return success();
}

/// com.microsoft SkipSimplifiedLayerNormalization: RMSNorm(input + skip +
/// bias) over the last dim.
LogicalResult importSkipSimplifiedLayerNorm(NodeContext &nc) {
  auto sum = skipSum(nc, 3);
  if (failed(sum))
    return failure();
  const OnnxValue &x = nc.input(0), &gamma = nc.input(2);
  auto r = rmsNorm(nc, *sum, gamma, x.shape.size() - 1,
                   nc.floatAttr("epsilon", 1e-12f));
  if (failed(r))
    return failure();
  nc.setOutput(0, r->first);
  if (nc.hasOutput(1))
    return nc.emitError() << "the mean output is not defined for RMS "
                             "normalization";
  nc.setOutput(2, r->second);
  nc.setOutput(3, *sum);
  return success();
}

/// Rows of `table` [N, H] picked by `ids` [B, S]: [B, S, H].
OnnxValue gatherRows(NodeContext &nc, const OnnxValue &table,
                     const OnnxValue &ids) {
  OnnxValue out = table;
  out.known.reset();
  out.shape = {ids.shape[0], ids.shape[1], table.shape[1]};
  out.value = attn::GatherOp::create(
      nc.builder(), nc.loc, nc.tensorType(out.shape, build::elementType(table)),
      table.value, ids.value, nc.builder().getI64IntegerAttr(0));
  return out;
}

/// com.microsoft EmbedLayerNormalization: LayerNorm(word[ids] +
/// position[position_ids or 0..S-1] + segment[segment_ids]); mask_index is
/// the per-row sum of the mask (the lengths the Attention op reads).
LogicalResult importEmbedLayerNorm(NodeContext &nc) {
  for (size_t i : {0, 2, 3, 5, 6})
    if (!nc.hasInput(i))
      return nc.emitError() << "input " << i << " is missing";
  const OnnxValue &ids = nc.input(0), &word = nc.input(2),
                  &position = nc.input(3), &gamma = nc.input(5),
                  &beta = nc.input(6);
  if (failed(requireFloat(nc, "word_embedding", word)) ||
      failed(checkSameElementType(nc, word, position)) ||
      failed(checkSameElementType(nc, word, gamma)) ||
      failed(checkSameElementType(nc, word, beta)))
    return failure();
  auto isIds = [](const OnnxValue &v) {
    return v.shape.size() == 2 && (v.onnxType == onnx::TensorProto::INT32 ||
                                   v.onnxType == onnx::TensorProto::INT64);
  };
  if (!isIds(ids) || word.shape.size() != 2 || position.shape.size() != 2)
    return nc.emitError() << "input_ids must be [batch, sequence] int32 and "
                             "the embeddings 2-D tables";
  if (nc.hasInput(8) && !isIds(nc.input(8)))
    return nc.emitError() << "position_ids must be a 2-D int32 tensor";
  // Positions default to 0..S-1: the first S rows, broadcast over the
  // batch.
  OnnxValue positions =
      nc.hasInput(8)
          ? gatherRows(nc, position, nc.input(8))
          : build::slice(nc, position, 0, Dim::fixed(0), ids.shape[1]);
  auto sum = build::add(nc, gatherRows(nc, word, ids), positions);
  if (failed(sum))
    return failure();
  if (nc.hasInput(1) != nc.hasInput(4))
    return nc.emitError() << "segment_ids and segment_embedding must be "
                             "given together";
  if (nc.hasInput(1)) {
    if (!isIds(nc.input(1)) ||
        failed(checkSameElementType(nc, word, nc.input(4))))
      return nc.emitError() << "segment_ids must be [batch, sequence] int32 "
                               "and segment_embedding a table like the "
                               "word embedding";
    sum = build::add(nc, *sum, gatherRows(nc, nc.input(4), nc.input(1)));
    if (failed(sum))
      return failure();
  }
  if (sum->shape.size() != 3)
    return nc.emitError() << "the embeddings do not add up to [batch, "
                             "sequence, hidden]";
  float epsilon = nc.floatAttr("epsilon", 1e-12f);
  OpBuilder &b = nc.builder();
  OnnxValue y = *sum;
  y.value = attn::LayerNormOp::create(
      b, nc.loc, sum->value.getType(), sum->value, gamma.value, beta.value,
      b.getI64IntegerAttr(2), b.getF32FloatAttr(epsilon));
  nc.setOutput(0, y);
  if (nc.hasOutput(1)) {
    if (!nc.hasInput(7))
      return nc.emitError() << "the mask_index output needs the mask input";
    OnnxValue mask = build::castTo(nc, nc.input(7), onnx::TensorProto::INT32);
    nc.setOutput(1, build::reduce(nc, attn::ReduceKind::sum, mask, {1},
                                  /*keepdims=*/false));
  }
  nc.setOutput(2, *sum);
  return success();
}

} // namespace

void import::appendContribOpHandlers(std::vector<OpHandlerEntry> &handlers) {
  using A = attn::GeluApproximation;
  handlers.insert(
      handlers.end(),
      {
          {"com.microsoft", "Attention", 1, 1,
           "packed QKV weights; [B] lengths or 2-D/3-D key-padding mask_index, "
           "past, "
           "attention_bias, unidirectional",
           importContribAttention},
          {"com.microsoft", "MultiHeadAttention", 1, 1,
           "3-D query/key/value, bias, [B] lengths or 2-D/3-D "
           "key_padding_mask, attention_bias, past_key/past_value",
           importMultiHeadAttention},
          {"com.microsoft", "SkipLayerNormalization", 1, 1,
           "outputs y, mean, inv_std_var, input_skip_bias_sum",
           importSkipLayerNorm},
          {"com.microsoft", "SkipSimplifiedLayerNormalization", 1, 1,
           "RMS normalization of input + skip + bias; outputs y, "
           "inv_std_var, input_skip_bias_sum",
           importSkipSimplifiedLayerNorm},
          {"", "SimplifiedLayerNormalization", 1, 24,
           "ONNX Runtime's RMS normalization (ai.onnx domain); outputs Y, "
           "inv_std_var",
           importSimplifiedLayerNorm},
          {"com.microsoft", "EmbedLayerNormalization", 1, 1,
           "word + position (+ segment) embeddings, LayerNorm; mask_index = "
           "per-row mask sum",
           importEmbedLayerNorm},
          {"com.microsoft", "FastGelu", 1, 1, "tanh approximation, bias",
           importBiasGelu<A::tanh>},
          {"com.microsoft", "BiasGelu", 1, 1, "erf Gelu of A + B",
           importBiasGelu<A::none>},
          {"com.microsoft", "Gelu", 1, 1, "erf Gelu", importBiasGelu<A::none>},
          {"com.microsoft", "FusedMatMul", 1, 1,
           "transA/transB/alpha; no transBatch", importFusedMatMul},
      });
}
