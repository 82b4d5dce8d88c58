//===- EntryABI.cpp - Destination-passing entry function ------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/AttnDialect.h"
#include "attnc/Transforms/Passes.h"

#include "AppendOutputs.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

namespace attnc {
#define GEN_PASS_DEF_ENTRYABI
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

/// Percent-encodes every byte outside [A-Za-z0-9._:/-] (docs/abi.md).
std::string percentEncode(StringRef s) {
  std::string out;
  for (unsigned char c : s) {
    if (llvm::isAlnum(c) || StringRef("._:/-").contains(c)) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(llvm::hexdigit(c >> 4));
      out.push_back(llvm::hexdigit(c & 15));
    }
  }
  return out;
}

/// The metadata dtype of an element type when the importer left none.
std::string defaultDType(Type t) {
  if (t.isF32())
    return "f32";
  if (t.isF64())
    return "f64";
  if (t.isF16())
    return "f16";
  if (t.isBF16())
    return "bf16";
  if (t.isInteger(1))
    return "bool";
  if (auto i = dyn_cast<IntegerType>(t))
    return "i" + std::to_string(i.getWidth());
  return "";
}

/// The name a signature line uses for argument or result `index`.
std::string tensorName(DictionaryAttr attrs, StringRef kind, unsigned index) {
  if (auto n = attrs ? attrs.getAs<StringAttr>(attnc::attn::kNameAttr)
                     : StringAttr())
    return n.getValue().str();
  return (kind + "_" + Twine(index)).str();
}

/// Writes one `input`/`output` metadata line.
LogicalResult writeSignatureLine(raw_ostream &os, StringRef kind,
                                 DictionaryAttr attrs, RankedTensorType type,
                                 unsigned index, Location loc) {
  std::string name = tensorName(attrs, kind, index);
  std::string dtype = defaultDType(type.getElementType());
  if (auto d = attrs ? attrs.getAs<StringAttr>(attnc::attn::kDTypeAttr)
                     : StringAttr())
    dtype = d.getValue().str();
  if (dtype.empty())
    return emitError(loc) << "unsupported element type "
                          << type.getElementType() << " for " << kind << " '"
                          << name << "'";
  os << kind << " " << percentEncode(name) << " " << dtype << " "
     << type.getRank();
  auto dims = attrs ? attrs.getAs<ArrayAttr>(attnc::attn::kDimsAttr)
                    : ArrayAttr();
  if (dims && dims.size() != static_cast<size_t>(type.getRank()))
    return emitError(loc) << kind << " '" << name << "': " << dims.size()
                          << " symbolic dims for a rank-" << type.getRank()
                          << " tensor";
  for (int64_t i = 0; i < type.getRank(); ++i) {
    if (dims) {
      if (auto s = dyn_cast<StringAttr>(dims[i])) {
        StringRef text = s.getValue();
        if (text.starts_with("=")) {
          // A dim computed from input symbols, in RPN: encode the names.
          os << " =";
          SmallVector<StringRef> tokens;
          text.drop_front().split(tokens, ',');
          for (auto [t, token] : llvm::enumerate(tokens)) {
            os << (t ? "," : "");
            if (token.starts_with("$"))
              os << "$" << percentEncode(token.drop_front());
            else
              os << token;
          }
          continue;
        }
        os << " ?" << percentEncode(text);
        continue;
      }
      if (auto v = dyn_cast<IntegerAttr>(dims[i])) {
        os << " " << v.getInt();
        continue;
      }
      return emitError(loc) << "bad dim attribute " << dims[i];
    }
    // Input dims without a name get one; an output dim must be tied to
    // an input symbol or the runtime cannot size the output buffer.
    if (type.isDynamicDim(i) && kind == "output")
      return emitError(loc) << "output '" << name << "' dim " << i
                            << " is dynamic but has no symbol in "
                            << attnc::attn::kDimsAttr
                            << "; the runtime could not size it";
    if (type.isDynamicDim(i))
      os << " ?" << kind << index << "_d" << i;
    else
      os << " " << type.getDimSize(i);
  }
  os << "\n";
  return success();
}

