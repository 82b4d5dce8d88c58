//===- ImporterInternals.h - Shared state of the ONNX importer --*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Import. The importer tracks, beside each MLIR value, its
// symbolic shape: every dim is either static or a named symbol (an ONNX
// `dim_param` or a generated name). Broadcasting and contraction unify
// symbols, so the metadata of the compiled model can say which input dims
// the output dims come from and the runtime can check inputs for
// consistency.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_IMPORT_IMPORTERINTERNALS_H
#define ATTNC_LIB_IMPORT_IMPORTERINTERNALS_H

#include "attnc/Import/OnnxImporter.h"

#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include "onnx/onnx_pb.h"

#include <functional>
#include <optional>

namespace attnc::import {

/// One dim of a symbolic shape: a static size (`sym < 0`) or a symbol.
struct Dim {
  int64_t size = 0;
  int sym = -1;
  static Dim fixed(int64_t size) { return {size, -1}; }
  static Dim symbol(int sym) { return {-1, sym}; }
};
using SymShape = llvm::SmallVector<Dim, 4>;

/// Symbols of dynamic dims with union-find; a class may become static when
/// it is unified with a static size.
///
/// Besides the model's own symbols (graph input dims), a symbol can be
/// *derived*: defined by an affine expression over other symbols, e.g. the
/// `past + seq` length of a KV-cache Concat or the `seq * 12` of a Reshape.
/// In expressions, symbol `i` is `s<i>` (mlir::getAffineSymbolExpr(i)).
class DimSymbols {
public:
  void setContext(mlir::MLIRContext *context) { ctx = context; }
  int create(llvm::StringRef name);
  int lookupOrCreate(llvm::StringRef name);
  int find(int sym);
  /// Resolves a dim to its class representative or static size.
  Dim resolve(Dim d);
  /// Unifies two dims that must be equal. Fails when they are different
  /// static sizes.
  llvm::LogicalResult unify(Dim a, Dim b, Dim &out);
  llvm::StringRef name(int sym) { return names[find(sym)]; }

  /// The affine expression of a dim: a constant or `s<rep>`.
  mlir::AffineExpr expr(Dim d);
  /// The dim equal to `e` (over symbol positions): static when it folds to a
  /// constant, an existing symbol when it is one, else a derived symbol.
  Dim derive(mlir::AffineExpr e);
  /// Records that graph input `value` carries symbol `sym` in dim `axis`.
  void addInputDim(int sym, mlir::Value value, int64_t axis);
  /// A graph input dim holding `d`'s class, if any.
  std::optional<std::pair<mlir::Value, int64_t>> inputDimOf(Dim d);
  /// The definition of `d`'s class in terms of other classes, if derived.
  mlir::AffineExpr definitionOf(Dim d);
  /// How the runtime computes `d` (docs/abi.md): an integer, `?name` of an
  /// input symbol, or `=rpn` over input symbols; std::nullopt when `d`
  /// cannot be computed from the input shapes.
  std::optional<std::string> metadataDim(Dim d);
  /// For a class that is both a graph input dim and derived from other
  /// input symbols (a KV cache's total = past + seq): `=rpn` of the
  /// derivation, which the runtime checks on the input (docs/abi.md).
  std::optional<std::string> derivedInputDim(Dim d);

private:
  std::optional<std::string> rpn(mlir::AffineExpr e, int depth);

  mlir::MLIRContext *ctx = nullptr;
  std::vector<int> parent;
  std::vector<int64_t> staticSize; // -1 when the class is still dynamic.
  std::vector<std::string> names;
  std::vector<mlir::AffineExpr> definitions; // null unless derived
  llvm::StringMap<int> byName;
  std::vector<std::tuple<int, mlir::Value, int64_t>> inputDims;
};

/// A value produced by an ONNX tensor name.
struct OnnxValue {
  mlir::Value value;
  SymShape shape;
  bool isUnsigned = false; // ONNX uint* (MLIR integers are signless).
  int32_t onnxType = 0;    // onnx::TensorProto::DataType
  /// For small integer tensors (shape arithmetic: Shape, Gather, Concat,
  /// ...): the element values when the importer can tell them, as dims.
  /// Maintained by propagateKnownValues after every node, whatever the
  /// handler copied.
  std::optional<llvm::SmallVector<Dim, 4>> known;
};

class GraphImporter;

/// What an op handler sees of one ONNX node.
class NodeContext {
public:
  NodeContext(GraphImporter &importer, const onnx::NodeProto &node,
              int opset, mlir::Location loc);

  const onnx::NodeProto &node;
  int opset;
  mlir::Location loc;
  mlir::OpBuilder &builder();
  DimSymbols &symbols();

