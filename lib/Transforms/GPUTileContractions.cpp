//===- GPUTileContractions.cpp - Block-tiled GEMM kernels for the GPU -----===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// The generic CUDA path (attnc-gpu-map-loops) gives every output element
// its own thread, which then streams a whole row of A and column of B from
// global memory. Contractions (the GEMMs of attn.linear, attn.gemm,
// attn.matmul) instead get a kernel of their own here: one thread block per
// tile of C, the A and B tiles of each K step staged in shared memory by
// all threads of the block, every thread accumulating a small grid of C in
// registers. Each element loaded from global memory is then used tile-size
// times instead of once. GEMMs with few rows (decode steps) get a split-K
// launch instead, which spreads the weight reads over many more threads.
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Passes.h"

#include "GPUKernelUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace attnc {
#define GEN_PASS_DEF_GPUTILECONTRACTIONS
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;
using namespace attnc;

namespace {

/// Threads of a block along x (columns of C) and y (rows).
constexpr int64_t kThreadsX = 16, kThreadsY = 16;
constexpr int64_t kThreads = kThreadsX * kThreadsY;
/// CUDA's limit on gridDim.y (the split-K launch's rows) and on static
/// shared memory per block.
constexpr int64_t kMaxGridY = 65535, kMaxStaticSharedBytes = 48 * 1024;

/// The loops of a contraction C[b.., m, n] += A[b.., m, k] * B[b.., k, n]
/// in any operand layout: `m` is the parallel loop only input 0 reads, `n`
/// the one only input 1 reads, `batch` the parallel loops all three use.
struct Contraction {
  unsigned m = 0, n = 0, k = 0;
  SmallVector<unsigned> batch;
};

/// Strips the `arith.extf` that reads a narrow (f16/bf16) weight.
Value stripExtension(Value value) {
  if (auto ext = value.getDefiningOp<arith::ExtFOp>())
    return ext.getIn();
  return value;
}

/// Matches a linalg.generic on buffers whose body is `out + x * y` (x and y
/// the two inputs, possibly extended) over exactly one reduction loop.
/// Zero-padding a tile is only sound for such a body: 0 * 0 adds nothing.
std::optional<Contraction> matchContraction(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 1)
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  for (AffineMap map : maps)
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
      return std::nullopt;
  for (Value operand : op->getOperands())
    if (!isa<FloatType>(getElementTypeOrSelf(operand.getType())))
      return std::nullopt;

  Contraction c;
  bool haveM = false, haveN = false, haveK = false;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0, e = op.getNumLoops(); d < e; ++d) {
    bool inA = maps[0].isFunctionOfDim(d), inB = maps[1].isFunctionOfDim(d);
    bool inC = maps[2].isFunctionOfDim(d);
    if (iterators[d] == utils::IteratorType::reduction) {
      if (!inA || !inB || inC)
        return std::nullopt;
      c.k = d;
      haveK = true;
    } else if (!inC) {
      return std::nullopt;
    } else if (inA && inB) {
      c.batch.push_back(d);
    } else if (inA && !haveM) {
      c.m = d;
      haveM = true;
    } else if (inB && !haveN) {
      c.n = d;
      haveN = true;
    } else {
      return std::nullopt;
    }
  }
  if (!haveM || !haveN || !haveK)
    return std::nullopt;

  Block &body = op.getRegion().front();
  if (!isKernelCloneable(op) ||
      !llvm::all_of(body, [](Operation &bodyOp) {
        return isa<arith::ExtFOp, arith::MulFOp, arith::AddFOp,
                   linalg::YieldOp>(bodyOp);
      }))
    return std::nullopt;
  auto add = body.getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return std::nullopt;
  Value acc = body.getArgument(2);
  Value product = add.getLhs() == acc   ? add.getRhs()
                  : add.getRhs() == acc ? add.getLhs()
                                        : Value();
  auto mul = product ? product.getDefiningOp<arith::MulFOp>() : nullptr;
  if (!mul)
    return std::nullopt;
  Value x = stripExtension(mul.getLhs()), y = stripExtension(mul.getRhs());
  Value a = body.getArgument(0), b = body.getArgument(1);
  if (!((x == a && y == b) || (x == b && y == a)))
    return std::nullopt;
  return c;
}

