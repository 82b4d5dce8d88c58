//===- Json.h - The flat JSON vocabularies of the tokenizers ----*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Tokenizer vocabularies (GPT-2's encoder.json, Marian's vocab.json) are one
// JSON object mapping token text to an integer id; this reads exactly that.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_EXAMPLES_JSON_H
#define ATTNC_EXAMPLES_JSON_H

#include <cstdint>
#include <string>
#include <unordered_map>

namespace attnc::examples {

/// Reads a whole file; false with `error` set when it cannot be opened.
bool readFile(const std::string &path, std::string &out, std::string &error);

/// Parses {"token": id, ...} (string escapes included); false on anything
/// else.
bool parseTokenIds(const std::string &text,
                   std::unordered_map<std::string, int64_t> &ids);

} // namespace attnc::examples

#endif // ATTNC_EXAMPLES_JSON_H
