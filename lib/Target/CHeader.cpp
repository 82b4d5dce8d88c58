//===- CHeader.cpp - Typed C header for a compiled model ------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// The header is derived from the metadata text the .so carries, so that it
// describes exactly what the runtime will check: names, dtypes and dims in
// argument order.
//
//===----------------------------------------------------------------------===//

#include "attnc/Target/CHeader.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace attnc;

namespace {
/// One input or output of the model.
struct TensorDecl {
  std::string name;  ///< ONNX name (decoded).
  std::string field; ///< Unique C identifier.
  std::string dtype; ///< Metadata spelling ("f32", ...).
  /// Printable dims: "768", "batch_size", "(past_sequence_length + 1)".
  SmallVector<std::string> dims;
  /// The static dims (-1 for dynamic ones).
  SmallVector<int64_t> staticDims;
};

struct ModelDecl {
  std::string compiler, target;
  SmallVector<TensorDecl> inputs, outputs;
};
} // namespace

static bool isCKeyword(StringRef word) {
  static const char *const keywords[] = {
      "auto",     "break",    "case",     "char",   "const",    "continue",
      "default",  "do",       "double",   "else",   "enum",     "extern",
      "float",    "for",      "goto",     "if",     "inline",   "int",
      "long",     "register", "restrict", "return", "short",    "signed",
      "sizeof",   "static",   "struct",   "switch", "typedef",  "union",
      "unsigned", "void",     "volatile", "while",  "bool",     "true",
      "false",    "class",    "delete",   "new",    "operator", "private",
      "public",   "template", "this",     "try",    "catch",    "throw"};
  return llvm::is_contained(keywords, word);
}

std::string attnc::makeCIdentifier(StringRef text) {
  std::string id;
  for (char c : text)
    id += llvm::isAlnum(c) || c == '_' ? c : '_';
  if (id.empty() || llvm::isDigit(id[0]))
    id = "_" + id;
  if (isCKeyword(id))
    id += "_";
  return id;
}

static FailureOr<std::string> percentDecode(StringRef text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    unsigned byte;
    if (i + 2 >= text.size() || text.substr(i + 1, 2).getAsInteger(16, byte))
      return failure();
    out += static_cast<char>(byte);
    i += 2;
  }
  return out;
}

/// An `=<rpn>` dim as an infix expression over the symbol names.
static FailureOr<std::string> rpnToInfix(StringRef rpn) {
  SmallVector<std::string> stack;
  SmallVector<StringRef> tokens;
  rpn.split(tokens, ',');
  for (StringRef token : tokens) {
    if (token == "+" || token == "*" || token == "/" || token == "%") {
      if (stack.size() < 2)
        return failure();
      std::string rhs = stack.pop_back_val(), lhs = stack.pop_back_val();
      stack.push_back("(" + lhs + " " + token.str() + " " + rhs + ")");
    } else if (token.consume_front("$")) {
      FailureOr<std::string> symbol = percentDecode(token);
      if (failed(symbol))
        return failure();
      stack.push_back(*symbol);
    } else {
      int64_t value;
      if (token.getAsInteger(10, value))
        return failure();
      stack.push_back(std::to_string(value));
    }
  }
  if (stack.size() != 1)
    return failure();
  // Every operator wraps its result in parentheses; the outermost pair goes.
  if (tokens.size() > 1)
    return stack.front().substr(1, stack.front().size() - 2);
  return stack.front();
}

