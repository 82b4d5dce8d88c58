//===- Json.cpp - The flat JSON vocabularies of the tokenizers ------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "Json.h"

#include "Unicode.h"

#include <cctype>
#include <fstream>
#include <sstream>

namespace attnc::examples {

bool readFile(const std::string &path, std::string &out, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "'";
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  out = buffer.str();
  return true;
}

namespace {
/// Parses a JSON string at text[pos] == '"'; advances pos past it.
bool parseJsonString(const std::string &text, size_t &pos, std::string &out) {
  out.clear();
  for (++pos; pos < text.size(); ++pos) {
    char c = text[pos];
    if (c == '"') {
      ++pos;
      return true;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++pos >= text.size())
      return false;
    switch (char e = text[pos]) {
    case 'b':
      out += '\b';
      break;
    case 'f':
      out += '\f';
      break;
    case 'n':
      out += '\n';
      break;
    case 'r':
      out += '\r';
      break;
    case 't':
      out += '\t';
      break;
    case 'u': {
      auto hex4 = [&](size_t at, char32_t &v) {
        if (at + 4 > text.size())
          return false;
        v = 0;
        for (size_t k = at; k < at + 4; ++k) {
          char h = text[k];
          int d = h >= '0' && h <= '9'   ? h - '0'
                  : h >= 'a' && h <= 'f' ? h - 'a' + 10
                  : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                         : -1;
          if (d < 0)
            return false;
          v = v * 16 + d;
        }
        return true;
      };
      char32_t v;
      if (!hex4(pos + 1, v))
        return false;
      pos += 4;
      char32_t low;
      if (v >= 0xD800 && v <= 0xDBFF && pos + 2 < text.size() &&
          text[pos + 1] == '\\' && text[pos + 2] == 'u' && hex4(pos + 3, low) &&
          low >= 0xDC00 && low <= 0xDFFF) {
        v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00);
        pos += 6;
      }
      appendUtf8(v, out);
      break;
    }
    default:
      out += e; // \" \\ \/
    }
  }
  return false;
}

} // namespace

bool parseTokenIds(const std::string &text,
                   std::unordered_map<std::string, int64_t> &ids) {
  size_t pos = text.find('{');
  if (pos == std::string::npos)
    return false;
  ++pos;
  auto skipSpace = [&] {
    while (pos < text.size() && isspace(static_cast<unsigned char>(text[pos])))
      ++pos;
  };
  std::string key;
  while (true) {
    skipSpace();
    if (pos < text.size() && text[pos] == '}')
      return true;
    if (pos >= text.size() || text[pos] != '"' ||
        !parseJsonString(text, pos, key))
      return false;
    skipSpace();
    if (pos >= text.size() || text[pos++] != ':')
      return false;
    skipSpace();
    size_t end = pos;
    while (end < text.size() && isdigit(static_cast<unsigned char>(text[end])))
      ++end;
    if (end == pos || end - pos > 9)
      return false;
    ids[key] = std::stoll(text.substr(pos, end - pos));
    pos = end;
    skipSpace();
    if (pos < text.size() && text[pos] == ',')
      ++pos;
  }
}

} // namespace attnc::examples
