//===- OnnxAttentionOps.cpp - ONNX Attention (opset 23) -------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// ONNX `Attention` decomposed into the attn ops a hand-written attention
// block imports to (transpose, matmul, mul, where/add, softmax, matmul), so
// that the fusion passes see one attention form whatever the source. The
// com.microsoft attention ops (OnnxContribOps.cpp) share these pieces.
//
//===----------------------------------------------------------------------===//

#include "OnnxAttention.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace attnc;
using namespace attnc::import;

FailureOr<OnnxValue> attention::splitHeads(NodeContext &nc, StringRef what,
                                           const OnnxValue &x, int64_t heads) {
  if (x.shape.size() != 3) {
    nc.emitError() << what << " must be 3-D [batch, sequence, hidden], got "
                   << "rank " << x.shape.size();
    return failure();
  }
  Dim hidden = nc.symbols().resolve(x.shape[2]);
  if (heads <= 0 || hidden.sym >= 0 || hidden.size % heads != 0) {
    nc.emitError() << what << " hidden size "
                   << (hidden.sym >= 0 ? std::string("(dynamic)")
                                       : std::to_string(hidden.size))
                   << " must be static and divisible by the " << heads
                   << " heads";
    return failure();
  }
  SymShape split = {x.shape[0], x.shape[1], Dim::fixed(heads),
                    Dim::fixed(hidden.size / heads)};
  return build::transpose(nc, build::reshape(nc, x, split), {0, 2, 1, 3});
}

OnnxValue attention::mergeHeads(NodeContext &nc, const OnnxValue &x) {
  OnnxValue t = build::transpose(nc, x, {0, 2, 1, 3});
  DimSymbols &s = nc.symbols();
  SymShape merged = {t.shape[0], t.shape[1],
                     s.derive(s.expr(t.shape[2]) * s.expr(t.shape[3]))};
  return build::reshape(nc, t, merged);
}

FailureOr<OnnxValue> attention::repeatHeads(NodeContext &nc, const OnnxValue &x,
                                            int64_t reps) {
  if (reps == 1)
    return x;
  // [B, H, T, D] -> [B, H, 1, T, D] -> [B, H, reps, T, D] -> [B, H*reps, T, D]:
  // head h serves query heads h*reps .. h*reps+reps-1.
  SymShape s5 = {x.shape[0], x.shape[1], Dim::fixed(1), x.shape[2], x.shape[3]};
  OnnxValue r = build::reshape(nc, x, s5);
  SymShape e5 = s5;
  e5[2] = Dim::fixed(reps);
  FailureOr<OnnxValue> e = build::expand(nc, r, e5);
  if (failed(e))
    return failure();
  DimSymbols &s = nc.symbols();
  SymShape s4 = {x.shape[0], s.derive(s.expr(x.shape[1]) * reps), x.shape[2],
                 x.shape[3]};
  return build::reshape(nc, *e, s4);
}

FailureOr<OnnxValue> attention::causalKeep(NodeContext &nc, Dim queries,
                                           Dim keys, Dim past) {
  OnnxValue rows =
      build::reshape(nc, build::iota(nc, queries), {queries, Dim::fixed(1)});
  OnnxValue cols = build::iota(nc, keys);
  FailureOr<OnnxValue> diff = build::sub(nc, cols, rows);
  if (failed(diff))
    return failure();
  return build::compare(nc, attn::ComparePredicate::le, *diff,
                        build::dimScalar(nc, past));
}

FailureOr<OnnxValue> attention::maskScores(NodeContext &nc,
                                           const OnnxValue &scores,
                                           const OnnxValue &keep,
                                           std::optional<double> filter) {
  if (!filter)
    return build::where(
        nc, keep, scores,
        build::scalar(nc, scores, -std::numeric_limits<double>::infinity()));
  // Additive like ONNX Runtime's contrib kernels: masked scores get
  // `filter` (e.g. -10000) added, so a fully masked row stays finite.
  FailureOr<OnnxValue> bias =
      build::where(nc, keep, build::scalar(nc, scores, 0),
                   build::scalar(nc, scores, *filter));
  if (failed(bias))
    return failure();
  return build::add(nc, scores, *bias);
}