/// Parses `<name> <dtype> <rank> <dim>*` (the fields after input/output).
static FailureOr<TensorDecl> parseTensorLine(ArrayRef<StringRef> fields) {
  TensorDecl decl;
  size_t rank;
  if (fields.size() < 3 || fields[2].getAsInteger(10, rank) ||
      fields.size() != 3 + rank)
    return failure();
  FailureOr<std::string> name = percentDecode(fields[0]);
  if (failed(name))
    return failure();
  decl.name = *name;
  decl.dtype = fields[1].str();
  for (StringRef dim : fields.drop_front(3)) {
    int64_t size = -1;
    FailureOr<std::string> text = failure();
    if (dim.consume_front("?"))
      text = percentDecode(dim);
    else if (dim.consume_front("="))
      text = rpnToInfix(dim);
    else if (!dim.getAsInteger(10, size))
      text = std::to_string(size);
    if (failed(text))
      return failure();
    decl.dims.push_back(*text);
    decl.staticDims.push_back(size);
  }
  return decl;
}

static FailureOr<ModelDecl> parseMetadata(StringRef metadata,
                                          std::string &error) {
  ModelDecl model;
  SmallVector<StringRef> lines;
  metadata.split(lines, '\n', -1, /*KeepEmpty=*/false);
  if (lines.empty() || lines.front() != "attnc-metadata 1") {
    error = "model metadata does not start with 'attnc-metadata 1'";
    return failure();
  }
  for (StringRef line : llvm::drop_begin(lines)) {
    SmallVector<StringRef> fields;
    line.split(fields, ' ');
    StringRef kind = fields.front();
    if (kind == "compiler" || kind == "target") {
      (kind == "compiler" ? model.compiler : model.target) =
          line.drop_front(kind.size()).trim().str();
      continue;
    }
    if (kind != "input" && kind != "output")
      continue; // Unknown kinds are for later versions (docs/abi.md).
    FailureOr<TensorDecl> decl =
        parseTensorLine(ArrayRef<StringRef>(fields).drop_front());
    if (failed(decl)) {
      error = "malformed model metadata line '" + line.str() + "'";
      return failure();
    }
    (kind == "input" ? model.inputs : model.outputs).push_back(*decl);
  }
  // Field names: unique across inputs and outputs, and upper-cased too, so
  // that the macros built from them are unique.
  llvm::StringSet<> used;
  for (TensorDecl &decl :
       llvm::concat<TensorDecl>(model.inputs, model.outputs)) {
    std::string base = makeCIdentifier(decl.name), field = base;
    for (int n = 2; !used.insert(StringRef(field).upper()).second; ++n)
      field = base + "_" + std::to_string(n);
    decl.field = field;
  }
  return model;
}

static std::string shapeText(const TensorDecl &decl) {
  return decl.dtype + " [" + llvm::join(decl.dims, ", ") + "]";
}

/// A C string literal (the names may hold any byte).
static std::string cString(StringRef text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\')
      out += std::string("\\") + static_cast<char>(c);
    else if (c < 0x20 || c >= 0x7f || c == '?') // '?': no trigraphs.
      out += {'\\', static_cast<char>('0' + (c >> 6)),
              static_cast<char>('0' + ((c >> 3) & 7)),
              static_cast<char>('0' + (c & 7))};
    else
      out += c;
  }
  return out + "\"";
}

/// A comment-safe rendering of `text` (no "*/").
static std::string commentText(StringRef text) {
  std::string out = text.str();
  for (size_t pos; (pos = out.find("*/")) != std::string::npos;)
    out.replace(pos, 2, "* /");
  return out;
}

static void writeTensorMacros(raw_ostream &os, StringRef macro, StringRef kind,
                              size_t index, const TensorDecl &decl) {
  std::string prefix =
      (macro + "_" + kind + "_" + StringRef(decl.field).upper()).str();
  os << "/* " << kind.lower() << " " << index << " `" << commentText(decl.name)
     << "`: " << commentText(shapeText(decl)) << " */\n";
  os << "#define " << prefix << "_INDEX " << index << "\n";
  os << "#define " << prefix << "_DTYPE ATTNC_DTYPE_"
     << StringRef(decl.dtype).upper() << "\n";
  os << "#define " << prefix << "_RANK " << decl.dims.size() << "\n";
  for (auto [i, size] : llvm::enumerate(decl.staticDims))
    if (size >= 0)
      os << "#define " << prefix << "_DIM" << i << " " << size << "\n";
}

