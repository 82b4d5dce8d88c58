//===- Seq2SeqTest.cpp - attnc_generate_seq2seq ---------------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// The encoder-decoder loop against the toy fixtures encdec_*.c: after target
// t_0..t_p (t_0 the start token) and a source summing to S, the next greedy
// id is (S + t_0 + ... + t_p + p) mod 16; the cached step recomputes that
// from the caches only, so a cache fed back wrongly changes the ids.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include <cstdlib>
#include <dlfcn.h>

#include <numeric>

using namespace attnc::test;

namespace {

constexpr int64_t kVocab = 16;

std::vector<int64_t> ruleGreedy(const std::vector<int64_t> &source,
                                int64_t start, int n) {
  int64_t sum = std::accumulate(source.begin(), source.end(), int64_t(0));
  std::vector<int64_t> target{start}, out;
  for (int i = 0; i < n; ++i) {
    int64_t s = sum + std::accumulate(target.begin(), target.end(), int64_t(0));
    out.push_back((s + static_cast<int64_t>(target.size()) - 1) % kVocab);
    target.push_back(out.back());
  }
  return out;
}

class Seq2SeqTest : public ::testing::TestWithParam<bool> {
protected:
  void SetUp() override {
    encoderModel = loadOk(ATTNC_FIXTURE_ENCDEC_ENCODER);
    decoderModel = loadOk(ATTNC_FIXTURE_ENCDEC_DECODER);
    pastModel = loadOk(ATTNC_FIXTURE_ENCDEC_DECODER_WITH_PAST);
    ASSERT_TRUE(encoderModel && decoderModel && pastModel);
    encoder = sessionOk(encoderModel.get());
    decoder = sessionOk(decoderModel.get());
    past = sessionOk(pastModel.get());
    attnc_generate_options_init(&opts);
  }

  /// The decode-step session of this instance (NULL: re-run fallback).
  attnc_session *withPast() { return GetParam() ? past.get() : nullptr; }

  attnc_status generate(const std::vector<int64_t> &source, int64_t start,
                        std::vector<int64_t> &ids) {
    ids.assign(std::max(opts.max_new_tokens, 0), -7);
    size_t n = 999;
    attnc_status s = attnc_generate_seq2seq(
        encoder.get(), decoder.get(), withPast(), source.data(), source.size(),
        start, &opts, ids.data(), ids.size(), &n);
    EXPECT_LE(n, ids.size());
    ids.resize(std::min(n, ids.size()));
    return s;
  }

