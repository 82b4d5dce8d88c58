//===- PrefetchWeights.cpp - Software prefetch of streamed weights --------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// A decode step reads every weight once, as a few packed panels per step of
// the innermost loop. One core's hardware prefetchers keep too few lines in
// flight for the memory bandwidth; a prefetch a few KiB ahead of each read
// raises what one core streams (docs/performance.md, "Decode").
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace attnc {
#define GEN_PASS_DEF_PREFETCHWEIGHTS
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {
constexpr int64_t kCacheLineBytes = 64;

/// The get_global of a constant global with a static, row-major type that
/// `read` reads from, or null.
memref::GetGlobalOp constantWeight(vector::TransferReadOp read) {
  auto get = read.getBase().getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return {};
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      get, get.getNameAttr());
  if (!global || !global.getConstant())
    return {};
  auto type = cast<MemRefType>(get.getType());
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      type.getRank() == 0 || type.getNumElements() == 0 ||
      !type.getElementType().isIntOrFloat())
    return {};
  return get;
}

struct PrefetchWeightsPass
    : public attnc::impl::PrefetchWeightsBase<PrefetchWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (distance < 0 || locality < 0 || locality > 3) {
      getOperation().emitError("attnc-prefetch-weights: distance must be >= 0 "
                               "and locality in 0..3");
      return signalPassFailure();
    }
    if (distance == 0)
      return;
    SmallVector<std::pair<vector::TransferReadOp, memref::GetGlobalOp>> reads;
    getOperation().walk([&](vector::TransferReadOp read) {
      auto loop = dyn_cast<scf::ForOp>(read->getParentOp());
      if (!loop || read.getVectorType().getRank() != 1 ||
          !read.getPermutationMap().isMinorIdentity())
        return;
      if (!llvm::is_contained(read.getIndices(), loop.getInductionVar()))
        return;
      if (memref::GetGlobalOp get = constantWeight(read))
        reads.push_back({read, get});
    });
    // One flat view (and its last index) per weight, next to its get_global.
    DenseMap<Operation *, std::pair<Value, Value>> flatViews;
    for (auto [read, get] : reads) {
      auto type = cast<MemRefType>(get.getType());
      auto &[flat, last] = flatViews[get];
      if (!flat) {
        OpBuilder b(get->getContext());
        b.setInsertionPointAfter(get);
        auto all = llvm::to_vector<2>(llvm::seq<int64_t>(0, type.getRank()));
        flat = memref::CollapseShapeOp::create(
            b, get.getLoc(), get.getResult(),
            ArrayRef<ReassociationIndices>{all});
        last = arith::ConstantIndexOp::create(b, get.getLoc(),
                                              type.getNumElements() - 1);
      }
      prefetchAhead(read, type, flat, last);
    }
  }

  /// Prefetches the lines `distance` bytes after the ones `read` loads.
  void prefetchAhead(vector::TransferReadOp read, MemRefType type, Value flat,
                     Value lastIndex) {
    int64_t elemBytes = std::max<int64_t>(type.getElementTypeBitWidth() / 8, 1);
    int64_t rowBytes = read.getVectorType().getNumElements() * elemBytes;
    SmallVector<int64_t> strides = type.getStridesAndOffset().first;
    OpBuilder b(read);
    Location loc = read.getLoc();
    MLIRContext *ctx = b.getContext();
    // Row-major linear index of the read, as symbols times strides.
    AffineExpr linear = getAffineConstantExpr(0, ctx);
    for (auto [i, stride] : llvm::enumerate(strides))
      linear = linear + getAffineSymbolExpr(i, ctx) * stride;
    for (int64_t line = 0; line * kCacheLineBytes < rowBytes; ++line) {
      int64_t ahead = (distance + line * kCacheLineBytes) / elemBytes;
      auto map = AffineMap::get(0, strides.size(), linear + ahead);
      Value at = affine::AffineApplyOp::create(b, loc, map, read.getIndices());
      Value clamped = arith::MinUIOp::create(b, loc, at, lastIndex);
      memref::PrefetchOp::create(b, loc, flat, ValueRange{clamped},
                                 /*isWrite=*/false, locality,
                                 /*isDataCache=*/true);
    }
  }
};
} // namespace
