//===- Metadata.cpp - Parser for attnc_model_metadata ---------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Parses the text metadata of docs/abi.md. The text comes from a file the
// user chose to load, so it is treated as untrusted: every field is checked,
// numbers are range-checked before use, ranks are bounded, and every problem
// is reported with its line number instead of being tolerated.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>

using namespace attnc::rt;

namespace {

bool isPlainNameByte(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
         c == '/' || c == '-';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1; // lower-case hex is not the canonical encoding: refuse it
}

/// Decodes a percent-encoded name; false (with `error`) if it is empty, holds
/// a byte outside the allowed set, or has a malformed escape.
bool decodeName(const std::string &field, std::string &out,
                std::string &error) {
  out.clear();
  if (field.empty()) {
    error = "empty name";
    return false;
  }
  for (size_t i = 0; i < field.size(); ++i) {
    unsigned char c = field[i];
    if (c == '%') {
      int hi = i + 1 < field.size() ? hexValue(field[i + 1]) : -1;
      int lo = i + 2 < field.size() ? hexValue(field[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        error = "bad percent escape in name '" + field + "'";
        return false;
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (isPlainNameByte(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      error = "invalid byte 0x" + std::string(1, "0123456789ABCDEF"[c >> 4]) +
              std::string(1, "0123456789ABCDEF"[c & 15]) + " in name '" +
              field + "'";
      return false;
    }
  }
  // Names end up in C strings; an embedded NUL would silently truncate them.
  if (out.find('\0') != std::string::npos) {
    error = "name '" + field + "' decodes to a string with a NUL byte";
    return false;
  }
  return true;
}

/// Parses a non-negative decimal integer without sign, spaces or overflow.
bool parseCount(const std::string &field, uint64_t max, uint64_t &out) {
  if (field.empty() || field.size() > 20)
    return false;
  uint64_t value = 0;
  for (char c : field) {
    if (c < '0' || c > '9')
      return false;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (max - digit) / 10)
      return false;
    value = value * 10 + digit;
  }
  out = value;
  return true;
}

std::vector<std::string> splitFields(const std::string &line) {
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    size_t space = line.find(' ', start);
    fields.push_back(line.substr(start, space - start));
    if (space == std::string::npos)
      break;
    start = space + 1;
  }
  return fields;
}

/// Parses the RPN of an `=` dim: comma-separated integers, `$symbol`s and
/// the operators + * / %; checks that it leaves exactly one value.
bool parseDimProgram(const std::string &text, std::vector<DimToken> &program,
                     std::string &error) {
  int depth = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string token =
        text.substr(pos, comma == std::string::npos ? std::string::npos
                                                    : comma - pos);
    DimToken t;
    if (token.size() == 1 && std::strchr("+*/%", token[0])) {
      t.kind = DimToken::Operator;
      t.op = token[0];
      if (depth < 2) {
        error = "operator '" + token + "' lacks operands";
        return false;
      }
      --depth;
    } else if (!token.empty() && token[0] == '$') {
      t.kind = DimToken::Symbol;
      if (!decodeName(token.substr(1), t.symbol, error) || t.symbol.empty()) {
        if (error.empty())
          error = "empty symbol";
        return false;
      }
      ++depth;
    } else {
      char *end = nullptr;
      errno = 0;
      long long v = std::strtoll(token.c_str(), &end, 10);
      if (token.empty() || *end != '\0' || errno == ERANGE) {
        error = "bad token '" + token + "'";
        return false;
      }
      t.kind = DimToken::Constant;
      t.value = v;
      ++depth;
    }
    if (program.size() >= 256) {
      error = "expression too long";
      return false;
    }
    program.push_back(std::move(t));
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  if (depth != 1) {
    error = "expression does not reduce to one value";
    return false;
  }
  return true;
}

bool parseTensorLine(const std::vector<std::string> &fields, TensorDesc &desc,
                     std::string &error) {
  const std::string &kind = fields[0];
  if (fields.size() < 4) {
    error = "truncated '" + kind +
            "' line (expected <name> <dtype> <rank> "
            "<dim>*)";
    return false;
  }
  if (!decodeName(fields[1], desc.name, error))
    return false;
  desc.dtype = parseDtype(fields[2]);
  if (desc.dtype == ATTNC_DTYPE_INVALID) {
    error = "unknown dtype '" + fields[2] + "' for " + kind + " '" + desc.name +
            "'";
    return false;
  }
  uint64_t rank;
  if (!parseCount(fields[3], ATTNC_MAX_RANK, rank)) {
    error = "bad rank '" + fields[3] + "' for " + kind + " '" + desc.name +
            "' (expected 0.." + std::to_string(ATTNC_MAX_RANK) + ")";
    return false;
  }
  if (fields.size() != 4 + rank) {
    error = kind + " '" + desc.name + "' has rank " + std::to_string(rank) +
            " but " + std::to_string(fields.size() - 4) + " dims";
    return false;
  }
  desc.exprs.resize(rank);
  for (uint64_t i = 0; i < rank; ++i) {
    const std::string &dim = fields[4 + i];
    if (!dim.empty() && dim[0] == '=') {
      // On an input, an expression is a relation the run checks (abi.md).
      std::string exprError;
      if (!parseDimProgram(dim.substr(1), desc.exprs[i], exprError)) {
        error = "bad dim expression '" + dim + "' in dim " +
                std::to_string(i) + " of " + kind + " '" + desc.name +
                "': " + exprError;
        return false;
      }
      desc.dims.push_back(-1);
      desc.symbols.push_back(dim);
      continue;
    }
    if (!dim.empty() && dim[0] == '?') {
      std::string symbol;
      std::string symbolError;
      if (!decodeName(dim.substr(1), symbol, symbolError)) {
        error = "bad symbol '" + dim + "' in dim " + std::to_string(i) +
                " of " + kind + " '" + desc.name + "': " + symbolError;
        return false;
      }
      desc.dims.push_back(-1);
      desc.symbols.push_back(std::move(symbol));
      continue;
    }
    uint64_t value;
    if (!parseCount(dim, std::numeric_limits<int64_t>::max(), value)) {
      error = "bad dim '" + dim + "' at index " + std::to_string(i) + " of " +
              kind + " '" + desc.name +
              "' (expected a non-negative integer or ?symbol)";
      return false;
    }
    desc.dims.push_back(static_cast<int64_t>(value));
    desc.symbols.emplace_back();
  }
  return true;
}

} // namespace

bool attnc::rt::evaluateDim(
    const std::vector<DimToken> &program,
    const std::vector<std::pair<const std::string *, int64_t>> &bindings,
    int64_t &result, std::string &error) {
  std::vector<int64_t> stack;
  for (const DimToken &t : program) {
    switch (t.kind) {
    case DimToken::Constant:
      stack.push_back(t.value);
      break;
    case DimToken::Symbol: {
      bool found = false;
      for (auto &[name, value] : bindings)
        if (*name == t.symbol) {
          stack.push_back(value);
          found = true;
          break;
        }
      if (!found) {
        error = "symbol '" + t.symbol + "' is not bound";
        return false;
      }
      break;
    }
    case DimToken::Operator: {
      // parseDimProgram guaranteed two operands.
      int64_t b = stack.back();
      stack.pop_back();
      int64_t a = stack.back();
      int64_t r = 0;
      bool overflow = false;
      switch (t.op) {
      case '+':
        overflow = __builtin_add_overflow(a, b, &r);
        break;
      case '*':
        overflow = __builtin_mul_overflow(a, b, &r);
        break;
      default: // '/' and '%'
        if (b == 0) {
          error = "division by zero";
          return false;
        }
        if (a == std::numeric_limits<int64_t>::min() && b == -1) {
          overflow = true;
          break;
        }
        // Floor division and a non-negative modulus, as in MLIR affine maps.
        if (t.op == '/')
          r = a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
        else
          r = ((a % b) + (b < 0 ? -b : b)) % (b < 0 ? -b : b);
        break;
      }
      if (overflow) {
        error = "arithmetic overflow";
        return false;
      }
      stack.back() = r;
      break;
    }
    }
  }
  result = stack.back();
  if (result < 0) {
    error = "computed size " + std::to_string(result) + " is negative";
    return false;
  }
  return true;
}

size_t attnc::rt::findDesc(const std::vector<TensorDesc> &list,
                           const std::string &name) {
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i].name == name)
      return i;
  return kAbsent;
}

