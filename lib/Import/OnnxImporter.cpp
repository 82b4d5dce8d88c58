//===- OnnxImporter.cpp - ONNX protobuf to the attn dialect ---------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternals.h"

#include "attnc/Dialect/Attn/AttnOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

#include "onnx/defs/parser.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/text_format.h>

using namespace mlir;
using namespace attnc;
using namespace attnc::import;

/// ai.onnx opsets attnc understands. Newer opsets may change op semantics,
/// so they are refused rather than guessed.
static constexpr int kMaxOnnxOpset = 24;
static constexpr int kMinIrVersion = 3, kMaxIrVersion = 12;

int attnc::getMaxSupportedOnnxOpset() { return kMaxOnnxOpset; }

//===----------------------------------------------------------------------===//
// DimSymbols
//===----------------------------------------------------------------------===//

int DimSymbols::create(StringRef base) {
  std::string name = base.str();
  for (int n = 1; byName.count(name); ++n)
    name = (base + "_" + Twine(n)).str();
  int id = parent.size();
  parent.push_back(id);
  staticSize.push_back(-1);
  names.push_back(name);
  definitions.push_back(AffineExpr());
  byName[name] = id;
  return id;
}

AffineExpr DimSymbols::expr(Dim d) {
  d = resolve(d);
  if (d.sym < 0)
    return getAffineConstantExpr(d.size, ctx);
  return getAffineSymbolExpr(d.sym, ctx);
}

/// Rewrites `e` over base symbols: static classes become constants and
/// derived classes are replaced by their (expanded) definitions, so that
/// e.g. `(P + T) - P` simplifies to `T`.
static AffineExpr expandExpr(DimSymbols &symbols, AffineExpr e,
                             unsigned numSymbols, int depth = 0) {
  llvm::DenseMap<AffineExpr, AffineExpr> subst;
  e.walk([&](AffineExpr sub) {
    auto s = dyn_cast<AffineSymbolExpr>(sub);
    if (!s || subst.count(sub))
      return;
    Dim d = Dim::symbol(s.getPosition());
    AffineExpr def = symbols.definitionOf(d);
    if (def && depth < 16)
      subst[sub] = expandExpr(symbols, def, numSymbols, depth + 1);
    else
      subst[sub] = symbols.expr(d);
  });
  return simplifyAffineExpr(e.replace(subst), 0, numSymbols);
}

Dim DimSymbols::derive(AffineExpr e) {
  e = expandExpr(*this, e, names.size());
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return Dim::fixed(c.getValue());
  if (auto s = dyn_cast<AffineSymbolExpr>(e))
    return Dim::symbol(s.getPosition());
  // Reuse a derived symbol with the same definition.
  for (size_t i = 0; i < definitions.size(); ++i)
    if (definitions[i] && expandExpr(*this, definitions[i], names.size()) == e)
      return resolve(Dim::symbol(i));
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "(" << e << ")";
  int id = create(text);
  definitions[id] = e;
  return Dim::symbol(id);
}

void DimSymbols::addInputDim(int sym, Value value, int64_t axis) {
  inputDims.emplace_back(sym, value, axis);
}

std::optional<std::pair<Value, int64_t>> DimSymbols::inputDimOf(Dim d) {
  d = resolve(d);
  if (d.sym < 0)
    return std::nullopt;
  for (auto &[sym, value, axis] : inputDims)
    if (find(sym) == d.sym)
      return std::make_pair(value, axis);
  return std::nullopt;
}

AffineExpr DimSymbols::definitionOf(Dim d) {
  d = resolve(d);
  if (d.sym < 0)
    return AffineExpr();
  for (size_t i = 0; i < definitions.size(); ++i)
    if (definitions[i] && find(i) == d.sym)
      return definitions[i];
  return AffineExpr();
}

