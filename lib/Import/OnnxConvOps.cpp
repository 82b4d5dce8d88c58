//===- OnnxConvOps.cpp - Patch-embedding convolutions ---------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Transformers use Conv for one thing: cutting an image into patches and
// projecting each (ViT's patch embedding: kernel == stride, no padding). That
// convolution is exactly a reshape/transpose into patches followed by a
// matrix product with the flattened kernel, so it is imported as attn ops
// and reaches the GEMM path. Other convolutions are refused with a message.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternals.h"

#include "attnc/Dialect/Attn/AttnOps.h"

using namespace mlir;
using namespace attnc;
using namespace attnc::import;

namespace {

LogicalResult importPatchConv(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
    return failure();
  const OnnxValue &x = nc.input(0), &w = nc.input(1);
  if (failed(checkSameElementType(nc, x, w)))
    return failure();
  DimSymbols &sy = nc.symbols();
  if (x.shape.size() != 4 || w.shape.size() != 4)
    return nc.emitError() << "only 2-D convolutions (rank-4 input and "
                             "weight) are supported";
  auto staticDim = [&](Dim d) { return sy.resolve(d); };
  Dim outC = staticDim(w.shape[0]), inC = staticDim(w.shape[1]),
      kh = staticDim(w.shape[2]), kw = staticDim(w.shape[3]);
  Dim c = staticDim(x.shape[1]), h = staticDim(x.shape[2]),
      wd = staticDim(x.shape[3]);
  if (outC.sym >= 0 || inC.sym >= 0 || kh.sym >= 0 || kw.sym >= 0 ||
      c.sym >= 0 || h.sym >= 0 || wd.sym >= 0)
    return nc.emitError() << "channels, image and kernel sizes must be static";
  std::vector<int64_t> kernel = {kh.size, kw.size};
  auto strides = nc.intsAttr("strides").value_or(std::vector<int64_t>{1, 1});
  auto pads = nc.intsAttr("pads").value_or(std::vector<int64_t>{0, 0, 0, 0});
  auto dilations =
      nc.intsAttr("dilations").value_or(std::vector<int64_t>{1, 1});
  if (auto k = nc.intsAttr("kernel_shape"); k && *k != kernel)
    return nc.emitError() << "kernel_shape does not match the weight";
  bool patch = strides == kernel && llvm::all_of(pads, [](int64_t p) {
                 return p == 0;
               }) && llvm::all_of(dilations, [](int64_t d) { return d == 1; });
  std::string autoPad = nc.attr("auto_pad") ? nc.attr("auto_pad")->s() : "";
  if (!patch || nc.intAttr("group", 1) != 1 ||
      (!autoPad.empty() && autoPad != "NOTSET" && autoPad != "VALID"))
    return nc.emitError()
           << "only patch-embedding convolutions are supported (kernel == "
              "stride, no padding or dilation, group 1)";
  if (c.size != inC.size)
    return nc.emitError() << "input has " << c.size
                          << " channels, the weight expects " << inC.size;
  if (h.size % kh.size || wd.size % kw.size)
    return nc.emitError() << "image " << h.size << "x" << wd.size
                          << " is not a whole number of " << kh.size << "x"
                          << kw.size << " patches";
  int64_t ph = h.size / kh.size, pw = wd.size / kw.size;
  int64_t patchLen = c.size * kh.size * kw.size;
  OpBuilder &b = nc.builder();
  Type et = cast<RankedTensorType>(x.value.getType()).getElementType();
  Dim batch = x.shape[0];
  auto reshape = [&](Value v, const SymShape &shape) -> Value {
    return attn::ReshapeOp::create(b, nc.loc, nc.tensorType(shape, et), v,
                                   nc.dynamicDimValues(shape));
  };
  auto transpose = [&](Value v, const SymShape &in,
                       ArrayRef<int64_t> perm) -> std::pair<Value, SymShape> {
    SymShape out;
    for (int64_t p : perm)
      out.push_back(in[p]);
    return {attn::TransposeOp::create(b, nc.loc, nc.tensorType(out, et), v,
                                      perm),
            out};
  };
  auto F = [](int64_t v) { return Dim::fixed(v); };
  // [B, C, H, W] -> [B, C, ph, kh, pw, kw] -> [B, ph, pw, C, kh, kw]
  SymShape s6 = {batch, F(c.size), F(ph), F(kh.size), F(pw), F(kw.size)};
  auto [patches, s6t] =
      transpose(reshape(x.value, s6), s6, {0, 2, 4, 1, 3, 5});
  // -> [B, ph*pw, C*kh*kw] x [C*kh*kw, O]
  SymShape rows = {batch, F(ph * pw), F(patchLen)};
  Value lhs = reshape(patches, rows);
  SymShape wShape = {F(outC.size), F(patchLen)};
  auto [wt, wtShape] =
      transpose(reshape(w.value, wShape), wShape, {1, 0});
  SymShape prodShape = {batch, F(ph * pw), F(outC.size)};
  Value y = attn::MatMulOp::create(b, nc.loc, nc.tensorType(prodShape, et),
                                   lhs, wt);
  if (nc.hasInput(2)) {
    const OnnxValue &bias = nc.input(2);
    if (bias.shape.size() != 1)
      return nc.emitError() << "bias must be 1-D";
    y = attn::AddOp::create(b, nc.loc, nc.tensorType(prodShape, et), y,
                            bias.value);
  }
  // -> [B, ph, pw, O] -> [B, O, ph, pw]
  SymShape grid = {batch, F(ph), F(pw), F(outC.size)};
  auto [out, outShape] = transpose(reshape(y, grid), grid, {0, 3, 1, 2});
  OnnxValue result = x;
  result.value = out;
  result.shape = outShape;
  nc.setOutput(0, result);
  return success();
}

} // namespace

void import::appendConvOpHandlers(std::vector<OpHandlerEntry> &handlers) {
  handlers.push_back({"", "Conv", 1, 24,
                      "2-D patch embedding only (kernel == stride, no "
                      "padding, group 1), as a GEMM",
                      importPatchConv});
}
