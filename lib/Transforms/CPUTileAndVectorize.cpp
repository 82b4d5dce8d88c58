//===- CPUTileAndVectorize.cpp - CPU tiling and vectorization -------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Tiles every linalg op on tensors for the CPU (a thread-level scf.forall
// tile, then cache/register tiles in scf.for loops), peels the tiled loops so
// that full tiles are static, vectorizes the tiles and hoists contraction
// accumulators into registers. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace attnc {
#define GEN_PASS_DEF_CPUTILEANDVECTORIZE
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

/// Marks the scf.for loops that must be peeled into full and partial tiles.
constexpr llvm::StringLiteral kPeelAttr = "attnc.peel";
/// Marks peeled loops whose trip range is a multiple of their step by
/// construction: the partial iteration never runs and is dropped (it would
/// otherwise be compiled as dead scalar code).
constexpr llvm::StringLiteral kExactAttr = "attnc.exact";

/// How one linalg op is tiled: `outer` sizes for the thread-level loop
/// (0 = not tiled), `inner` sizes for the scf.for nest, the loop order of the
/// inner nest, and which dims' inner loops are peeled.
struct TilingPlan {
  SmallVector<int64_t> outer, middle, inner, interchange;
  SmallVector<unsigned> peel;
  /// A contraction's M loop: rows past the last full register tile are
  /// split off and tiled by one row.
  std::optional<unsigned> rows;
  /// A packed contraction's panel loop: one-row tiles take `kRowPanels`
  /// panels at a time.
  std::optional<unsigned> panels;
};

/// Panels per one-row tile. A row of one panel has only two accumulator
/// vectors, each a chain of dependent FMAs over K: at M = 1 (decode) the FMA
/// latency, not memory, bounds the GEMV (GPT-2 small decode, 1 thread, AVX2:
/// 38 ms fp32 / 26 ms bf16 with one panel, 28 / 20 ms with two, 28 / 16.5
/// ms with four). Four panels are eight independent chains and four weight
/// streams; the accumulators fit 16 vector registers.
constexpr int64_t kRowPanels = 4;

/// The widest element type of the op's operands in bits (at least 8).
unsigned maxElementBits(linalg::LinalgOp op) {
  unsigned bits = 8;
  for (Value v : op->getOperands())
    if (auto t = dyn_cast<ShapedType>(v.getType()))
      if (t.getElementType().isIntOrFloat())
        bits = std::max(bits, t.getElementType().getIntOrFloatBitWidth());
  return bits;
}

/// Clamps a tile size to a static loop range (a tile larger than a static
/// dim would make a dynamic tile that does not vectorize).
int64_t clampTo(int64_t tile, int64_t range) {
  if (tile == 0 || ShapedType::isDynamic(range))
    return tile;
  return std::min(tile, std::max<int64_t>(range, 1));
}

struct CPUTileAndVectorize
    : public attnc::impl::CPUTileAndVectorizeBase<CPUTileAndVectorize> {
  using Base::Base;

  std::optional<TilingPlan> planContraction(linalg::LinalgOp op) const;
  TilingPlan planGeneric(linalg::LinalgOp op) const;
  /// With `epilogue` (a contraction's, matchEpilogue), the epilogue is
  /// applied inside the thread tiles and its copy there returned in
  /// `tiledEpilogue`; a zero fill moved into the tiles goes to `tiledFill`.
  LogicalResult tileOp(RewriterBase &rewriter, linalg::LinalgOp op,
                       const TilingPlan &plan, linalg::GenericOp epilogue = {},
                       linalg::GenericOp *tiledEpilogue = nullptr,
                       linalg::FillOp *tiledFill = nullptr) const;
  TilingPlan planVectorTile(linalg::LinalgOp op) const;
  void runOnOperation() override;
};

/// The N loop of a contraction that indexes the output's innermost dim (the
/// vector lanes). Packed weights (attnc-pack-weights) add a second N loop,
/// over panels, which is tiled like a batch.
std::optional<unsigned> innermostN(linalg::LinalgOp op,
                                   const linalg::ContractionDimensions &dims) {
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (outMap.getNumResults() == 0)
    return std::nullopt;
  auto last = dyn_cast<AffineDimExpr>(outMap.getResults().back());
  if (!last || !llvm::is_contained(dims.n, last.getPosition()))
    return std::nullopt;
  return last.getPosition();
}

