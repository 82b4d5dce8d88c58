//===- GenerateTest.cpp - attnc_generate ----------------------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// The generation loop against the toy language models of fixtures/lm_*.c,
// whose greedy continuation follows a rule (lm_common.h) that the tests
// compute here independently.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include <cmath>
#include <cstdlib>
#include <dlfcn.h>
#include <limits>

using namespace attnc::test;

namespace {

constexpr int64_t kVocab = 16; // LM_VOCAB of the fixtures

/// The fixtures' most likely next token after `seq`.
int64_t ruleTarget(const std::vector<int64_t> &seq) {
  int64_t sum = 0;
  for (int64_t t : seq)
    sum += t;
  return (sum + static_cast<int64_t>(seq.size()) - 1) % kVocab;
}

std::vector<int64_t> ruleGreedy(std::vector<int64_t> seq, int n) {
  std::vector<int64_t> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(ruleTarget(seq));
    seq.push_back(out.back());
  }
  return out;
}

int64_t circularDistance(int64_t a, int64_t b) {
  int64_t d = a > b ? a - b : b - a;
  return std::min(d, kVocab - d);
}

class GenerateTest : public ::testing::TestWithParam<const char *> {
protected:
  void SetUp() override {
    model = loadOk(GetParam());
    ASSERT_TRUE(model);
    session = sessionOk(model.get());
    ASSERT_TRUE(session);
    attnc_generate_options_init(&opts);
  }

  /// Generates with `opts`; returns the status and fills `ids`.
  attnc_status generate(const std::vector<int64_t> &prompt,
                        std::vector<int64_t> &ids) {
    ids.assign(std::max(opts.max_new_tokens, 0), -7);
    size_t n = 12345;
    attnc_status s = attnc_generate(session.get(), prompt.data(), prompt.size(),
                                    &opts, ids.data(), ids.size(), &n);
    EXPECT_LE(n, ids.size());
    ids.resize(std::min(n, ids.size()));
    return s;
  }

  std::vector<int64_t> generateOk(const std::vector<int64_t> &prompt) {
    std::vector<int64_t> ids;
    EXPECT_EQ(generate(prompt, ids), ATTNC_STATUS_OK) << lastError();
    return ids;
  }

  ModelPtr model;
  SessionPtr session;
  attnc_generate_options opts;
};

std::string fixtureName(size_t index) {
  static const char *const names[] = {"WithCache", "InPlaceCache", "NoCache"};
  return names[index];
}

// The fixtures: with a KV cache (prompt once, then one token per step, the
// cache handed over), with a cache that grows in place (`append` lines),
// and without (the whole sequence every step).
INSTANTIATE_TEST_SUITE_P(Fixtures, GenerateTest,
                         ::testing::Values(ATTNC_FIXTURE_LM_MODEL,
                                           ATTNC_FIXTURE_LM_INPLACE_MODEL,
                                           ATTNC_FIXTURE_LM_NOPAST_MODEL),
                         [](const auto &info) {
                           return fixtureName(info.index);
                         });

TEST_P(GenerateTest, GreedyFollowsTheModel) {
  opts.max_new_tokens = 12;
  std::vector<int64_t> prompt = {3, 1, 4, 1, 5};
  EXPECT_EQ(generateOk(prompt), ruleGreedy(prompt, 12));
  // A one-token prompt, and the session reused.
  EXPECT_EQ(generateOk({9}), ruleGreedy({9}, 12));
}

TEST_P(GenerateTest, DefaultOptionsAreGreedy16) {
  std::vector<int64_t> ids(16);
  size_t n = 0;
  int64_t prompt[] = {2, 7};
  ASSERT_EQ(attnc_generate(session.get(), prompt, 2, nullptr, ids.data(),
                           ids.size(), &n),
            ATTNC_STATUS_OK)
      << lastError();
  EXPECT_EQ(n, 16u);
  EXPECT_EQ(ids, ruleGreedy({2, 7}, 16));
}

TEST_P(GenerateTest, ZeroNewTokens) {
  opts.max_new_tokens = 0;
  size_t n = 99;
  int64_t prompt[] = {1};
  EXPECT_EQ(attnc_generate(session.get(), prompt, 1, &opts, nullptr, 0, &n),
            ATTNC_STATUS_OK)
      << lastError();
  EXPECT_EQ(n, 0u);
}

struct Recorder {
  std::vector<int64_t> tokens;
  std::vector<size_t> indices;
  size_t stopAt = std::numeric_limits<size_t>::max();
  static int32_t record(void *self, int64_t token, size_t index) {
    auto *r = static_cast<Recorder *>(self);
    r->tokens.push_back(token);
    r->indices.push_back(index);
    return index == r->stopAt ? 1 : 0;
  }
};

