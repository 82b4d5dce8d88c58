//===- AttentionToLinalg.cpp - Lower attn.attention -----------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// attn.attention is lowered by expanding it into the attn ops it stands for
// (Q·Kᵀ, scale, masks, softmax, ·V); the conversion driver then lowers
// those with their own patterns. This is the reference lowering: it
// materializes the [.., Tq, Tk] scores. A flash-attention kernel (online
// softmax over K/V blocks) is the CPU code generation's job.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "attnc/Conversion/AttnToLinalg/AttnToLinalg.h"
#include "attnc/Dialect/Attn/AttnOps.h"

using namespace mlir;
using namespace attnc;

namespace {

/// A rank-0 constant of `elementType` holding `value`.
Value scalarConstant(OpBuilder &b, Location loc, Type elementType,
                     double value) {
  auto type = RankedTensorType::get({}, elementType);
  return attn::ConstantOp::create(
      b, loc, type,
      DenseElementsAttr::get(type, b.getFloatAttr(elementType, value)));
}

/// Repeats each of the `kvHeads` heads of `x` ([B, Hkv, T, D]) `group`
/// times: [B, Hkv * group, T, D], head h reading kv head h / group.
Value repeatHeads(OpBuilder &b, Location loc, Value x, int64_t group) {
  auto type = cast<RankedTensorType>(x.getType());
  auto shape = type.getShape();
  auto dyn = [&](ArrayRef<int64_t> dims, ArrayRef<int64_t> sourceDims) {
    SmallVector<Value> sizes;
    for (auto [d, src] : llvm::zip(dims, sourceDims))
      if (ShapedType::isDynamic(d))
        sizes.push_back(tensor::DimOp::create(b, loc, x, src));
    return sizes;
  };
  Type et = type.getElementType();
  SmallVector<int64_t> split = {shape[0], shape[1], 1, shape[2], shape[3]};
  Value r = attn::ReshapeOp::create(b, loc, RankedTensorType::get(split, et),
                                    x, dyn(split, {0, 1, 1, 2, 3}));
  SmallVector<int64_t> expanded = {shape[0], shape[1], group, shape[2],
                                   shape[3]};
  Value e = attn::ExpandOp::create(b, loc, RankedTensorType::get(expanded, et),
                                   r, dyn(expanded, {0, 1, 1, 2, 3}));
  SmallVector<int64_t> merged = {shape[0], shape[1] * group, shape[2],
                                 shape[3]};
  return attn::ReshapeOp::create(b, loc, RankedTensorType::get(merged, et), e,
                                 dyn(merged, {0, 1, 2, 3}));
}

struct AttentionLowering : public OpConversionPattern<attn::AttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value q = adaptor.getQuery(), k = adaptor.getKey(), v = adaptor.getValue();
    auto qType = cast<RankedTensorType>(q.getType());
    auto kType = cast<RankedTensorType>(k.getType());
    Type et = qType.getElementType();
    int64_t rank = qType.getRank();

    if (rank == 4 && qType.getDimSize(1) != kType.getDimSize(1)) {
      int64_t h = qType.getDimSize(1), hkv = kType.getDimSize(1);
      if (ShapedType::isDynamic(h) || ShapedType::isDynamic(hkv))
        return rewriter.notifyMatchFailure(
            op, "grouped-query attention needs static head counts");
      k = repeatHeads(rewriter, loc, k, h / hkv);
      v = repeatHeads(rewriter, loc, v, h / hkv);
      kType = cast<RankedTensorType>(k.getType());
    }

    SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    std::swap(perm[rank - 1], perm[rank - 2]);
    Value kt = attn::TransposeOp::create(rewriter, loc, k, perm);

    SmallVector<int64_t> scoreShape(qType.getShape());
    scoreShape[rank - 1] = kType.getDimSize(rank - 2);
    for (int64_t i = 0; i + 2 < rank; ++i)
      if (ShapedType::isDynamic(scoreShape[i]))
        scoreShape[i] = kType.getDimSize(i);
    auto scoreType = RankedTensorType::get(scoreShape, et);
    Value s = attn::MatMulOp::create(rewriter, loc, scoreType, q, kt);
    double scale = op.getScale().convertToDouble();
    if (scale != 1.0)
      s = attn::MulOp::create(rewriter, loc, scoreType, s,
                              scalarConstant(rewriter, loc, et, scale));
    if (Value keep = adaptor.getKeepMask())
      s = attn::WhereOp::create(
          rewriter, loc, scoreType, keep, s,
          scalarConstant(rewriter, loc, et,
                         op.getMaskFill().convertToDouble()));
    if (Value bias = adaptor.getBiasMask())
      s = attn::AddOp::create(rewriter, loc, scoreType, s, bias);
    Value p = attn::SoftmaxOp::create(rewriter, loc, s,
                                      rewriter.getI64IntegerAttr(rank - 1));
    rewriter.replaceOpWithNewOp<attn::MatMulOp>(op, op.getType(), p, v);
    return success();
  }
};

} // namespace

void lowering::populateAttentionLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<AttentionLowering>(patterns.getContext());
}
