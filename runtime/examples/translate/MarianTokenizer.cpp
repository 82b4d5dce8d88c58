//===- MarianTokenizer.cpp - Marian's SentencePiece tokenizer -------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "MarianTokenizer.h"

#include "Json.h"

namespace attnc::examples {

bool MarianTokenizer::load(const std::string &dir, std::string &error) {
  for (auto [processor, name] :
       {std::pair{&source, "source.spm"}, std::pair{&target, "target.spm"}}) {
    sentencepiece::util::Status status = processor->Load(dir + "/" + name);
    if (!status.ok()) {
      error = "cannot load '" + dir + "/" + name + "': " + status.ToString();
      return false;
    }
  }
  std::string json;
  if (!readFile(dir + "/vocab.json", json, error))
    return false;
  if (!parseTokenIds(json, ids) || ids.empty()) {
    error = "'" + dir + "/vocab.json' is not a JSON object of token ids";
    return false;
  }
  pieces.assign(ids.size(), "");
  for (const auto &[piece, id] : ids) {
    if (id < 0 || id >= static_cast<int64_t>(pieces.size())) {
      error = "vocab.json: id " + std::to_string(id) + " is out of range";
      return false;
    }
    pieces[id] = piece;
  }
  auto find = [&](const char *piece, int64_t &out) {
    auto it = ids.find(piece);
    out = it == ids.end() ? -1 : it->second;
    return out >= 0;
  };
  if (!find("<pad>", pad) || !find("</s>", eos) || !find("<unk>", unk)) {
    error = "vocab.json lacks <pad>, </s> or <unk>";
    return false;
  }
  return true;
}

std::vector<int64_t> MarianTokenizer::encode(const std::string &text) const {
  std::vector<std::string> parts;
  source.Encode(text, &parts).IgnoreError(); // no pieces on failure
  std::vector<int64_t> out;
  for (const std::string &piece : parts) {
    auto it = ids.find(piece);
    out.push_back(it == ids.end() ? unk : it->second);
  }
  out.push_back(eos);
  return out;
}

std::string MarianTokenizer::decode(const std::vector<int64_t> &idList) const {
  std::vector<std::string> parts;
  for (int64_t id : idList)
    if (id >= 0 && id < static_cast<int64_t>(pieces.size()) && id != pad &&
        id != eos && id != unk)
      parts.push_back(pieces[id]);
  std::string text;
  target.Decode(parts, &text).IgnoreError();
  // Pieces target.spm does not know keep their U+2581 word marks; like
  // MarianTokenizer, turn those into spaces and strip the result.
  const std::string mark = "\xE2\x96\x81";
  for (size_t at; (at = text.find(mark)) != std::string::npos;)
    text.replace(at, mark.size(), " ");
  size_t first = text.find_first_not_of(" \t\n");
  size_t last = text.find_last_not_of(" \t\n");
  return first == std::string::npos ? "" : text.substr(first, last - first + 1);
}

} // namespace attnc::examples