TEST_P(GenerateTest, CallbackStreamsEveryToken) {
  Recorder rec;
  opts.max_new_tokens = 6;
  opts.callback = &Recorder::record;
  opts.user_data = &rec;
  std::vector<int64_t> ids = generateOk({4, 4});
  EXPECT_EQ(ids, ruleGreedy({4, 4}, 6));
  EXPECT_EQ(rec.tokens, ids);
  EXPECT_EQ(rec.indices, (std::vector<size_t>{0, 1, 2, 3, 4, 5}));
}

TEST_P(GenerateTest, CallbackStops) {
  Recorder rec;
  rec.stopAt = 2;
  opts.max_new_tokens = 10;
  opts.callback = &Recorder::record;
  opts.user_data = &rec;
  std::vector<int64_t> ids = generateOk({5});
  EXPECT_EQ(ids, ruleGreedy({5}, 3)); // the stopping token is kept
  EXPECT_EQ(rec.tokens, ids);
}

TEST_P(GenerateTest, EosStops) {
  std::vector<int64_t> expected = ruleGreedy({1, 2}, 10);
  // The first position of the greedy run's 4th token ends generation there.
  opts.eos_token_id = expected[3];
  size_t first = std::find(expected.begin(), expected.end(), expected[3]) -
                 expected.begin();
  opts.max_new_tokens = 10;
  std::vector<int64_t> ids = generateOk({1, 2});
  EXPECT_EQ(ids, std::vector<int64_t>(expected.begin(),
                                      expected.begin() + first + 1));
}

TEST_P(GenerateTest, TopK1IsGreedy) {
  opts.max_new_tokens = 10;
  opts.temperature = 1.5f;
  opts.top_k = 1;
  for (uint64_t seed : {0ull, 1ull, 12345ull}) {
    opts.seed = seed;
    EXPECT_EQ(generateOk({6, 6, 6}), ruleGreedy({6, 6, 6}, 10));
  }
}

TEST_P(GenerateTest, TinyTopPIsGreedy) {
  // The most likely token alone holds more than 1% of the mass.
  opts.max_new_tokens = 10;
  opts.temperature = 1.0f;
  opts.top_p = 0.01f;
  EXPECT_EQ(generateOk({8}), ruleGreedy({8}, 10));
}

TEST_P(GenerateTest, SameSeedSameTokens) {
  opts.max_new_tokens = 24;
  opts.temperature = 2.0f;
  opts.seed = 42;
  std::vector<int64_t> a = generateOk({1, 2, 3});
  std::vector<int64_t> b = generateOk({1, 2, 3});
  EXPECT_EQ(a, b);
  // At temperature 2 the spread is wide: a greedy run of 24 tokens would be
  // a coincidence, and another seed draws another sequence (deterministic
  // for these seeds, so this cannot flake).
  EXPECT_NE(a, ruleGreedy({1, 2, 3}, 24));
  opts.seed = 43;
  EXPECT_NE(generateOk({1, 2, 3}), a);
}

TEST_P(GenerateTest, TopKBoundsTheDraw) {
  // top_k = 3 keeps the target and its two neighbours (logits fall off by
  // distance, ties broken towards the lower id).
  opts.max_new_tokens = 40;
  opts.temperature = 5.0f;
  opts.top_k = 3;
  opts.seed = 7;
  std::vector<int64_t> seq = {2, 3};
  std::vector<int64_t> ids = generateOk(seq);
  ASSERT_EQ(ids.size(), 40u);
  bool offTarget = false;
  for (int64_t t : ids) {
    int64_t target = ruleTarget(seq);
    EXPECT_LE(circularDistance(t, target), 1) << "token " << t;
    offTarget |= t != target;
    seq.push_back(t);
  }
  EXPECT_TRUE(offTarget) << "temperature 5 never left the argmax";
}

TEST_P(GenerateTest, SuppressedTokenNeverAppears) {
  std::vector<int64_t> seq = {3, 3};
  int64_t banned = ruleTarget(seq);
  opts.max_new_tokens = 30;
  opts.suppress_token_id = banned;
  std::vector<int64_t> ids = generateOk(seq);
  ASSERT_EQ(ids.size(), 30u);
  // Greedy as usual, except that a banned target gives way to a neighbour.
  for (int64_t t : ids) {
    int64_t target = ruleTarget(seq);
    if (target == banned)
      EXPECT_EQ(circularDistance(t, banned), 1) << "token " << t;
    else
      EXPECT_EQ(t, target);
    seq.push_back(t);
  }
}

