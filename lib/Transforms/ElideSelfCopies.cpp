//===- ElideSelfCopies.cpp - Skip copies of memory onto itself ------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// A KV cache grown in place (docs/abi.md, `append` lines) passes `past` and
// `present` as views of one buffer; the model's copy of past into present
// must then not run (it would rewrite the whole cache every step).
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Passes.h"

namespace attnc {
#define GEN_PASS_DEF_ELIDESELFCOPIES
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {
/// The entry-block argument `v` is a view of (through subviews and casts),
/// or null.
BlockArgument rootArgument(Value v, func::FuncOp func) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto subview = dyn_cast<memref::SubViewOp>(def))
      v = subview.getSource();
    else if (auto cast = dyn_cast<memref::CastOp>(def))
      v = cast.getSource();
    else
      return {};
  }
  auto arg = cast<BlockArgument>(v);
  return arg.getOwner() == &func.getBody().front() ? arg : BlockArgument();
}

/// i1 that is true unless `a` and `b` are the same memory: same aligned
/// pointer, offset and strides (their sizes are equal: they are the two
/// sides of one copy).
Value differ(OpBuilder &b, Location loc, Value a, Value c) {
  auto metaA = memref::ExtractStridedMetadataOp::create(b, loc, a);
  auto metaC = memref::ExtractStridedMetadataOp::create(b, loc, c);
  auto ne = [&](Value x, Value y) -> Value {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x, y);
  };
  Value result = ne(memref::ExtractAlignedPointerAsIndexOp::create(b, loc, a),
                    memref::ExtractAlignedPointerAsIndexOp::create(b, loc, c));
  result = arith::OrIOp::create(b, loc, result,
                                ne(metaA.getOffset(), metaC.getOffset()));
  for (auto [x, y] : llvm::zip(metaA.getStrides(), metaC.getStrides()))
    result = arith::OrIOp::create(b, loc, result, ne(x, y));
  return result;
}

struct ElideSelfCopiesPass
    : public attnc::impl::ElideSelfCopiesBase<ElideSelfCopiesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    auto isOutput = [&](BlockArgument arg) {
      return static_cast<bool>(
          func.getArgAttr(arg.getArgNumber(), attnc::kOutputArgAttrName));
    };
    // Copies from a model input into a view of a model output: only these
    // can be the two sides of one caller buffer.
    SmallVector<std::pair<Operation *, std::pair<Value, Value>>> copies;
    func.walk([&](Operation *op) {
      Value src, dst;
      if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        src = copy.getSource();
        dst = copy.getTarget();
      } else if (auto copy = dyn_cast<linalg::CopyOp>(op)) {
        if (!copy.hasPureBufferSemantics())
          return;
        src = copy.getDpsInputs().front();
        dst = copy.getDpsInits().front();
      } else {
        return;
      }
      BlockArgument from = rootArgument(src, func);
      BlockArgument to = rootArgument(dst, func);
      if (from && to && !isOutput(from) && isOutput(to))
        copies.push_back({op, {src, dst}});
    });
    for (auto &[op, sides] : copies) {
      OpBuilder b(op);
      Value cond = differ(b, op->getLoc(), sides.first, sides.second);
      auto ifOp = scf::IfOp::create(b, op->getLoc(), cond,
                                    /*withElseRegion=*/false);
      op->moveBefore(ifOp.thenBlock()->getTerminator());
    }
  }
};
} // namespace