namespace {



LogicalResult importAttention(NodeContext &nc) {
  if (failed(requireInputs(nc, 3)))
    return failure();
  OnnxValue q = nc.input(0), k = nc.input(1), v = nc.input(2);
  if (!isa<FloatType>(build::elementType(q)))
    return nc.emitError() << "Q must be a float tensor, got "
                          << onnxTypeName(q.onnxType);
  if (failed(checkSameElementType(nc, q, k)) ||
      failed(checkSameElementType(nc, q, v)))
    return failure();
  int64_t rank = q.shape.size();
  if ((rank != 3 && rank != 4) || k.shape.size() != q.shape.size() ||
      v.shape.size() != q.shape.size())
    return nc.emitError() << "Q, K and V must all be 3-D or all 4-D, got ranks "
                          << q.shape.size() << ", " << k.shape.size() << ", "
                          << v.shape.size();
  if (rank == 3) {
    int64_t qHeads = nc.intAttr("q_num_heads", 0);
    int64_t kvHeads = nc.intAttr("kv_num_heads", 0);
    if (qHeads <= 0 || kvHeads <= 0)
      return nc.emitError() << "3-D inputs need q_num_heads and kv_num_heads";
    auto q4 = attention::splitHeads(nc, "Q", q, qHeads);
    if (failed(q4))
      return failure();
    auto k4 = attention::splitHeads(nc, "K", k, kvHeads);
    if (failed(k4))
      return failure();
    auto v4 = attention::splitHeads(nc, "V", v, kvHeads);
    if (failed(v4))
      return failure();
    q = *q4;
    k = *k4;
    v = *v4;
  }
  // Q [B, Hq, S, D], K [B, Hkv, L, D], V [B, Hkv, L, Dv].
  Dim qHeads = nc.symbols().resolve(q.shape[1]);
  Dim kvHeads = nc.symbols().resolve(k.shape[1]);
  Dim headSize = nc.symbols().resolve(q.shape[3]);
  if (qHeads.sym >= 0 || kvHeads.sym >= 0 || headSize.sym >= 0)
    return nc.emitError() << "head counts and the head size must be static";
  if (kvHeads.size <= 0 || qHeads.size % kvHeads.size != 0)
    return nc.emitError() << "q heads (" << qHeads.size
                          << ") must be a multiple of kv heads ("
                          << kvHeads.size << ")";

  // KV cache: present = concat(past, new) along the sequence.
  Dim past = Dim::fixed(0);
  if (nc.hasInput(4) != nc.hasInput(5))
    return nc.emitError() << "past_key and past_value must be given together";
  if (nc.hasInput(4)) {
    const OnnxValue &pk = nc.input(4), &pv = nc.input(5);
    if (pk.shape.size() != 4 || pv.shape.size() != 4)
      return nc.emitError() << "past_key and past_value must be 4-D";
    past = pk.shape[2];
    auto ck = build::concat(nc, {pk, k}, 2);
    if (failed(ck))
      return failure();
    auto cv = build::concat(nc, {pv, v}, 2);
    if (failed(cv))
      return failure();
    k = *ck;
    v = *cv;
  }
  if (nc.hasOutput(1))
    nc.setOutput(1, k);
  if (nc.hasOutput(2))
    nc.setOutput(2, v);
  Dim seq = q.shape[2], total = k.shape[2];

  auto kr = attention::repeatHeads(nc, k, qHeads.size / kvHeads.size);
  if (failed(kr))
    return failure();
  auto vr = attention::repeatHeads(nc, v, qHeads.size / kvHeads.size);
  if (failed(vr))
    return failure();

  double scale = nc.attr("scale") ? nc.floatAttr("scale", 1.0f)
                                  : 1.0 / std::sqrt(double(headSize.size));
  OnnxValue kt = build::transpose(nc, *kr, {0, 1, 3, 2});
  auto scores = build::matmul(nc, q, kt);
  if (failed(scores))
    return failure();
  scores = build::mul(nc, *scores, build::scalar(nc, q, scale));
  if (failed(scores))
    return failure();
  int64_t mode = nc.intAttr("qk_matmul_output_mode", 0);
  if (mode < 0 || mode > 3)
    return nc.emitError() << "qk_matmul_output_mode " << mode
                          << " is not one of 0..3";
  OnnxValue qk = *scores;

  if (nc.hasInput(3)) {
    OnnxValue mask = nc.input(3);
    if (mask.shape.empty())
      return nc.emitError() << "attn_mask must have rank >= 1";
    // A mask shorter than the total sequence is padded with "masked".
    Dim last = nc.symbols().resolve(mask.shape.back());
    Dim tot = nc.symbols().resolve(total);
    bool isBool = mask.onnxType == onnx::TensorProto::BOOL;
    if (!isBool && failed(checkSameElementType(nc, q, mask)))
      return failure();
    if (last.sym < 0 && tot.sym < 0 && last.size < tot.size) {
      SymShape padShape = mask.shape;
      padShape.back() = Dim::fixed(tot.size - last.size);
      OnnxValue fill =
          isBool ? build::scalar(nc, mask, 0)
                 : build::scalar(nc, mask,
                                 -std::numeric_limits<double>::infinity());
      auto pad = build::expand(nc, fill, padShape);
      if (failed(pad))
        return failure();
      auto padded = build::concat(nc, {mask, *pad}, mask.shape.size() - 1);
      if (failed(padded))
        return failure();
      mask = *padded;
    }
    if (isBool)
      scores = attention::maskScores(nc, *scores, mask, std::nullopt);
    else
      scores = build::add(nc, *scores, mask);
    if (failed(scores))
      return failure();
  }
  if (nc.intAttr("is_causal", 0)) {
    auto keep = attention::causalKeep(nc, seq, total, past);
    if (failed(keep))
      return failure();
    scores = attention::maskScores(nc, *scores, *keep, std::nullopt);
    if (failed(scores))
      return failure();
  }
  if (nc.hasInput(6)) {
    // nonpad_kv_seqlen [B]: keys at or past a batch row's length are
    // padding.
    const OnnxValue &lengths = nc.input(6);
    if (lengths.shape.size() != 1 ||
        lengths.onnxType != onnx::TensorProto::INT64)
      return nc.emitError() << "nonpad_kv_seqlen must be a 1-D int64 tensor";
    OnnxValue rows =
        build::reshape(nc, lengths, {lengths.shape[0], Dim::fixed(1)});
    auto valid = build::compare(nc, attn::ComparePredicate::lt,
                                build::iota(nc, total), rows);
    if (failed(valid))
      return failure();
    OnnxValue keep = build::reshape(
        nc, *valid,
        {valid->shape[0], Dim::fixed(1), Dim::fixed(1), valid->shape[1]});
    scores = attention::maskScores(nc, *scores, keep, std::nullopt);
    if (failed(scores))
      return failure();
  }
  if (mode == 1)
    qk = *scores;
  float softcap = nc.floatAttr("softcap", 0.0f);
  if (softcap > 0) {
    auto d = build::mul(nc, *scores, build::scalar(nc, q, 1.0 / softcap));
    if (failed(d))
      return failure();
    scores = build::mul(nc, build::tanh(nc, *d), build::scalar(nc, q, softcap));
    if (failed(scores))
      return failure();
  }
  if (mode == 2)
    qk = *scores;
  OnnxValue probs = build::softmax(nc, *scores, 3);
  if (mode == 3)
    qk = probs;
  auto y = build::matmul(nc, probs, *vr);
  if (failed(y))
    return failure();
  nc.setOutput(0, rank == 3 ? attention::mergeHeads(nc, *y) : *y);
  if (nc.hasOutput(3))
    nc.setOutput(3, qk);
  return success();
}

} // namespace

void import::appendAttentionOpHandlers(std::vector<OpHandlerEntry> &handlers) {
  handlers.push_back(
      {"", "Attention", 23, 24,
       "decomposed (matmul, softmax, matmul); softmax_precision ignored",
       importAttention});
}