std::optional<TilingPlan>
CPUTileAndVectorize::planContraction(linalg::LinalgOp op) const {
  if (!linalg::isaContractionOpInterface(op) || op.getNumDpsInits() != 1)
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty() ||
      dims->n.size() > 2 || dims->k.size() != 1 ||
      dims->batch.size() + dims->m.size() + dims->n.size() + 1 !=
          static_cast<size_t>(op.getNumLoops()))
    return std::nullopt;
  std::optional<unsigned> lanesDim = innermostN(op, *dims);
  if (!lanesDim)
    return std::nullopt;
  // x[b, s, k] . w[k, n] has two M dims (b and s, w is shared): the
  // innermost one is the GEMM's M, the others are tiled by 1 like batches.
  SmallVector<unsigned> outerDims(dims->batch.begin(), dims->batch.end());
  outerDims.append(dims->m.begin(), dims->m.end() - 1);
  unsigned m = dims->m.back(), n = *lanesDim, k = dims->k[0];
  std::optional<unsigned> panels;
  for (unsigned d : dims->n)
    if (d != n)
      panels = d;
  // The register tile: nr = two vectors of lanes, mr rows such that 2*mr
  // accumulators, two B vectors and an A broadcast fit the register file.
  int64_t lanes = std::max<int64_t>(vectorBits / maxElementBits(op), 1);
  int64_t nr = 2 * lanes;
  int64_t mr = std::clamp<int64_t>((vectorRegisters - 4) / 2, 1, 8);
  // The thread/cache tile: 8 register rows by 4 register columns (64x128
  // for AVX-512). K is blocked only when a kc x nr panel of B (reused by
  // the 8 register tiles of M) would exceed a quarter of L2: streaming the
  // panel from L2 keeps the accumulators in registers over all of K. An
  // L1-sized panel (kc = 128, AVX-512) reloads them every kc steps and cut
  // the stream into short runs: measured on a Xeon (Sapphire/Emerald
  // Rapids, 2 MiB L2), 1 thread, the best of 8-10 interleaved rounds:
  // 128x768x3072 GEMM 3.59 -> 3.40 ms, BERT-base 201 -> 191 ms.
  int64_t mc = 8 * mr, nc = 4 * nr;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t kc = std::max<int64_t>(
      l2CacheBytes / 4 / (nr * (maxElementBits(op) / 8)), 1);
  // Equal blocks when K is static (3072 with kc = 2048: 2 x 1536).
  if (!ShapedType::isDynamic(ranges[k]) && ranges[k] > kc)
    kc = llvm::divideCeil(ranges[k], llvm::divideCeil(ranges[k], kc));
  TilingPlan plan;
  unsigned numLoops = op.getNumLoops();
  plan.outer.assign(numLoops, 0);
  plan.inner.assign(numLoops, 0);
  for (unsigned b : outerDims)
    plan.outer[b] = 1;
  plan.outer[m] = clampTo(mc, ranges[m]);
  plan.middle.assign(numLoops, 0);
  if (ShapedType::isDynamic(ranges[k]) || ranges[k] > kc)
    plan.middle[k] = kc;
  plan.inner[m] = clampTo(mr, ranges[m]);
  plan.inner[k] = 1;
  if (panels) {
    // Packed: the lane loop is one whole panel already; threads and the
    // register loop step over panels.
    int64_t width = ranges[n];
    plan.outer[*panels] =
        clampTo(std::max<int64_t>(nc / std::max<int64_t>(width, 1), 1),
                ranges[*panels]);
    plan.inner[*panels] = 1;
  } else {
    plan.outer[n] = clampTo(nc, ranges[n]);
    plan.inner[n] = clampTo(nr, ranges[n]);
  }
  llvm::sort(outerDims);
  for (unsigned b : outerDims)
    plan.interchange.push_back(b);
  // N outside M: the B panel stays in L1 while M register tiles pass over.
  // The thread-level loop takes the same order: OpenMP's static schedule
  // gives each thread a contiguous run of tiles, i.e. a range of columns
  // over all rows. Splitting M instead leaves a thread with the short last
  // row tile (M = 197 for ViT: 120 rows against 77 at 2 threads); N is a
  // multiple of the tile width in these models. Measured at 2 threads:
  // ViT-B/16 347 -> 309 ms, BERT-base 207 -> 201 ms; no change at 1.
  if (panels)
    plan.interchange.push_back(*panels);
  plan.interchange.append({n, m, k});
  plan.peel = {m, n};
  plan.rows = m;
  plan.panels = panels;
  return plan;
}

TilingPlan CPUTileAndVectorize::planGeneric(linalg::LinalgOp op) const {
  unsigned numLoops = op.getNumLoops();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t lanes = std::max<int64_t>(vectorBits / maxElementBits(op), 1);
  TilingPlan plan;
  plan.outer.assign(numLoops, 0);
  plan.inner.assign(numLoops, 1);
  unsigned last = numLoops - 1;
  // Threads share the outer parallel loops; the innermost loop is one vector.
  for (unsigned d = 0; d < last; ++d)
    if (iterators[d] == utils::IteratorType::parallel)
      plan.outer[d] = 1;
  for (unsigned d = 0; d < last; ++d)
    if (plan.outer[d] == 1)
      plan.inner[d] = 0; // already 1 after the outer tiling
  plan.inner[last] = clampTo(lanes, ranges[last]);
  for (unsigned d = 0; d < numLoops; ++d)
    plan.interchange.push_back(d);
  plan.peel = {last};
  return plan;
}

