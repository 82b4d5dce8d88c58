//===- GPUMapLoops.cpp - Parallel loops to GPU kernel launches ------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace attnc {
#define GEN_PASS_DEF_GPUMAPLOOPS
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

/// True when `op` (or an op nested in it) reads or writes a buffer that is
/// not an `index` shape buffer, i.e. device memory after
/// attnc-gpu-device-buffers.
bool touchesDeviceMemory(Operation *op) {
  if (isa<gpu::GPUDialect>(op->getDialect()))
    return false;
  bool touches = false;
  op->walk([&](Operation *nested) {
    auto iface = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!iface)
      return WalkResult::advance();
    SmallVector<MemoryEffects::EffectInstance> effects;
    iface.getEffects(effects);
    for (const auto &effect : effects) {
      if (!isa<MemoryEffects::Read, MemoryEffects::Write>(effect.getEffect()))
        continue;
      Value value = effect.getValue();
      auto type = value ? dyn_cast<MemRefType>(value.getType()) : MemRefType();
      if (!type || !type.getElementType().isIndex()) {
        touches = true;
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return touches;
}

struct GPUMapLoopsPass
    : public attnc::impl::GPUMapLoopsBase<GPUMapLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    SmallVector<scf::ParallelOp> loops;
    func.walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>() &&
          !loop->getParentOfType<gpu::LaunchOp>())
        loops.push_back(loop);
    });
    for (scf::ParallelOp loop : loops)
      if (failed(mapLoop(loop)))
        return signalPassFailure();
    for (Block &block : func.getBody()) {
      sinkIntoLaunches(block);
      if (failed(wrapHostAccesses(block)))
        return signalPassFailure();
    }
  }

  /// Scalars that only kernels use are computed in the kernels: loads of
  /// device memory (e.g. a position offset that shape arithmetic wrote into
  /// a tensor) cannot run on the host, and pure ops gain nothing there.
  void sinkIntoLaunches(Block &block) {
    SmallVector<Operation *> ops;
    for (Operation &op : block)
      ops.push_back(&op);
    for (Operation *op : llvm::reverse(ops)) {
      bool isDeviceLoad =
          isa<memref::LoadOp>(op) && touchesDeviceMemory(op);
      // Globals are host symbols (weights): kernels get their device copy
      // as an argument (attnc-gpu-constants-to-device).
      if ((!isDeviceLoad && !isPure(op)) || op->getNumResults() == 0 ||
          op->getNumRegions() != 0 ||
          isa<gpu::LaunchOp, memref::GetGlobalOp>(op))
        continue;
      // Every use must be inside a launch in this block.
      llvm::SetVector<gpu::LaunchOp> launches;
      bool onlyKernels = true;
      for (Operation *user : op->getUsers()) {
        auto launch = user->getParentOfType<gpu::LaunchOp>();
        if (!launch) {
          onlyKernels = false;
          break;
        }
        // The outermost launch (launches do not nest here).
        launches.insert(launch);
      }
      if (!onlyKernels || launches.empty())
        continue;
      for (gpu::LaunchOp launch : launches) {
        OpBuilder b = OpBuilder::atBlockBegin(&launch.getBody().front());
        Operation *clone = b.clone(*op);
        for (auto [from, to] :
             llvm::zip(op->getResults(), clone->getResults()))
          from.replaceUsesWithIf(to, [&](OpOperand &use) {
            return launch->isProperAncestor(use.getOwner());
          });
      }
      op->erase();
    }
  }

  /// One linearized launch over the iteration space of `loop`.
  LogicalResult mapLoop(scf::ParallelOp loop) {
    if (loop.getNumReductions() != 0)
      return loop.emitError("parallel loops with reductions are not mapped "
                            "to the GPU");
    Location loc = loop.getLoc();
    OpBuilder b(loop);
    auto cst = [&](int64_t v) {
      return arith::ConstantIndexOp::create(b, loc, v).getResult();
    };
    Value one = cst(1), zero = cst(0);
    SmallVector<Value> counts;
    Value total = one;
    for (auto [lb, ub, step] : llvm::zip(loop.getLowerBound(),
                                         loop.getUpperBound(),
                                         loop.getStep())) {
      Value span = arith::SubIOp::create(b, loc, ub, lb);
      Value count = arith::CeilDivSIOp::create(b, loc, span, step);
      count = arith::MaxSIOp::create(b, loc, count, zero);
      counts.push_back(count);
      total = arith::MulIOp::create(b, loc, total, count);
    }
    Value blockSize = cst(this->blockSize);
    Value grid = arith::CeilDivSIOp::create(b, loc, total, blockSize);
    // CUDA refuses empty grids: skip the launch when there is no work.
    Value nonEmpty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                           total, zero);
    auto ifOp = scf::IfOp::create(b, loc, nonEmpty, /*withElse=*/false);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    auto launch = gpu::LaunchOp::create(b, loc, grid, one, one, blockSize,
                                        one, one);
    b.setInsertionPointToStart(&launch.getBody().front());
    Value bid = launch.getBlockIds().x, tid = launch.getThreadIds().x;
    Value id = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, bid, blockSize), tid);
    Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, id,
                                         total);
    auto guard = scf::IfOp::create(b, loc, inside, /*withElse=*/false);
    gpu::TerminatorOp::create(b, loc);

    b.setInsertionPointToStart(&guard.getThenRegion().front());
    IRMapping mapping;
    // Row-major delinearization: the last loop varies fastest.
    Value rest = id;
    unsigned n = loop.getNumLoops();
    SmallVector<Value> ivs(n);
    for (int i = n - 1; i >= 0; --i) {
      Value idx = i == 0 ? rest
                         : arith::RemSIOp::create(b, loc, rest, counts[i])
                               .getResult();
      if (i > 0)
        rest = arith::DivSIOp::create(b, loc, rest, counts[i]);
      Value scaled = arith::MulIOp::create(b, loc, idx, loop.getStep()[i]);
      ivs[i] = arith::AddIOp::create(b, loc, loop.getLowerBound()[i], scaled);
    }
    for (unsigned i = 0; i < n; ++i)
      mapping.map(loop.getInductionVars()[i], ivs[i]);
    for (Operation &op : loop.getBody()->without_terminator())
      b.clone(op, mapping);
    loop.erase();
    return success();
  }

  /// Moves each run of consecutive host ops of `block` that touch device
  /// memory into a one-thread launch.
  LogicalResult wrapHostAccesses(Block &block) {
    SmallVector<SmallVector<Operation *>> groups;
    bool open = false;
    for (Operation &op : block) {
      if (isa<gpu::LaunchOp, scf::IfOp>(op) && !touchesDeviceMemory(&op)) {
        open = false;
        continue;
      }
      // The skip-if around a launch holds only gpu ops and host index code.
      if (auto ifOp = dyn_cast<scf::IfOp>(op))
        if (!ifOp.getThenRegion().front().getOps<gpu::LaunchOp>().empty()) {
          open = false;
          continue;
        }
      if (!touchesDeviceMemory(&op) || op.hasTrait<OpTrait::IsTerminator>()) {
        // Scalar arithmetic on a value the open group loaded joins it (e.g.
        // rank-0 tensor math between a load and a store).
        bool usesGroup =
            open && isPure(&op) && !op.hasTrait<OpTrait::IsTerminator>() &&
            llvm::any_of(op.getOperands(), [&](Value v) {
              Operation *def = v.getDefiningOp();
              return def && llvm::is_contained(groups.back(), def);
            });
        if (usesGroup) {
          groups.back().push_back(&op);
          continue;
        }
        open = false;
        continue;
      }
      if (!open)
        groups.emplace_back();
      groups.back().push_back(&op);
      open = true;
    }
    for (auto &group : groups) {
      llvm::SmallPtrSet<Operation *, 8> members(group.begin(), group.end());
      for (Operation *op : group)
        for (Value result : op->getResults())
          for (Operation *user : result.getUsers()) {
            Operation *top = block.findAncestorOpInBlock(*user);
            if (!members.contains(top))
              return op->emitError("the host would read device memory here "
                                   "(a value computed from tensor data is "
                                   "used outside a kernel)");
          }
      OpBuilder b(group.front());
      Location loc = group.front()->getLoc();
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      auto launch = gpu::LaunchOp::create(b, loc, one, one, one, one, one, one);
      Block &body = launch.getBody().front();
      b.setInsertionPointToStart(&body);
      auto term = gpu::TerminatorOp::create(b, loc);
      for (Operation *op : group)
        op->moveBefore(term);
    }
    return success();
  }
};

} // namespace