static void writeStruct(raw_ostream &os, StringRef type, StringRef pointer,
                        ArrayRef<TensorDecl> decls) {
  os << "typedef struct " << type << " {\n";
  for (const TensorDecl &decl : decls)
    os << "  " << pointer << decl.field << "; /* `" << commentText(decl.name)
       << "`: " << commentText(shapeText(decl)) << " */\n";
  if (decls.empty())
    os << "  char unused_; /* the model has none */\n";
  os << "} " << type << ";\n\n";
}

/// `static const <type> <var>[N] = {...};`, never a zero-sized array.
static void writeTable(raw_ostream &os, StringRef type, StringRef var,
                       ArrayRef<TensorDecl> decls,
                       function_ref<std::string(const TensorDecl &)> entry,
                       StringRef empty) {
  os << "  static const " << type << " " << var << "["
     << std::max<size_t>(decls.size(), 1) << "] = {";
  if (decls.empty())
    os << empty;
  llvm::interleaveComma(decls, os,
                        [&](const TensorDecl &d) { os << entry(d); });
  os << "};\n";
}

LogicalResult attnc::writeCHeader(StringRef metadata, StringRef name,
                                  StringRef soPath, raw_ostream &os,
                                  std::string &error) {
  FailureOr<ModelDecl> parsed = parseMetadata(metadata, error);
  if (failed(parsed))
    return failure();
  const ModelDecl &model = *parsed;
  std::string id = makeCIdentifier(name);
  // attnc_model_load, attnc_session, ... would collide with the runtime's.
  if (StringRef(id).starts_with("attnc_") || id == "attnc") {
    error = "model name '" + id +
            "' is reserved (the attnc_ prefix belongs to the runtime); give "
            "another with --model-name";
    return failure();
  }
  std::string macro = StringRef(id).upper();
  if (StringRef(macro).starts_with("_"))
    macro = "M" + macro;
  size_t numIn = model.inputs.size(), numOut = model.outputs.size();

  os << "/* " << id << ".h: typed C interface to the attnc-compiled model `"
     << commentText(name) << "`.\n"
     << " * Generated by attnc " << commentText(model.compiler) << " (target "
     << commentText(model.target)
     << ")\n * from the model's metadata; do not edit.\n *\n"
     << " * Dims: numbers are static; names are dynamic sizes bound by the "
        "inputs\n"
     << " * (the same name must have the same value everywhere); "
        "expressions are\n"
     << " * computed from those.\n *\n";
  for (auto [kind, decls] : {std::make_pair("Inputs", &model.inputs),
                             std::make_pair("Outputs", &model.outputs)}) {
    os << " * " << kind << ":\n";
    for (const TensorDecl &decl : *decls)
      os << " *   " << commentText(decl.name) << ": "
         << commentText(shapeText(decl)) << "\n";
  }
  os << " *\n"
     << " * Use (error handling shortened; every call returns an "
        "attnc_status):\n"
     << " *   " << id << " m;\n"
     << " *   " << id << "_load(NULL, &m);   (NULL: " << macro
     << "_MODEL_PATH)\n"
     << " *   " << id
     << "_inputs in = {...};   (attnc_tensor_* from "
        "attnc-c/runtime.h)\n"
     << " *   " << id << "_outputs out;\n"
     << " *   " << id << "_run(&m, &in, &out);\n"
     << " *   ... " << id << "_outputs_destroy(&out); " << id
     << "_destroy(&m);\n */\n\n";

  os << "#ifndef ATTNC_MODEL_" << macro << "_H\n#define ATTNC_MODEL_" << macro
     << "_H\n\n#include <attnc-c/runtime.h>\n\n#include <stddef.h>\n"
     << "#include <string.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";

  os << "/* The model .so that " << id
     << "_load(NULL, ...) loads; define it before including\n"
     << " * this header, or pass a path, when the .so moves (installed "
        "apps). */\n"
     << "#ifndef " << macro << "_MODEL_PATH\n#define " << macro
     << "_MODEL_PATH " << cString(soPath) << "\n#endif\n\n";
  os << "#define " << macro << "_NUM_INPUTS " << numIn << "\n#define " << macro
     << "_NUM_OUTPUTS " << numOut << "\n\n";
  for (auto [i, decl] : llvm::enumerate(model.inputs))
    writeTensorMacros(os, macro, "INPUT", i, decl);
  for (auto [i, decl] : llvm::enumerate(model.outputs))
    writeTensorMacros(os, macro, "OUTPUT", i, decl);
  os << "\n";

  writeStruct(os, id + "_inputs", "const attnc_tensor *", model.inputs);
  writeStruct(os, id + "_outputs", "attnc_tensor *", model.outputs);
  os << "/* A loaded model with one session: use it from one thread at a "
        "time\n * (load it once per thread for concurrent runs). */\n"
     << "typedef struct " << id << " {\n  attnc_model *model;\n"
     << "  attnc_session *session;\n} " << id << ";\n\n";

  auto nameOf = [](const TensorDecl &d) { return cString(d.name); };
  auto dtypeOf = [](const TensorDecl &d) {
    return "ATTNC_DTYPE_" + StringRef(d.dtype).upper();
  };
  // The loaded .so must have the signature this header was made for: a
  // different model would otherwise be run on wrongly ordered tensors.
  os << "/* Checks that `model` has the inputs and outputs described above "
        "(names,\n * dtypes, ranks, order). */\n"
     << "static inline attnc_status " << id
     << "_check_signature(const attnc_model *model) {\n";
  writeTable(os, "char *const", "in_names", model.inputs, nameOf, "NULL");
  writeTable(os, "char *const", "out_names", model.outputs, nameOf, "NULL");
  writeTable(os, "attnc_dtype", "in_dtypes", model.inputs, dtypeOf,
             "ATTNC_DTYPE_INVALID");
  writeTable(os, "attnc_dtype", "out_dtypes", model.outputs, dtypeOf,
             "ATTNC_DTYPE_INVALID");
  auto rankOf = [](const TensorDecl &d) {
    return std::to_string(d.dims.size());
  };
  writeTable(os, "size_t", "in_ranks", model.inputs, rankOf, "0");
  writeTable(os, "size_t", "out_ranks", model.outputs, rankOf, "0");
  os << "  attnc_tensor_info info;\n  size_t n, i;\n"
     << "  attnc_status s = attnc_model_num_inputs(model, &n);\n"
     << "  if (s != ATTNC_STATUS_OK)\n    return s;\n"
     << "  if (n != " << numIn << ")\n    return ATTNC_STATUS_INCOMPATIBLE;\n"
     << "  for (i = 0; i < n; ++i) {\n"
     << "    if ((s = attnc_model_input_info(model, i, &info)) != "
        "ATTNC_STATUS_OK)\n      return s;\n"
     << "    if (strcmp(info.name, in_names[i]) != 0 || info.dtype != "
        "in_dtypes[i] ||\n        info.rank != in_ranks[i])\n"
     << "      return ATTNC_STATUS_INCOMPATIBLE;\n  }\n"
     << "  if ((s = attnc_model_num_outputs(model, &n)) != ATTNC_STATUS_OK)\n"
     << "    return s;\n"
     << "  if (n != " << numOut << ")\n    return ATTNC_STATUS_INCOMPATIBLE;\n"
     << "  for (i = 0; i < n; ++i) {\n"
     << "    if ((s = attnc_model_output_info(model, i, &info)) != "
        "ATTNC_STATUS_OK)\n      return s;\n"
     << "    if (strcmp(info.name, out_names[i]) != 0 ||\n"
     << "        info.dtype != out_dtypes[i] || info.rank != out_ranks[i])\n"
     << "      return ATTNC_STATUS_INCOMPATIBLE;\n  }\n"
     << "  return ATTNC_STATUS_OK;\n}\n\n";

  os << "/* Loads the model from `path` (NULL: " << macro
     << "_MODEL_PATH), checks its signature\n"
     << " * and creates a session with `options` (NULL: the defaults). On "
        "failure `m`\n"
     << " * holds NULLs; attnc_last_error() says why, except for "
        "ATTNC_STATUS_INCOMPATIBLE\n"
     << " * from a .so whose inputs/outputs differ from this header's. */\n"
     << "static inline attnc_status " << id
     << "_load_with_options(const char *path,\n"
     << "    const attnc_session_options *options, " << id << " *m) {\n"
     << "  attnc_status s;\n"
     << "  if (!m)\n    return ATTNC_STATUS_INVALID_ARGUMENT;\n"
     << "  m->model = NULL;\n  m->session = NULL;\n"
     << "  s = attnc_model_load(path ? path : " << macro
     << "_MODEL_PATH, &m->model);\n"
     << "  if (s == ATTNC_STATUS_OK)\n    s = " << id
     << "_check_signature(m->model);\n"
     << "  if (s == ATTNC_STATUS_OK)\n"
     << "    s = attnc_session_create(m->model, options, &m->session);\n"
     << "  if (s != ATTNC_STATUS_OK) {\n"
     << "    attnc_model_destroy(m->model);\n    m->model = NULL;\n  }\n"
     << "  return s;\n}\n\n";
  os << "static inline attnc_status " << id << "_load(const char *path, " << id
     << " *m) {\n  return " << id
     << "_load_with_options(path, NULL, m);\n}\n\n";

  os << "/* Runs the model once. On success every field of `out` is a new "
        "tensor\n * (free them with "
     << id << "_outputs_destroy); on failure they are NULL. */\n"
     << "static inline attnc_status " << id << "_run(" << id << " *m, const "
     << id << "_inputs *in,\n    " << id << "_outputs *out) {\n"
     << "  const attnc_tensor *ins[" << std::max<size_t>(numIn, 1) << "];\n"
     << "  attnc_tensor *outs[" << std::max<size_t>(numOut, 1) << "];\n"
     << "  attnc_status s;\n"
     << "  if (!m || !in || !out)\n    return ATTNC_STATUS_INVALID_ARGUMENT;\n";
  for (auto [i, decl] : llvm::enumerate(model.inputs))
    os << "  ins[" << i << "] = in->" << decl.field << ";\n";
  os << "  s = attnc_session_run(m->session, ins, " << numIn << ", outs, "
     << numOut << ");\n";
  for (auto [i, decl] : llvm::enumerate(model.outputs))
    os << "  out->" << decl.field << " = s == ATTNC_STATUS_OK ? outs[" << i
       << "] : NULL;\n";
  os << "  return s;\n}\n\n";

  os << "/* Frees the output tensors (NULL fields are skipped). */\n"
     << "static inline void " << id << "_outputs_destroy(" << id
     << "_outputs *out) {\n  if (!out)\n    return;\n";
  for (const TensorDecl &decl : model.outputs)
    os << "  attnc_tensor_destroy(out->" << decl.field << ");\n  out->"
       << decl.field << " = NULL;\n";
  os << "}\n\n";
  os << "static inline void " << id << "_destroy(" << id << " *m) {\n"
     << "  if (!m)\n    return;\n  attnc_session_destroy(m->session);\n"
     << "  attnc_model_destroy(m->model);\n  m->session = NULL;\n"
     << "  m->model = NULL;\n}\n\n";

  os << "#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n#endif /* "
        "ATTNC_MODEL_"
     << macro << "_H */\n";
  return success();
}
