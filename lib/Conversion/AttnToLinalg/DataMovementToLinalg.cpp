//===- DataMovementToLinalg.cpp - Transpose and shape ops -------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "attnc/Dialect/Attn/AttnOps.h"

using namespace mlir;
using namespace attnc;
using namespace attnc::lowering;

namespace {

struct TransposeLowering : public OpConversionPattern<attn::TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> perm = op.getPermutation();
    SmallVector<std::pair<Value, int64_t>> sources;
    for (int64_t p : perm)
      sources.push_back({adaptor.getInput(), p});
    Value init = createEmpty(rewriter, op.getLoc(), resultType, sources);
    auto transpose = linalg::TransposeOp::create(
        rewriter, op.getLoc(), adaptor.getInput(), init, perm);
    rewriter.replaceOp(op, transpose.getResults());
    return success();
  }
};

/// Result sizes as index values: constants for static dims, the op's
/// dynamic size operands (in order) for the rest.
SmallVector<Value> resultSizes(OpBuilder &b, Location loc,
                               RankedTensorType type, ValueRange dynamic) {
  SmallVector<Value> sizes;
  unsigned next = 0;
  for (int64_t i = 0; i < type.getRank(); ++i)
    sizes.push_back(type.isDynamicDim(i)
                        ? dynamic[next++]
                        : arith::ConstantIndexOp::create(b, loc,
                                                         type.getDimSize(i)));
  return sizes;
}

/// attn.reshape -> tensor.reshape with a shape tensor.
struct ReshapeLowering : public OpConversionPattern<attn::ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    SmallVector<Value> sizes =
        resultSizes(rewriter, loc, type, adaptor.getDynamicSizes());
    auto shapeType =
        RankedTensorType::get({type.getRank()}, rewriter.getIndexType());
    Value shape =
        sizes.empty()
            ? Value(arith::ConstantOp::create(
                  rewriter, loc,
                  DenseElementsAttr::get(shapeType, ArrayRef<Attribute>())))
            : Value(tensor::FromElementsOp::create(rewriter, loc, shapeType,
                                                   sizes));
    rewriter.replaceOpWithNewOp<tensor::ReshapeOp>(op, type,
                                                   adaptor.getInput(), shape);
    return success();
  }
};

/// attn.expand -> linalg.generic reading the input with broadcasting.
struct ExpandLowering : public OpConversionPattern<attn::ExpandOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::ExpandOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    unsigned rank = type.getRank();
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType(),
                                         adaptor.getDynamicSizes());
    SmallVector<AffineMap> maps = {
        broadcastMap(rewriter.getContext(), inType, type, rank, 0),
        rewriter.getMultiDimIdentityMap(rank)};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{adaptor.getInput()}, ValueRange{init},
        maps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(b, l, args[0]);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// attn.gather -> linalg.generic over the result that reads the index,