/// The layout of both sides of an `append` pair: any strides before the
/// axis (the runtime's cache buffer is longer along it than the tensor),
/// contiguous from the axis on, offset 0.
MemRefType appendViewType(RankedTensorType type, int64_t axis) {
  SmallVector<int64_t> strides(type.getRank(), ShapedType::kDynamic);
  int64_t stride = 1;
  for (int64_t d = type.getRank() - 1; d >= axis; --d) {
    strides[d] = stride;
    if (stride != ShapedType::kDynamic)
      stride = type.isDynamicDim(d) ? ShapedType::kDynamic
                                    : stride * type.getDimSize(d);
  }
  return MemRefType::get(
      type.getShape(), type.getElementType(),
      StridedLayoutAttr::get(type.getContext(), /*offset=*/0, strides));
}

/// Whether the IR still computes result `v` as input `arg` with positions
/// appended (attnc-mark-append-outputs checked it on `tensor.concat`,
/// which is lowered since): `arg`'s only reader is one zero-offset,
/// unit-stride `tensor.insert_slice` in the chain of slices that builds
/// `v` (or still the concat). With a single reader that copies it into the
/// output's first positions, running with `arg` aliasing those positions
/// is safe: the copy writes each element's own value, and nothing else
/// writes there.
bool stillAppends(Value v, BlockArgument arg) {
  // Not lowered yet (attnc-opt tests run the pass on attn-level IR).
  if (auto concat = v.getDefiningOp<tensor::ConcatOp>())
    return attnc::appendsTo(concat, arg);
  tensor::InsertSliceOp copy;
  for (Operation *user : arg.getUsers()) {
    if (isa<tensor::DimOp>(user))
      continue;
    auto slice = dyn_cast<tensor::InsertSliceOp>(user);
    if (copy || !slice || slice.getSource() != arg ||
        !llvm::all_of(slice.getMixedOffsets(), isZeroInteger) ||
        !llvm::all_of(slice.getMixedStrides(), isOneInteger))
      return false;
    copy = slice;
  }
  for (auto slice = v.getDefiningOp<tensor::InsertSliceOp>(); slice;
       slice = slice.getDest().getDefiningOp<tensor::InsertSliceOp>())
    if (slice == copy)
      return true;
  return false;
}

/// The dim fields of a metadata line ("input x f32 2 ?b 4" -> ?b, 4).
SmallVector<StringRef> dimFields(StringRef line) {
  SmallVector<StringRef> fields;
  line.trim().split(fields, ' ');
  return SmallVector<StringRef>(llvm::drop_begin(fields, 4));
}

struct EntryABIPass : public attnc::impl::EntryABIBase<EntryABIPass> {
  using EntryABIBase::EntryABIBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>("main");
    if (!func) {
      module.emitError("no model function @main to expose");
      return signalPassFailure();
    }
    FunctionType type = func.getFunctionType();
    std::string metadata;
    llvm::raw_string_ostream os(metadata);
    os << "attnc-metadata 1\n";

    // The signature lines, kept apart so that `append` pairs can compare
    // the dims the runtime will see.
    SmallVector<std::string> inputLines, outputLines;
    for (auto [kind, types, lines] :
         {std::make_tuple(StringRef("input"), type.getInputs(), &inputLines),
          std::make_tuple(StringRef("output"), type.getResults(),
                          &outputLines)}) {
      for (auto [i, t] : llvm::enumerate(types)) {
        auto tensorType = dyn_cast<RankedTensorType>(t);
        if (!tensorType)
          return fail(func, kind + " " + Twine(i) + " is not a ranked tensor");
        DictionaryAttr attrs = kind == "input" ? func.getArgAttrDict(i)
                                               : func.getResultAttrDict(i);
        llvm::raw_string_ostream line(lines->emplace_back());
        if (failed(writeSignatureLine(line, kind, attrs, tensorType, i,
                                      func.getLoc())))
          return signalPassFailure();
      }
    }