std::optional<std::string> DimSymbols::rpn(AffineExpr e, int depth) {
  if (depth > 32)
    return std::nullopt; // a cyclic definition; should not happen
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return std::to_string(c.getValue());
  if (auto s = dyn_cast<AffineSymbolExpr>(e)) {
    Dim d = resolve(Dim::symbol(s.getPosition()));
    if (d.sym < 0)
      return std::to_string(d.size);
    for (auto &[sym, value, axis] : inputDims)
      if (find(sym) == d.sym)
        return "$" + names[d.sym];
    if (AffineExpr def = definitionOf(d))
      return rpn(def, depth + 1);
    return std::nullopt;
  }
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return std::nullopt;
  auto lhs = rpn(bin.getLHS(), depth + 1), rhs = rpn(bin.getRHS(), depth + 1);
  if (!lhs || !rhs)
    return std::nullopt;
  switch (bin.getKind()) {
  case AffineExprKind::Add:
    return *lhs + "," + *rhs + ",+";
  case AffineExprKind::Mul:
    return *lhs + "," + *rhs + ",*";
  case AffineExprKind::FloorDiv:
    return *lhs + "," + *rhs + ",/";
  case AffineExprKind::Mod:
    return *lhs + "," + *rhs + ",%";
  case AffineExprKind::CeilDiv: // (a + b - 1) / b
    return *lhs + "," + *rhs + ",+,-1,+," + *rhs + ",/";
  default:
    return std::nullopt;
  }
}

std::optional<std::string> DimSymbols::derivedInputDim(Dim d) {
  d = resolve(d);
  if (d.sym < 0 || !inputDimOf(d))
    return std::nullopt;
  AffineExpr def = definitionOf(d);
  if (!def)
    return std::nullopt;
  // Only over plain input symbols, which the runtime binds first.
  bool plain = true;
  def.walk([&](AffineExpr e) {
    auto s = dyn_cast<AffineSymbolExpr>(e);
    if (!s)
      return;
    Dim r = resolve(Dim::symbol(s.getPosition()));
    if (r.sym >= 0 && (r.sym == d.sym || !inputDimOf(r) || definitionOf(r)))
      plain = false;
  });
  std::optional<std::string> text = plain ? rpn(def, 0) : std::nullopt;
  return text ? std::optional<std::string>("=" + *text) : std::nullopt;
}

std::optional<std::string> DimSymbols::metadataDim(Dim d) {
  d = resolve(d);
  if (d.sym < 0)
    return std::to_string(d.size);
  // Its input dims are checked, not bound: outputs use the derivation too.
  if (auto derived = derivedInputDim(d))
    return derived;
  if (inputDimOf(d))
    return "?" + names[d.sym];
  if (AffineExpr def = definitionOf(d))
    if (auto text = rpn(def, 0))
      return "=" + *text;
  return std::nullopt;
}

int DimSymbols::lookupOrCreate(StringRef name) {
  auto it = byName.find(name);
  return it != byName.end() ? it->second : create(name);
}

int DimSymbols::find(int sym) {
  while (parent[sym] != sym)
    sym = parent[sym] = parent[parent[sym]];
  return sym;
}

Dim DimSymbols::resolve(Dim d) {
  if (d.sym < 0)
    return d;
  int root = find(d.sym);
  if (staticSize[root] >= 0)
    return Dim::fixed(staticSize[root]);
  return Dim::symbol(root);
}

LogicalResult DimSymbols::unify(Dim a, Dim b, Dim &out) {
  a = resolve(a);
  b = resolve(b);
  if (a.sym < 0 && b.sym < 0) {
    out = a;
    return success(a.size == b.size);
  }
  if (a.sym < 0 || b.sym < 0) {
    Dim s = a.sym < 0 ? b : a, f = a.sym < 0 ? a : b;
    staticSize[s.sym] = f.size;
    out = f;
    return success();
  }
  // Keep the older symbol (usually the model's own dim_param) as the name.
  int keep = std::min(a.sym, b.sym), drop = std::max(a.sym, b.sym);
  parent[drop] = keep;
  out = Dim::symbol(keep);
  return success();
}

