//===- GenerateSupport.h - Pieces shared by the generation loops -*- C++
//-*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Options, the sampler and small tensor helpers used by attnc_generate
// (Generate.cpp) and attnc_generate_seq2seq (Seq2Seq.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_GENERATESUPPORT_H
#define ATTNC_RUNTIME_GENERATESUPPORT_H

#include "Internal.h"

#include <limits>

namespace attnc::rt::gen {

struct TensorDeleter {
  void operator()(attnc_tensor *t) const { attnc_tensor_destroy(t); }
};
using TensorPtr = std::unique_ptr<attnc_tensor, TensorDeleter>;

/// An i64 [1, n] tensor; `data` points at its n values.
attnc_status makeRow(size_t n, TensorPtr &out, int64_t *&data);

/// Copies the caller's options (NULL = defaults) into `opts` and validates
/// them and the output buffer (`tokens` with room for `capacity` ids must
/// hold max_new_tokens); `fn` prefixes the messages.
attnc_status readOptions(const char *fn, const attnc_generate_options *options,
                         const int64_t *tokens, size_t capacity,
                         attnc_generate_options &opts);

/// The KV cache grown in place (abi.md, `append` lines): one runtime-owned
/// buffer per entry, longer along its axis than the cached positions. A
/// step reads the `past` view of the cached positions and the model writes
/// the new ones through the `present` view of the same memory, so nothing
/// already cached is copied again. A buffer that gets full is replaced by
/// one of twice the capacity (amortized: a few copies per generation).
class InPlaceCache {
public:
  /// Whether generation may grow the cache entries of `md`'s `append`
  /// lines in place: a CPU model with such lines, and the environment does
  /// not ask for the copying loop (ATTNC_KV_CACHE=copy).
  static bool enabled(const Metadata &md);

  /// An entry of `dims` (any value on `axis`), with no buffer yet.
  void add(attnc_dtype dtype, std::vector<int64_t> dims, size_t axis);
  /// Readies a step that feeds `count` positions after `cached` ones: every
  /// entry gets room for `cached + count` positions, keeping the cached
  /// ones (a new buffer has room for at least twice the old capacity, or
  /// 64 more, but not beyond `limit` positions when that suffices), and
  /// its past/present views cover `cached` and `cached + count` positions.
  attnc_status prepare(int64_t cached, int64_t count, int64_t limit);
  /// Entry `k`'s views for the step prepare() readied.
  attnc_tensor *past(size_t k) { return &entries[k]->past; }
  attnc_tensor *present(size_t k) { return &entries[k]->present; }
  /// Copies a contiguous tensor (a present the copying way) into entry
  /// `k`'s first positions, after a prepare() that made room for them.
  attnc_status load(size_t k, const attnc_tensor &t);
  size_t size() const { return entries.size(); }

private:
  struct Entry {
    std::vector<int64_t> dims; // with the capacity on the axis
    size_t axis = 0;
    TensorPtr buffer;
    attnc_tensor past, present; // views, not owning
  };
  std::vector<std::unique_ptr<Entry>> entries;
};

/// SplitMix64 (Steele, Lea, Flood 2014): a 64-bit state advanced by the
/// golden-ratio constant and mixed; small, fast, and fully specified, so
/// a seed means the same on every platform.
class SplitMix64 {
public:
  explicit SplitMix64(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1) from the top 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

private:
  uint64_t state;
};

/// Picks the next token from one row of logits (c-api.md, "Decoding") and
/// reports it: appends it to the output, calls the callback and says
/// whether generation ends.
class Sampler {
public:
  explicit Sampler(const attnc_generate_options &opts)
      : opts(opts), rng(opts.seed) {}

  /// `logits` may be modified (suppressed token).
  int64_t pick(float *logits, int64_t vocab);
  /// Stores `token` as output number `produced` (then incremented); true
  /// when the callback, the EOS id or max_new_tokens ends generation.
  bool emit(int64_t token, int64_t *tokens, size_t &produced) const;

private:
  const attnc_generate_options &opts;
  SplitMix64 rng;
  std::vector<int64_t> ids;
  std::vector<double> probs;
};

} // namespace attnc::rt::gen

#endif // ATTNC_RUNTIME_GENERATESUPPORT_H