  size_t numInputs() const;
  /// True when input `i` is present (ONNX allows empty names for
  /// optional inputs).
  bool hasInput(size_t i) const;
  /// True when output `i` is present (ONNX allows empty names for unused
  /// optional outputs).
  bool hasOutput(int i) const;
  const OnnxValue &input(size_t i);
  void setOutput(size_t i, OnnxValue value);
  /// The value already set for output `i`, or null.
  OnnxValue *outputValue(size_t i);

  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  int64_t intAttr(llvm::StringRef name, int64_t defaultValue) const;
  float floatAttr(llvm::StringRef name, float defaultValue) const;
  std::optional<std::vector<int64_t>> intsAttr(llvm::StringRef name) const;

  /// Emits an error naming the node, its op type and opset.
  mlir::InFlightDiagnostic emitError() const;

  /// Builds the MLIR tensor type of a symbolic shape.
  mlir::RankedTensorType tensorType(const SymShape &shape,
                                    mlir::Type elementType);
  /// An `index` SSA value equal to `d` (tensor.dim of a graph input,
  /// affine.apply for derived dims, or a constant).
  mlir::Value dimValue(Dim d);
  /// The SSA values of the dynamic dims of `shape`, in order (the operands
  /// that ops with computed result shapes take).
  llvm::SmallVector<mlir::Value> dynamicDimValues(const SymShape &shape);
  /// The known values of input `i` (see OnnxValue::known), or an error
  /// naming `what` when they cannot be determined at compile time.
  mlir::FailureOr<llvm::SmallVector<Dim, 4>> knownInput(size_t i,
                                                        llvm::StringRef what);

private:
  GraphImporter &importer;
};

using OpHandler = std::function<llvm::LogicalResult(NodeContext &)>;

struct OpHandlerEntry {
  const char *domain;
  const char *opType;
  int minOpset;
  int maxOpset;
  const char *notes;
  OpHandler handler;
};

/// Recomputes OnnxValue::known of the node's outputs (OnnxShapeValues.cpp)
/// and replaces outputs whose values are fully static by constants.
void propagateKnownValues(NodeContext &nc);
/// The known values of a small integer constant (initializers).
std::optional<llvm::SmallVector<Dim, 4>> knownValuesOf(mlir::Value constant);

/// The table of op handlers (OnnxOps.cpp), filled by one function per op
/// family file.
llvm::ArrayRef<OpHandlerEntry> getOpHandlers();
void appendArithmeticOpHandlers(std::vector<OpHandlerEntry> &handlers);
void appendNNOpHandlers(std::vector<OpHandlerEntry> &handlers);
void appendTensorOpHandlers(std::vector<OpHandlerEntry> &handlers);
void appendMathOpHandlers(std::vector<OpHandlerEntry> &handlers);
void appendReductionOpHandlers(std::vector<OpHandlerEntry> &handlers);
void appendShapeOpHandlers(std::vector<OpHandlerEntry> &handlers);
void appendConvOpHandlers(std::vector<OpHandlerEntry> &handlers);
void appendEinsumOpHandlers(std::vector<OpHandlerEntry> &handlers);
void appendAttentionOpHandlers(std::vector<OpHandlerEntry> &handlers);
void appendContribOpHandlers(std::vector<OpHandlerEntry> &handlers);

//===----------------------------------------------------------------------===//
// Checks shared by op handlers (OnnxOpHelpers.cpp)
//===----------------------------------------------------------------------===//

/// Numpy broadcasting of two symbolic shapes; unifies dims that must match.
llvm::LogicalResult broadcastShapes(NodeContext &nc, const SymShape &a,
                                    const SymShape &b, SymShape &out);
/// Fails (naming the node) unless both values have one ONNX element type.
llvm::LogicalResult checkSameElementType(NodeContext &nc, const OnnxValue &a,
                                         const OnnxValue &b);
/// Fails unless the first `n` inputs are present.
llvm::LogicalResult requireInputs(NodeContext &nc, size_t n);

/// Converts an ONNX element type to MLIR (signless integers for uint*);
/// null when attnc does not support it.
mlir::Type convertElementType(mlir::MLIRContext *ctx, int32_t onnxType);
/// The metadata dtype name of an ONNX element type (`f32`, `u8`, ...).
llvm::StringRef dtypeName(int32_t onnxType);
/// ONNX's name of an element type, for messages.
llvm::StringRef onnxTypeName(int32_t onnxType);

/// Converts a TensorProto (initializer or Constant value) into an elements
/// attribute. `baseDir` resolves external data; `what` names the tensor in
/// errors.
mlir::FailureOr<mlir::ElementsAttr>
convertTensor(mlir::MLIRContext *ctx, const onnx::TensorProto &tensor,
              llvm::StringRef baseDir, llvm::function_ref<mlir::InFlightDiagnostic()> emitError);
/// As convertTensor, but a big tensor's raw_data string moves into the
/// attribute's blob instead of being copied (`tensor` loses it).
mlir::FailureOr<mlir::ElementsAttr>
takeTensor(mlir::MLIRContext *ctx, onnx::TensorProto &tensor,
           llvm::StringRef baseDir,
           llvm::function_ref<mlir::InFlightDiagnostic()> emitError);

} // namespace attnc::import

#endif // ATTNC_LIB_IMPORT_IMPORTERINTERNALS_H