/// wraps negative indices, clamps to the valid range and extracts.
struct GatherLowering : public OpConversionPattern<attn::GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto type = cast<RankedTensorType>(op.getType());
    auto dataType = cast<RankedTensorType>(data.getType());
    auto idxType = cast<RankedTensorType>(indices.getType());
    int64_t axis = op.getAxis(), idxRank = idxType.getRank();
    unsigned rank = type.getRank();

    SmallVector<std::pair<Value, int64_t>> sources;
    for (int64_t d = 0; d < (int64_t)rank; ++d) {
      if (d < axis)
        sources.push_back({data, d});
      else if (d < axis + idxRank)
        sources.push_back({indices, d - axis});
      else
        sources.push_back({data, d - idxRank + 1});
    }
    Value init = createEmpty(rewriter, loc, type, sources);
    SmallVector<AffineExpr> idxExprs;
    for (int64_t i = 0; i < idxRank; ++i)
      idxExprs.push_back(getAffineDimExpr(axis + i, ctx));
    SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, idxExprs, ctx),
                                   rewriter.getMultiDimIdentityMap(rank)};
    Value axisSize = tensor::DimOp::create(rewriter, loc, data, axis);
    if (dataType.getDimSize(axis) == 0 || dataType.isDynamicDim(axis)) {
      // An empty axis has no valid index and the clamp below would give -1:
      // read from one zero row instead of before the buffer's start.
      SmallVector<OpFoldResult> sizes =
          tensor::getMixedSizes(rewriter, loc, data);
      sizes[axis] = rewriter.getIndexAttr(1);
      Type elemType = dataType.getElementType();
      Value row = linalg::FillOp::create(
                      rewriter, loc,
                      arith::ConstantOp::create(rewriter, loc,
                                                rewriter.getZeroAttr(elemType))
                          .getResult(),
                      tensor::EmptyOp::create(rewriter, loc, sizes, elemType)
                          .getResult())
                      .getResult(0);
      Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
      if (!dataType.isDynamicDim(axis)) {
        data = row;
        axisSize = one;
      } else {
        Value isEmpty = arith::CmpIOp::create(
            rewriter, loc, arith::CmpIPredicate::eq, axisSize,
            arith::ConstantIndexOp::create(rewriter, loc, 0));
        data = arith::SelectOp::create(
            rewriter, loc, isEmpty,
            tensor::CastOp::create(rewriter, loc, dataType, row), data);
        axisSize =
            arith::SelectOp::create(rewriter, loc, isEmpty, one, axisSize);
      }
    }
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{indices}, ValueRange{init}, maps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value idx =
              arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value one = arith::ConstantIndexOp::create(b, l, 1);
          Value isNeg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                              idx, zero);
          Value wrapped = arith::AddIOp::create(b, l, idx, axisSize);
          idx = arith::SelectOp::create(b, l, isNeg, wrapped, idx);
          Value last = arith::SubIOp::create(b, l, axisSize, one);
          idx = arith::MaxSIOp::create(b, l, idx, zero);
          idx = arith::MinSIOp::create(b, l, idx, last);
          SmallVector<Value> coords;
          for (int64_t d = 0; d < dataType.getRank(); ++d) {
            if (d < axis)
              coords.push_back(linalg::IndexOp::create(b, l, d));
            else if (d == axis)
              coords.push_back(idx);
            else
              coords.push_back(linalg::IndexOp::create(b, l, d + idxRank - 1));
          }
          linalg::YieldOp::create(
              b, l, tensor::ExtractOp::create(b, l, data, coords).getResult());
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// attn.gather_elements -> linalg.generic over the indices' shape that
/// extracts from `data` at the (wrapped, clamped) index in dim `axis`.
struct GatherElementsLowering
    : public OpConversionPattern<attn::GatherElementsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::GatherElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t axis = op.getAxis();
    unsigned rank = type.getRank();
    SmallVector<std::pair<Value, int64_t>> sources;
    for (int64_t d = 0; d < (int64_t)rank; ++d)
      sources.push_back({indices, d});
    Value init = createEmpty(rewriter, loc, type, sources);
    SmallVector<AffineMap> maps(2, rewriter.getMultiDimIdentityMap(rank));
    Value axisSize = tensor::DimOp::create(rewriter, loc, data, axis);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{indices}, ValueRange{init}, maps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value idx =
              arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value one = arith::ConstantIndexOp::create(b, l, 1);
          Value isNeg =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, idx, zero);
          Value wrapped = arith::AddIOp::create(b, l, idx, axisSize);
          idx = arith::SelectOp::create(b, l, isNeg, wrapped, idx);
          Value last = arith::SubIOp::create(b, l, axisSize, one);
          idx = arith::MaxSIOp::create(b, l, idx, zero);
          idx = arith::MinSIOp::create(b, l, idx, last);
          SmallVector<Value> coords;
          for (int64_t d = 0; d < (int64_t)rank; ++d)
            coords.push_back(
                d == axis ? idx : linalg::IndexOp::create(b, l, d).getResult());
          linalg::YieldOp::create(
              b, l, tensor::ExtractOp::create(b, l, data, coords).getResult());
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// `v` reshaped to `sizes` (row-major order kept) by tensor.reshape, which
/// takes dynamic sizes of any rank (rank 0 included) and bufferizes to a
/// view.
Value reshapeTo(OpBuilder &b, Location loc, Value v, RankedTensorType type,
                ArrayRef<Value> sizes) {
  auto shapeType = RankedTensorType::get({type.getRank()}, b.getIndexType());
  Value shape = tensor::FromElementsOp::create(b, loc, shapeType, sizes);
  return tensor::ReshapeOp::create(b, loc, type, v, shape);
}

/// `v` as a 1-d tensor of `numElements` elements.
Value flatten(OpBuilder &b, Location loc, Value v, Value numElements) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getRank() == 1)
    return v;
  int64_t n =
      type.hasStaticShape() ? type.getNumElements() : ShapedType::kDynamic;
  return reshapeTo(b, loc, v, RankedTensorType::get({n}, type.getElementType()),
                   numElements);
}

