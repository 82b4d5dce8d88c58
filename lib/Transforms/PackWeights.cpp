//===- PackWeights.cpp - Pack constant GEMM weights into panels -----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Rewrites contractions with a constant weight to read it from a panel
// layout made at compile time. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "WeightData.h"
#include "attnc/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attnc {
#define GEN_PASS_DEF_PACKWEIGHTS
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

/// A contraction that can read its weight packed: which operand is the
/// weight, its constant data, whether it is stored [N, K], and the loops.
struct PackCandidate {
  unsigned weightIndex; // input operand index
  ElementsAttr weight;
  bool transposed;
  unsigned nLoop, kLoop;
};

bool isZeroFill(Value init) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.value(), m_AnyZeroFloat());
}

std::optional<PackCandidate> matchCandidate(linalg::GenericOp op,
                                            int64_t minElements) {
  if (!linalg::isaContractionOpInterface(op) || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !op.hasPureTensorSemantics())
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->n.size() != 1 || dims->k.size() != 1 ||
      dims->m.empty())
    return std::nullopt;
  unsigned n = dims->n[0], k = dims->k[0];
  MLIRContext *ctx = op.getContext();
  // The output must end in N (the panels become its last two dims) and
  // start from zeros (the packed result gets a new zero-filled init).
  OpOperand *out = op.getDpsInitOperand(0);
  AffineMap outMap = op.getMatchingIndexingMap(out);
  if (!outMap.isProjectedPermutation() || outMap.getNumResults() == 0 ||
      outMap.getResults().back() != getAffineDimExpr(n, ctx) ||
      !isZeroFill(out->get()))
    return std::nullopt;
  for (unsigned i = 0; i < 2; ++i) {
    OpOperand *operand = op.getDpsInputOperand(i);
    AffineMap map = op.getMatchingIndexingMap(operand);
    AffineExpr nExpr = getAffineDimExpr(n, ctx), kExpr = getAffineDimExpr(k, ctx);
    bool kn = map.getNumResults() == 2 && map.getResult(0) == kExpr &&
              map.getResult(1) == nExpr;
    bool nk = map.getNumResults() == 2 && map.getResult(0) == nExpr &&
              map.getResult(1) == kExpr;
    if (!kn && !nk)
      continue;
    Attribute value;
    if (!matchPattern(operand->get(), m_Constant(&value)))
      return std::nullopt;
    auto elements = dyn_cast<ElementsAttr>(value);
    auto type = dyn_cast<RankedTensorType>(operand->get().getType());
    if (!elements || !type || !type.hasStaticShape() ||
        !type.getElementType().isF32() || type.getNumElements() < minElements ||
        attnc::getRawWeightBytes(elements).empty())
      return std::nullopt;
    return PackCandidate{i, elements, nk, n, k};
  }
  return std::nullopt;
}

struct PackWeights : public attnc::impl::PackWeightsBase<PackWeights> {
  using Base::Base;

  /// Packed constants already made, by (weight, transposed).
  DenseMap<std::pair<Attribute, unsigned>, ElementsAttr> packed;
  /// Live arith.constant ops per resource weight: when the last one goes,
  /// the unpacked data is released (compile memory stays ~1x the weights).
  DenseMap<Attribute, unsigned> constantCount;
  /// The collapse_shape ops that give packed results their old shape.
  llvm::SmallPtrSet<Operation *, 16> collapses;

  void eraseConstant(arith::ConstantOp op);

  ElementsAttr packWeight(const PackCandidate &c, int64_t k, int64_t n);
  void rewrite(linalg::GenericOp op, const PackCandidate &c);
  void runOnOperation() override;
};

ElementsAttr PackWeights::packWeight(const PackCandidate &c, int64_t k,
                                     int64_t n) {
  auto key = std::make_pair(Attribute(c.weight), unsigned(c.transposed));
  if (ElementsAttr done = packed.lookup(key))
    return done;
  int64_t nr = panelWidth, nb = llvm::divideCeil(n, nr);
  ArrayRef<char> bytes = attnc::getRawWeightBytes(c.weight);
  const float *src = reinterpret_cast<const float *>(bytes.data());
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
      static_cast<size_t>(nb * k * nr) * sizeof(float), /*align=*/64);
  float *dst = reinterpret_cast<float *>(blob.getMutableData().data());
  // P[b, kk, j] = W[kk, b*nr + j] (or W[b*nr + j, kk]), zero past N.
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < nr; ++j) {
        int64_t col = b * nr + j;
        float v = 0.0f;
        if (col < n)
          v = c.transposed ? src[col * k + kk] : src[kk * n + col];
        dst[(b * k + kk) * nr + j] = v;
      }
  std::string name = "packed";
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(c.weight))
    name = resource.getRawHandle().getKey().str() + ".packed";
  auto type = RankedTensorType::get({nb, k, nr}, Float32Type::get(&getContext()));
  ElementsAttr result = DenseResourceElementsAttr::get(type, name, std::move(blob));
  packed[key] = result;
  return result;
}

