//===- MarianTokenizer.h - Marian's SentencePiece tokenizer ----*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Hugging Face's MarianTokenizer: the source text is split into pieces by
// source.spm (SentencePiece), the pieces are mapped to ids through the
// shared vocab.json (<unk> for unknown pieces) and </s> is appended; output
// ids go back to pieces through vocab.json and are joined by target.spm.
// Language codes (>>xx<<) and Moses punctuation normalization are not
// handled (MarianTokenizer skips the latter without sacremoses too).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_EXAMPLES_MARIANTOKENIZER_H
#define ATTNC_EXAMPLES_MARIANTOKENIZER_H

#include <sentencepiece_processor.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace attnc::examples {

class MarianTokenizer {
public:
  /// Loads DIR/source.spm, DIR/target.spm and DIR/vocab.json.
  bool load(const std::string &dir, std::string &error);

  std::vector<int64_t> encode(const std::string &text) const;
  /// The text of `ids`, special tokens (<pad>, </s>, <unk>) skipped.
  std::string decode(const std::vector<int64_t> &ids) const;

  int64_t padId() const { return pad; }
  int64_t eosId() const { return eos; }
  size_t vocabSize() const { return pieces.size(); }

private:
  sentencepiece::SentencePieceProcessor source, target;
  std::unordered_map<std::string, int64_t> ids;
  std::vector<std::string> pieces; // id -> piece
  int64_t pad = -1, eos = -1, unk = -1;
};

} // namespace attnc::examples

#endif // ATTNC_EXAMPLES_MARIANTOKENIZER_H
