//===- GPURowReductions.cpp - One warp per reduced row on the GPU ---------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// attnc-gpu-map-loops gives every output element of a reduction (the mean
// and variance of a LayerNorm row, an RMSNorm's sum of squares) one thread,
// which then walks the whole row alone: a decode step's LayerNorm is one
// thread reading 1024 numbers in sequence. Here such reductions get a warp
// per output element instead: the 32 lanes take every 32nd element, then
// combine their partial results with warp shuffles.
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Passes.h"

#include "GPUKernelUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace attnc {
#define GEN_PASS_DEF_GPUROWREDUCTIONS
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;
using namespace attnc;

namespace {

constexpr int64_t kLanes = 32, kWarps = 8;

/// The op combining the running value with each element: the yielded value
/// must be `combiner(out, x)` (either operand order) with `out`, the output
/// block argument, used nowhere else, and the combiner must have a neutral
/// element (addf, mulf, maximumf, minimumf, ...) to start each lane with.
Operation *matchCombiner(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 1 || op.getNumResults() != 0 ||
      !isKernelCloneable(op))
    return nullptr;
  for (AffineMap map : op.getIndexingMapsArray())
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
      return nullptr;
  // Each output element is one row: the output uses every parallel loop
  // (a dropped one would make several warps update the same element).
  if (op.getMatchingIndexingMap(op.getDpsInitOperand(0)).getNumResults() !=
      op.getNumParallelLoops())
    return nullptr;
  Block &body = op.getRegion().front();
  BlockArgument out = body.getArguments().back();
  // NVVM's shuffle takes 32-bit values (f16/bf16 would need packing).
  if (!out.getType().isF32() || !out.hasOneUse())
    return nullptr;
  Operation *combiner = body.getTerminator()->getOperand(0).getDefiningOp();
  if (!combiner || combiner->getNumOperands() != 2 ||
      combiner->getNumResults() != 1 || !combiner->hasOneUse() ||
      *out.getUsers().begin() != combiner ||
      combiner->getOperand(0) == combiner->getOperand(1))
    return nullptr;
  if (!isa<arith::AddFOp, arith::MulFOp, arith::MaximumFOp, arith::MinimumFOp,
           arith::MaxNumFOp, arith::MinNumFOp>(combiner) ||
      !arith::getNeutralElement(combiner))
    return nullptr;
  return combiner;
}

struct GPURowReductionsPass
    : public attnc::impl::GPURowReductionsBase<GPURowReductionsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, Operation *>> reductions;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op->getParentOfType<gpu::LaunchOp>())
        return;
      if (Operation *combiner = matchCombiner(op))
        reductions.emplace_back(op, combiner);
    });
    for (auto [op, combiner] : reductions)
      rewrite(op, combiner);
  }

  /// `scf.if (rows > 0) { launch }` with one warp per output element (row):
  /// lane l folds the elements l, l + 32, ... of its row, starting from the
  /// combiner's neutral element; five xor shuffles combine the lanes; lane
  /// 0 combines the total with the output's initial value and stores it.
  void rewrite(linalg::GenericOp op, Operation *combiner) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto cst = [&](OpBuilder &builder, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(builder, loc, v);
    };
    SmallVector<Value> sizes = loopSizes(b, loc, op);
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    SmallVector<unsigned> parallel;
    unsigned reductionDim = 0;
    Value rows = cst(b, 1), depth;
    for (unsigned d = 0; d < iterators.size(); ++d) {
      if (iterators[d] == utils::IteratorType::reduction) {
        reductionDim = d;
        depth = sizes[d];
        continue;
      }
      parallel.push_back(d);
      rows = arith::MulIOp::create(b, loc, rows, sizes[d]);
    }
    Value nonEmpty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                           rows, cst(b, 0));
    auto guard = scf::IfOp::create(b, loc, nonEmpty, /*withElse=*/false);
    b.setInsertionPoint(guard.thenBlock()->getTerminator());
    Value grid = arith::CeilDivSIOp::create(b, loc, rows, cst(b, kWarps));
    auto launch = gpu::LaunchOp::create(b, loc, grid, cst(b, 1), cst(b, 1),
                                        cst(b, kLanes), cst(b, kWarps),
                                        cst(b, 1));
    b.setInsertionPointToStart(&launch.getBody().front());
    Value lane = launch.getThreadIds().x;
    Value row = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, launch.getBlockIds().x, cst(b, kWarps)),
        launch.getThreadIds().y);
    Value inside =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, row, rows);
    // The whole warp shares `row`, so the shuffles below stay convergent.
    auto rowGuard = scf::IfOp::create(b, loc, inside, /*withElse=*/false);
    gpu::TerminatorOp::create(b, loc);
    b.setInsertionPoint(rowGuard.thenBlock()->getTerminator());

    DenseMap<unsigned, Value> dims;
    delinearize(b, loc, row, parallel, sizes, dims);
    auto indices = [&](AffineMap map) { return mapIndices(map, dims); };

    Block &body = op.getRegion().front();
    BlockArgument outArg = body.getArguments().back();
    Value neutral = arith::ConstantOp::create(
        b, loc, *arith::getNeutralElement(combiner));
    auto combine = [&](OpBuilder &builder, Value lhs, Value rhs) {
      IRMapping mapping;
      mapping.map(combiner->getOperand(0), lhs);
      mapping.map(combiner->getOperand(1), rhs);
      return builder.clone(*combiner, mapping)->getResult(0);
    };
    // `acc` combined with `x` in the body's operand order.
    bool accFirst = combiner->getOperand(0) == outArg;
    auto fold = [&](OpBuilder &builder, Value acc, Value x) {
      return accFirst ? combine(builder, acc, x) : combine(builder, x, acc);
    };
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    auto loop = scf::ForOp::create(
        b, loc, lane, depth, cst(b, kLanes), ValueRange{neutral},
        [&](OpBuilder &lb, Location, Value k, ValueRange acc) {
          dims[reductionDim] = k;
          IRMapping mapping;
          for (OpOperand *input : op.getDpsInputOperands())
            mapping.map(body.getArgument(input->getOperandNumber()),
                        memref::LoadOp::create(
                            lb, loc, input->get(),
                            indices(maps[input->getOperandNumber()])));
          // The element's value: everything in the body but the combiner
          // (the only user of the output argument).
          for (Operation &bodyOp : body.without_terminator())
            if (&bodyOp != combiner)
              lb.clone(bodyOp, mapping);
          Value element =
              mapping.lookupOrDefault(combiner->getOperand(accFirst ? 1 : 0));
          scf::YieldOp::create(lb, loc, fold(lb, acc[0], element));
        });
    Value partial = loop.getResult(0);
    for (int32_t offset = kLanes / 2; offset > 0; offset /= 2) {
      Value other = gpu::ShuffleOp::create(b, loc, partial, offset,
                                           static_cast<int32_t>(kLanes),
                                           gpu::ShuffleMode::XOR)
                        .getShuffleResult();
      partial = combine(b, partial, other);
    }
    Value first =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane,
                              cst(b, 0));
    auto store = scf::IfOp::create(b, loc, first, /*withElse=*/false);
    OpBuilder sb(store.thenBlock()->getTerminator());
    OpOperand *init = op.getDpsInitOperand(0);
    SmallVector<Value> outIdx = indices(maps[init->getOperandNumber()]);
    Value initial = memref::LoadOp::create(sb, loc, init->get(), outIdx);
    memref::StoreOp::create(sb, loc, fold(sb, initial, partial), init->get(),
                            outIdx);
    op.erase();
  }
};

} // namespace
