//===- WordPiece.h - BERT uncased WordPiece tokenizer ----------*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// BertTokenizer (uncased) from Hugging Face transformers, rewritten: basic
// tokenization (drop control characters, spaces around CJK characters,
// split on whitespace, lower-case and strip accents, split off every
// punctuation character), then greedy longest-match-first WordPiece with
// "##" continuations over vocab.txt. Text is not NFC-normalized first;
// that only matters for text whose NFC form lower-cases differently.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_EXAMPLES_WORDPIECE_H
#define ATTNC_EXAMPLES_WORDPIECE_H

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace attnc::examples {

class WordPiece {
public:
  /// Loads vocab.txt (one token per line, id = line number); false with
  /// `error` set when it is missing or lacks [CLS], [SEP], [UNK] or [PAD].
  bool load(const std::string &path, std::string &error);

  /// [CLS] tokens [SEP], like BertTokenizer.encode(text).
  std::vector<int64_t> encode(const std::string &text) const;
  int64_t padId() const { return pad; }

private:
  std::vector<std::u32string> basicTokens(const std::string &text) const;
  void wordPieces(const std::u32string &word, std::vector<int64_t> &out) const;

  std::unordered_map<std::string, int64_t> ids;
  int64_t cls = -1, sep = -1, unk = -1, pad = -1;
};

} // namespace attnc::examples

#endif // ATTNC_EXAMPLES_WORDPIECE_H
