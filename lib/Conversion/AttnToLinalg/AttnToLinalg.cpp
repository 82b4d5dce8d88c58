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

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

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
                           arith::ArithDialect, math::MathDialect,
                           scf::SCFDialect>();
    target.addIllegalDialect<attn::AttnDialect>();
    // Imported as tensor ops, lowered here so that bufferization sees only
    // ops it handles in place.
    target.addIllegalOp<tensor::ConcatOp, tensor::SplatOp>();
    RewritePatternSet patterns(ctx);
    populateAttnToLinalgConversionPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns)))) {
      signalPassFailure();
      return;
    }
    // math.erf has no LLVM intrinsic (and no libm call is wanted in the
    // .so): expand the f32 erf of attn.erf/attn.gelu to a polynomial.
    bool hasErf = getOperation()
                      ->walk([](math::ErfOp) { return WalkResult::interrupt(); })
                      .wasInterrupted();
    if (!hasErf)
      return;
    RewritePatternSet erf(ctx);
    populatePolynomialApproximateErfPattern(erf);
    if (failed(applyPatternsGreedily(getOperation(), std::move(erf))))
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
  lowering::populateElementwiseMathLoweringPatterns(patterns);
  lowering::populateReductionLoweringPatterns(patterns);
  lowering::populateAttentionLoweringPatterns(patterns);
  lowering::populateLinearLoweringPatterns(patterns);
}
