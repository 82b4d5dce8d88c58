//===- FuseAttention.cpp - Form attn.attention ----------------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// The matcher walks back from each softmax to the Q·Kᵀ product and forward
// to the ·V product, collecting the scale and mask ops in between, then
// checks that their order of application is one attn.attention expresses.
// See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Fusion.h"
#include "attnc/Transforms/Passes.h"


#include <limits>

namespace attnc {
#define GEN_PASS_DEF_FUSEATTENTION
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;
using namespace attnc;
using namespace attnc::attn;

/// `op` multiplies `chain` by a scalar constant (Mul by c, Div by c)
/// without broadcasting `chain`: returns the factor and sets `chain`.
static std::optional<double> scalarFactor(Operation *op, Value &chain) {
  Type resultType = op->getResult(0).getType();
  if (auto mul = dyn_cast<MulOp>(op)) {
    for (auto [x, c] : {std::pair(mul.getLhs(), mul.getRhs()),
                        std::pair(mul.getRhs(), mul.getLhs())}) {
      std::optional<double> factor = getScalarConstant(c);
      if (factor && x.getType() == resultType) {
        chain = x;
        return factor;
      }
    }
  }
  if (auto div = dyn_cast<DivOp>(op)) {
    std::optional<double> divisor = getScalarConstant(div.getRhs());
    if (divisor && *divisor != 0.0 && div.getLhs().getType() == resultType) {
      chain = div.getLhs();
      return 1.0 / *divisor;
    }
  }
  return std::nullopt;
}

static bool sameDim(int64_t a, int64_t b) {
  return a == b || (ShapedType::isDynamic(a) && ShapedType::isDynamic(b));
}

/// True when `value` is computed from a MatMul through the ops the
/// scores path may contain (scale, masks, reshapes): the scores operand of
/// a mask Add, as opposed to the mask.
static bool fromScores(Value value, int depth = 0) {
  Operation *def = value.getDefiningOp();
  if (!def || depth > 8)
    return false;
  if (isa<MatMulOp>(def))
    return true;
  if (!isa<AddOp, WhereOp, MulOp, DivOp, ReshapeOp>(def))
    return false;
  return llvm::any_of(def->getOperands(), [&](Value operand) {
    return fromScores(operand, depth + 1);
  });
}

/// The operand of the mask Add `add` that carries the scores: of the
/// result's type, not a constant, and computed from a MatMul (the left one
/// when both qualify).
static Value scoresOperand(AddOp add) {
  auto qualifies = [&](Value v) {
    return v.getType() == add.getType() && !getScalarConstant(v);
  };
  Value lhs = add.getLhs(), rhs = add.getRhs();
  if (qualifies(lhs) && qualifies(rhs) && !fromScores(lhs) && fromScores(rhs))
    return rhs;
  return qualifies(lhs) ? lhs : rhs;
}

static std::string opName(Operation *op) {
  return op->getName().getStringRef().str();
}

FailureOr<AttentionMatch> attnc::matchAttention(SoftmaxOp softmax,
                                                std::string &whyNot) {
  auto fail = [&](const Twine &why) -> FailureOr<AttentionMatch> {
    whyNot = why.str();
    return failure();
  };
  AttentionMatch m;
  m.softmax = softmax;
  auto type = cast<RankedTensorType>(softmax.getType());
  int64_t rank = type.getRank();
  if (rank != 3 && rank != 4)
    return fail("the softmax has rank " + Twine(rank) +
                "; attention needs rank 3 or 4");
  if (softmax.getAxis() != rank - 1)
    return fail("the softmax is over axis " + Twine(softmax.getAxis()) +
                ", not the last axis");
  if (!softmax->hasOneUse())
    return fail("the attention probabilities have " +
                Twine(std::distance(softmax->use_begin(), softmax->use_end())) +
                " uses (e.g. they are a graph output); attention needs them "
                "only as the left operand of the ·V MatMul");
  auto output = dyn_cast<MatMulOp>(*softmax->user_begin());
  if (!output || output.getLhs() != softmax.getResult())
    return fail("the softmax result feeds " +
                opName(*softmax->user_begin()) +
                ", not the left operand of a MatMul");
  m.output = output;
  m.value = output.getRhs();
  if (cast<RankedTensorType>(m.value.getType()).getRank() != rank)
    return fail("the ·V MatMul broadcasts V from a lower rank");
  m.absorbed = {softmax, output};

  // Walk back from the softmax to the Q·Kᵀ MatMul.
  SmallVector<Operation *> maskOps; // nearest the softmax first
  Value cur = softmax.getInput();
  bool raised = false;
  while (true) {
    Operation *def = cur.getDefiningOp();
    if (!def)
      return fail("the scores are a function argument, not a MatMul");
    if (auto matmul = dyn_cast<MatMulOp>(def)) {
      m.scores = matmul;
      break;
    }
    if (!cur.hasOneUse())
      return fail("the intermediate scores (" + opName(def) +
                  ") have other uses");
    m.absorbed.push_back(def);
    if (auto reshape = dyn_cast<ReshapeOp>(def)) {
      auto in = cast<RankedTensorType>(reshape.getInput().getType());
      auto out = cast<RankedTensorType>(reshape.getType());
      // [B*H, Tq, Tk] <-> [B, H, Tq, Tk] around the masks (Marian, bmm-style
      // exports). Reshapes keep row-major order, so the round trip is the
      // identity and the masks index [B, H, Tq, Tk].
      if (!raised && !m.raiseReshape && rank == 3 && in.getRank() == 4 &&
          out == type && !ShapedType::isDynamic(in.getDimSize(1)) &&
          sameDim(in.getDimSize(2), out.getDimSize(1)) &&
          sameDim(in.getDimSize(3), out.getDimSize(2))) {
        raised = true;
        m.raisedScores = in;
        cur = reshape.getInput();
        continue;
      }
      if (raised && !m.raiseReshape && in == type && out == m.raisedScores) {
        m.raiseReshape = reshape;
        cur = reshape.getInput();
        continue;
      }
      return fail("the scores are reshaped between the MatMul and the "
                  "softmax in a way attention cannot absorb");
    }
    if (auto add = dyn_cast<AddOp>(def)) {
      cur = scoresOperand(add);
      if (cur.getType() != add.getType())
        return fail("the additive mask broadcasts the scores to a larger "
                    "shape");
      maskOps.push_back(def);
      continue;
    }
    if (auto where = dyn_cast<WhereOp>(def)) {
      std::optional<double> lhsConst = getScalarConstant(where.getLhs());
      std::optional<double> rhsConst = getScalarConstant(where.getRhs());
      if (rhsConst && where.getLhs().getType() == where.getType())
        cur = where.getLhs();
      else if (lhsConst && where.getRhs().getType() == where.getType())
        cur = where.getRhs();
      else
        return fail("the Where on the scores does not select a scalar "
                    "constant for masked positions");
      maskOps.push_back(def);
      continue;
    }
    if (isa<MulOp, DivOp>(def)) {
      Value chain;
      if (!scalarFactor(def, chain))
        return fail("the scores are scaled by a tensor, not a scalar "
                    "constant");
      cur = chain;
      maskOps.push_back(def);
      continue;
    }
    return fail("the scores come from " + opName(def) + ", not a MatMul");
  }
  if (raised && !m.raiseReshape)
    return fail("the scores are reshaped to rank 4 but not from the rank-3 "
                "MatMul");

  // Apply the collected ops in graph order: scales, then at most one
  // boolean mask (later scales scale its fill value), then additive masks.
  enum { kScale, kKeep, kBias } state = kScale;
  for (Operation *op : llvm::reverse(maskOps)) {
    Value chain;
    if (std::optional<double> factor = scalarFactor(op, chain)) {
      if (state == kBias)
        return fail("the scores are scaled after an additive mask");
      m.scale *= *factor;
      if (m.fill)
        *m.fill *= *factor;
      continue;
    }
    if (auto where = dyn_cast<WhereOp>(op)) {
      if (state != kScale)
        return fail(state == kKeep ? "two boolean masks"
                                   : "a boolean mask after an additive mask");
      std::optional<double> rhsConst = getScalarConstant(where.getRhs());
      m.keepWhenTrue = rhsConst && where.getLhs().getType() == where.getType();
      m.fill = m.keepWhenTrue ? *rhsConst : *getScalarConstant(where.getLhs());
      m.keepCondition = where.getCondition();
      state = kKeep;
      continue;
    }
    auto add = cast<AddOp>(op);
    Value scores = scoresOperand(add);
    m.biases.push_back(scores == add.getLhs() ? add.getRhs() : add.getLhs());
    state = kBias;
  }

  // Q·Kᵀ, possibly with Q scaled by a constant first.
  MatMulOp scores = m.scores;
  if (!scores->hasOneUse())
    return fail("Q·Kᵀ has other uses");
  m.absorbed.push_back(scores);
  Value q = scores.getLhs(), kt = scores.getRhs();
  int64_t scoreRank = cast<RankedTensorType>(scores.getType()).getRank();
  auto qType = cast<RankedTensorType>(q.getType());
  auto ktType = cast<RankedTensorType>(kt.getType());
  if (qType.getRank() != scoreRank || ktType.getRank() != scoreRank)
    return fail("Q·Kᵀ broadcasts an operand from a lower rank");
  for (int64_t i = 0; i + 2 < scoreRank; ++i) {
    int64_t a = qType.getDimSize(i), b = ktType.getDimSize(i);
    if (!sameDim(a, b) && !(scoreRank == 4 && i == 1))
      return fail("Q and Kᵀ have different batch dims (" + Twine(a) + " and " +
                  Twine(b) + ")");
  }
  if (Operation *def = q.getDefiningOp(); def && q.hasOneUse()) {
    Value chain;
    if (std::optional<double> factor = scalarFactor(def, chain)) {
      m.scale *= *factor;
      q = chain;
      m.absorbed.push_back(def);
    }
  }
  m.query = q;
  m.keyTransposed = kt;
  return m;
}

bool attnc::isAttentionLike(SoftmaxOp softmax) {
  bool feedsMatMul = llvm::any_of(softmax->getUsers(), [](Operation *user) {
    return isa<MatMulOp>(user);
  });
  if (!feedsMatMul)
    return false;
  // Back through elementwise ops and reshapes to a MatMul.
  SmallVector<std::pair<Value, int>> work = {{softmax.getInput(), 0}};
  while (!work.empty()) {
    auto [value, depth] = work.pop_back_val();
    Operation *def = value.getDefiningOp();
    if (!def || depth > 8)
      continue;
    if (isa<MatMulOp>(def))
      return true;
    if (isa<AddOp, SubOp, MulOp, DivOp, WhereOp, ReshapeOp, TransposeOp,
            CastOp>(def))
      for (Value operand : def->getOperands())
        work.push_back({operand, depth + 1});
  }
  return false;
}

/// `kt` with its last two dims swapped, reusing the transpose that made it.
static Value transposeLastTwo(PatternRewriter &rewriter, Location loc,
                              Value kt) {
  auto type = cast<RankedTensorType>(kt.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(perm[rank - 1], perm[rank - 2]);
  if (auto t = kt.getDefiningOp<TransposeOp>())
    if (t.getPermutation() == ArrayRef<int64_t>(perm))
      return t.getInput();
  SmallVector<int64_t> shape(type.getShape());
  std::swap(shape[rank - 1], shape[rank - 2]);
  return rewriter.create<TransposeOp>(
      loc, RankedTensorType::get(shape, type.getElementType()), kt, perm);
}

/// The dim `i` of `value` as an index value (for dynamic reshape sizes).
static Value dimValue(PatternRewriter &rewriter, Location loc, Value value,
                      int64_t i) {
  return rewriter.create<tensor::DimOp>(loc, value, i);
}

/// `x` ([B*H, T, D]) as [B, H, T, D]; `batch` is B when it is dynamic. An
/// `x` reshaped from such a tensor is read from it directly.
static Value raiseToRank4(PatternRewriter &rewriter, Location loc, Value x,
                          int64_t heads, Value batch, int64_t batchSize) {
  auto type = cast<RankedTensorType>(x.getType());
  if (auto reshape = x.getDefiningOp<ReshapeOp>()) {
    auto src = cast<RankedTensorType>(reshape.getInput().getType());
    if (src.getRank() == 4 && src.getDimSize(1) == heads &&
        sameDim(src.getDimSize(0), batchSize) &&
        sameDim(src.getDimSize(2), type.getDimSize(1)) &&
        src.getDimSize(3) == type.getDimSize(2))
      return reshape.getInput();
  }
  SmallVector<int64_t> shape = {batchSize, heads, type.getDimSize(1),
                                type.getDimSize(2)};
  SmallVector<Value> sizes;
  if (ShapedType::isDynamic(batchSize))
    sizes.push_back(batch);
  for (int64_t i : {1, 2})
    if (type.isDynamicDim(i))
      sizes.push_back(dimValue(rewriter, loc, x, i));
  return rewriter.create<ReshapeOp>(
      loc, RankedTensorType::get(shape, type.getElementType()), x, sizes);
}

/// `x` ([B, Hkv, T, D]) when `v` is HF's `repeat_kv(x)`: Unsqueeze(2),
/// Expand to [B, Hkv, n, T, D], Reshape to [B, Hkv * n, T, D]. The fused
/// op then reads the kv heads directly (grouped-query attention).
static Value stripRepeatKv(Value v) {
  auto merge = v.getDefiningOp<ReshapeOp>();
  if (!merge)
    return {};
  auto expand = merge.getInput().getDefiningOp<ExpandOp>();
  if (!expand)
    return {};
  auto split = expand.getInput().getDefiningOp<ReshapeOp>();
  if (!split)
    return {};
  auto x = cast<RankedTensorType>(split.getInput().getType());
  auto unsqueezed = cast<RankedTensorType>(split.getType());
  auto expanded = cast<RankedTensorType>(expand.getType());
  auto out = cast<RankedTensorType>(merge.getType());
  if (x.getRank() != 4 || unsqueezed.getRank() != 5 ||
      expanded.getRank() != 5 || out.getRank() != 4)
    return {};
  int64_t hkv = x.getDimSize(1), n = expanded.getDimSize(2);
  if (ShapedType::isDynamic(hkv) || ShapedType::isDynamic(n) ||
      unsqueezed.getDimSize(1) != hkv || unsqueezed.getDimSize(2) != 1 ||
      expanded.getDimSize(1) != hkv || out.getDimSize(1) != hkv * n ||
      !sameDim(x.getDimSize(2), unsqueezed.getDimSize(3)) ||
      !sameDim(x.getDimSize(2), expanded.getDimSize(3)) ||
      !sameDim(x.getDimSize(2), out.getDimSize(2)) ||
      x.getDimSize(3) != out.getDimSize(3) ||
      x.getDimSize(3) != expanded.getDimSize(4))
    return {};
  return split.getInput();
}

namespace {

struct FuseAttentionPattern : public OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SoftmaxOp softmax,
                                PatternRewriter &rewriter) const override {
    std::string whyNot;
    FailureOr<AttentionMatch> match = matchAttention(softmax, whyNot);
    if (failed(match))
      return rewriter.notifyMatchFailure(softmax, whyNot);
    AttentionMatch &m = *match;
    MLIRContext *ctx = rewriter.getContext();
    Location loc = fusedLocation(ctx, m.absorbed, "attention");
    rewriter.setInsertionPoint(m.output);

    Value q = m.query, v = m.value;
    Value k = transposeLastTwo(rewriter, loc, m.keyTransposed);
    auto outType = cast<RankedTensorType>(m.output.getType());
    RankedTensorType resultType = outType;
    if (m.raisedScores) {
      int64_t batchSize = m.raisedScores.getDimSize(0);
      int64_t heads = m.raisedScores.getDimSize(1);
      Value batch;
      if (ShapedType::isDynamic(batchSize))
        batch = m.raiseReshape.getDynamicSizes().front();
      q = raiseToRank4(rewriter, loc, q, heads, batch, batchSize);
      k = raiseToRank4(rewriter, loc, k, heads, batch, batchSize);
      v = raiseToRank4(rewriter, loc, v, heads, batch, batchSize);
      resultType = RankedTensorType::get(
          {batchSize, heads, outType.getDimSize(1), outType.getDimSize(2)},
          outType.getElementType());
    }
    // Grouped-query attention: read the kv heads before repeat_kv.
    if (!m.raisedScores) {
      Value kvK = stripRepeatKv(k), kvV = stripRepeatKv(v);
      if (kvK && kvV &&
          cast<RankedTensorType>(kvK.getType()).getDimSize(1) ==
              cast<RankedTensorType>(kvV.getType()).getDimSize(1)) {
        k = kvK;
        v = kvV;
      }
    }
    Value keep = m.keepCondition;
    if (keep && !m.keepWhenTrue)
      keep = rewriter.create<NotOp>(loc, keep.getType(), keep);
    // Several additive masks: their broadcast sum, still mask-sized.
    Value bias;
    for (Value b : m.biases) {
      if (!bias) {
        bias = b;
        continue;
      }
      auto ta = cast<RankedTensorType>(bias.getType());
      auto tb = cast<RankedTensorType>(b.getType());
      SmallVector<int64_t> shape;
      (void)OpTrait::util::getBroadcastedShape(ta.getShape(), tb.getShape(),
                                               shape);
      bias = rewriter.create<AddOp>(
          loc, RankedTensorType::get(shape, ta.getElementType()), bias, b);
    }
    float fill = m.fill ? static_cast<float>(*m.fill)
                        : -std::numeric_limits<float>::infinity();
    Value result = rewriter.create<AttentionOp>(
        loc, resultType, q, k, v, keep, bias,
        rewriter.getF32FloatAttr(static_cast<float>(m.scale)),
        rewriter.getF32FloatAttr(fill));
    if (m.raisedScores) {
      SmallVector<Value> sizes;
      for (int64_t i = 0; i < 3; ++i)
        if (outType.isDynamicDim(i))
          sizes.push_back(dimValue(rewriter, loc, i == 2 ? m.value : m.query,
                                   i == 2 ? 2 : i));
      result = rewriter.create<ReshapeOp>(loc, outType, result, sizes);
    }
    rewriter.replaceOp(m.output, result);
    return success();
  }
};

struct FuseAttentionPass
    : public attnc::impl::FuseAttentionBase<FuseAttentionPass> {
  void runOnOperation() override {
    if (failed(applyFusionPatterns(getOperation(), populateFuseAttentionPatterns,
                                   getArgument())))
      signalPassFailure();
  }
};

} // namespace

void attnc::populateFuseAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseAttentionPattern>(patterns.getContext());
}
