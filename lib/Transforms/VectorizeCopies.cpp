//===- VectorizeCopies.cpp - Strided linalg.copy as vector loops ----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// attnc-lower-strided-copies leaves copies of strided views (a fused QKV
// projection's slices, the past KV cache into present) as linalg.copy, which
// convert-linalg-to-loops turns into a scalar load and store per element.
// Copying rows with whole vectors moves the same bytes in a sixteenth of
// the instructions; a decode step copies ~10 MB of KV cache this way.
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Passes.h"

#include "mlir/Dialect/SCF/Utils/Utils.h"

namespace attnc {
#define GEN_PASS_DEF_VECTORIZECOPIES
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {
struct VectorizeCopiesPass
    : public attnc::impl::VectorizeCopiesBase<VectorizeCopiesPass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorBytes <= 0) {
      getOperation().emitError(
          "attnc-vectorize-copies: vector-bytes must be positive");
      return signalPassFailure();
    }
    SmallVector<linalg::CopyOp> copies;
    getOperation().walk([&](linalg::CopyOp op) {
      if (!op.hasPureBufferSemantics())
        return;
      auto src = dyn_cast<MemRefType>(op.getDpsInputs()[0].getType());
      auto dst = dyn_cast<MemRefType>(op.getDpsInits()[0].getType());
      if (!src || !dst || src.getRank() == 0 ||
          src.getElementType() != dst.getElementType() ||
          !src.getElementType().isIntOrFloat() ||
          src.getElementTypeBitWidth() % 8 != 0 || !src.isLastDimUnitStride() ||
          !dst.isLastDimUnitStride())
        return;
      copies.push_back(op);
    });
    for (linalg::CopyOp op : copies)
      vectorize(op);
  }

  /// Replaces `op` by loops over its outer dims and vector-wide steps along
  /// the innermost one; a last partial vector is masked.
  void vectorize(linalg::CopyOp op) {
    Value src = op.getDpsInputs()[0], dst = op.getDpsInits()[0];
    auto type = cast<MemRefType>(src.getType());
    Type elementType = type.getElementType();
    int64_t rank = type.getRank();
    int64_t lanes =
        std::max<int64_t>(vectorBytes / (type.getElementTypeBitWidth() / 8), 1);
    int64_t inner = type.getDimSize(rank - 1);
    // Rows shorter than a vector: the widest power of two that fits, rather
    // than a mostly masked vector per row.
    if (!ShapedType::isDynamic(inner) && inner > 0 && inner < lanes)
      lanes = int64_t(1) << llvm::Log2_64(inner);
    bool whole = !ShapedType::isDynamic(inner) && inner % lanes == 0;
    auto vectorType = VectorType::get({lanes}, elementType);

    OpBuilder b(op);
    Location loc = op.getLoc();
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    SmallVector<Value> lbs(rank, zero), ubs, steps(rank, one);
    for (int64_t d = 0; d < rank; ++d)
      ubs.push_back(memref::DimOp::create(b, loc, src, d));
    steps.back() = arith::ConstantIndexOp::create(b, loc, lanes);
    Value pad = arith::ConstantOp::create(b, loc, elementType,
                                          b.getZeroAttr(elementType));
    scf::buildLoopNest(b, loc, lbs, ubs, steps,
                       [&](OpBuilder &nb, Location nloc, ValueRange ivs) {
                         // Out-of-bounds lanes of the last vector are masked
                         // off.
                         SmallVector<bool> inBounds{whole};
                         Value v = vector::TransferReadOp::create(
                             nb, nloc, vectorType, src, ivs, pad, inBounds);
                         vector::TransferWriteOp::create(nb, nloc, v, dst, ivs,
                                                         inBounds);
                       });
    op.erase();
  }
};
} // namespace
