//===- Gpt2Tokenizer.h - GPT-2 byte-level BPE ------------------*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// The GPT-2 tokenizer (OpenAI's encoder.py, Hugging Face's GPT2Tokenizer):
// the pre-tokenizer regex splits text into words, each word's UTF-8 bytes
// are mapped to printable code points, and byte-pair merges in rank order
// turn them into vocabulary entries. Reads encoder.json and vocab.bpe.
// Special tokens in the text (<|endoftext|>) are not recognized: they are
// encoded as plain text.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_EXAMPLES_GPT2TOKENIZER_H
#define ATTNC_EXAMPLES_GPT2TOKENIZER_H

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace attnc::examples {

class Gpt2Tokenizer {
public:
  /// Loads DIR/encoder.json and DIR/vocab.bpe; false with `error` set when
  /// a file is missing or malformed.
  bool load(const std::string &dir, std::string &error);

  std::vector<int64_t> encode(const std::string &text) const;
  /// The UTF-8 bytes of one token (possibly part of a character); empty for
  /// an id outside the vocabulary.
  std::string decodeToken(int64_t id) const;
  std::string decode(const std::vector<int64_t> &ids) const;
  size_t vocabSize() const { return tokens.size(); }
  /// The id of "<|endoftext|>", or -1.
  int64_t endOfText() const;

private:
  /// Splits text like GPT-2's pattern
  /// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  std::vector<std::u32string> preTokenize(const std::u32string &text) const;
  void bpe(const std::string &word, std::vector<int64_t> &ids) const;

  std::unordered_map<std::string, int64_t> ids;
  std::vector<std::string> tokens;                // id -> mapped text
  std::unordered_map<std::string, int> mergeRank; // "a b" -> rank
  std::string byteToText[256]; // byte -> UTF-8 of its code point
  std::unordered_map<char32_t, unsigned char> textToByte;
};

} // namespace attnc::examples

#endif // ATTNC_EXAMPLES_GPT2TOKENIZER_H