  ModelPtr encoderModel, decoderModel, pastModel;
  SessionPtr encoder, decoder, past;
  attnc_generate_options opts;
};

INSTANTIATE_TEST_SUITE_P(Fixtures, Seq2SeqTest, ::testing::Bool(),
                         [](const auto &info) {
                           return info.param ? std::string("WithPast")
                                             : std::string("NoPast");
                         });

TEST_P(Seq2SeqTest, GreedyFollowsTheModel) {
  opts.max_new_tokens = 12;
  std::vector<int64_t> ids;
  ASSERT_EQ(generate({3, 1, 4}, 15, ids), ATTNC_STATUS_OK) << lastError();
  EXPECT_EQ(ids, ruleGreedy({3, 1, 4}, 15, 12));
  // The sessions are reusable, with another source length.
  ASSERT_EQ(generate({9, 9, 9, 9, 9, 2}, 0, ids), ATTNC_STATUS_OK)
      << lastError();
  EXPECT_EQ(ids, ruleGreedy({9, 9, 9, 9, 9, 2}, 0, 12));
}

TEST_P(Seq2SeqTest, EosAndSuppression) {
  std::vector<int64_t> expected = ruleGreedy({5, 6}, 1, 10);
  opts.max_new_tokens = 10;
  opts.eos_token_id = expected[2];
  size_t first = std::find(expected.begin(), expected.end(), expected[2]) -
                 expected.begin();
  std::vector<int64_t> ids;
  ASSERT_EQ(generate({5, 6}, 1, ids), ATTNC_STATUS_OK) << lastError();
  EXPECT_EQ(ids, std::vector<int64_t>(expected.begin(),
                                      expected.begin() + first + 1));

  attnc_generate_options_init(&opts);
  opts.max_new_tokens = 10;
  opts.suppress_token_id = expected[0];
  ASSERT_EQ(generate({5, 6}, 1, ids), ATTNC_STATUS_OK) << lastError();
  for (int64_t t : ids)
    EXPECT_NE(t, expected[0]);
}

TEST_P(Seq2SeqTest, SameSeedSameTokensAndTopK1IsGreedy) {
  opts.max_new_tokens = 20;
  opts.temperature = 2.0f;
  opts.seed = 11;
  std::vector<int64_t> a, b;
  ASSERT_EQ(generate({1, 2}, 3, a), ATTNC_STATUS_OK) << lastError();
  ASSERT_EQ(generate({1, 2}, 3, b), ATTNC_STATUS_OK) << lastError();
  EXPECT_EQ(a, b);
  opts.top_k = 1;
  ASSERT_EQ(generate({1, 2}, 3, a), ATTNC_STATUS_OK) << lastError();
  EXPECT_EQ(a, ruleGreedy({1, 2}, 3, 20));
}

TEST_P(Seq2SeqTest, BadArguments) {
  int64_t source[] = {1, 2};
  int64_t ids[16];
  size_t n = 0;
  EXPECT_STATUS_MSG(attnc_generate_seq2seq(nullptr, decoder.get(), withPast(),
                                           source, 2, 0, nullptr, ids, 16, &n),
                    ATTNC_STATUS_INVALID_ARGUMENT, "NULL");
  EXPECT_STATUS_MSG(attnc_generate_seq2seq(encoder.get(), encoder.get(),
                                           withPast(), source, 2, 0, nullptr,
                                           ids, 16, &n),
                    ATTNC_STATUS_INVALID_ARGUMENT, "distinct");
  EXPECT_STATUS_MSG(attnc_generate_seq2seq(encoder.get(), decoder.get(),
                                           withPast(), source, 0, 0, nullptr,
                                           ids, 16, &n),
                    ATTNC_STATUS_INVALID_ARGUMENT, "source is empty");
  EXPECT_STATUS_MSG(attnc_generate_seq2seq(encoder.get(), decoder.get(),
                                           withPast(), source, 2, -1, nullptr,
                                           ids, 16, &n),
                    ATTNC_STATUS_INVALID_ARGUMENT, "decoder_start_token_id");
  EXPECT_STATUS_MSG(attnc_generate_seq2seq(encoder.get(), decoder.get(),
                                           withPast(), source, 2, 0, nullptr,
                                           ids, 3, &n),
                    ATTNC_STATUS_INVALID_ARGUMENT, "room for 3 ids");
  opts.top_p = 2;
  EXPECT_STATUS_MSG(
      attnc_generate_seq2seq(encoder.get(), decoder.get(), withPast(), source,
                             2, 0, &opts, ids, 16, &n),
      ATTNC_STATUS_INVALID_ARGUMENT, "attnc_generate_seq2seq: top_p");
}

TEST(Seq2SeqModels, IncompatibleModelsAreRefused) {
  ModelPtr lm = loadOk(ATTNC_FIXTURE_LM_MODEL);
  ModelPtr add = loadOk(ATTNC_FIXTURE_ADD_MODEL);
  ModelPtr enc = loadOk(ATTNC_FIXTURE_ENCDEC_ENCODER);
  ModelPtr dec = loadOk(ATTNC_FIXTURE_ENCDEC_DECODER);
  SessionPtr lmSession = sessionOk(lm.get()), addSession = sessionOk(add.get()),
             encSession = sessionOk(enc.get()),
             decSession = sessionOk(dec.get());
  int64_t source[] = {1};
  int64_t ids[16];
  size_t n = 0;
  // A decoder-only LM is no encoder: it has inputs the loop cannot feed.
  EXPECT_STATUS_MSG(
      attnc_generate_seq2seq(lmSession.get(), decSession.get(), nullptr, source,
                             1, 0, nullptr, ids, 16, &n),
      ATTNC_STATUS_INCOMPATIBLE, "unexpected encoder input 'position_ids'");
  EXPECT_STATUS_MSG(
      attnc_generate_seq2seq(encSession.get(), addSession.get(), nullptr,
                             source, 1, 0, nullptr, ids, 16, &n),
      ATTNC_STATUS_INCOMPATIBLE, "the decoder has no input named 'input_ids'");
  // The LM's present.0.key matches no decoder_with_past naming.
  EXPECT_STATUS_MSG(attnc_generate_seq2seq(encSession.get(), decSession.get(),
                                           lmSession.get(), source, 1, 0,
                                           nullptr, ids, 16, &n),
                    ATTNC_STATUS_INCOMPATIBLE,
                    "unexpected decoder_with_past input");
}

} // namespace

// decoder_with_past's `append` line: after the first decoder step, every
// cached step reads and extends one buffer (the fixture counts the runs in
// which past and present were the same memory); ATTNC_KV_CACHE=copy hands
// tensors over instead. Same ids either way.
TEST(Seq2SeqInPlace, SelfAttentionCacheGrowsInPlace) {
  for (bool copy : {false, true}) {
    SCOPED_TRACE(copy ? "ATTNC_KV_CACHE=copy" : "in place");
    EnvGuard env("ATTNC_KV_CACHE", copy ? "copy" : nullptr);
    ModelPtr enc = loadOk(ATTNC_FIXTURE_ENCDEC_ENCODER);
    ModelPtr dec = loadOk(ATTNC_FIXTURE_ENCDEC_DECODER);
    ModelPtr pastModel = loadOk(ATTNC_FIXTURE_ENCDEC_DECODER_WITH_PAST);
    SessionPtr e = sessionOk(enc.get()), d = sessionOk(dec.get()),
               p = sessionOk(pastModel.get());
    void *handle =
        dlopen(ATTNC_FIXTURE_ENCDEC_DECODER_WITH_PAST, RTLD_NOW | RTLD_NOLOAD);
    ASSERT_NE(handle, nullptr) << dlerror();
    auto *runs = static_cast<int64_t *>(dlsym(handle, "encdec_runs"));
    auto *aliased =
        static_cast<int64_t *>(dlsym(handle, "encdec_aliased_runs"));
    ASSERT_TRUE(runs && aliased);
    int64_t runs0 = *runs, aliased0 = *aliased;
    attnc_generate_options opts;
    attnc_generate_options_init(&opts);
    opts.max_new_tokens = 9;
    std::vector<int64_t> source{3, 1, 4}, ids(9);
    size_t n = 0;
    attnc_status s = attnc_generate_seq2seq(e.get(), d.get(), p.get(),
                                            source.data(), source.size(), 15,
                                            &opts, ids.data(), ids.size(), &n);
    int64_t ran = *runs - runs0, shared = *aliased - aliased0;
    dlclose(handle);
    ASSERT_EQ(s, ATTNC_STATUS_OK) << lastError();
    ids.resize(n);
    EXPECT_EQ(ids, ruleGreedy(source, 15, 9));
    EXPECT_EQ(ran, 8); // every step after the first decoder run
    EXPECT_EQ(shared, copy ? 0 : 8);
  }
}
