//===- Unicode.cpp - UTF-8 and character classes for the tokenizers -------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "Unicode.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace {
struct CodepointRange {
  uint32_t first, last;
};
struct CodepointFold {
  uint32_t from;
  uint32_t to[3]; // 0-terminated when shorter
};

#include "UnicodeTables.inc"

template <size_t N>
bool inRanges(const CodepointRange (&table)[N], char32_t c) {
  auto it = std::upper_bound(
      std::begin(table), std::end(table), static_cast<uint32_t>(c),
      [](uint32_t v, const CodepointRange &r) { return v < r.first; });
  return it != std::begin(table) && c <= std::prev(it)->last;
}
} // namespace

namespace attnc::examples {

std::u32string decodeUtf8(const std::string &text) {
  std::u32string out;
  size_t i = 0, n = text.size();
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  while (i < n) {
    unsigned char b = byte(i);
    size_t len = b < 0x80         ? 1
                 : (b >> 5) == 6  ? 2
                 : (b >> 4) == 14 ? 3
                 : (b >> 3) == 30 ? 4
                                  : 0;
    char32_t c = len == 1   ? b
                 : len == 2 ? b & 0x1F
                 : len == 3 ? b & 0x0F
                            : b & 0x07;
    bool ok = len > 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (byte(i + k) & 0xC0) == 0x80;
      c = (c << 6) | (byte(i + k) & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    static const char32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (ok &&
        (c < minimum[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)))
      ok = false;
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(c);
    i += len;
  }
  return out;
}

void appendUtf8(char32_t c, std::string &out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::string encodeUtf8(const std::u32string &text) {
  std::string out;
  for (char32_t c : text)
    appendUtf8(c, out);
  return out;
}

bool isLetter(char32_t c) { return inRanges(kLetter, c); }
bool isNumber(char32_t c) { return inRanges(kNumber, c); }
bool isSpace(char32_t c) { return inRanges(kSpace, c); }

bool isBertWhitespace(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
         inRanges(kBertZs, c);
}

bool isBertControl(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r')
    return false;
  return inRanges(kBertControl, c);
}

bool isBertPunctuation(char32_t c) {
  // BERT treats every non-alphanumeric ASCII character as punctuation.
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
      (c >= 123 && c <= 126))
    return true;
  return inRanges(kBertPunct, c);
}

bool isCjk(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

void appendBertFolded(char32_t c, std::u32string &out) {
  // Hangul syllables decompose algorithmically (Unicode 3.12) into jamo.
  if (c >= 0xAC00 && c <= 0xD7A3) {
    char32_t s = c - 0xAC00;
    out += static_cast<char32_t>(0x1100 + s / 588);
    out += static_cast<char32_t>(0x1161 + (s % 588) / 28);
    if (s % 28)
      out += static_cast<char32_t>(0x11A7 + s % 28);
    return;
  }
  if (inRanges(kBertMn, c))
    return;
  auto it = std::lower_bound(
      std::begin(kBertFold), std::end(kBertFold), static_cast<uint32_t>(c),
      [](const CodepointFold &f, uint32_t v) { return f.from < v; });
  if (it == std::end(kBertFold) || it->from != c) {
    out += c;
    return;
  }
  for (uint32_t to : it->to)
    if (to)
      out += static_cast<char32_t>(to);
}

} // namespace attnc::examples