/// The elementwise op (bias, activation, residual add) that can run inside
/// the thread tiles of contraction `op`: the only user of its result, in
/// the same block, all loops parallel, reading the result and writing a
/// tensor of the same type through identity maps (so that a tile of the
/// contraction's result is the same tile of the epilogue's iteration
/// space), projected-permutation maps elsewhere, and not reading its init.
linalg::GenericOp matchEpilogue(linalg::LinalgOp op) {
  if (op->getNumResults() != 1 || !op->getResult(0).hasOneUse())
    return {};
  Value result = op->getResult(0);
  auto user = dyn_cast<linalg::GenericOp>(*result.user_begin());
  if (!user || user->getBlock() != op->getBlock() ||
      !user.hasPureTensorSemantics() || user.getNumDpsInits() != 1 ||
      user.getNumLoops() != user.getNumParallelLoops() ||
      user->getNumResults() != 1)
    return {};
  OpOperand *init = user.getDpsInitOperand(0);
  if (init->get().getType() != result.getType() ||
      !user.getMatchingIndexingMap(init).isIdentity() ||
      user.payloadUsesValueFromOperand(init))
    return {};
  for (OpOperand *in : user.getDpsInputOperands()) {
    AffineMap map = user.getMatchingIndexingMap(in);
    if (in->get() == result ? !map.isIdentity() : !map.isProjectedPermutation())
      return {};
  }
  return user;
}

/// Builds, before `insert` (the op that stores a tile of a contraction's
/// result into the loop's destination), `epilogue` applied to that tile in
/// place: the tile `tile` (offsets and sizes from `insert`) becomes the
/// init of a copy of `epilogue` that reads the other operands' matching
/// slices, and is stored instead. The tile stays in L1 between the GEMM
/// and its epilogue; no second pass over the whole result is made.
linalg::GenericOp applyEpilogueToTile(RewriterBase &rewriter,
                                      linalg::GenericOp epilogue,
                                      Operation *insert, Value tile,
                                      Value contraction) {
  auto offsetSize = cast<OffsetSizeAndStrideOpInterface>(insert);
  SmallVector<OpFoldResult> offsets = offsetSize.getMixedOffsets();
  SmallVector<OpFoldResult> sizes = offsetSize.getMixedSizes();
  Location loc = epilogue.getLoc();
  // Before scf.forall's terminator (scf.forall.in_parallel holds only the
  // parallel inserts), or before the insert of an scf.for tile.
  rewriter.setInsertionPoint(isa<tensor::ParallelInsertSliceOp>(insert)
                                 ? insert->getParentOp()
                                 : insert);
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  std::optional<unsigned> tileArg;
  for (OpOperand *in : epilogue.getDpsInputOperands()) {
    if (in->get() == contraction) {
      tileArg = in->getOperandNumber();
      continue;
    }
    AffineMap map = epilogue.getMatchingIndexingMap(in);
    Value value = in->get();
    if (map.getNumResults() > 0) {
      SmallVector<OpFoldResult> o, z, one;
      for (AffineExpr e : map.getResults()) {
        unsigned d = cast<AffineDimExpr>(e).getPosition();
        o.push_back(offsets[d]);
        z.push_back(sizes[d]);
        one.push_back(rewriter.getIndexAttr(1));
      }
      value = tensor::ExtractSliceOp::create(rewriter, loc, value, o, z, one);
    }
    inputs.push_back(value);
    maps.push_back(map);
  }
  maps.push_back(
      epilogue.getMatchingIndexingMap(epilogue.getDpsInitOperand(0)));
  Block *body = epilogue.getBody();
  auto tiled = linalg::GenericOp::create(
      rewriter, loc, TypeRange{tile.getType()}, inputs, ValueRange{tile}, maps,
      epilogue.getIteratorTypesArray(),
      [&](OpBuilder &b, Location, ValueRange args) {
        IRMapping mapping;
        unsigned next = 0;
        Value out = args.back();
        for (BlockArgument arg : body->getArguments()) {
          bool isTile = tileArg && arg.getArgNumber() == *tileArg;
          bool isInit = arg.getArgNumber() == body->getNumArguments() - 1;
          mapping.map(arg, isTile || isInit ? out : args[next++]);
        }
        for (Operation &op : body->without_terminator())
          b.clone(op, mapping);
        auto yield = cast<linalg::YieldOp>(body->getTerminator());
        SmallVector<Value> values;
        for (Value v : yield.getValues())
          values.push_back(mapping.lookupOrDefault(v));
        linalg::YieldOp::create(b, yield.getLoc(), values);
      });
  rewriter.modifyOpInPlace(insert,
                           [&] { insert->setOperand(0, tiled.getResult(0)); });
  return tiled;
}