TEST_P(GenerateTest, PromptOutsideVocabulary) {
  std::vector<int64_t> ids;
  EXPECT_STATUS_MSG(generate({1, kVocab}, ids), ATTNC_STATUS_INVALID_ARGUMENT,
                    "outside the vocabulary [0, 16)");
  EXPECT_STATUS_MSG(generate({-1}, ids), ATTNC_STATUS_INVALID_ARGUMENT,
                    "prompt id -1");
}

TEST_P(GenerateTest, NullAndEmptyArguments) {
  int64_t prompt[] = {1};
  int64_t ids[16];
  size_t n = 0;
  EXPECT_STATUS_MSG(attnc_generate(nullptr, prompt, 1, nullptr, ids, 16, &n),
                    ATTNC_STATUS_INVALID_ARGUMENT, "session");
  EXPECT_STATUS_MSG(
      attnc_generate(session.get(), prompt, 1, nullptr, ids, 16, nullptr),
      ATTNC_STATUS_INVALID_ARGUMENT, "num_tokens");
  EXPECT_STATUS_MSG(
      attnc_generate(session.get(), nullptr, 1, nullptr, ids, 16, &n),
      ATTNC_STATUS_INVALID_ARGUMENT, "prompt is empty");
  EXPECT_STATUS_MSG(
      attnc_generate(session.get(), prompt, 0, nullptr, ids, 16, &n),
      ATTNC_STATUS_INVALID_ARGUMENT, "prompt is empty");
  EXPECT_STATUS_MSG(
      attnc_generate(session.get(), prompt, 1, nullptr, nullptr, 16, &n),
      ATTNC_STATUS_INVALID_ARGUMENT, "tokens is NULL");
  EXPECT_STATUS_MSG(
      attnc_generate(session.get(), prompt, 1, nullptr, ids, 15, &n),
      ATTNC_STATUS_INVALID_ARGUMENT, "room for 15 ids, max_new_tokens is 16");
  EXPECT_EQ(attnc_generate_options_init(nullptr),
            ATTNC_STATUS_INVALID_ARGUMENT);
}

TEST_P(GenerateTest, BadOptions) {
  std::vector<int64_t> ids;
  auto expectBad = [&](auto change, const char *what) {
    attnc_generate_options_init(&opts);
    change(opts);
    EXPECT_STATUS_MSG(generate({1}, ids), ATTNC_STATUS_INVALID_ARGUMENT, what);
  };
  using O = attnc_generate_options;
  expectBad([](O &o) { o.struct_size = 8; }, "struct_size is 8");
  expectBad([](O &o) { o.max_new_tokens = -1; }, "max_new_tokens is negative");
  expectBad([](O &o) { o.top_k = -2; }, "top_k is negative");
  expectBad([](O &o) { o.temperature = -1; }, "temperature");
  expectBad([](O &o) { o.temperature = NAN; }, "temperature");
  expectBad([](O &o) { o.temperature = INFINITY; }, "temperature");
  expectBad([](O &o) { o.top_p = 0; }, "top_p must be in (0, 1]");
  expectBad([](O &o) { o.top_p = 1.5f; }, "top_p must be in (0, 1]");
  expectBad([](O &o) { o.top_p = NAN; }, "top_p must be in (0, 1]");
  expectBad([](O &o) { o.eos_token_id = -2; }, "eos_token_id");
  expectBad([](O &o) { o.suppress_token_id = -3; }, "suppress_token_id");
}

TEST(GenerateOptions, Defaults) {
  attnc_generate_options o;
  ASSERT_EQ(attnc_generate_options_init(&o), ATTNC_STATUS_OK);
  EXPECT_EQ(o.struct_size, sizeof(o));
  EXPECT_EQ(o.max_new_tokens, 16);
  EXPECT_EQ(o.top_k, 0);
  EXPECT_EQ(o.temperature, 0.0f);
  EXPECT_EQ(o.top_p, 1.0f);
  EXPECT_EQ(o.eos_token_id, -1);
  EXPECT_EQ(o.suppress_token_id, -1);
  EXPECT_EQ(o.callback, nullptr);
}

TEST(GenerateModels, IncompatibleModelIsRefused) {
  // add_model has inputs a, b and output sum: none of the names.
  ModelPtr model = loadOk(ATTNC_FIXTURE_ADD_MODEL);
  SessionPtr session = sessionOk(model.get());
  int64_t prompt[] = {1};
  int64_t ids[16];
  size_t n = 7;
  EXPECT_STATUS_MSG(
      attnc_generate(session.get(), prompt, 1, nullptr, ids, 16, &n),
      ATTNC_STATUS_INCOMPATIBLE, "no input named 'input_ids'");
  EXPECT_EQ(n, 0u);
}