    // `append` pairs (attnc-mark-append-outputs), with strided layouts on
    // both sides. A malformed mark is an internal error; a mark the IR or
    // the signature no longer supports is dropped (the model then simply
    // copies its input).
    struct Append {
      unsigned output, input;
      int64_t axis;
    };
    SmallVector<Append> appends;
    DenseMap<unsigned, int64_t> appendAxis[2]; // by input, by output
    auto results = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    for (unsigned i = 0; i < type.getNumResults(); ++i) {
      auto attr =
          func.getResultAttrOfType<DictionaryAttr>(i, attnc::attn::kAppendAttr);
      if (!attr)
        continue;
      func.removeResultAttr(
          i, StringAttr::get(&getContext(), attnc::attn::kAppendAttr));
      if (!appendViews)
        continue;
      auto input = attr.getAs<IntegerAttr>("input");
      auto axis = attr.getAs<IntegerAttr>("axis");
      auto resultType = cast<RankedTensorType>(type.getResults()[i]);
      if (!input || !axis || input.getInt() < 0 ||
          input.getInt() >= type.getNumInputs() || axis.getInt() < 0 ||
          axis.getInt() >= resultType.getRank() ||
          appendAxis[0].count(input.getInt())) {
        func.emitError() << "bad " << attnc::attn::kAppendAttr << " attribute "
                         << attr << " on result " << i;
        return signalPassFailure();
      }
      unsigned in = input.getInt();
      SmallVector<StringRef> inDims = dimFields(inputLines[in]);
      SmallVector<StringRef> outDims = dimFields(outputLines[i]);
      bool same =
          inDims.size() == outDims.size() &&
          cast<RankedTensorType>(type.getInputs()[in]).getElementType() ==
              resultType.getElementType();
      for (size_t d = 0; same && d < inDims.size(); ++d)
        same =
            d == static_cast<size_t>(axis.getInt()) || inDims[d] == outDims[d];
      if (!same || !stillAppends(results.getOperand(i), func.getArgument(in)))
        continue;
      appends.push_back({i, in, axis.getInt()});
      appendAxis[0][in] = axis.getInt();
      appendAxis[1][i] = axis.getInt();
    }

    SmallVector<Type> argTypes;
    for (auto [kind, types, byIndex] :
         {std::make_tuple(0, type.getInputs(), &appendAxis[0]),
          std::make_tuple(1, type.getResults(), &appendAxis[1])}) {
      for (auto [i, t] : llvm::enumerate(types)) {
        auto tensorType = cast<RankedTensorType>(t);
        auto append = byIndex->find(i);
        argTypes.push_back(append != byIndex->end()
                               ? appendViewType(tensorType, append->second)
                               : MemRefType::get(tensorType.getShape(),
                                                 tensorType.getElementType()));
      }
    }
    for (const std::string &line : inputLines)
      os << line;
    for (const std::string &line : outputLines)
      os << line;
    for (const Append &a : appends)
      os << "append "
         << percentEncode(tensorName(func.getResultAttrDict(a.output), "output",
                                     a.output))
         << " "
         << percentEncode(
                tensorName(func.getArgAttrDict(a.input), "input", a.input))
         << " " << a.axis << "\n";

    OpBuilder b(func);
    auto i32 = b.getI32Type();
    auto entry = func::FuncOp::create(b, func.getLoc(),
                                      attnc::kEntryFunctionName,
                                      b.getFunctionType(argTypes, {i32}));
    entry->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    for (unsigned i = type.getNumInputs(); i < argTypes.size(); ++i)
      entry.setArgAttr(i, attnc::kOutputArgAttrName, b.getUnitAttr());
    Block *newBlock = entry.addEntryBlock();
    b.setInsertionPointToStart(newBlock);
    SmallVector<Value> tensors;
    for (auto [i, t] : llvm::enumerate(type.getInputs()))
      tensors.push_back(bufferization::ToTensorOp::create(
          b, func.getLoc(), t, newBlock->getArgument(i), /*restrict=*/true,
          /*writable=*/false));
    Block &oldBlock = func.getBody().front();
    auto ret = cast<func::ReturnOp>(oldBlock.getTerminator());
    newBlock->getOperations().splice(newBlock->end(),
                                     oldBlock.getOperations());
    for (auto [arg, tensor] : llvm::zip(oldBlock.getArguments(), tensors))
      arg.replaceAllUsesWith(tensor);

    b.setInsertionPoint(ret);
    unsigned numInputs = type.getNumInputs();
    for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
      auto m = bufferization::MaterializeInDestinationOp::create(
          b, ret.getLoc(), v, newBlock->getArgument(numInputs + i));
      m.setRestrict(true);
      m.setWritable(true);
    }
    Value zero = arith::ConstantOp::create(b, ret.getLoc(), i32,
                                           b.getIntegerAttr(i32, 0));
    func::ReturnOp::create(b, ret.getLoc(), zero);
    ret.erase();
    func.erase();
    module->setAttr(attnc::kMetadataAttrName, b.getStringAttr(metadata));
  }

  void fail(Operation *op, const Twine &msg) {
    op->emitError(msg);
    signalPassFailure();
  }
};
} // namespace