/// Moves `fill` (the zero-filled accumulator of the contraction tiled by
/// `loop`, its only user) into the tiles: the loop's destination becomes
/// the fill's own destination, and `tiled` (the contraction's tile) starts
/// from a fill of its slice. Each thread fills the tile it is about to
/// accumulate into, while it is in cache, instead of a pass over the
/// whole result before the GEMM.
linalg::FillOp fillInTile(RewriterBase &rewriter, linalg::FillOp fill,
                          LoopLikeOpInterface loop, linalg::LinalgOp tiled) {
  Value filled = fill.getResult(0);
  if (!llvm::is_contained(loop.getInits(), filled))
    return {};
  OpOperand *acc = tiled.getDpsInitOperand(0);
  rewriter.setInsertionPoint(tiled);
  auto tileFill = linalg::FillOp::create(rewriter, fill.getLoc(),
                                         fill.getInputs()[0], acc->get());
  rewriter.modifyOpInPlace(tiled, [&] { acc->set(tileFill.getResult(0)); });
  // The loop's init, and the sizes the tiling took from the fill's result:
  // the destination has the same shape.
  rewriter.replaceAllUsesWith(filled, fill.getOutputs()[0]);
  rewriter.eraseOp(fill);
  return tileFill;
}

LogicalResult CPUTileAndVectorize::tileOp(RewriterBase &rewriter,
                                          linalg::LinalgOp op,
                                          const TilingPlan &plan,
                                          linalg::GenericOp epilogue,
                                          linalg::GenericOp *tiledEpilogue,
                                          linalg::FillOp *tiledFill) const {
  // A contraction's own zero-filled accumulator (see runOnOperation) is
  // filled tile by tile inside the thread-level loop.
  linalg::FillOp fill;
  if (plan.rows && tiledFill)
    if (auto f = op.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>())
      if (f->hasOneUse())
        fill = f;
  auto toOfr = [&](ArrayRef<int64_t> sizes) {
    return llvm::map_to_vector(sizes, [&](int64_t s) -> OpFoldResult {
      return rewriter.getIndexAttr(s);
    });
  };
  Operation *current = op;
  if (llvm::any_of(plan.outer, [](int64_t s) { return s != 0; })) {
    scf::SCFTilingOptions options;
    options.setLoopType(parallel ? scf::SCFTilingOptions::LoopType::ForallOp
                                 : scf::SCFTilingOptions::LoopType::ForOp);
    options.setTileSizes(toOfr(plan.outer));
    // The inner nest's loop order (N before M for contractions, the op's
    // own for the rest).
    options.setInterchange(plan.interchange);
    // The epilogue's other operands may be computed after `op`: the loop
    // goes where the epilogue is (op's operands dominate it too).
    if (epilogue)
      rewriter.moveOpBefore(current, epilogue);
    rewriter.setInsertionPoint(current);
    FailureOr<scf::SCFTilingResult> tiled =
        scf::tileUsingSCF(rewriter, cast<TilingInterface>(current), options);
    if (failed(tiled))
      return failure();
    rewriter.replaceOp(current, tiled->replacements);
    current = tiled->tiledOps.back();
    if (fill)
      *tiledFill = fillInTile(rewriter, fill, tiled->loops.front(),
                              cast<linalg::LinalgOp>(current));
    Value tile = current->getResult(0);
    if (epilogue && tiledEpilogue && tile.hasOneUse() &&
        isa<tensor::ParallelInsertSliceOp, tensor::InsertSliceOp>(
            *tile.user_begin())) {
      Value loopResult = tiled->replacements[0];
      *tiledEpilogue = applyEpilogueToTile(
          rewriter, epilogue, *tile.user_begin(), tile, loopResult);
      rewriter.replaceOp(epilogue, loopResult);
    }
  }
  if (llvm::any_of(plan.middle, [](int64_t s) { return s != 0; })) {
    scf::SCFTilingOptions options;
    options.setTileSizes(toOfr(plan.middle));
    rewriter.setInsertionPoint(current);
    FailureOr<scf::SCFTilingResult> tiled =
        scf::tileUsingSCF(rewriter, cast<TilingInterface>(current), options);
    if (failed(tiled))
      return failure();
    rewriter.replaceOp(current, tiled->replacements);
    current = tiled->tiledOps.back();
  }
  if (llvm::all_of(plan.inner, [](int64_t s) { return s == 0; }))
    return success();

  auto tileInner = [&](Operation *target, ArrayRef<int64_t> inner,
                       ArrayRef<unsigned> peel,
                       std::optional<unsigned> exact) -> LogicalResult {
    scf::SCFTilingOptions options;
    options.setTileSizes(toOfr(inner));
    options.setInterchange(plan.interchange);
    rewriter.setInsertionPoint(target);
    FailureOr<scf::SCFTilingResult> tiled =
        scf::tileUsingSCF(rewriter, cast<TilingInterface>(target), options);
    if (failed(tiled))
      return failure();
    rewriter.replaceOp(target, tiled->replacements);
    // Loops are generated for the non-zero sizes in interchange order.
    unsigned loop = 0;
    for (int64_t d : plan.interchange) {
      if (inner[d] == 0)
        continue;
      if (loop < tiled->loops.size() && llvm::is_contained(peel, d)) {
        tiled->loops[loop]->setAttr(kPeelAttr, rewriter.getUnitAttr());
        if (exact == d)
          tiled->loops[loop]->setAttr(kExactAttr, rewriter.getUnitAttr());
      }
      ++loop;
    }
    return success();
  };

  // Tiles `target` with `inner` (a whole number of `step` tiles along
  // `dim`) up to the last multiple of `step` along `dim`, splitting off the
  // rest, which is returned (null when `step` divides a static size): every
  // tile is then static (vector code), with no dynamic remainder. A static
  // size below `step` is all rest.
  auto tileSplit = [&](Operation *target, unsigned dim, int64_t step,
                       ArrayRef<int64_t> inner,
                       ArrayRef<unsigned> peel) -> FailureOr<Operation *> {
    SmallVector<Range> domain =
        cast<TilingInterface>(target).getIterationDomain(rewriter);
    std::optional<int64_t> size = getConstantIntValue(domain[dim].size);
    if (size && *size % step == 0) {
      if (failed(tileInner(target, inner, peel, dim)))
        return failure();
      return static_cast<Operation *>(nullptr);
    }
    if (size && *size < step)
      return target; // e.g. 17 rows of attention scores: 16 + 1
    rewriter.setInsertionPoint(target);
    AffineExpr s0 = getAffineSymbolExpr(0, rewriter.getContext());
    OpFoldResult point = affine::makeComposedFoldedAffineApply(
        rewriter, target->getLoc(), s0.floorDiv(step) * step,
        {domain[dim].size});
    auto [full, rest] =
        linalg::splitOp(rewriter, cast<TilingInterface>(target), dim, point);
    if (!full && !rest)
      return failure(); // splitOp failed
    if (full && failed(tileInner(full, inner, peel, dim)))
      return failure();
    return static_cast<Operation *>(rest);
  };
  // One-row tiles, `kRowPanels` panels at a time when packed; the panels
  // left over are tiled one at a time.
  auto tileRows = [&](Operation *target) -> LogicalResult {
    unsigned m = *plan.rows;
    SmallVector<int64_t> rowInner(plan.inner);
    rowInner[m] = 1;
    SmallVector<unsigned> rowPeel;
    for (unsigned d : plan.peel)
      if (d != m)
        rowPeel.push_back(d);
    int64_t rp = 1;
    if (plan.panels)
      rp = clampTo(
          kRowPanels,
          cast<linalg::LinalgOp>(target).getStaticLoopRanges()[*plan.panels]);
    if (rp <= 1)
      return tileInner(target, rowInner, rowPeel, std::nullopt);
    SmallVector<int64_t> panelInner(rowInner);
    panelInner[*plan.panels] = rp;
    SmallVector<unsigned> panelPeel(rowPeel);
    panelPeel.push_back(*plan.panels);
    FailureOr<Operation *> rest =
        tileSplit(target, *plan.panels, rp, panelInner, panelPeel);
    if (failed(rest))
      return failure();
    return *rest ? tileInner(*rest, rowInner, rowPeel, std::nullopt)
                 : success();
  };
  // A contraction whose register tile is a single row (static M = 1).
  if (plan.rows && plan.inner[*plan.rows] == 1)
    return tileRows(current);
  // Rows that do not fill a register tile (all of them when M = 1, as in
  // decode) are split off into their own op: first a tile of half the rows
  // where at least that many are left, then one row at a time. Each tile is
  // static, its accumulator in registers across K, instead of a scalar
  // remainder inside the K loop. The half tile matters when M is not a
  // multiple of the register tile (ViT: 197 rows, 5 left per column): a
  // one-row tile reads its B rows for one output row only.
  if (plan.rows && plan.inner[*plan.rows] > 1) {
    unsigned m = *plan.rows;
    SmallVector<int64_t> inner(plan.inner);
    FailureOr<Operation *> rest =
        tileSplit(current, m, inner[m], inner, plan.peel);
    if (succeeded(rest) && *rest && inner[m] >= 8) {
      inner[m] /= 2;
      rest = tileSplit(*rest, m, inner[m], inner, plan.peel);
    }
    if (failed(rest))
      return failure();
    return *rest ? tileRows(*rest) : success();
  }
  return tileInner(current, plan.inner, plan.peel, std::nullopt);
}

