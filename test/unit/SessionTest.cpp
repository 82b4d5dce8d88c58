//===- SessionTest.cpp - attnc_session_* ----------------------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include <cstring>
#include <thread>

using namespace attnc::test;

namespace {

/// A sentinel that must be overwritten with NULL on failure.
attnc_tensor *const kGarbage = reinterpret_cast<attnc_tensor *>(0x1);

class AddModelTest : public ::testing::Test {
protected:
  void SetUp() override {
    model = loadOk(ATTNC_FIXTURE_ADD_MODEL);
    ASSERT_TRUE(model);
    session = sessionOk(model.get());
    ASSERT_TRUE(session);
  }

  attnc_status run(const attnc_tensor *a, const attnc_tensor *b,
                   TensorPtr &sum) {
    const attnc_tensor *inputs[] = {a, b};
    attnc_tensor *outputs[] = {kGarbage};
    attnc_status s = attnc_session_run(session.get(), inputs, 2, outputs, 1);
    EXPECT_TRUE(s == ATTNC_STATUS_OK || outputs[0] == nullptr);
    sum.reset(outputs[0]);
    return s;
  }

  ModelPtr model;
  SessionPtr session;
};

TEST_F(AddModelTest, Adds) {
  TensorPtr a =
      tensorOf<float>(ATTNC_DTYPE_F32, {2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  TensorPtr b = tensorOf<float>(ATTNC_DTYPE_F32, {2, 4},
                                {10, 20, 30, 40, 50, 60, 70, 80});
  TensorPtr sum;
  // The fixture returns non-zero if the descriptors break abi.md, so OK here
  // also checks the descriptor layout.
  ASSERT_EQ(run(a.get(), b.get(), sum), ATTNC_STATUS_OK) << lastError();
  EXPECT_EQ(dimsOf(sum.get()), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(valuesOf<float>(sum.get()),
            (std::vector<float>{11, 22, 33, 44, 55, 66, 77, 88}));
}

TEST_F(AddModelTest, RebindsSymbolsEveryRun) {
  for (int64_t batch : {1, 5, 0, 3}) {
    TensorPtr a = zeros(ATTNC_DTYPE_F32, {batch, 4});
    TensorPtr b = zeros(ATTNC_DTYPE_F32, {batch, 4});
    TensorPtr sum;
    ASSERT_EQ(run(a.get(), b.get(), sum), ATTNC_STATUS_OK) << lastError();
    EXPECT_EQ(dimsOf(sum.get()), (std::vector<int64_t>{batch, 4}));
  }
}

TEST_F(AddModelTest, WrappedInputs) {
  float x[4] = {1, 2, 3, 4}, y[4] = {4, 3, 2, 1};
  int64_t dims[] = {1, 4};
  attnc_tensor *a = nullptr, *b = nullptr;
  ASSERT_EQ(attnc_tensor_wrap(ATTNC_DTYPE_F32, 2, dims, x, sizeof(x), &a),
            ATTNC_STATUS_OK);
  ASSERT_EQ(attnc_tensor_wrap(ATTNC_DTYPE_F32, 2, dims, y, sizeof(y), &b),
            ATTNC_STATUS_OK);
  TensorPtr pa(a), pb(b), sum;
  ASSERT_EQ(run(a, b, sum), ATTNC_STATUS_OK) << lastError();
  EXPECT_EQ(valuesOf<float>(sum.get()), (std::vector<float>{5, 5, 5, 5}));
}

TEST_F(AddModelTest, WrongDtype) {
  TensorPtr a = zeros(ATTNC_DTYPE_F32, {2, 4});
  TensorPtr b = zeros(ATTNC_DTYPE_I32, {2, 4});
  TensorPtr sum;
  EXPECT_STATUS_MSG(run(a.get(), b.get(), sum), ATTNC_STATUS_DTYPE_MISMATCH,
                    "input 'b': expected dtype f32, got i32");
}

TEST_F(AddModelTest, WrongRank) {
  TensorPtr a = zeros(ATTNC_DTYPE_F32, {8});
  TensorPtr b = zeros(ATTNC_DTYPE_F32, {2, 4});
  TensorPtr sum;
  EXPECT_STATUS_MSG(run(a.get(), b.get(), sum), ATTNC_STATUS_SHAPE_MISMATCH,
                    "input 'a': expected rank 2 [?,4], got rank 1 [8]");
}

TEST_F(AddModelTest, WrongStaticDim) {
  TensorPtr a = zeros(ATTNC_DTYPE_F32, {2, 5});
  TensorPtr b = zeros(ATTNC_DTYPE_F32, {2, 4});
  TensorPtr sum;
  EXPECT_STATUS_MSG(run(a.get(), b.get(), sum), ATTNC_STATUS_SHAPE_MISMATCH,
                    "input 'a' dim 1: expected 4, got 5");
}

TEST_F(AddModelTest, InconsistentSymbol) {
  TensorPtr a = zeros(ATTNC_DTYPE_F32, {2, 4});
  TensorPtr b = zeros(ATTNC_DTYPE_F32, {3, 4});
  TensorPtr sum;
  EXPECT_STATUS_MSG(run(a.get(), b.get(), sum), ATTNC_STATUS_SHAPE_MISMATCH,
                    "input 'b' dim 0: symbol 'batch' is 3 here but was bound "
                    "to 2");
}

TEST_F(AddModelTest, BadCountsAndNulls) {
  TensorPtr a = zeros(ATTNC_DTYPE_F32, {2, 4});
  const attnc_tensor *inputs[] = {a.get(), nullptr};
  attnc_tensor *outputs[2] = {kGarbage, kGarbage};
  EXPECT_STATUS_MSG(attnc_session_run(session.get(), inputs, 1, outputs, 1),
                    ATTNC_STATUS_INVALID_ARGUMENT, "got 1 inputs, model has 2");
  EXPECT_EQ(outputs[0], nullptr);
  EXPECT_STATUS_MSG(attnc_session_run(session.get(), inputs, 2, outputs, 2),
                    ATTNC_STATUS_INVALID_ARGUMENT,
                    "got room for 2 outputs, model has 1");
  EXPECT_STATUS_MSG(attnc_session_run(session.get(), inputs, 2, outputs, 1),
                    ATTNC_STATUS_INVALID_ARGUMENT, "input 1 ('b') is NULL");
  EXPECT_STATUS_MSG(attnc_session_run(session.get(), nullptr, 2, outputs, 1),
                    ATTNC_STATUS_INVALID_ARGUMENT, "inputs is NULL");
  EXPECT_STATUS_MSG(attnc_session_run(session.get(), inputs, 2, nullptr, 1),
                    ATTNC_STATUS_INVALID_ARGUMENT, "outputs is NULL");
  EXPECT_STATUS_MSG(attnc_session_run(nullptr, inputs, 2, outputs, 1),
                    ATTNC_STATUS_INVALID_ARGUMENT, "session is NULL");
}

TEST_F(AddModelTest, SessionKeepsModelAlive) {
  model.reset(); // drop the user's reference; the session still holds one
  TensorPtr a = tensorOf<float>(ATTNC_DTYPE_F32, {1, 4}, {1, 1, 1, 1});
  TensorPtr sum;
  ASSERT_EQ(run(a.get(), a.get(), sum), ATTNC_STATUS_OK) << lastError();
  EXPECT_EQ(valuesOf<float>(sum.get()), (std::vector<float>{2, 2, 2, 2}));
}

TEST_F(AddModelTest, OneSessionPerThread) {
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::vector<int> ok(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      attnc_session *s = nullptr;
      if (attnc_session_create(model.get(), nullptr, &s) != ATTNC_STATUS_OK)
        return;
      SessionPtr session(s);
      int good = 0;
      for (int i = 0; i < 200; ++i) {
        float v = static_cast<float>(t * 1000 + i);
        TensorPtr a = tensorOf<float>(ATTNC_DTYPE_F32, {1, 4}, {v, v, v, v});
        const attnc_tensor *in[] = {a.get(), a.get()};
        attnc_tensor *out[1] = {nullptr};
        if (attnc_session_run(s, in, 2, out, 1) != ATTNC_STATUS_OK)
          continue;
        TensorPtr sum(out[0]);
        good += valuesOf<float>(sum.get())[3] == 2 * v;
      }
      ok[t] = good;
    });
  }
  for (std::thread &t : threads)
    t.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(ok[t], 200) << "thread " << t;
}

TEST(SessionTest, TwoOutputsAndRankZero) {
  ModelPtr model = loadOk(ATTNC_FIXTURE_TWO_OUTPUT_MODEL);
  SessionPtr session = sessionOk(model.get());
  TensorPtr x = tensorOf<float>(ATTNC_DTYPE_F32, {2, 3}, {1, 2, 3, 4, 5, 6});
  TensorPtr k = tensorOf<int64_t>(ATTNC_DTYPE_I64, {}, {3});
  const attnc_tensor *inputs[] = {x.get(), k.get()};
  attnc_tensor *outputs[2] = {};
  ASSERT_EQ(attnc_session_run(session.get(), inputs, 2, outputs, 2),
            ATTNC_STATUS_OK)
      << lastError();
  TensorPtr scaled(outputs[0]), count(outputs[1]);
  EXPECT_EQ(valuesOf<float>(scaled.get()),
            (std::vector<float>{3, 6, 9, 12, 15, 18}));
  EXPECT_EQ(dimsOf(count.get()), (std::vector<int64_t>{2}));
  EXPECT_EQ(valuesOf<int64_t>(count.get()), (std::vector<int64_t>{0, 1}));
  attnc_dtype dtype;
  ASSERT_EQ(attnc_tensor_dtype(count.get(), &dtype), ATTNC_STATUS_OK);
  EXPECT_EQ(dtype, ATTNC_DTYPE_I64);

  // A rank-1 tensor where the model wants a scalar.
  TensorPtr k1 = tensorOf<int64_t>(ATTNC_DTYPE_I64, {1}, {3});
  inputs[1] = k1.get();
  EXPECT_STATUS_MSG(attnc_session_run(session.get(), inputs, 2, outputs, 2),
                    ATTNC_STATUS_SHAPE_MISMATCH,
                    "input 'k:scale': expected rank 0");
}

TEST(SessionTest, ModelErrorIsReported) {
  ModelPtr model = loadOk(ATTNC_FIXTURE_FAILING_MODEL);
  SessionPtr session = sessionOk(model.get());
  TensorPtr x = zeros(ATTNC_DTYPE_I32, {2});
  const attnc_tensor *inputs[] = {x.get()};
  attnc_tensor *outputs[1] = {kGarbage};
  EXPECT_STATUS_MSG(attnc_session_run(session.get(), inputs, 1, outputs, 1),
                    ATTNC_STATUS_MODEL_ERROR, "attnc_model_run returned 7");
  EXPECT_EQ(outputs[0], nullptr); // no partial results
}

/// Models with parallel code export attnc_model_set_num_threads; the
/// runtime passes the session's count before every run, on the running
/// thread.
TEST(SessionTest, PassesThreadCountToTheModel) {
  ModelPtr model = loadOk(ATTNC_FIXTURE_THREADS_MODEL);
  ASSERT_TRUE(model);
  for (int32_t threads : {0, 3, 1}) {
    attnc_session_options opts;
    ASSERT_EQ(attnc_session_options_init(&opts), ATTNC_STATUS_OK);
    opts.num_threads = threads;
    attnc_session *s = nullptr;
    ASSERT_EQ(attnc_session_create(model.get(), &opts, &s), ATTNC_STATUS_OK);
    SessionPtr session(s);
    for (int run = 0; run < 2; ++run) {
      attnc_tensor *outputs[1] = {kGarbage};
      ASSERT_EQ(attnc_session_run(session.get(), nullptr, 0, outputs, 1),
                ATTNC_STATUS_OK)
          << lastError();
      TensorPtr out(outputs[0]);
      EXPECT_EQ(valuesOf<float>(out.get()),
                std::vector<float>{static_cast<float>(threads)});
    }
  }
}

TEST(SessionTest, Options) {
  attnc_session_options opts;
  opts.num_threads = 77;
  ASSERT_EQ(attnc_session_options_init(&opts), ATTNC_STATUS_OK);
  EXPECT_EQ(opts.struct_size, sizeof(attnc_session_options));
  EXPECT_EQ(opts.num_threads, 0);
  EXPECT_EQ(attnc_session_options_init(nullptr), ATTNC_STATUS_INVALID_ARGUMENT);

  ModelPtr model = loadOk(ATTNC_FIXTURE_ADD_MODEL);
  attnc_session *s = nullptr;
  opts.num_threads = 4;
  ASSERT_EQ(attnc_session_create(model.get(), &opts, &s), ATTNC_STATUS_OK);
  attnc_session_destroy(s);

  s = nullptr;
  attnc_session_options bad = opts;
  bad.struct_size = 4;
  EXPECT_STATUS_MSG(attnc_session_create(model.get(), &bad, &s),
                    ATTNC_STATUS_INVALID_ARGUMENT, "struct_size is 4");
  bad = opts;
  bad.num_threads = -1;
  EXPECT_STATUS_MSG(attnc_session_create(model.get(), &bad, &s),
                    ATTNC_STATUS_INVALID_ARGUMENT, "num_threads is negative");
  bad = opts;
  bad.reserved = 1;
  EXPECT_STATUS_MSG(attnc_session_create(model.get(), &bad, &s),
                    ATTNC_STATUS_INVALID_ARGUMENT, "reserved must be 0");
  EXPECT_EQ(s, nullptr);

  EXPECT_STATUS_MSG(attnc_session_create(nullptr, nullptr, &s),
                    ATTNC_STATUS_INVALID_ARGUMENT, "NULL");
  EXPECT_EQ(attnc_session_create(model.get(), nullptr, nullptr),
            ATTNC_STATUS_INVALID_ARGUMENT);
  attnc_session_destroy(nullptr);
}

} // namespace

//===----------------------------------------------------------------------===//
// Workspace: the model's buffers come from the session and are kept
//===----------------------------------------------------------------------===//

class AllocModelTest : public ::testing::Test {
protected:
  void SetUp() override {
    model = loadOk(ATTNC_FIXTURE_ALLOC_MODEL);
    ASSERT_TRUE(model);
    session = sessionOk(model.get());
    ASSERT_TRUE(session);
  }