TEST(GenerateModels, EncoderDecoderGraphsAreRefused) {
  int64_t prompt[] = {1};
  int64_t ids[16];
  size_t n = 0;
  // An encoder has input_ids but no logits.
  ModelPtr encoder = loadOk(ATTNC_FIXTURE_ENCDEC_ENCODER);
  SessionPtr encoderSession = sessionOk(encoder.get());
  EXPECT_STATUS_MSG(
      attnc_generate(encoderSession.get(), prompt, 1, nullptr, ids, 16, &n),
      ATTNC_STATUS_INCOMPATIBLE, "no output named 'logits'");
  // A decoder needs the encoder's states, which this loop cannot feed.
  ModelPtr decoder = loadOk(ATTNC_FIXTURE_ENCDEC_DECODER);
  SessionPtr decoderSession = sessionOk(decoder.get());
  EXPECT_STATUS_MSG(
      attnc_generate(decoderSession.get(), prompt, 1, nullptr, ids, 16, &n),
      ATTNC_STATUS_INCOMPATIBLE, "unexpected input 'encoder_attention_mask'");
}

} // namespace

namespace {
/// The run counters of fixtures/lm_inplace_model.c, read through a second
/// dlopen of the same (already loaded) object.
struct InPlaceCounters {
  void *handle = dlopen(ATTNC_FIXTURE_LM_INPLACE_MODEL, RTLD_NOW | RTLD_NOLOAD);
  int64_t *runs = handle
                      ? static_cast<int64_t *>(dlsym(handle, "lm_inplace_runs"))
                      : nullptr;
  int64_t *aliased =
      handle ? static_cast<int64_t *>(dlsym(handle, "lm_inplace_aliased_runs"))
             : nullptr;
  ~InPlaceCounters() {
    if (handle)
      dlclose(handle);
  }
};

/// Greedy ids of `prompt` from a fresh session of the in-place fixture,
/// with the counters' growth during the call.
std::vector<int64_t> inPlaceGreedy(const std::vector<int64_t> &prompt, int n,
                                   int64_t &runs, int64_t &aliased) {
  ModelPtr model = loadOk(ATTNC_FIXTURE_LM_INPLACE_MODEL);
  SessionPtr session = sessionOk(model.get());
  InPlaceCounters counters;
  EXPECT_TRUE(counters.runs && counters.aliased) << dlerror();
  if (!counters.runs || !counters.aliased)
    return {};
  int64_t runs0 = *counters.runs, aliased0 = *counters.aliased;
  attnc_generate_options opts;
  attnc_generate_options_init(&opts);
  opts.max_new_tokens = n;
  std::vector<int64_t> ids(n);
  size_t got = 0;
  EXPECT_EQ(attnc_generate(session.get(), prompt.data(), prompt.size(), &opts,
                           ids.data(), ids.size(), &got),
            ATTNC_STATUS_OK)
      << lastError();
  ids.resize(got);
  runs = *counters.runs - runs0;
  aliased = *counters.aliased - aliased0;
  return ids;
}
} // namespace

// With `append` lines, every step's past and present are one buffer: the
// model never sees two copies of the cache.
TEST(GenerateInPlace, PastAndPresentShareTheBuffer) {
  int64_t runs = 0, aliased = 0;
  EXPECT_EQ(inPlaceGreedy({3, 1, 4}, 10, runs, aliased),
            ruleGreedy({3, 1, 4}, 10));
  EXPECT_EQ(runs, 10); // the prompt, then one step per new token but the last
  EXPECT_EQ(aliased, runs);
}

// ATTNC_KV_CACHE=copy restores the hand-over loop: separate buffers, same ids.
TEST(GenerateInPlace, CopyModeHandsOver) {
  int64_t runs = 0, aliased = 0;
  std::vector<int64_t> ids;
  {
    EnvGuard env("ATTNC_KV_CACHE", "copy");
    ids = inPlaceGreedy({3, 1, 4}, 10, runs, aliased);
  }
  EXPECT_EQ(ids, ruleGreedy({3, 1, 4}, 10));
  EXPECT_EQ(runs, 10);
  EXPECT_EQ(aliased, 0);
}

// A long generation outgrows the first buffer (prompt + 64 positions): the
// cache moves to a larger one and the model keeps reading what earlier
// steps wrote, in both heads (the fixture fails the run otherwise).
TEST(GenerateInPlace, CacheBufferGrows) {
  int64_t runs = 0, aliased = 0;
  std::vector<int64_t> prompt(40, 5);
  EXPECT_EQ(inPlaceGreedy(prompt, 150, runs, aliased), ruleGreedy(prompt, 150));
  EXPECT_EQ(runs, 150);
  EXPECT_EQ(aliased, runs);
}