/// The plan of an op made inside a thread tile (an epilogue of
/// applyEpilogueToTile, a fill of fillInTile): no thread level, one vector
/// of the innermost (lane) dim at a time, every other dim by 1.
TilingPlan CPUTileAndVectorize::planVectorTile(linalg::LinalgOp op) const {
  TilingPlan plan = planGeneric(op);
  for (unsigned d = 0, e = op.getNumLoops(); d + 1 < e; ++d)
    plan.inner[d] = 1;
  plan.outer.assign(op.getNumLoops(), 0);
  return plan;
}

/// Applies the canonicalization patterns of every loaded dialect and op,
/// plus `extra`.
LogicalResult canonicalize(Operation *root,
                           function_ref<void(RewritePatternSet &)> extra = {}) {
  MLIRContext *ctx = root->getContext();
  RewritePatternSet patterns(ctx);
  for (Dialect *dialect : ctx->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : ctx->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, ctx);
  if (extra)
    extra(patterns);
  return applyPatternsGreedily(root, std::move(patterns));
}

/// Vectorizes a static register tile of a contraction, `C[m, n] += A[m, k] *
/// B[k, n]` with every loop but M and N of size 1 (K is tiled by 1), as one
/// outer product: a column of A (mr elements), a row of B (nr elements) and
/// the mr x nr accumulator, i.e. mr broadcasts and mr*nr/lanes FMAs. Other
/// unit dims (batches, broadcast operands) are indexed at 0. A second N
/// loop (packed panels) may have a size > 1: one outer product per panel.
/// linalg's generic vectorizer would produce broadcasting reads and a
/// multi-reduction instead, which do not lower to FMAs.
LogicalResult vectorizeContractionTile(RewriterBase &rewriter,
                                       linalg::LinalgOp op) {
  if (!linalg::isaContractionOpInterface(op) || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !op.hasPureTensorSemantics() ||
      op.hasDynamicShape())
    return failure();
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty() ||
      dims->k.size() != 1)
    return failure();
  std::optional<unsigned> lanesDim = innermostN(op, *dims);
  if (!lanesDim)
    return failure();
  unsigned m = dims->m.back(), n = *lanesDim;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  std::optional<unsigned> panel;
  for (unsigned d = 0; d < ranges.size(); ++d) {
    if (d == m || d == n || ranges[d] == 1)
      continue;
    if (panel || !llvm::is_contained(dims->n, d))
      return failure();
    panel = d;
  }
  Type elementType = getElementTypeOrSelf(op.getDpsInits()[0].getType());
  if (!isa<FloatType>(elementType))
    return failure();
  // An input may be narrower (bf16 weights of
  // attnc-convert-weight-precision) when the body extends it to the
  // accumulator's type; the tile then extends whole vectors.
  for (OpOperand *in : op.getDpsInputOperands()) {
    Type type = getElementTypeOrSelf(in->get().getType());
    if (type == elementType)
      continue;
    BlockArgument arg = op.getMatchingBlockArgument(in);
    auto narrow = dyn_cast<FloatType>(type);
    if (!narrow || narrow.getWidth() >= elementType.getIntOrFloatBitWidth() ||
        !llvm::all_of(arg.getUsers(), [&](Operation *user) {
          auto ext = dyn_cast<arith::ExtFOp>(user);
          return ext && ext.getType() == elementType;
        }))
      return failure();
  }

  MLIRContext *ctx = rewriter.getContext();
  Location loc = op.getLoc();
  OpOperand *lhs = op.getDpsInputOperand(0), *rhs = op.getDpsInputOperand(1);
  OpOperand *out = op.getDpsInitOperand(0);
  AffineExpr mExpr = getAffineDimExpr(m, ctx), nExpr = getAffineDimExpr(n, ctx);
  // The position of `e` among the results of `operand`'s map.
  auto position = [&](OpOperand *operand,
                      AffineExpr e) -> std::optional<unsigned> {
    return op.getMatchingIndexingMap(operand).getResultPosition(e);
  };
  std::optional<unsigned> am = position(lhs, mExpr), bn = position(rhs, nExpr);
  std::optional<unsigned> cm = position(out, mExpr), cn = position(out, nExpr);
  // The A operand must be the one with M (swap for B . A forms).
  if (!am || !bn) {
    std::swap(lhs, rhs);
    am = position(lhs, mExpr);
    bn = position(rhs, nExpr);
  }
  if (!am || !bn || !cm || !cn)
    return failure();
  int64_t mr = ranges[m], nr = ranges[n];
  // Where the panel index goes in B and C (A has no N loop).
  std::optional<unsigned> bp, cp;
  if (panel) {
    AffineExpr pExpr = getAffineDimExpr(*panel, ctx);
    bp = position(rhs, pExpr);
    cp = position(out, pExpr);
    if (!bp || !cp || position(lhs, pExpr))
      return failure();
  }

  Value pad = arith::ConstantOp::create(rewriter, loc, elementType,
                                        rewriter.getZeroAttr(elementType));
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  auto mapOf = [&](Value source, ArrayRef<unsigned> positions) {
    auto type = cast<RankedTensorType>(source.getType());
    SmallVector<AffineExpr> exprs;
    for (unsigned p : positions)
      exprs.push_back(getAffineDimExpr(p, ctx));
    return AffineMap::get(type.getRank(), 0, exprs, ctx);
  };
  // Indices into `source`: 0, or `p` at position `at`.
  auto indicesOf = [&](Value source, std::optional<unsigned> at, int64_t p) {
    auto type = cast<RankedTensorType>(source.getType());
    SmallVector<Value> indices(type.getRank(), zero);
    if (at && p != 0)
      indices[*at] = arith::ConstantIndexOp::create(rewriter, loc, p);
    return indices;
  };
  // Reads `shape` elements of `source` (at panel `p` when `at` is set) as a
  // vector of the accumulator's type, extending narrower elements.
  auto read = [&](Value source, ArrayRef<unsigned> positions,
                  ArrayRef<int64_t> shape, std::optional<unsigned> at = {},
                  int64_t p = 0) -> Value {
    auto type = cast<RankedTensorType>(source.getType());
    SmallVector<Value> indices = indicesOf(source, at, p);
    SmallVector<bool> inBounds(shape.size(), true);
    Type sourceType = type.getElementType();
    Value padding = pad;
    if (sourceType != elementType)
      padding = arith::ConstantOp::create(rewriter, loc, sourceType,
                                          rewriter.getZeroAttr(sourceType));
    Value vector = vector::TransferReadOp::create(
        rewriter, loc, VectorType::get(shape, sourceType), source, indices,
        padding, mapOf(source, positions), inBounds);
    if (sourceType != elementType)
      vector = arith::ExtFOp::create(
          rewriter, loc, VectorType::get(shape, elementType), vector);
    return vector;
  };
  Value a = read(lhs->get(), {*am}, {mr});
  Value written = out->get();
  for (int64_t p = 0, e = panel ? ranges[*panel] : 1; p < e; ++p) {
    Value b = read(rhs->get(), {*bn}, {nr}, bp, p);
    // The accumulator as mr x nr, whatever the order of M and N in C.
    Value c = read(out->get(), {*cm, *cn}, {mr, nr}, cp, p);
    Value product = vector::OuterProductOp::create(
        rewriter, loc, c.getType(), a, b, c, vector::CombiningKind::ADD);
    written = vector::TransferWriteOp::create(
                  rewriter, loc, product, written, indicesOf(out->get(), cp, p),
                  AffineMapAttr::get(mapOf(out->get(), {*cm, *cn})),
                  rewriter.getBoolArrayAttr({true, true}))
                  .getResult();
  }
  rewriter.replaceOp(op, written);
  return success();
}

