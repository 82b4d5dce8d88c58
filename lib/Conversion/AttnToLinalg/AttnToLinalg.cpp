//===- AttnToLinalg.cpp - Lower attn ops to linalg on tensors ---------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// The patterns live in one file per op family (ElementwiseToLinalg.cpp,
// ContractionToLinalg.cpp, DataMovementToLinalg.cpp,
// NormalizationToLinalg.cpp); this file assembles them into the pass.
//
//===----------------------------------------------------------------------===//

#include "attnc/Conversion/AttnToLinalg/AttnToLinalg.h"
#include "LoweringUtils.h"

#include "attnc/Dialect/Attn/AttnOps.h"

namespace attnc {
#define GEN_PASS_DEF_CONVERTATTNTOLINALG
#include "attnc/Conversion/Passes.h.inc"
} // namespace attnc

using namespace mlir;
using namespace attnc;

namespace {

struct ConvertAttnToLinalgPass
    : public attnc::impl::ConvertAttnToLinalgBase<ConvertAttnToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect>();
    target.addIllegalDialect<attn::AttnDialect>();
    RewritePatternSet patterns(ctx);
    populateAttnToLinalgConversionPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void attnc::populateAttnToLinalgConversionPatterns(
    RewritePatternSet &patterns) {
  lowering::populateElementwiseLoweringPatterns(patterns);
  lowering::populateContractionLoweringPatterns(patterns);
  lowering::populateDataMovementLoweringPatterns(patterns);
  lowering::populateNormalizationLoweringPatterns(patterns);
}