/// The buffer `value` is a view of (through reshapes, subviews, casts): an
/// allocation, a global or a function argument; nullptr when another op
/// made it (which might alias anything).
Value rootBuffer(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (isa<memref::AllocOp, memref::AllocaOp, memref::GetGlobalOp>(def))
      return value;
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      return Value();
    value = view.getViewSource();
  }
  return value;
}

/// The element-wise op right after contraction `op` that reads its result
/// C (bias, activation, residual add, scaling): it is applied to each
/// accumulator before the store, saving a launch and a pass over C, which
/// is then never written. Returns the op and the operand number of C in it.
///
/// C must be an allocation of its own that nothing reads afterwards (not an
/// argument, e.g. a model output, nor a view), and the epilogue must write
/// each element once (a permutation map), into a buffer that the
/// contraction does not read and that its other inputs read only at the
/// element being written.
std::optional<std::pair<linalg::GenericOp, unsigned>>
matchEpilogue(linalg::GenericOp op) {
  Value c = op.getDpsInits()[0];
  if (!c.getDefiningOp<memref::AllocOp>())
    return std::nullopt;
  auto epilogue = dyn_cast_or_null<linalg::GenericOp>(op->getNextNode());
  if (!epilogue || !epilogue.hasPureBufferSemantics() ||
      !isKernelCloneable(epilogue) || epilogue.getNumDpsInits() != 1 ||
      epilogue.getNumReductionLoops() != 0 ||
      epilogue.getNumLoops() != cast<MemRefType>(c.getType()).getRank())
    return std::nullopt;
  std::optional<unsigned> cOperand;
  for (OpOperand *input : epilogue.getDpsInputOperands()) {
    if (input->get() != c)
      continue;
    if (cOperand)
      return std::nullopt;
    cOperand = input->getOperandNumber();
  }
  if (!cOperand ||
      !epilogue.getMatchingIndexingMap(&epilogue->getOpOperand(*cOperand))
           .isIdentity())
    return std::nullopt;
  for (AffineMap map : epilogue.getIndexingMapsArray())
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
      return std::nullopt;
  OpOperand *init = epilogue.getDpsInitOperand(0);
  AffineMap writeMap = epilogue.getMatchingIndexingMap(init);
  if (!writeMap.isPermutation())
    return std::nullopt;
  Block &body = epilogue.getRegion().front();
  if (!body.getArguments().back().use_empty())
    return std::nullopt;
  for (Operation *user : c.getUsers()) {
    if (user == op || user == epilogue || isa<memref::DeallocOp>(user))
      continue;
    if (user->getNumResults() != 0 || user->getBlock() != op->getBlock() ||
        !user->isBeforeInBlock(op))
      return std::nullopt;
  }
  Value written = rootBuffer(init->get());
  if (!written)
    return std::nullopt;
  for (Value input : op.getDpsInputs()) {
    Value root = rootBuffer(input);
    if (!root || root == written)
      return std::nullopt;
  }
  for (OpOperand *input : epilogue.getDpsInputOperands()) {
    if (input->getOperandNumber() == *cOperand)
      continue;
    Value root = rootBuffer(input->get());
    if (!root)
      return std::nullopt;
    if (root == written &&
        (input->get() != init->get() ||
         epilogue.getMatchingIndexingMap(input) != writeMap))
      return std::nullopt;
  }
  return std::make_pair(epilogue, *cOperand);
}