/// Static tensors are limited to 2^40 bytes and ATTNC_MAX_RANK (32) dims:
/// a hostile model can claim any size, and sizes near 2^63 overflow the
/// size arithmetic of later passes and of the runtime. Returns the reason,
/// or an empty string when `type` is acceptable.
static std::string checkTensorSize(RankedTensorType type) {
  constexpr int64_t kMaxBytes = int64_t(1) << 40;
  constexpr int64_t kMaxRank = 32;
  if (type.getRank() > kMaxRank)
    return ("rank " + Twine(type.getRank()) + " is more than " +
            Twine(kMaxRank))
        .str();
  Type elem = type.getElementType();
  int64_t bytes =
      elem.isIntOrFloat()
          ? std::max<int64_t>(1, (elem.getIntOrFloatBitWidth() + 7) / 8)
          : 1;
  for (int64_t d : type.getShape()) {
    if (ShapedType::isDynamic(d) || d <= 1)
      continue;
    if (bytes > kMaxBytes / d)
      return "static size is too large (over 2^40 bytes)";
    bytes *= d;
  }
  return "";
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

namespace attnc::import {
class GraphImporter {
public:
  GraphImporter(MLIRContext *ctx, onnx::ModelProto &model, StringRef path)
      : ctx(ctx), model(model), path(path), builder(ctx) {
    baseDir = llvm::sys::path::parent_path(path).str();
    symbols.setContext(ctx);
  }

  OwningOpRef<ModuleOp> run();

  MLIRContext *ctx;
  /// Mutable: initializers hand their raw data over to the weight blobs.
  onnx::ModelProto &model;
  std::string path, baseDir;
  OpBuilder builder;
  DimSymbols symbols;
  llvm::StringMap<OnnxValue> values;
  llvm::StringMap<int> opsets;

private:
  Location fileLoc() { return FileLineColLoc::get(ctx, path, 0, 0); }
  Location nodeLoc(const onnx::NodeProto &node, int index);
  LogicalResult checkVersions();
  LogicalResult checkSupported();
  FailureOr<OnnxValue> importGraphInput(const onnx::ValueInfoProto &info,
                                         Block *block);
  ArrayAttr dimsAttr(const SymShape &shape);
  const OpHandlerEntry *findHandler(const onnx::NodeProto &node, int &opset);
};
} // namespace attnc::import

static StringRef normalizeDomain(StringRef domain) {
  return domain == "ai.onnx" ? StringRef("") : domain;
}

static std::string nodeName(const onnx::NodeProto &node, int index) {
  if (!node.name().empty())
    return node.name();
  return (node.op_type() + "_" + Twine(index)).str();
}

Location GraphImporter::nodeLoc(const onnx::NodeProto &node, int index) {
  return NameLoc::get(StringAttr::get(ctx, nodeName(node, index)), fileLoc());
}

LogicalResult GraphImporter::checkVersions() {
  int64_t ir = model.ir_version();
  if (ir < kMinIrVersion || ir > kMaxIrVersion)
    return emitError(fileLoc())
           << "unsupported ONNX IR version " << ir << " (attnc reads "
           << kMinIrVersion << " to " << kMaxIrVersion << ")";
  for (const auto &op : model.opset_import()) {
    StringRef domain = normalizeDomain(op.domain());
    if (op.version() < 1)
      return emitError(fileLoc()) << "invalid opset version " << op.version()
                                  << " for domain '" << op.domain() << "'";
    if (domain.empty() && op.version() > kMaxOnnxOpset)
      return emitError(fileLoc())
             << "ai.onnx opset " << op.version()
             << " is newer than attnc supports (at most " << kMaxOnnxOpset
             << ")";
    opsets[domain] = op.version();
  }
  if (!opsets.count(""))
    return emitError(fileLoc()) << "model does not import the ai.onnx opset";
  if (!model.has_graph())
    return emitError(fileLoc()) << "model has no graph";
  return success();
}

const OpHandlerEntry *GraphImporter::findHandler(const onnx::NodeProto &node,
                                                 int &opset) {
  StringRef domain = normalizeDomain(node.domain());
  auto it = opsets.find(domain);
  opset = it == opsets.end() ? 0 : it->second;
  for (const OpHandlerEntry &e : getOpHandlers())
    if (domain == e.domain && node.op_type() == e.opType &&
        opset >= e.minOpset && opset <= e.maxOpset)
      return &e;
  return nullptr;
}

LogicalResult GraphImporter::checkSupported() {
  std::string report;
  llvm::raw_string_ostream os(report);
  int count = 0;
  llvm::StringSet<> kinds;
  for (auto [i, node] : llvm::enumerate(model.graph().node())) {
    int opset;
    if (findHandler(node, opset))
      continue;
    ++count;
    std::string domain = node.domain().empty() ? "ai.onnx" : node.domain();
    kinds.insert(domain + "::" + node.op_type());
    os << "\n  node '" << nodeName(node, i) << "': " << domain
       << "::" << node.op_type() << " (opset "
       << (opset ? std::to_string(opset) : std::string("not imported"))
       << ")";
  }
  if (count == 0)
    return success();
  return emitError(fileLoc())
         << "unsupported ONNX ops: " << count << " node(s) of " << kinds.size()
         << " op type(s) cannot be compiled:" << report
         << "\n(`attnc --list-ops` prints the supported ops)";
}

FailureOr<OnnxValue>
GraphImporter::importGraphInput(const onnx::ValueInfoProto &info,
                                Block *block) {
  auto fail = [&]() {
    return emitError(fileLoc()) << "graph input '" << info.name() << "': ";
  };
  if (!info.type().has_tensor_type())
    return fail() << "only tensor inputs are supported";
  const auto &tt = info.type().tensor_type();
  Type elementType = convertElementType(ctx, tt.elem_type());
  if (!elementType)
    return fail() << "element type " << onnxTypeName(tt.elem_type())
                  << " is not supported";
  if (!tt.has_shape())
    return fail() << "has no shape; attnc needs at least the rank";
  OnnxValue tv;
  tv.onnxType = tt.elem_type();
  tv.isUnsigned = dtypeName(tt.elem_type()).starts_with("u");
  for (auto [i, d] : llvm::enumerate(tt.shape().dim())) {
    if (d.has_dim_value()) {
      if (d.dim_value() < 0)
        return fail() << "dim " << i << " is negative (" << d.dim_value()
                      << ")";
      tv.shape.push_back(Dim::fixed(d.dim_value()));
    } else if (d.has_dim_param() && !d.dim_param().empty()) {
      tv.shape.push_back(Dim::symbol(symbols.lookupOrCreate(d.dim_param())));
    } else {
      tv.shape.push_back(Dim::symbol(symbols.create("unk")));
    }
  }
  SmallVector<int64_t> shape;
  for (Dim d : tv.shape)
    shape.push_back(d.sym < 0 ? d.size : ShapedType::kDynamic);
  auto type = RankedTensorType::get(shape, elementType);
  if (std::string why = checkTensorSize(type); !why.empty())
    return fail() << why;
  tv.value = block->addArgument(type, fileLoc());
  for (auto [axis, d] : llvm::enumerate(tv.shape))
    if (d.sym >= 0)
      symbols.addInputDim(d.sym, tv.value, axis);
  return tv;
}

ArrayAttr GraphImporter::dimsAttr(const SymShape &shape) {
  SmallVector<Attribute> dims;
  for (Dim d : shape) {
    d = symbols.resolve(d);
    if (d.sym < 0)
      dims.push_back(builder.getI64IntegerAttr(d.size));
    else if (auto derived = symbols.derivedInputDim(d))
      dims.push_back(builder.getStringAttr(*derived));
    else
      dims.push_back(builder.getStringAttr(symbols.name(d.sym)));
  }
  return builder.getArrayAttr(dims);
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  if (failed(checkVersions()) || failed(checkSupported()))
    return nullptr;
  const onnx::GraphProto &graph = model.graph();
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  if (!graph.name().empty())
    (*module)->setAttr("attn.graph_name", builder.getStringAttr(graph.name()));

  // Initializers are constants, even when also listed as graph inputs.
  llvm::StringSet<> initializerNames;
  for (const auto &init : graph.initializer())
    if (!initializerNames.insert(init.name()).second) {
      emitError(fileLoc()) << "initializer '" << init.name()
                           << "' is defined twice";
      return nullptr;
    }

  Block *body = new Block();
  SmallVector<OnnxValue> inputs;
  SmallVector<std::string> inputNames;
  for (const auto &info : graph.input()) {
    if (initializerNames.contains(info.name()))
      continue;
    if (values.count(info.name())) {
      emitError(fileLoc()) << "graph input '" << info.name()
                           << "' is declared twice";
      delete body;
      return nullptr;
    }
    FailureOr<OnnxValue> tv = importGraphInput(info, body);
    if (failed(tv)) {
      delete body;
      return nullptr;
    }
    values[info.name()] = *tv;
    inputs.push_back(*tv);
    inputNames.push_back(info.name());
  }
  builder.setInsertionPointToStart(body);

  for (onnx::TensorProto &init :
       *model.mutable_graph()->mutable_initializer()) {
    Location loc = NameLoc::get(builder.getStringAttr(init.name()), fileLoc());
    FailureOr<ElementsAttr> attr = takeTensor(ctx, init, baseDir, [&]() {
      return emitError(loc) << "initializer: ";
    });
    if (failed(attr)) {
      delete body;
      return nullptr;
    }
    OnnxValue tv;
    tv.value = attn::ConstantOp::create(builder, loc, cast<TypedAttr>(*attr));
    for (int64_t d : attr->getShapedType().getShape())
      tv.shape.push_back(Dim::fixed(d));
    tv.onnxType = init.data_type();
    tv.isUnsigned = dtypeName(init.data_type()).starts_with("u");
    tv.known = knownValuesOf(tv.value);
    values[init.name()] = tv;
  }

  for (auto [i, node] : llvm::enumerate(graph.node())) {
    int opset;
    const OpHandlerEntry *entry = findHandler(node, opset);
    NodeContext nc(*this, node, opset, nodeLoc(node, i));
    bool ok = true;
    for (const std::string &in : node.input())
      if (!in.empty() && !values.count(in)) {
        nc.emitError() << "input '" << in
                       << "' is not produced by an earlier node, an "
                          "initializer or a graph input (graphs must be "
                          "acyclic and topologically sorted)";
        ok = false;
      }
    for (const std::string &out : node.output())
      if (!out.empty() && values.count(out)) {
        nc.emitError() << "output '" << out << "' is already defined";
        ok = false;
      }
    if (!ok || failed(entry->handler(nc))) {
      delete body;
      return nullptr;
    }
    propagateKnownValues(nc);
    for (const std::string &out : node.output()) {
      if (out.empty())
        continue;
      auto it = values.find(out);
      if (it == values.end()) {
        nc.emitError() << "output '" << out << "' was not produced";
        delete body;
        return nullptr;
      }
      // Computed shapes (Reshape, ConstantOfShape, Range...) can be huge.
      auto type = dyn_cast<RankedTensorType>(it->second.value.getType());
      if (std::string why = type ? checkTensorSize(type) : ""; !why.empty()) {
        nc.emitError() << "output '" << out << "': " << why;
        delete body;
        return nullptr;
      }
    }
  }

  SmallVector<Value> results;
  SmallVector<OnnxValue> outputs;
  for (const auto &info : graph.output()) {
    auto it = values.find(info.name());
    if (it == values.end()) {
      emitError(fileLoc()) << "graph output '" << info.name()
                           << "' is not produced by any node";
      delete body;
      return nullptr;
    }
    const OnnxValue &tv = it->second;
    if (info.type().has_tensor_type() && info.type().tensor_type().elem_type() &&
        info.type().tensor_type().elem_type() != tv.onnxType) {
      emitError(fileLoc()) << "graph output '" << info.name()
                           << "' is declared as "
                           << onnxTypeName(info.type().tensor_type().elem_type())
                           << " but computed as " << onnxTypeName(tv.onnxType);
      delete body;
      return nullptr;
    }
    results.push_back(tv.value);
    outputs.push_back(tv);
  }
  func::ReturnOp::create(builder, fileLoc(), results);

  SmallVector<Type> argTypes(body->getArgumentTypes());
  auto funcType = builder.getFunctionType(argTypes, TypeRange(ValueRange(results)));
  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc(), "main", funcType);
  func.getBody().push_back(body);

  // Signature attributes, with symbols resolved after all unification.
  for (auto [i, tv] : llvm::enumerate(inputs)) {
    func.setArgAttr(i, attn::kNameAttr, builder.getStringAttr(inputNames[i]));
    func.setArgAttr(i, attn::kDTypeAttr,
                    builder.getStringAttr(dtypeName(tv.onnxType)));
    func.setArgAttr(i, attn::kDimsAttr, dimsAttr(tv.shape));
  }
  for (auto [i, tv] : llvm::enumerate(outputs)) {
    // Output dims must be computable from the input shapes, possibly as
    // expressions (`=` RPN, docs/abi.md), for the runtime to size them.
    SmallVector<Attribute> dims;
    for (auto [axis, d] : llvm::enumerate(tv.shape)) {
      std::optional<std::string> text = symbols.metadataDim(d);
      if (!text) {
        emitError(fileLoc()) << "graph output '" << graph.output(i).name()
                             << "': dim " << axis
                             << " is not determined by the input shapes";
        return nullptr;
      }
      Dim r = symbols.resolve(d);
      if (r.sym < 0)
        dims.push_back(builder.getI64IntegerAttr(r.size));
      else
        dims.push_back(builder.getStringAttr(
            (*text)[0] == '?' ? StringRef(*text).drop_front() : *text));
    }
    func.setResultAttr(i, attn::kNameAttr,
                       builder.getStringAttr(graph.output(i).name()));
    func.setResultAttr(i, attn::kDTypeAttr,
                       builder.getStringAttr(dtypeName(tv.onnxType)));
    func.setResultAttr(i, attn::kDimsAttr, builder.getArrayAttr(dims));
  }
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

NodeContext::NodeContext(GraphImporter &importer, const onnx::NodeProto &node,
                         int opset, Location loc)
    : node(node), opset(opset), loc(loc), importer(importer) {}

OpBuilder &NodeContext::builder() { return importer.builder; }
DimSymbols &NodeContext::symbols() { return importer.symbols; }
size_t NodeContext::numInputs() const { return node.input_size(); }
bool NodeContext::hasInput(size_t i) const {
  return i < static_cast<size_t>(node.input_size()) && !node.input(i).empty();
}
const OnnxValue &NodeContext::input(size_t i) {
  return importer.values[node.input(i)];
}
OnnxValue *NodeContext::outputValue(size_t i) {
  if (i >= static_cast<size_t>(node.output_size()) || node.output(i).empty())
    return nullptr;
  auto it = importer.values.find(node.output(i));
  return it == importer.values.end() ? nullptr : &it->second;
}

void NodeContext::setOutput(size_t i, OnnxValue value) {
  if (i < static_cast<size_t>(node.output_size()) && !node.output(i).empty())
    importer.values[node.output(i)] = std::move(value);
}

const onnx::AttributeProto *NodeContext::attr(StringRef name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeContext::intAttr(StringRef name, int64_t defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->i() : defaultValue;
}

float NodeContext::floatAttr(StringRef name, float defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->f() : defaultValue;
}

bool NodeContext::hasOutput(int i) const {
  return node.output_size() > i && !node.output(i).empty();
}

std::optional<std::vector<int64_t>>
NodeContext::intsAttr(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

InFlightDiagnostic NodeContext::emitError() const {
  std::string domain = node.domain().empty() ? "" : node.domain() + "::";
  return mlir::emitError(loc)
         << "node '" << cast<NameLoc>(loc).getName().getValue() << "' ("
         << domain << node.op_type() << ", opset " << opset << "): ";
}

RankedTensorType NodeContext::tensorType(const SymShape &shape,
                                         Type elementType) {
  SmallVector<int64_t> dims;
  for (Dim d : shape) {
    d = importer.symbols.resolve(d);
    dims.push_back(d.sym < 0 ? d.size : ShapedType::kDynamic);
  }
  return RankedTensorType::get(dims, elementType);
}

Value NodeContext::dimValue(Dim d) {
  OpBuilder &b = builder();
  d = symbols().resolve(d);
  if (d.sym < 0)
    return arith::ConstantIndexOp::create(b, loc, d.size);
  if (auto input = symbols().inputDimOf(d))
    return tensor::DimOp::create(b, loc, input->first, input->second);
  AffineExpr def = symbols().definitionOf(d);
  assert(def && "a dynamic dim is an input dim or derived from them");
  // affine.apply over the symbols the definition uses, renumbered densely.
  llvm::DenseMap<AffineExpr, AffineExpr> renumber;
  SmallVector<Value> operands;
  def.walk([&](AffineExpr sub) {
    auto s = dyn_cast<AffineSymbolExpr>(sub);
    if (!s || renumber.count(sub))
      return;
    renumber[sub] = getAffineSymbolExpr(operands.size(), b.getContext());
    operands.push_back(dimValue(Dim::symbol(s.getPosition())));
  });
  auto map = AffineMap::get(0, operands.size(), def.replace(renumber));
  return affine::AffineApplyOp::create(b, loc, map, operands);
}

SmallVector<Value> NodeContext::dynamicDimValues(const SymShape &shape) {
  SmallVector<Value> values;
  for (Dim d : shape)
    if (symbols().resolve(d).sym >= 0)
      values.push_back(dimValue(d));
  return values;
}

FailureOr<SmallVector<Dim, 4>> NodeContext::knownInput(size_t i,
                                                       StringRef what) {
  if (!hasInput(i)) {
    emitError() << what << " (input " << i << ") is missing";
    return failure();
  }
  const OnnxValue &v = input(i);
  if (!v.known) {
    emitError() << what << " (input '" << node.input(i)
                << "') must be computable at compile time (a constant or a "
                   "function of input shapes)";
    return failure();
  }
  return *v.known;
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

static OnnxFormat detectFormat(StringRef path) {
  StringRef ext = llvm::sys::path::extension(path);
  if (ext == ".onnxtxt")
    return OnnxFormat::Text;
  if (ext == ".textproto" || ext == ".pbtxt" || ext == ".prototxt")
    return OnnxFormat::TextProto;
  return OnnxFormat::Binary;
}

/// Turns the graph inputs named in `bindings` into initializers holding
/// the TensorProto read from each file (ImportOptions::constantInputs).
static LogicalResult
bindConstantInputs(onnx::ModelProto &model,
                   ArrayRef<std::pair<std::string, std::string>> bindings,
                   Location loc) {
  // mutable_graph() would create a missing graph, which run() reports.
  if (bindings.empty() || !model.has_graph())
    return success();
  onnx::GraphProto *graph = model.mutable_graph();
  for (const auto &[name, file] : bindings) {
    auto *inputs = graph->mutable_input();
    auto it = llvm::find_if(*inputs, [&](const onnx::ValueInfoProto &v) {
      return v.name() == name;
    });
    if (it == inputs->end())
      return emitError(loc)
             << "--const-input: the model has no graph input '" << name << "'";
    auto buffer = llvm::MemoryBuffer::getFile(file, /*IsText=*/false);
    onnx::TensorProto tensor;
    if (!buffer ||
        !tensor.ParseFromArray((*buffer)->getBufferStart(),
                               static_cast<int>((*buffer)->getBufferSize())))
      return emitError(loc) << "--const-input: cannot read a TensorProto from '"
                            << file << "'";
    int32_t declared = it->type().tensor_type().elem_type();
    if (declared != 0 && declared != tensor.data_type())
      return emitError(loc)
             << "--const-input: '" << file << "' holds "
             << onnxTypeName(tensor.data_type()) << ", graph input '" << name
             << "' is " << onnxTypeName(declared);
    if (tensor.data_location() == onnx::TensorProto::EXTERNAL)
      return emitError(loc)
             << "--const-input: '" << file << "' refers to external data";
    inputs->erase(it);
    tensor.set_name(name);
    *graph->add_initializer() = std::move(tensor);
  }
  return success();
}

/// Parses `bytes` (a model in `options.format`) into `model`.
static LogicalResult parseModel(StringRef bytes, StringRef path,
                                const ImportOptions &options, Location loc,
                                onnx::ModelProto &model) {
  OnnxFormat format = options.format == OnnxFormat::Auto ? detectFormat(path)
                                                         : options.format;
  switch (format) {
  case OnnxFormat::Binary: {
    if (bytes.size() > static_cast<size_t>(INT_MAX))
      return emitError(loc)
             << "model protobuf is " << bytes.size()
             << " bytes; protobuf limits one message to 2 GiB (store "
                "weights as external data)";
    google::protobuf::io::CodedInputStream stream(
        reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size());
    stream.SetTotalBytesLimit(INT_MAX);
    if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage())
      return emitError(loc) << "not a valid ONNX model: the protobuf cannot be "
                               "parsed (truncated or corrupted file?)";
    return success();
  }
  case OnnxFormat::TextProto:
    if (!google::protobuf::TextFormat::ParseFromString(bytes.str(), &model))
      return emitError(loc)
             << "cannot parse the protobuf text format of the model";
    return success();
  case OnnxFormat::Text: {
    // The parser reads up to a NUL; a buffer need not have one.
    std::string text = bytes.str();
    onnx::OnnxParser parser(text.c_str());
    auto status = parser.Parse(model);
    if (!status.IsOK())
      return emitError(loc)
             << "cannot parse the ONNX text syntax: " << status.ErrorMessage();
    return success();
  }
  case OnnxFormat::Auto:
    break;
  }
  llvm_unreachable("resolved above");
}

static OwningOpRef<ModuleOp>
importModel(MLIRContext *ctx, onnx::ModelProto &model, StringRef path,
            const ImportOptions &options, Location loc) {
  if (failed(bindConstantInputs(model, options.constantInputs, loc)))
    return nullptr;
  GraphImporter importer(ctx, model, path);
  return importer.run();
}

static void loadImportDialects(MLIRContext *ctx) {
  ctx->loadDialect<attn::AttnDialect, func::FuncDialect, arith::ArithDialect,
                   tensor::TensorDialect, affine::AffineDialect>();
}

/// Parses a binary model file through a small read buffer: the only copy
/// of the weights in memory is the one protobuf makes (the initializers'
/// raw_data strings), which the import then moves into the weight blobs.
static LogicalResult parseBinaryFile(StringRef path, Location loc,
                                     onnx::ModelProto &model) {
  int fd;
  if (std::error_code ec = llvm::sys::fs::openFileForRead(path, fd))
    return emitError(loc) << "cannot read model: " << ec.message();
  auto closeFd = llvm::make_scope_exit(
      [&] { llvm::sys::Process::SafelyCloseFileDescriptor(fd); });
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(fd, status))
    return emitError(loc) << "cannot read model: " << ec.message();
  if (status.getSize() > static_cast<uint64_t>(INT_MAX))
    return emitError(loc)
           << "model protobuf is " << status.getSize()
           << " bytes; protobuf limits one message to 2 GiB (store "
              "weights as external data)";
  google::protobuf::io::FileInputStream file(fd, /*block_size=*/1 << 20);
  google::protobuf::io::CodedInputStream stream(&file);
  stream.SetTotalBytesLimit(INT_MAX);
  if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage() ||
      file.GetErrno() != 0)
    return emitError(loc) << "not a valid ONNX model: the protobuf cannot be "
                             "parsed (truncated or corrupted file?)";
  return success();
}

OwningOpRef<ModuleOp> attnc::importOnnxFile(MLIRContext *ctx, StringRef path,
                                            const ImportOptions &options) {
  loadImportDialects(ctx);
  Location loc = FileLineColLoc::get(ctx, path, 0, 0);
  onnx::ModelProto model;
  OnnxFormat format =
      options.format == OnnxFormat::Auto ? detectFormat(path) : options.format;
  if (format == OnnxFormat::Binary && path != "-") {
    if (failed(parseBinaryFile(path, loc, model)))
      return nullptr;
    return importModel(ctx, model, path, options, loc);
  }
  // Text formats and stdin: read the whole input, parse, release it.
  {
    auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(
        path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
    if (!buffer) {
      emitError(loc) << "cannot read model: " << buffer.getError().message();
      return nullptr;
    }
    if (failed(parseModel((*buffer)->getBuffer(), path, options, loc, model)))
      return nullptr;
  }
  return importModel(ctx, model, path, options, loc);
}

OwningOpRef<ModuleOp> attnc::importOnnxBuffer(MLIRContext *ctx, StringRef bytes,
                                              StringRef path,
                                              const ImportOptions &options) {
  loadImportDialects(ctx);
  Location loc = FileLineColLoc::get(ctx, path, 0, 0);
  onnx::ModelProto model;
  if (failed(parseModel(bytes, path, options, loc, model)))
    return nullptr;
  return importModel(ctx, model, path, options, loc);
}

std::vector<SupportedOp> attnc::getSupportedOnnxOps() {
  std::vector<SupportedOp> ops;
  for (const OpHandlerEntry &e : getOpHandlers())
    ops.push_back({*e.domain ? e.domain : "ai.onnx", e.opType, e.minOpset,
                   e.maxOpset, e.notes});
  std::sort(ops.begin(), ops.end(), [](const auto &a, const auto &b) {
    return std::tie(a.domain, a.opType, a.minOpset) <
           std::tie(b.domain, b.opType, b.minOpset);
  });
  return ops;
}