/// The scalar combiner of a scatter reduction (`none` returns the update).
Value combineScatter(OpBuilder &b, Location l, attn::ScatterReduction kind,
                     bool isUnsigned, Value old, Value update) {
  using K = attn::ScatterReduction;
  bool isFloat = isa<FloatType>(update.getType());
  bool isBool = update.getType().isInteger(1);
  switch (kind) {
  case K::none:
    return update;
  case K::add:
    return isBool ? arith::OrIOp::create(b, l, old, update).getResult()
                  : addScalar(b, l, old, update, isFloat);
  case K::mul:
    return isBool ? arith::AndIOp::create(b, l, old, update).getResult()
                  : mulScalar(b, l, old, update, isFloat);
  case K::max:
    if (isFloat)
      return arith::MaximumFOp::create(b, l, old, update);
    if (isUnsigned || isBool)
      return arith::MaxUIOp::create(b, l, old, update);
    return arith::MaxSIOp::create(b, l, old, update);
  case K::min:
    if (isFloat)
      return arith::MinimumFOp::create(b, l, old, update);
    if (isUnsigned || isBool)
      return arith::MinUIOp::create(b, l, old, update);
    return arith::MinSIOp::create(b, l, old, update);
  }
  llvm_unreachable("unknown scatter reduction");
}

/// attn.scatter_nd -> scalar scf.for loops over flattened 1-d views: the
/// outer loop walks the index tuples and computes the linear offset of the
/// addressed slice (indices wrapped and clamped like attn.gather), the
/// inner loop writes (or combines) the slice's elements. The loop carries
/// the result tensor, initialised with `data`, so bufferization updates
/// one copy of it in place. Scatters in transformer exports touch masks
/// and caches, where scalar loops are cheap next to the matmuls.
struct ScatterNDLowering : public OpConversionPattern<attn::ScatterNDOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::ScatterNDOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto dataType = cast<RankedTensorType>(data.getType());
    auto idxType = cast<RankedTensorType>(indices.getType());
    int64_t rank = dataType.getRank();
    int64_t k = idxType.getShape().back();
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(rewriter, loc, v);
    };
    Value zero = index(0), one = index(1);
    SmallVector<Value> dims;
    for (int64_t d = 0; d < rank; ++d)
      dims.push_back(tensor::DimOp::create(rewriter, loc, data, d));
    Value sliceSize = one, total = one, numTuples = one;
    for (int64_t d = 0; d < rank; ++d) {
      total = arith::MulIOp::create(rewriter, loc, total, dims[d]);
      if (d >= k)
        sliceSize = arith::MulIOp::create(rewriter, loc, sliceSize, dims[d]);
    }
    for (int64_t d = 0; d + 1 < idxType.getRank(); ++d)
      numTuples = arith::MulIOp::create(
          rewriter, loc, numTuples,
          tensor::DimOp::create(rewriter, loc, indices, d));
    Value flatData = flatten(rewriter, loc, data, total);
    Value flatIndices =
        flatten(rewriter, loc, indices,
                arith::MulIOp::create(rewriter, loc, numTuples, index(k)));
    Value flatUpdates =
        flatten(rewriter, loc, adaptor.getUpdates(),
                arith::MulIOp::create(rewriter, loc, numTuples, sliceSize));
    // Empty data has no element a clamped index could address.
    Value isEmpty = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::eq, total, zero);
    Value loopCount =
        arith::SelectOp::create(rewriter, loc, isEmpty, zero, numTuples);
    attn::ScatterReduction kind = op.getReduction();
    bool isUnsigned = op.getIsUnsigned();
    auto outer = scf::ForOp::create(
        rewriter, loc, zero, loopCount, one, ValueRange{flatData},
        [&](OpBuilder &b, Location l, Value i, ValueRange iter) {
          Value first = arith::MulIOp::create(b, l, i, index(k));
          Value offset = zero;
          for (int64_t j = 0; j < k; ++j) {
            Value pos = arith::AddIOp::create(b, l, first, index(j));
            Value raw = tensor::ExtractOp::create(b, l, flatIndices, pos);
            Value idx = arith::IndexCastOp::create(b, l, b.getIndexType(), raw);
            Value isNeg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                                idx, zero);
            idx = arith::SelectOp::create(
                b, l, isNeg, arith::AddIOp::create(b, l, idx, dims[j]), idx);
            Value last = arith::SubIOp::create(b, l, dims[j], one);
            idx = arith::MinSIOp::create(b, l, idx, last);
            idx = arith::MaxSIOp::create(b, l, idx, zero);
            offset = arith::AddIOp::create(
                b, l, arith::MulIOp::create(b, l, offset, dims[j]), idx);
          }
          offset = arith::MulIOp::create(b, l, offset, sliceSize);
          Value updateBase = arith::MulIOp::create(b, l, i, sliceSize);
          auto inner = scf::ForOp::create(
              b, l, zero, sliceSize, one, iter,
              [&](OpBuilder &ib, Location il, Value s, ValueRange acc) {
                Value u = tensor::ExtractOp::create(
                    ib, il, flatUpdates,
                    ValueRange{arith::AddIOp::create(ib, il, updateBase, s)});
                Value pos = arith::AddIOp::create(ib, il, offset, s);
                if (kind != attn::ScatterReduction::none) {
                  Value old = tensor::ExtractOp::create(ib, il, acc[0],
                                                        ValueRange{pos});
                  u = combineScatter(ib, il, kind, isUnsigned, old, u);
                }
                Value next = tensor::InsertOp::create(ib, il, u, acc[0],
                                                      ValueRange{pos});
                scf::YieldOp::create(ib, il, next);
              });
          scf::YieldOp::create(b, l, inner.getResults());
        });
    Value result = outer.getResult(0);
    if (rank != 1)
      result = reshapeTo(rewriter, loc, result, dataType, dims);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// attn.range -> linalg.generic computing start + i * delta.