struct GPUTileContractionsPass
    : public attnc::impl::GPUTileContractionsBase<GPUTileContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (tileM <= 0 || tileM % kThreadsY != 0 || tileN <= 0 ||
        tileN % kThreadsX != 0 || tileK <= 0 || (tileM * tileK) % kThreads ||
        (tileN * tileK) % kThreads || minRows < 1 || minRows > kMaxGridY ||
        tileK * (tileM + tileN + 2) * 4 > kMaxStaticSharedBytes) {
      func.emitError() << "attnc-gpu-tile-contractions: tile-m and tile-n "
                          "must be positive multiples of 16, tile-m * "
                          "tile-k and tile-n * tile-k multiples of "
                       << kThreads << ", min-rows in [1, " << kMaxGridY
                       << "] (it bounds the split-K grid), and the f32 tiles "
                          "tile-k x (tile-m + tile-n + 2) within "
                       << kMaxStaticSharedBytes << " bytes of shared memory";
      return signalPassFailure();
    }
    SmallVector<std::pair<linalg::GenericOp, Contraction>> contractions;
    func.walk([&](linalg::GenericOp op) {
      if (op->getParentOfType<gpu::LaunchOp>())
        return;
      if (std::optional<Contraction> c = matchContraction(op))
        contractions.emplace_back(op, *c);
    });
    for (auto &[op, c] : contractions)
      tile(op, c);
  }

  /// Replaces `op` by `scf.if (rows >= min-rows) { tiled launch } else
  /// { split-K launch }`: with few rows (decode) most of a row tile would
  /// idle, and the weights, read once, are the whole cost.
  void tile(linalg::GenericOp op, const Contraction &c) {
    epilogue = matchEpilogue(op);
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto cst = [&](OpBuilder &builder, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(builder, loc, v);
    };
    SmallVector<Value> sizes = loopSizes(b, loc, op);
    Value rows = sizes[c.m], cols = sizes[c.n], depth = sizes[c.k];
    Value batchCount = cst(b, 1);
    for (unsigned d : c.batch)
      batchCount = arith::MulIOp::create(b, loc, batchCount, sizes[d]);
    Value zero = cst(b, 0);
    auto positive = [&](Value v) -> Value {
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, v, zero);
    };
    // CUDA refuses empty grids.
    Value nonEmpty = arith::AndIOp::create(
        b, loc,
        arith::AndIOp::create(b, loc, positive(rows), positive(cols)),
        positive(batchCount));
    // min-rows >= 1, so enough rows implies a row at all.
    Value useTiles = arith::AndIOp::create(
        b, loc, nonEmpty,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, rows,
                              cst(b, minRows)));
    // Each launch sits directly in an scf.if branch, the shape
    // attnc-gpu-map-loops leaves on the host.
    auto ifOp = scf::IfOp::create(b, loc, useTiles, /*withElse=*/true);
    {
      OpBuilder eb(ifOp.elseBlock()->getTerminator());
      auto guard = scf::IfOp::create(eb, loc, nonEmpty, /*withElse=*/false);
      OpBuilder sb(guard.thenBlock()->getTerminator());
      buildSplitKLaunch(sb, loc, op, c, sizes, batchCount);
    }

    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    Value gridX = arith::CeilDivSIOp::create(b, loc, cols, cst(b, tileN));
    Value gridY = arith::CeilDivSIOp::create(b, loc, rows, cst(b, tileM));
    Value a = op.getDpsInputs()[0], bIn = op.getDpsInputs()[1];
    Value out = op.getDpsInits()[0];
    auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(),
                                                gpu::AddressSpace::Workgroup);
    // One padding column: a warp storing down a tile column (the K-fastest
    // loads) hits 32 different banks.
    auto tileType = [&](Value operand, int64_t width) {
      return MemRefType::get({tileK, width + 1},
                             getElementTypeOrSelf(operand.getType()),
                             MemRefLayoutAttrInterface(), workgroup);
    };
    auto launch = gpu::LaunchOp::create(
        b, loc, gridX, gridY, batchCount, cst(b, kThreadsX),
        cst(b, kThreadsY), cst(b, 1), /*dynamicSharedMemorySize=*/nullptr,
        /*asyncTokenType=*/nullptr, /*asyncDependencies=*/{},
        TypeRange{tileType(a, tileM), tileType(bIn, tileN)});
    Value tileA = launch.getWorkgroupAttributions()[0];
    Value tileB = launch.getWorkgroupAttributions()[1];

    b.setInsertionPointToStart(&launch.getBody().front());
    Value tx = launch.getThreadIds().x, ty = launch.getThreadIds().y;
    Value thread = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, ty, cst(b, kThreadsX)), tx);
    Value row0 = arith::MulIOp::create(b, loc, launch.getBlockIds().y,
                                       cst(b, tileM));
    Value col0 = arith::MulIOp::create(b, loc, launch.getBlockIds().x,
                                       cst(b, tileN));
    // Loop dim -> index value, for the operands' indexing maps.
    DenseMap<unsigned, Value> dims;
    delinearize(b, loc, launch.getBlockIds().z, c.batch, sizes, dims);
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    auto indices = [&](AffineMap map) { return mapIndices(map, dims); };
    auto inBounds = [&](OpBuilder &builder, Value i, Value bound) -> Value {
      return arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::slt, i,
                                   bound);
    };
    // `load` if `cond`, else zero of `type`.
    auto guardedLoad = [&](OpBuilder &builder, Value cond, Type type,
                           function_ref<Value(OpBuilder &)> load) -> Value {
      auto guard = scf::IfOp::create(
          builder, loc, cond,
          [&](OpBuilder &then, Location) {
            scf::YieldOp::create(then, loc, load(then));
          },
          [&](OpBuilder &other, Location) {
            Value z = arith::ConstantOp::create(
                other, loc, type, other.getZeroAttr(type));
            scf::YieldOp::create(other, loc, z);
          });
      return guard.getResult(0);
    };

    // The C elements of this thread: rows ty + 16 i, columns tx + 16 j
    // (neighbouring threads, neighbouring columns: coalesced stores).
    int64_t perRow = tileM / kThreadsY, perCol = tileN / kThreadsX;
    Type accType = getElementTypeOrSelf(out.getType());
    SmallVector<Value> myRows, myCols;
    for (int64_t i = 0; i < perRow; ++i)
      myRows.push_back(arith::AddIOp::create(
          b, loc, row0,
          arith::AddIOp::create(b, loc, ty, cst(b, i * kThreadsY))));
    for (int64_t j = 0; j < perCol; ++j)
      myCols.push_back(arith::AddIOp::create(
          b, loc, col0,
          arith::AddIOp::create(b, loc, tx, cst(b, j * kThreadsX))));
    SmallVector<Value> init;
    SmallVector<Value> stores; // in-bounds flags of the C elements
    for (Value r : myRows)
      for (Value col : myCols) {
        Value ok = arith::AndIOp::create(b, loc, inBounds(b, r, rows),
                                         inBounds(b, col, cols));
        stores.push_back(ok);
        dims[c.m] = r;
        dims[c.n] = col;
        SmallVector<Value> idx = indices(maps[2]);
        init.push_back(guardedLoad(b, ok, accType, [&](OpBuilder &then) {
          return memref::LoadOp::create(then, loc, out, idx);
        }));
      }

    Value steps = arith::CeilDivSIOp::create(b, loc, depth, cst(b, tileK));
    Block &body = op.getRegion().front();
    Value result = body.getTerminator()->getOperand(0);
    auto kLoop = scf::ForOp::create(
        b, loc, cst(b, 0), steps, cst(b, 1), init,
        [&](OpBuilder &lb, Location, Value step, ValueRange accs) {
          Value k0 = arith::MulIOp::create(lb, loc, step, cst(lb, tileK));
          stageTile(lb, loc, a, maps[0], c.m, c.k, row0, rows, k0, depth,
                    tileM, thread, tileA, dims, guardedLoad);
          stageTile(lb, loc, bIn, maps[1], c.n, c.k, col0, cols, k0, depth,
                    tileN, thread, tileB, dims, guardedLoad);
          gpu::BarrierOp::create(lb, loc);
          auto inner = scf::ForOp::create(
              lb, loc, cst(lb, 0), cst(lb, tileK), cst(lb, 1), accs,
              [&](OpBuilder &ib, Location, Value kk, ValueRange current) {
                // Elements first, first + stride, ... of row kk of `tile`.
                auto loadRow = [&](Value tile, Value first, int64_t count,
                                   int64_t stride) {
                  SmallVector<Value> values;
                  for (int64_t i = 0; i < count; ++i)
                    values.push_back(memref::LoadOp::create(
                        ib, loc, tile,
                        ValueRange{kk, arith::AddIOp::create(
                                           ib, loc, first,
                                           cst(ib, i * stride))}));
                  return values;
                };
                SmallVector<Value> as = loadRow(tileA, ty, perRow, kThreadsY);
                SmallVector<Value> bs = loadRow(tileB, tx, perCol, kThreadsX);
                SmallVector<Value> next;
                for (int64_t i = 0; i < perRow; ++i)
                  for (int64_t j = 0; j < perCol; ++j) {
                    IRMapping mapping;
                    mapping.map(body.getArgument(0), as[i]);
                    mapping.map(body.getArgument(1), bs[j]);
                    mapping.map(body.getArgument(2), current[i * perCol + j]);
                    for (Operation &bodyOp : body.without_terminator())
                      ib.clone(bodyOp, mapping);
                    next.push_back(mapping.lookup(result));
                  }
                scf::YieldOp::create(ib, loc, next);
              });
          // The next step overwrites the tiles.
          gpu::BarrierOp::create(lb, loc);
          scf::YieldOp::create(lb, loc, inner.getResults());
        });

    for (int64_t i = 0; i < perRow; ++i)
      for (int64_t j = 0; j < perCol; ++j) {
        int64_t e = i * perCol + j;
        auto guard = scf::IfOp::create(b, loc, stores[e], false);
        OpBuilder then = OpBuilder::atBlockBegin(guard.thenBlock());
        dims[c.m] = myRows[i];
        dims[c.n] = myCols[j];
        storeResult(then, loc, op, kLoop.getResult(e), dims);
      }
    gpu::TerminatorOp::create(b, loc);
    if (epilogue)
      epilogue->first.erase();
    op.erase();
  }

  /// Stores the finished element `acc` of C at loop indices `dims`, or,
  /// with an epilogue, applies it (its other inputs read at the same
  /// element) and stores its result instead.
  void storeResult(OpBuilder &b, Location loc, linalg::GenericOp op,
                   Value acc, const DenseMap<unsigned, Value> &dims) {
    AffineMap outMap = op.getIndexingMapsArray()[2];
    if (!epilogue) {
      memref::StoreOp::create(b, loc, acc, op.getDpsInits()[0],
                              mapIndices(outMap, dims));
      return;
    }
    auto [post, cOperand] = *epilogue;
    // The epilogue's loop i walks dimension i of C, which the contraction
    // indexes with its loop outMap(i).
    DenseMap<unsigned, Value> postDims;
    for (unsigned i = 0; i < outMap.getNumResults(); ++i)
      postDims[i] = dims.lookup(outMap.getDimPosition(i));
    SmallVector<AffineMap> maps = post.getIndexingMapsArray();
    Block &body = post.getRegion().front();
    IRMapping mapping;
    for (OpOperand *input : post.getDpsInputOperands()) {
      unsigned n = input->getOperandNumber();
      mapping.map(body.getArgument(n),
                  n == cOperand
                      ? acc
                      : memref::LoadOp::create(b, loc, input->get(),
                                               mapIndices(maps[n], postDims))
                            .getResult());
    }
    for (Operation &bodyOp : body.without_terminator())
      b.clone(bodyOp, mapping);
    Value result = mapping.lookup(body.getTerminator()->getOperand(0));
    OpOperand *init = post.getDpsInitOperand(0);
    memref::StoreOp::create(
        b, loc, result, init->get(),
        mapIndices(maps[init->getOperandNumber()], postDims));
  }

  /// The element-wise op applied before the store, and the operand number
  /// of C in it, for the contraction being rewritten.
  std::optional<std::pair<linalg::GenericOp, unsigned>> epilogue;

  /// The GEMM with few rows (a decode step: a GEMV per row): one block of
  /// 32 x 8 threads per row and group of columns, the K loop split over the
  /// block's threads, the partial sums added through shared memory by one
  /// thread per column. When B's innermost dimension is N (weights [K, N])
  /// the 32 lanes of a warp take 32 columns and the 8 warps interleave K,
  /// else (transposed weights [N, K], e.g. a tied LM head) the lanes
  /// interleave K and each warp takes a column: either way a warp reads 32
  /// neighbouring elements of B.
  void buildSplitKLaunch(OpBuilder &b, Location loc, linalg::GenericOp op,
                         const Contraction &c, ArrayRef<Value> sizes,
                         Value batchCount) {
    Value rows = sizes[c.m], cols = sizes[c.n], depth = sizes[c.k];
    auto cst = [&](OpBuilder &builder, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(builder, loc, v);
    };
    constexpr int64_t kLanes = 32, kWarps = 8;
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    bool kFastest =
        cast<AffineDimExpr>(maps[1].getResults().back()).getPosition() == c.k;
    int64_t colsPerBlock = kFastest ? kWarps : kLanes;
    int64_t kGroups = kFastest ? kLanes : kWarps;
    Value out = op.getDpsInits()[0];
    Type accType = getElementTypeOrSelf(out.getType());
    auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(),
                                                gpu::AddressSpace::Workgroup);
    auto partialsType = MemRefType::get({kWarps, kLanes}, accType,
                                        MemRefLayoutAttrInterface(), workgroup);
    Value gridX =
        arith::CeilDivSIOp::create(b, loc, cols, cst(b, colsPerBlock));
    auto launch = gpu::LaunchOp::create(
        b, loc, gridX, rows, batchCount, cst(b, kLanes), cst(b, kWarps),
        cst(b, 1), /*dynamicSharedMemorySize=*/nullptr,
        /*asyncTokenType=*/nullptr, /*asyncDependencies=*/{},
        TypeRange{partialsType});
    Value partials = launch.getWorkgroupAttributions()[0];
    b.setInsertionPointToStart(&launch.getBody().front());
    Value lane = launch.getThreadIds().x, warp = launch.getThreadIds().y;
    DenseMap<unsigned, Value> dims;
    delinearize(b, loc, launch.getBlockIds().z, c.batch, sizes, dims);
    Value colInBlock = kFastest ? warp : lane;
    Value col = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, launch.getBlockIds().x,
                              cst(b, colsPerBlock)),
        colInBlock);
    dims[c.m] = launch.getBlockIds().y;
    dims[c.n] = col;
    Value colOk = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                        col, cols);
    Block &body = op.getRegion().front();
    Value result = body.getTerminator()->getOperand(0);
    auto partial = scf::IfOp::create(
        b, loc, colOk,
        [&](OpBuilder &then, Location) {
          Value zero = arith::ConstantOp::create(then, loc, accType,
                                                 then.getZeroAttr(accType));
          auto kLoop = scf::ForOp::create(
              then, loc, kFastest ? lane : warp, depth, cst(then, kGroups),
              ValueRange{zero},
              [&](OpBuilder &lb, Location, Value k, ValueRange acc) {
                dims[c.k] = k;
                IRMapping mapping;
                mapping.map(body.getArgument(0),
                            memref::LoadOp::create(lb, loc,
                                                   op.getDpsInputs()[0],
                                                   mapIndices(maps[0], dims)));
                mapping.map(body.getArgument(1),
                            memref::LoadOp::create(lb, loc,
                                                   op.getDpsInputs()[1],
                                                   mapIndices(maps[1], dims)));
                mapping.map(body.getArgument(2), acc[0]);
                for (Operation &bodyOp : body.without_terminator())
                  lb.clone(bodyOp, mapping);
                scf::YieldOp::create(lb, loc, mapping.lookup(result));
              });
          scf::YieldOp::create(then, loc, kLoop.getResult(0));
        },
        [&](OpBuilder &other, Location) {
          Value zero = arith::ConstantOp::create(other, loc, accType,
                                                 other.getZeroAttr(accType));
          scf::YieldOp::create(other, loc, zero);
        });
    memref::StoreOp::create(b, loc, partial.getResult(0), partials,
                            ValueRange{warp, lane});
    gpu::BarrierOp::create(b, loc);
    // One thread per column adds the partial sums to C.
    Value leader = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                         kFastest ? lane : warp, cst(b, 0));
    auto finish = scf::IfOp::create(
        b, loc, arith::AndIOp::create(b, loc, leader, colOk), false);
    {
      OpBuilder fb(finish.thenBlock()->getTerminator());
      SmallVector<Value> cIdx = mapIndices(maps[2], dims);
      Value init = memref::LoadOp::create(fb, loc, out, cIdx);
      auto sum = scf::ForOp::create(
          fb, loc, cst(fb, 0), cst(fb, kGroups), cst(fb, 1), ValueRange{init},
          [&](OpBuilder &lb, Location, Value g, ValueRange acc) {
            Value v = memref::LoadOp::create(
                lb, loc, partials,
                kFastest ? ValueRange{warp, g} : ValueRange{g, lane});
            scf::YieldOp::create(lb, loc,
                                 Value(arith::AddFOp::create(lb, loc, acc[0],
                                                             v)));
          });
      storeResult(fb, loc, op, sum.getResult(0), dims);
    }
    gpu::TerminatorOp::create(b, loc);
  }

  /// All threads of the block copy the [tile-k x width] tile of `operand`
  /// starting at (`outer0`, `k0`) into `tile[k][outer]`, zero outside the
  /// operand. Neighbouring threads take neighbouring elements of the
  /// operand's innermost dimension, so that the global loads coalesce.
  void stageTile(OpBuilder &b, Location loc, Value operand, AffineMap map,
                 unsigned outerDim, unsigned kDim, Value outer0,
                 Value outerBound, Value k0, Value kBound, int64_t width,
                 Value thread, Value tile, DenseMap<unsigned, Value> &dims,
                 function_ref<Value(OpBuilder &, Value, Type,
                                    function_ref<Value(OpBuilder &)>)>
                     guardedLoad) {
    auto cst = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    bool kFastest =
        cast<AffineDimExpr>(map.getResults().back()).getPosition() == kDim;
    Type type = getElementTypeOrSelf(operand.getType());
    for (int64_t r = 0; r < width * tileK / kThreads; ++r) {
      Value e = arith::AddIOp::create(b, loc, thread, cst(r * kThreads));
      Value kk, oo;
      if (kFastest) {
        kk = arith::RemSIOp::create(b, loc, e, cst(tileK));
        oo = arith::DivSIOp::create(b, loc, e, cst(tileK));
      } else {
        oo = arith::RemSIOp::create(b, loc, e, cst(width));
        kk = arith::DivSIOp::create(b, loc, e, cst(width));
      }
      Value gOuter = arith::AddIOp::create(b, loc, outer0, oo);
      Value gK = arith::AddIOp::create(b, loc, k0, kk);
      Value ok = arith::AndIOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, gOuter,
                                outerBound),
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, gK,
                                kBound));
      dims[outerDim] = gOuter;
      dims[kDim] = gK;
      SmallVector<Value> idx = mapIndices(map, dims);
      Value v = guardedLoad(b, ok, type, [&](OpBuilder &then) {
        return memref::LoadOp::create(then, loc, operand, idx);
      });
      memref::StoreOp::create(b, loc, v, tile, ValueRange{kk, oo});
    }
  }
};

} // namespace
