//===- WordPiece.cpp - BERT uncased WordPiece tokenizer -------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "WordPiece.h"

#include "Unicode.h"

#include <fstream>

namespace attnc::examples {

bool WordPiece::load(const std::string &path, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "'";
    return false;
  }
  std::string line;
  int64_t id = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    ids.emplace(line, id++);
  }
  auto find = [&](const char *token, int64_t &out) {
    auto it = ids.find(token);
    out = it == ids.end() ? -1 : it->second;
    return out >= 0;
  };
  if (!find("[CLS]", cls) || !find("[SEP]", sep) || !find("[UNK]", unk) ||
      !find("[PAD]", pad)) {
    error = "'" + path + "' lacks [CLS], [SEP], [UNK] or [PAD]";
    return false;
  }
  return true;
}

std::vector<std::u32string>
WordPiece::basicTokens(const std::string &text) const {
  // Clean: drop NUL, U+FFFD and control characters; whitespace -> ' ';
  // CJK characters become words of their own.
  std::u32string cleaned;
  for (char32_t c : decodeUtf8(text)) {
    if (c == 0 || c == 0xFFFD || isBertControl(c))
      continue;
    if (isBertWhitespace(c)) {
      cleaned += ' ';
    } else if (isCjk(c)) {
      cleaned += U' ';
      cleaned += c;
      cleaned += U' ';
    } else {
      cleaned += c;
    }
  }
  std::vector<std::u32string> tokens;
  size_t i = 0;
  while (i < cleaned.size()) {
    if (cleaned[i] == ' ') {
      ++i;
      continue;
    }
    size_t end = cleaned.find(U' ', i);
    if (end == std::u32string::npos)
      end = cleaned.size();
    // Lower-case and strip accents, one code point at a time: transformers
    // lower-cases the text character by character before the basic
    // tokenizer runs (so a final capital sigma becomes σ, not ς).
    std::u32string folded;
    for (size_t k = i; k < end; ++k)
      appendBertFolded(cleaned[k], folded);
    // Every punctuation character is a token of its own.
    std::u32string word;
    for (char32_t c : folded) {
      if (!isBertPunctuation(c)) {
        word += c;
        continue;
      }
      if (!word.empty())
        tokens.push_back(word);
      word.clear();
      tokens.push_back(std::u32string(1, c));
    }
    if (!word.empty())
      tokens.push_back(word);
    i = end;
  }
  return tokens;
}

void WordPiece::wordPieces(const std::u32string &word,
                           std::vector<int64_t> &out) const {
  // BertTokenizer's max_input_chars_per_word.
  if (word.size() > 100) {
    out.push_back(unk);
    return;
  }
  std::vector<int64_t> pieces;
  size_t start = 0;
  while (start < word.size()) {
    int64_t found = -1;
    size_t end = word.size();
    for (; end > start; --end) {
      std::string piece =
          (start > 0 ? "##" : "") + encodeUtf8(word.substr(start, end - start));
      auto it = ids.find(piece);
      if (it != ids.end()) {
        found = it->second;
        break;
      }
    }
    if (found < 0) {
      out.push_back(unk); // the whole word is unknown
      return;
    }
    pieces.push_back(found);
    start = end;
  }
  out.insert(out.end(), pieces.begin(), pieces.end());
}

std::vector<int64_t> WordPiece::encode(const std::string &text) const {
  std::vector<int64_t> out{cls};
  for (const std::u32string &word : basicTokens(text))
    wordPieces(word, out);
  out.push_back(sep);
  return out;
}

} // namespace attnc::examples
