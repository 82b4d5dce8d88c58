//===- EntryABI.cpp - Destination-passing entry function ------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/AttnDialect.h"
#include "attnc/Transforms/Passes.h"

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

/// Writes one `input`/`output` metadata line.
LogicalResult writeSignatureLine(raw_ostream &os, StringRef kind,
                                 DictionaryAttr attrs, RankedTensorType type,
                                 unsigned index, Location loc) {
  std::string name = (kind + "_" + Twine(index)).str();
  if (auto n = attrs ? attrs.getAs<StringAttr>(attnc::attn::kNameAttr)
                     : StringAttr())
    name = n.getValue().str();
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

struct EntryABIPass : public attnc::impl::EntryABIBase<EntryABIPass> {
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

    SmallVector<Type> argTypes;
    for (auto [i, t] : llvm::enumerate(type.getInputs())) {
      auto tensorType = dyn_cast<RankedTensorType>(t);
      if (!tensorType)
        return fail(func, "input " + Twine(i) + " is not a ranked tensor");
      if (failed(writeSignatureLine(os, "input", func.getArgAttrDict(i),
                                    tensorType, i, func.getLoc())))
        return signalPassFailure();
      argTypes.push_back(MemRefType::get(tensorType.getShape(),
                                         tensorType.getElementType()));
    }
    for (auto [i, t] : llvm::enumerate(type.getResults())) {
      auto tensorType = dyn_cast<RankedTensorType>(t);
      if (!tensorType)
        return fail(func, "output " + Twine(i) + " is not a ranked tensor");
      if (failed(writeSignatureLine(os, "output", func.getResultAttrDict(i),
                                    tensorType, i, func.getLoc())))
        return signalPassFailure();
      argTypes.push_back(MemRefType::get(tensorType.getShape(),
                                         tensorType.getElementType()));
    }

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
