//===- Gpt2Tokenizer.cpp - GPT-2 byte-level BPE ---------------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "Gpt2Tokenizer.h"

#include "Json.h"
#include "Unicode.h"

#include <climits>
#include <sstream>

namespace attnc::examples {

bool Gpt2Tokenizer::load(const std::string &dir, std::string &error) {
  std::string json, merges;
  if (!readFile(dir + "/encoder.json", json, error) ||
      !readFile(dir + "/vocab.bpe", merges, error))
    return false;
  if (!parseTokenIds(json, ids) || ids.empty()) {
    error = "'" + dir + "/encoder.json' is not a JSON object of token ids";
    return false;
  }
  tokens.assign(ids.size(), "");
  for (const auto &[text, id] : ids) {
    if (id < 0 || id >= static_cast<int64_t>(tokens.size())) {
      error = "encoder.json: id " + std::to_string(id) + " is out of range";
      return false;
    }
    tokens[id] = text;
  }
  std::istringstream lines(merges);
  std::string line;
  int rank = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("#version", 0) == 0 || line.empty())
      continue;
    if (line.find(' ') == std::string::npos) {
      error = "vocab.bpe: malformed merge '" + line + "'";
      return false;
    }
    mergeRank.emplace(line, rank++);
  }
  // GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves,
  // the others to U+0100 upwards in byte order.
  int next = 0;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
                     (b >= 0xAE && b <= 0xFF);
    char32_t c = printable ? b : 256 + next++;
    byteToText[b].clear();
    appendUtf8(c, byteToText[b]);
    textToByte[c] = static_cast<unsigned char>(b);
  }
  return true;
}

int64_t Gpt2Tokenizer::endOfText() const {
  auto it = ids.find("<|endoftext|>");
  return it == ids.end() ? -1 : it->second;
}

std::vector<std::u32string>
Gpt2Tokenizer::preTokenize(const std::u32string &text) const {
  std::vector<std::u32string> words;
  size_t n = text.size(), i = 0;
  auto at = [&](size_t k) { return k < n ? text[k] : char32_t(0); };
  while (i < n) {
    size_t end = i;
    // Contractions: 's 't 'm 'd, then 're 've 'll.
    if (text[i] == '\'') {
      char32_t a = at(i + 1), b = at(i + 2);
      if (a == 's' || a == 't' || a == 'm' || a == 'd')
        end = i + 2;
      else if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') ||
               (a == 'l' && b == 'l'))
        end = i + 3;
    }
    if (end == i) {
      // ' ?' then one run of letters, of numbers, or of other non-space.
      size_t j = text[i] == ' ' && i + 1 < n ? i + 1 : i;
      auto other = [&](char32_t c) {
        return !isSpace(c) && !isLetter(c) && !isNumber(c);
      };
      for (auto cls : {+[](char32_t c) { return isLetter(c); },
                       +[](char32_t c) { return isNumber(c); }}) {
        if (end == i && cls(text[j])) {
          end = j;
          while (end < n && cls(text[end]))
            ++end;
        }
      }
      if (end == i && other(text[j])) {
        end = j;
        while (end < n && other(text[end]))
          ++end;
      }
    }
    if (end == i) {
      // Whitespace: all but the last before a non-space (\s+(?!\S)), or
      // a single one (\s+).
      end = i;
      while (end < n && isSpace(text[end]))
        ++end;
      if (end < n && end - i > 1)
        --end;
    }
    words.push_back(text.substr(i, end - i));
    i = end;
  }
  return words;
}

void Gpt2Tokenizer::bpe(const std::string &word,
                        std::vector<int64_t> &out) const {
  // Symbols: the mapped text of each byte.
  std::vector<std::string> parts;
  for (unsigned char b : word)
    parts.push_back(byteToText[b]);
  while (parts.size() > 1) {
    int best = INT_MAX;
    size_t at = 0;
    for (size_t k = 0; k + 1 < parts.size(); ++k) {
      auto it = mergeRank.find(parts[k] + " " + parts[k + 1]);
      if (it != mergeRank.end() && it->second < best) {
        best = it->second;
        at = k;
      }
    }
    if (best == INT_MAX)
      break;
    // Merge every occurrence of the best pair, left to right.
    std::string first = parts[at], second = parts[at + 1];
    std::vector<std::string> merged;
    for (size_t k = 0; k < parts.size(); ++k) {
      if (k + 1 < parts.size() && parts[k] == first && parts[k + 1] == second) {
        merged.push_back(first + second);
        ++k;
      } else {
        merged.push_back(parts[k]);
      }
    }
    parts.swap(merged);
  }
  for (const std::string &p : parts) {
    auto it = ids.find(p);
    // Every single byte is in the vocabulary, so merges of them are too.
    if (it != ids.end())
      out.push_back(it->second);
  }
}

std::vector<int64_t> Gpt2Tokenizer::encode(const std::string &text) const {
  std::vector<int64_t> out;
  for (const std::u32string &word : preTokenize(decodeUtf8(text)))
    bpe(encodeUtf8(word), out);
  return out;
}

std::string Gpt2Tokenizer::decodeToken(int64_t id) const {
  if (id < 0 || id >= static_cast<int64_t>(tokens.size()))
    return "";
  std::string bytes;
  for (char32_t c : decodeUtf8(tokens[id])) {
    auto it = textToByte.find(c);
    if (it != textToByte.end())
      bytes += static_cast<char>(it->second);
  }
  return bytes;
}

std::string Gpt2Tokenizer::decode(const std::vector<int64_t> &idList) const {
  std::string out;
  for (int64_t id : idList)
    out += decodeToken(id);
  return out;
}

} // namespace attnc::examples