void PackWeights::rewrite(linalg::GenericOp op, const PackCandidate &c) {
  MLIRContext *ctx = op.getContext();
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value weight = op.getDpsInputOperand(c.weightIndex)->get();
  auto weightType = cast<RankedTensorType>(weight.getType());
  int64_t k = weightType.getDimSize(c.transposed ? 1 : 0);
  int64_t n = weightType.getDimSize(c.transposed ? 0 : 1);
  int64_t nr = panelWidth, nb = llvm::divideCeil(n, nr);
  ElementsAttr packedAttr = packWeight(c, k, n);
  Value packedWeight = arith::ConstantOp::create(b, loc, packedAttr);

  // Loops: the old ones (N now counts panels) plus the lane loop `ni`.
  unsigned numLoops = op.getNumLoops(), ni = numLoops;
  AffineExpr nbExpr = getAffineDimExpr(c.nLoop, ctx),
             kExpr = getAffineDimExpr(c.kLoop, ctx),
             niExpr = getAffineDimExpr(ni, ctx);
  SmallVector<AffineMap> maps;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    SmallVector<AffineExpr> exprs(map.getResults());
    if (operand.getOperandNumber() == c.weightIndex)
      exprs = {nbExpr, kExpr, niExpr};
    else if (op.isDpsInit(&operand))
      exprs.push_back(niExpr);
    maps.push_back(AffineMap::get(numLoops + 1, 0, exprs, ctx));
  }
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  iterators.push_back(utils::IteratorType::parallel);

  // The new accumulator [..., NB, nr], zero-filled like the old one.
  Value oldInit = op.getDpsInitOperand(0)->get();
  auto oldType = cast<RankedTensorType>(oldInit.getType());
  // Sizes from the old accumulator's tensor.empty when there is one, so
  // that the old fill dies with the old contraction.
  Value oldStorage = oldInit.getDefiningOp<linalg::FillOp>().getOutputs()[0];
  auto oldEmpty = oldStorage.getDefiningOp<tensor::EmptyOp>();
  SmallVector<OpFoldResult> sizes =
      oldEmpty ? oldEmpty.getMixedSizes()
               : tensor::getMixedSizes(b, loc, oldStorage);
  SmallVector<OpFoldResult> newSizes(sizes.begin(), sizes.end() - 1);
  newSizes.push_back(b.getIndexAttr(nb));
  newSizes.push_back(b.getIndexAttr(nr));
  Type elementType = oldType.getElementType();
  Value empty = tensor::EmptyOp::create(b, loc, newSizes, elementType);
  Value zero = arith::ConstantOp::create(b, loc, elementType,
                                        b.getZeroAttr(elementType));
  Value init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);

  SmallVector<Value> inputs(op.getDpsInputs());
  inputs[c.weightIndex] = packedWeight;
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators);
  IRMapping mapping;
  op.getRegion().cloneInto(&generic.getRegion(), mapping);

  int64_t rank = oldType.getRank();
  SmallVector<ReassociationIndices> reassociation;
  for (int64_t i = 0; i + 1 < rank; ++i)
    reassociation.push_back({i});
  reassociation.push_back({rank - 1, rank});
  Value result = tensor::CollapseShapeOp::create(b, loc, generic.getResult(0),
                                                 reassociation);
  collapses.insert(result.getDefiningOp());
  if (nb * nr != n) {
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)),
        strides(rank, b.getIndexAttr(1));
    result = tensor::ExtractSliceOp::create(b, loc, oldType, result, offsets,
                                            sizes, strides);
  }
  op.getResult(0).replaceAllUsesWith(result);
  op.erase();
  // The unpacked weight and the old accumulator are usually dead now; drop
  // them here so that attnc-externalize-weights (next) does not store the
  // weight twice.
  for (Value v : {weight, oldInit}) {
    Operation *def = v.getDefiningOp();
    while (def && def->use_empty() && isMemoryEffectFree(def)) {
      Operation *next = nullptr;
      if (auto fill = dyn_cast<linalg::FillOp>(def))
        next = fill.getOutputs()[0].getDefiningOp();
      if (auto constant = dyn_cast<arith::ConstantOp>(def))
        eraseConstant(constant);
      else
        def->erase();
      def = next;
    }
  }
}

void PackWeights::eraseConstant(arith::ConstantOp op) {
  auto resource = dyn_cast<DenseResourceElementsAttr>(op.getValue());
  op.erase();
  if (!resource)
    return;
  auto it = constantCount.find(resource);
  if (it == constantCount.end() || --it->second != 0)
    return;
  attnc::releaseWeightData(resource);
}

void PackWeights::runOnOperation() {
  if (panelWidth <= 0) {
    getOperation().emitError("attnc-pack-weights: panel-width must be > 0");
    return signalPassFailure();
  }
  SmallVector<std::pair<linalg::GenericOp, PackCandidate>> work;
  getOperation().walk([&](arith::ConstantOp op) {
    if (isa<DenseResourceElementsAttr>(op.getValue()))
      ++constantCount[op.getValue()];
  });
  getOperation().walk([&](linalg::GenericOp op) {
    if (std::optional<PackCandidate> c = matchCandidate(op, minElements))
      work.emplace_back(op, *c);
  });
  for (auto &[op, candidate] : work)
    rewrite(op, candidate);
  packed.clear();
  constantCount.clear();

  // An elementwise epilogue (bias, activation, residual) moves into the
  // packed shape: it then reads the contraction's result directly, and
  // attnc-cpu-tile-and-vectorize applies it inside the GEMM's tiles.
  MLIRContext *ctx = &getContext();
  RewritePatternSet patterns(ctx);
  linalg::populateFoldReshapeOpsByExpansionPatterns(
      patterns, [&](OpOperand *operand) {
        Operation *producer = operand->get().getDefiningOp();
        auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
        return producer && collapses.contains(producer) &&
               producer->hasOneUse() && consumer &&
               consumer.getNumLoops() == consumer.getNumParallelLoops() &&
               consumer.getNumDpsInits() == 1;
      });
  tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
  tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
  // The expansion sizes the epilogue from tensor.dim of the contraction's
  // result; resolved to its tensor.empty's sizes, the epilogue stays its
  // only user.
  tensor::DimOp::getCanonicalizationPatterns(patterns, ctx);
  tensor::EmptyOp::getCanonicalizationPatterns(patterns, ctx);
  if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
    return signalPassFailure();
  collapses.clear();
}

} // namespace