void CPUTileAndVectorize::runOnOperation() {
  func::FuncOp func = getOperation();
  MLIRContext *ctx = &getContext();
  IRRewriter rewriter(ctx);

  // 1. Tile. Only top-level linalg ops on tensors, in program order.
  SmallVector<linalg::LinalgOp> candidates;
  func.walk([&](linalg::LinalgOp op) {
    if (op.hasPureTensorSemantics() && op.getNumLoops() > 0 &&
        !op->getParentOfType<scf::ForOp>() &&
        !op->getParentOfType<scf::ForallOp>())
      candidates.push_back(op);
  });
  // A contraction's zero fill gets a copy of its own, which tileOp moves
  // into the contraction's tiles. A fill shared by several contractions
  // (CSE merges identical ones) would otherwise be copied into each
  // accumulator after bufferization, and written once more before.
  // The original fill, once unused, is erased when the loop below reaches
  // it (fills come before their users).
  for (linalg::LinalgOp op : candidates) {
    if (llvm::is_contained(op.getStaticLoopRanges(), 0) || !planContraction(op))
      continue;
    OpOperand *init = op.getDpsInitOperand(0);
    auto fill = init->get().getDefiningOp<linalg::FillOp>();
    if (!fill)
      continue;
    rewriter.setInsertionPoint(op);
    Operation *copy = rewriter.clone(*fill);
    rewriter.modifyOpInPlace(op, [&] { init->set(copy->getResult(0)); });
  }
  // Epilogues applied inside their contraction's tiles (erased).
  llvm::SmallPtrSet<Operation *, 16> fused;
  for (linalg::LinalgOp op : candidates) {
    if (fused.contains(op))
      continue;
    // Fills whose contractions took copies (or filled their tiles).
    if (op->getNumResults() > 0 && op->use_empty() && isMemoryEffectFree(op)) {
      rewriter.eraseOp(op);
      continue;
    }
    // A loop of static size 0 (an empty tensor) has nothing to tile, and
    // MLIR's tile-size computation divides by the range: leave such ops to
    // the scalar loops, which run zero times.
    if (llvm::is_contained(op.getStaticLoopRanges(), 0))
      continue;
    std::optional<TilingPlan> plan = planContraction(op);
    linalg::GenericOp epilogue;
    if (plan && fuseEpilogues) {
      epilogue = matchEpilogue(op);
      if (epilogue && llvm::is_contained(epilogue.getStaticLoopRanges(), 0))
        epilogue = {};
    }
    if (!plan)
      plan = planGeneric(op);
    // An op that cannot be tiled stays as it is (scalar loops later).
    linalg::GenericOp tiledEpilogue;
    linalg::FillOp tiledFill;
    (void)tileOp(rewriter, op, *plan, epilogue, &tiledEpilogue, &tiledFill);
    // Erased by then; the pointer only marks it as done.
    if (tiledEpilogue)
      fused.insert(epilogue);
    for (linalg::LinalgOp inTile :
         {linalg::LinalgOp(tiledEpilogue), linalg::LinalgOp(tiledFill)})
      if (inTile)
        (void)tileOp(rewriter, inTile, planVectorTile(inTile));
  }

  // 2. Peel the marked loops, outermost first; clones of nested marked loops
  //    in partial iterations are peeled in later rounds.
  while (true) {
    scf::ForOp next;
    func.walk<WalkOrder::PreOrder>([&](scf::ForOp loop) {
      if (!loop->hasAttr(kPeelAttr))
        return WalkResult::advance();
      next = loop;
      return WalkResult::interrupt();
    });
    if (!next)
      break;
    next->removeAttr(kPeelAttr);
    bool exact = next->hasAttr(kExactAttr);
    next->removeAttr(kExactAttr);
    scf::ForOp partial;
    rewriter.setInsertionPoint(next);
    if (succeeded(scf::peelForLoopAndSimplifyBounds(rewriter, next, partial)) &&
        partial) {
      partial->removeAttr(kPeelAttr);
      partial->removeAttr(kExactAttr);
      if (exact)
        rewriter.replaceOp(partial, partial.getInitArgs());
    }
  }
  if (failed(canonicalize(func)))
    return signalPassFailure();

  // 3. Vectorize the full (static) tiles.
  SmallVector<linalg::LinalgOp> tiles;
  func.walk([&](linalg::LinalgOp op) {
    if (op->getParentOfType<scf::ForOp>() ||
        op->getParentOfType<scf::ForallOp>())
      tiles.push_back(op);
  });
  for (linalg::LinalgOp op : tiles) {
    // Remainder tiles (dynamic shapes) stay scalar: masked vectorization
    // produces vector.mask ops that fail verification in MLIR 22 here.
    if (op.hasDynamicShape())
      continue;
    // Vectors of i1 are bit-packed in memory while memrefs of i1 hold one
    // byte per element: leave bool tiles scalar.
    if (llvm::any_of(op->getOperandTypes(), [](Type t) {
          Type e = getElementTypeOrSelf(t);
          return e.isIntOrFloat() && e.getIntOrFloatBitWidth() < 8;
        }))
      continue;
    rewriter.setInsertionPoint(op);
    if (succeeded(vectorizeContractionTile(rewriter, op)))
      continue;
    SmallVector<int64_t> vectorSizes;
    if (!linalg::hasVectorizationImpl(op) ||
        failed(linalg::vectorizeOpPrecondition(op, vectorSizes)))
      continue;
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::VectorizationResult> result = linalg::vectorize(
        rewriter, op, vectorSizes, /*inputScalableVecDims=*/{},
        /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
        /*assumeDynamicDimsMatchVecSizes=*/false,
        /*createNamedContraction=*/true);
    if (failed(result))
      continue;
    if (result->replacements.empty())
      rewriter.eraseOp(op);
    else
      rewriter.replaceOp(op, result->replacements);
  }

  // Contractions become outer products (broadcast + FMA per row) before
  // the unit-dim cleanups below could turn a K=1 contract into mul + add.
  {
    RewritePatternSet patterns(ctx);
    vector::populateVectorContractLoweringPatterns(
        patterns, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorTransposeLoweringPatterns(
        patterns, vector::VectorTransposeLowering::EltWise);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }

  // 4. Keep the contraction accumulators in registers across the K loop:
  //    hoist the loop-invariant slice and transfer pairs on the loops'
  //    iter_args (innermost loops first, so values keep moving out), then
  //    fold the remaining slices into transfers and drop unit dims. Hoisting
  //    runs first: folding a slice into only the read of a read/write pair
  //    would hide the pair.
  auto hoist = [&]() {
    SmallVector<LoopLikeOpInterface> loops;
    func.walk([&](LoopLikeOpInterface loop) { loops.push_back(loop); });
    for (LoopLikeOpInterface loop : loops) {
      moveLoopInvariantCode(loop);
      if (isa<scf::ForOp>(loop))
        (void)hoistLoopInvariantSubsets(rewriter, loop);
    }
  };
  if (failed(canonicalize(func)))
    return signalPassFailure();
  hoist();
  if (failed(canonicalize(func, [](RewritePatternSet &patterns) {
        tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
        vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
        vector::populateVectorTransferDropUnitDimsPatterns(patterns);
      })))
    return signalPassFailure();
  hoist();

  // 5. Polynomial approximations of exp/tanh/erf/... (vectorizable).
  if (approximateMath) {
    RewritePatternSet patterns(ctx);
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }
  if (failed(canonicalize(func)))
    return signalPassFailure();
}

} // namespace