  /// Runs with a scratch buffer of `bytes`; returns whether the model got
  /// the same buffer as in its previous run.
  bool runReused(int64_t bytes) {
    TensorPtr size = tensorOf<int64_t>(ATTNC_DTYPE_I64, {}, {bytes});
    const attnc_tensor *inputs[] = {size.get()};
    attnc_tensor *outputs[] = {kGarbage};
    EXPECT_EQ(attnc_session_run(session.get(), inputs, 1, outputs, 1),
              ATTNC_STATUS_OK)
        << lastError();
    TensorPtr out(outputs[0]);
    return out && valuesOf<float>(out.get()) == std::vector<float>{1.0f};
  }

  attnc_memory_stats stats() {
    attnc_memory_stats s;
    std::memset(&s, 0xff, sizeof(s));
    s.struct_size = sizeof(s);
    EXPECT_EQ(attnc_session_memory_stats(session.get(), &s), ATTNC_STATUS_OK)
        << lastError();
    return s;
  }

  ModelPtr model;
  SessionPtr session;
};

TEST_F(AllocModelTest, StartsEmpty) {
  attnc_memory_stats s = stats();
  EXPECT_EQ(s.peak_bytes, 0u);
  EXPECT_EQ(s.last_run_peak_bytes, 0u);
  EXPECT_EQ(s.cached_bytes, 0u);
}

TEST_F(AllocModelTest, KeepsBuffersBetweenRuns) {
  runReused(1 << 20);
  attnc_memory_stats first = stats();
  EXPECT_GE(first.peak_bytes, 1u << 20);
  EXPECT_EQ(first.last_run_peak_bytes, first.peak_bytes);
  EXPECT_EQ(first.cached_bytes, first.peak_bytes);
  // Same size: the same block, nothing new from the system.
  EXPECT_TRUE(runReused(1 << 20));
  EXPECT_TRUE(runReused((1 << 20) - 100)); // same size class
  attnc_memory_stats again = stats();
  EXPECT_EQ(again.cached_bytes, first.cached_bytes);
  EXPECT_EQ(again.peak_bytes, first.peak_bytes);
}

TEST_F(AllocModelTest, FollowsShapeChanges) {
  runReused(1 << 20);
  // A 4x bigger buffer cannot reuse the block; the unused small block is
  // returned at the end of the run.
  EXPECT_FALSE(runReused(4 << 20));
  attnc_memory_stats s = stats();
  EXPECT_GE(s.last_run_peak_bytes, 4u << 20);
  EXPECT_EQ(s.cached_bytes, s.last_run_peak_bytes);
  // A much smaller request does not pin the big block either.
  runReused(1000);
  s = stats();
  EXPECT_LT(s.cached_bytes, 1u << 20);
  EXPECT_GE(s.peak_bytes, 4u << 20);
}

TEST_F(AllocModelTest, ReleaseMemory) {
  runReused(1 << 20);
  ASSERT_EQ(attnc_session_release_memory(session.get()), ATTNC_STATUS_OK);
  EXPECT_EQ(stats().cached_bytes, 0u);
  runReused(1 << 20); // still runs after a release
  EXPECT_GE(stats().cached_bytes, 1u << 20);
}

TEST_F(AllocModelTest, SessionsHaveTheirOwnWorkspace) {
  SessionPtr other = sessionOk(model.get());
  ASSERT_TRUE(other);
  runReused(1 << 20);
  attnc_memory_stats s;
  s.struct_size = sizeof(s);
  ASSERT_EQ(attnc_session_memory_stats(other.get(), &s), ATTNC_STATUS_OK);
  EXPECT_EQ(s.cached_bytes, 0u);
  EXPECT_EQ(s.peak_bytes, 0u);
}

TEST_F(AllocModelTest, BadArguments) {
  attnc_memory_stats s;
  s.struct_size = sizeof(s);
  EXPECT_EQ(attnc_session_memory_stats(nullptr, &s),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_session_memory_stats(session.get(), nullptr),
            ATTNC_STATUS_INVALID_ARGUMENT);
  s.struct_size = sizeof(size_t);
  EXPECT_EQ(attnc_session_memory_stats(session.get(), &s),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attnc_last_error()).find("struct_size"),
            std::string::npos);
  EXPECT_EQ(attnc_session_release_memory(nullptr),
            ATTNC_STATUS_INVALID_ARGUMENT);
}

/// A model without the hooks (built before they existed) still runs.
TEST_F(AddModelTest, ModelWithoutAllocatorHooks) {
  attnc_memory_stats s;
  s.struct_size = sizeof(s);
  ASSERT_EQ(attnc_session_memory_stats(session.get(), &s), ATTNC_STATUS_OK);
  EXPECT_EQ(s.peak_bytes, 0u);
}