bool attnc::rt::parseMetadata(const char *text, Metadata &out,
                              std::string &error) {
  std::string all(text);
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < all.size()) {
    size_t nl = all.find('\n', start);
    if (nl == std::string::npos)
      nl = all.size();
    lines.push_back(all.substr(start, nl - start));
    start = nl + 1;
  }

  auto lineError = [&](size_t lineNo, const std::string &message) {
    error = "metadata line " + std::to_string(lineNo + 1) + ": " + message;
    return false;
  };

  if (lines.empty() || lines[0] != "attnc-metadata 1") {
    uint64_t version;
    if (!lines.empty() && lines[0].rfind("attnc-metadata ", 0) == 0 &&
        parseCount(lines[0].substr(15), UINT32_MAX, version)) {
      error = "unsupported metadata version " + std::to_string(version) +
              " (this runtime reads version 1)";
      return false;
    }
    std::string first = lines.empty() ? "" : lines[0].substr(0, 40);
    error = "metadata does not start with 'attnc-metadata 1' (first line: '" +
            first + "')";
    return false;
  }

  bool sawCompiler = false, sawTarget = false;
  struct RawAppend {
    size_t line;
    std::string output, input;
    uint64_t axis;
  };
  std::vector<RawAppend> rawAppends; // resolved once every tensor is known
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string &line = lines[i];
    if (line.empty())
      continue; // blank lines carry nothing (e.g. a trailing newline)
    std::vector<std::string> fields = splitFields(line);
    for (const std::string &f : fields)
      if (f.empty())
        return lineError(i, "empty field (fields are separated by single "
                            "spaces): '" +
                                line + "'");
    const std::string &kind = fields[0];
    if (kind == "input" || kind == "output") {
      TensorDesc desc;
      if (!parseTensorLine(fields, desc, error))
        return lineError(i, error);
      std::vector<TensorDesc> &list =
          kind == "input" ? out.inputs : out.outputs;
      for (const TensorDesc &other : list)
        if (other.name == desc.name)
          return lineError(i,
                           "duplicate " + kind + " name '" + desc.name + "'");
      list.push_back(std::move(desc));
    } else if (kind == "compiler" || kind == "target") {
      if (fields.size() != 2)
        return lineError(i, "'" + kind + "' takes exactly one value");
      bool &seen = kind == "compiler" ? sawCompiler : sawTarget;
      if (seen)
        return lineError(i, "duplicate '" + kind + "' line");
      seen = true;
      (kind == "compiler" ? out.compiler : out.target) = fields[1];
    } else if (kind == "device") {
      // `device cuda sm_80,sm_90`: the model runs its kernels on a GPU.
      if (fields.size() != 3 || fields[1] != "cuda")
        return lineError(i, "'device' expects 'device cuda <archs>'");
      if (!out.device.empty())
        return lineError(i, "duplicate 'device' line");
      out.device = fields[1];
      out.deviceArchs = fields[2];
    } else if (kind == "append") {
      // `append <output> <input> <axis>`: the output extends the input.
      RawAppend raw{i, "", "", 0};
      if (fields.size() != 4)
        return lineError(i,
                         "'append' expects 'append <output> <input> <axis>'");
      if (!decodeName(fields[1], raw.output, error) ||
          !decodeName(fields[2], raw.input, error))
        return lineError(i, error);
      if (!parseCount(fields[3], 64, raw.axis))
        return lineError(i, "bad axis '" + fields[3] + "' in 'append' line");
      rawAppends.push_back(std::move(raw));
    }
    // Any other kind is ignored: forward compatibility within version 1.
  }

  if (out.outputs.empty()) {
    error = "metadata declares no outputs";
    return false;
  }
  // Every output dim must be computable from the inputs (abi.md), otherwise
  // the runtime could not allocate the output; input expressions likewise
  // use only symbols that plain input dims bind.
  for (const TensorDesc &in : out.inputs)
    for (size_t d = 0; d < in.dims.size(); ++d)
      for (const DimToken &t : in.exprs[d]) {
        if (t.kind != DimToken::Symbol)
          continue;
        bool bound = false;
        for (const TensorDesc &other : out.inputs)
          for (const std::string &s : other.symbols)
            bound |= s == t.symbol;
        if (!bound) {
          error = "input '" + in.name + "' dim " + std::to_string(d) +
                  " uses symbol '" + t.symbol + "' that no input binds";
          return false;
        }
      }
  for (const TensorDesc &o : out.outputs) {
    for (size_t d = 0; d < o.dims.size(); ++d) {
      if (o.dims[d] >= 0)
        continue;
      std::vector<std::string> used;
      if (o.exprs[d].empty())
        used.push_back(o.symbols[d]);
      for (const DimToken &t : o.exprs[d])
        if (t.kind == DimToken::Symbol)
          used.push_back(t.symbol);
      for (const std::string &symbol : used) {
        bool bound = false;
        for (const TensorDesc &in : out.inputs)
          for (const std::string &s : in.symbols)
            bound |= s == symbol;
        if (!bound) {
          error = "output '" + o.name + "' dim " + std::to_string(d) +
                  " uses symbol '" + symbol + "' that no input binds";
          return false;
        }
      }
    }
  }
  // `append` pairs: the two tensors must agree in everything but the axis,
  // and a tensor can be in one pair only (two views of one buffer).
  for (const RawAppend &raw : rawAppends) {
    AppendPair pair;
    pair.output = findDesc(out.outputs, raw.output);
    pair.input = findDesc(out.inputs, raw.input);
    pair.axis = raw.axis;
    auto bad = [&](const std::string &why) {
      return lineError(raw.line,
                       "'append " + raw.output + " " + raw.input + "': " + why);
    };
    if (pair.output == kAbsent)
      return bad("no output named '" + raw.output + "'");
    if (pair.input == kAbsent)
      return bad("no input named '" + raw.input + "'");
    const TensorDesc &o = out.outputs[pair.output];
    const TensorDesc &in = out.inputs[pair.input];
    if (o.dtype != in.dtype || o.dims.size() != in.dims.size())
      return bad("the output and the input differ in dtype or rank");
    if (pair.axis >= in.dims.size())
      return bad("axis " + std::to_string(pair.axis) + " is not below rank " +
                 std::to_string(in.dims.size()));
    for (size_t d = 0; d < in.dims.size(); ++d)
      if (d != pair.axis &&
          (o.dims[d] != in.dims[d] || o.symbols[d] != in.symbols[d]))
        return bad("dim " + std::to_string(d) + " differs");
    for (const AppendPair &other : out.appends)
      if (other.output == pair.output || other.input == pair.input)
        return bad("the output or the input is already in an 'append' line");
    out.appends.push_back(pair);
  }
  // Symbol pointers are taken only now that the vectors no longer move.
  for (auto *list : {&out.inputs, &out.outputs})
    for (TensorDesc &t : *list)
      for (const std::string &s : t.symbols)
        t.symbolPtrs.push_back(s.empty() ? nullptr : s.c_str());
  return true;
}
