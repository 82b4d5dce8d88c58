//===- LinearToLinalg.cpp - Lower attn.linear -----------------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// attn.linear is expanded into the attn ops it stands for: the rows of the
// input flattened to [M, K], attn.gemm with the bias, the activation and
// the residual add, all on the [M, N] rows (the residual is viewed as rows
// too) before the result takes its own shape again. Their own lowerings and
// attnc-fuse-elementwise then give one contraction directly followed by one
// elementwise op for the whole epilogue, which attnc-cpu-tile-and-vectorize
// applies inside the GEMM's thread tiles.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "attnc/Dialect/Attn/AttnOps.h"

using namespace mlir;
using namespace attnc;

namespace {

struct LinearLowering : public OpConversionPattern<attn::LinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto inType = cast<RankedTensorType>(x.getType());
    auto outType = cast<RankedTensorType>(op.getType());
    Type et = outType.getElementType();
    int64_t rank = inType.getRank();
    int64_t k = inType.getDimSize(rank - 1);
    int64_t n = outType.getDimSize(rank - 1);

    // [..., K] -> [M, K]: M is the product of the leading dims.
    Value rows = x;
    int64_t m = 1;
    Value mValue;
    if (rank != 2) {
      for (int64_t i = 0; i + 1 < rank; ++i) {
        if (inType.isDynamicDim(i)) {
          m = ShapedType::kDynamic;
        } else if (!ShapedType::isDynamic(m)) {
          m *= inType.getDimSize(i);
        }
      }
      if (ShapedType::isDynamic(m)) {
        mValue = arith::ConstantIndexOp::create(rewriter, loc, 1);
        for (int64_t i = 0; i + 1 < rank; ++i)
          mValue = arith::MulIOp::create(
              rewriter, loc, mValue, tensor::DimOp::create(rewriter, loc, x, i));
      }
      SmallVector<Value> sizes;
      if (mValue)
        sizes.push_back(mValue);
      if (ShapedType::isDynamic(k))
        sizes.push_back(tensor::DimOp::create(rewriter, loc, x, rank - 1));
      rows = attn::ReshapeOp::create(rewriter, loc,
                                     RankedTensorType::get({m, k}, et), x,
                                     sizes);
    }
    auto rowsOut = RankedTensorType::get(
        {cast<RankedTensorType>(rows.getType()).getDimSize(0), n}, et);
    UnitAttr transB =
        op.getTransposeWeight() ? rewriter.getUnitAttr() : UnitAttr();
    Value y = attn::GemmOp::create(rewriter, loc, rowsOut, rows,
                                   adaptor.getWeight(), adaptor.getBias(),
                                   rewriter.getF32FloatAttr(1.0f),
                                   rewriter.getF32FloatAttr(1.0f), UnitAttr(),
                                   transB);
    // The epilogue on the rows: a reshape between the GEMM and its
    // elementwise users would keep attnc-fuse-elementwise from merging them.
    auto yType = cast<RankedTensorType>(y.getType());
    switch (op.getActivation()) {
    case attn::Activation::none:
      break;
    case attn::Activation::relu:
      y = attn::ReluOp::create(rewriter, loc, yType, y);
      break;
    case attn::Activation::gelu:
    case attn::Activation::gelu_tanh:
      y = attn::GeluOp::create(rewriter, loc, yType, y,
                               attn::GeluApproximationAttr::get(
                                   rewriter.getContext(),
                                   op.getActivation() == attn::Activation::gelu
                                       ? attn::GeluApproximation::none
                                       : attn::GeluApproximation::tanh));
      break;
    case attn::Activation::silu:
      y = attn::SiluOp::create(rewriter, loc, yType, y);
      break;
    }
    if (Value residual = adaptor.getResidual()) {
      if (rank != 2) {
        SmallVector<Value> sizes;
        if (yType.isDynamicDim(0))
          sizes.push_back(tensor::DimOp::create(rewriter, loc, y, 0));
        if (yType.isDynamicDim(1))
          sizes.push_back(tensor::DimOp::create(rewriter, loc, y, 1));
        residual =
            attn::ReshapeOp::create(rewriter, loc, yType, residual, sizes);
      }
      y = attn::AddOp::create(rewriter, loc, yType, y, residual);
    }
    if (rank != 2) {
      SmallVector<Value> sizes;
      for (int64_t i = 0; i < rank; ++i)
        if (outType.isDynamicDim(i))
          sizes.push_back(
              i + 1 < rank ? Value(tensor::DimOp::create(rewriter, loc, x, i))
                           : Value(tensor::DimOp::create(rewriter, loc, y, 1)));
      y = attn::ReshapeOp::create(rewriter, loc, outType, y, sizes);
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void lowering::populateLinearLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LinearLowering>(patterns.getContext());
}