struct RangeLowering : public OpConversionPattern<attn::RangeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(attn::RangeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type elementType = type.getElementType();
    Value start = tensor::ExtractOp::create(rewriter, loc, adaptor.getStart(),
                                           ValueRange{});
    Value delta = tensor::ExtractOp::create(rewriter, loc, adaptor.getDelta(),
                                           ValueRange{});
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         elementType,
                                         adaptor.getDynamicSizes());
    bool isFloat = isa<FloatType>(elementType);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{}, ValueRange{init},
        SmallVector<AffineMap>{rewriter.getMultiDimIdentityMap(1)},
        SmallVector<utils::IteratorType>{utils::IteratorType::parallel},
        [&](OpBuilder &b, Location l, ValueRange) {
          Value i = linalg::IndexOp::create(b, l, 0);
          Value x;
          if (isFloat) {
            Value i64 = arith::IndexCastOp::create(b, l, b.getI64Type(), i);
            x = arith::SIToFPOp::create(b, l, elementType, i64);
          } else {
            x = arith::IndexCastOp::create(b, l, elementType, i);
          }
          Value scaled = mulScalar(b, l, x, delta, isFloat);
          linalg::YieldOp::create(b, l, addScalar(b, l, start, scaled, isFloat));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// tensor.concat -> tensor.insert_slice of each operand into an empty
/// result (bufferizes in place, one copy per operand).
struct ConcatLowering : public OpConversionPattern<tensor::ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tensor::ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t axis = op.getDim(), rank = type.getRank();
    ValueRange inputs = adaptor.getInputs();
    // Sizes: the first input's dims, the concatenated dim summed.
    SmallVector<Value> sizes;
    SmallVector<Value> dynamic;
    for (int64_t d = 0; d < rank; ++d) {
      Value size = tensor::DimOp::create(rewriter, loc, inputs[0], d);
      if (d == axis)
        for (Value v : inputs.drop_front())
          size = arith::AddIOp::create(
              rewriter, loc, size, tensor::DimOp::create(rewriter, loc, v, d));
      sizes.push_back(size);
      if (type.isDynamicDim(d))
        dynamic.push_back(size);
    }
    Value result = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                           type.getElementType(), dynamic);
    Value offset = arith::ConstantIndexOp::create(rewriter, loc, 0);
    for (Value v : inputs) {
      SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
      SmallVector<OpFoldResult> vSizes =
          tensor::getMixedSizes(rewriter, loc, v);
      offsets[axis] = offset;
      result = tensor::InsertSliceOp::create(rewriter, loc, v, result,
                                             offsets, vSizes, strides);
      offset = arith::AddIOp::create(
          rewriter, loc, offset, tensor::DimOp::create(rewriter, loc, v, axis));
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// tensor.splat with dynamic dims -> linalg.fill of an empty tensor.
struct SplatLowering : public OpConversionPattern<tensor::SplatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tensor::SplatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value empty = tensor::EmptyOp::create(rewriter, op.getLoc(),
                                          type.getShape(),
                                          type.getElementType(),
                                          adaptor.getDynamicSizes());
    rewriter.replaceOpWithNewOp<linalg::FillOp>(op, adaptor.getInput(), empty);
    return success();
  }
};

} // namespace

void lowering::populateDataMovementLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<TransposeLowering, ReshapeLowering, ExpandLowering,
               GatherLowering, GatherElementsLowering, ScatterNDLowering,
               RangeLowering, ConcatLowering, SplatLowering>(
      patterns.getContext());
}
