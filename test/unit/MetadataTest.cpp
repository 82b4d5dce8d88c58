//===- MetadataTest.cpp - Strict parsing of attnc_model_metadata ----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//
//
// Uses fixtures/patchable_model.c: the test dlopens it, overwrites its
// (writable) version and metadata, then loads the same mapped object through
// the runtime. One fixture thus covers every malformed-metadata case.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include <cstring>
#include <dlfcn.h>

using namespace attnc::test;

namespace {

class MetadataTest : public ::testing::Test {
protected:
  void SetUp() override {
    handle = dlopen(ATTNC_FIXTURE_PATCHABLE_MODEL, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle, nullptr) << dlerror();
    metadata = static_cast<char *>(dlsym(handle, "attnc_model_metadata"));
    version = static_cast<uint32_t *>(dlsym(handle, "attnc_abi_version"));
    ASSERT_TRUE(metadata && version);
    *version = 1;
  }
  void TearDown() override {
    if (handle)
      dlclose(handle);
  }

  attnc_status load(const std::string &text, ModelPtr &out) {
    EXPECT_LT(text.size(), 8192u);
    std::memset(metadata, 0, 8192);
    std::memcpy(metadata, text.data(), text.size());
    attnc_model *m = nullptr;
    attnc_status s = attnc_model_load(ATTNC_FIXTURE_PATCHABLE_MODEL, &m);
    out.reset(m);
    return s;
  }

  void *handle = nullptr;
  char *metadata = nullptr;
  uint32_t *version = nullptr;
};

TEST_F(MetadataTest, WellFormedVariants) {
  ModelPtr m;
  // No trailing newline, blank lines, unknown kinds, no compiler/target.
  EXPECT_EQ(load("attnc-metadata 1\n\ninput x f32 1 2\nfuture stuff here\n"
                 "output y f32 1 2",
                 m),
            ATTNC_STATUS_OK)
      << lastError();
  // Zero inputs are allowed (a constant model); static dims of 0 too.
  EXPECT_EQ(load("attnc-metadata 1\noutput y f32 2 0 3\n", m), ATTNC_STATUS_OK)
      << lastError();
  // Every dtype spelling, and a symbol used only by a later input.
  EXPECT_EQ(load("attnc-metadata 1\n"
                 "input a f32 0\ninput b f64 0\ninput c f16 0\n"
                 "input d bf16 0\ninput e i8 0\ninput f i16 0\n"
                 "input g i32 0\ninput h i64 0\ninput i u8 0\n"
                 "input j u16 0\ninput k u32 0\ninput l u64 0\n"
                 "input m bool 1 ?s\n"
                 "output y f32 1 ?s\n",
                 m),
            ATTNC_STATUS_OK)
      << lastError();
  size_t n;
  ASSERT_EQ(attnc_model_num_inputs(m.get(), &n), ATTNC_STATUS_OK);
  EXPECT_EQ(n, 13u);
  attnc_tensor_info info;
  ASSERT_EQ(attnc_model_input_info(m.get(), 12, &info), ATTNC_STATUS_OK);
  EXPECT_EQ(info.dtype, ATTNC_DTYPE_BOOL);
  // Names may escape any byte, including allowed ones.
  EXPECT_EQ(load("attnc-metadata 1\ninput %41%2Fb.c_d:e-f 1 ?x%25y\n"
                 "output out f32 1 ?x%25y\n",
                 m),
            ATTNC_STATUS_INCOMPATIBLE); // dtype missing: "1" is not a dtype
  EXPECT_EQ(load("attnc-metadata 1\ninput %41%2Fb.c_d:e-f i32 1 ?x%25y\n"
                 "output out i32 1 ?x%25y\n",
                 m),
            ATTNC_STATUS_OK)
      << lastError();
  ASSERT_EQ(attnc_model_input_info(m.get(), 0, &info), ATTNC_STATUS_OK);
  EXPECT_STREQ(info.name, "A/b.c_d:e-f");
  EXPECT_STREQ(info.dim_symbols[0], "x%y");
}

TEST_F(MetadataTest, AbiVersionPatched) {
  *version = 99;
  ModelPtr m;
  EXPECT_STATUS_MSG(load("attnc-metadata 1\ninput x f32 1 2\n"
                         "output y f32 1 2\n",
                         m),
                    ATTNC_STATUS_INCOMPATIBLE, "ABI version 99");
  *version = 0;
  EXPECT_STATUS_MSG(load("attnc-metadata 1\ninput x f32 1 2\n"
                         "output y f32 1 2\n",
                         m),
                    ATTNC_STATUS_INCOMPATIBLE, "ABI version 0");
}

struct BadCase {
  const char *label;
  const char *text;
  const char *message;
};

const BadCase kBadCases[] = {
    {"empty", "", "does not start with 'attnc-metadata 1'"},
    {"no header", "input x f32 1 2\noutput y f32 1 2\n", "does not start with"},
    {"header with trailing space", "attnc-metadata 1 \noutput y f32 1 2\n",
     "does not start with"},
    {"future version", "attnc-metadata 2\noutput y f32 1 2\n",
     "unsupported metadata version 2"},
    {"truncated line", "attnc-metadata 1\ninput x f32\noutput y f32 1 2\n",
     "line 2: truncated 'input' line"},
    {"missing dims", "attnc-metadata 1\ninput x f32 2 4\noutput y f32 1 2\n",
     "input 'x' has rank 2 but 1 dims"},
    {"extra dims", "attnc-metadata 1\ninput x f32 1 2 3\noutput y f32 1 2\n",
     "input 'x' has rank 1 but 2 dims"},
    {"bad dtype", "attnc-metadata 1\ninput x f31 1 2\noutput y f32 1 2\n",
     "unknown dtype 'f31' for input 'x'"},
    {"upper-case dtype",
     "attnc-metadata 1\ninput x F32 1 2\noutput y f32 1 2\n",
     "unknown dtype 'F32'"},
    {"negative rank", "attnc-metadata 1\ninput x f32 -1\noutput y f32 1 2\n",
     "bad rank '-1' for input 'x'"},
    {"huge rank", "attnc-metadata 1\ninput x f32 33\noutput y f32 1 2\n",
     "bad rank '33'"},
    {"rank overflow",
     "attnc-metadata 1\ninput x f32 99999999999999999999999 1\n"
     "output y f32 1 2\n",
     "bad rank"},
    {"plus sign rank", "attnc-metadata 1\ninput x f32 +1 2\noutput y f32 1 2\n",
     "bad rank '+1'"},
    {"negative dim", "attnc-metadata 1\ninput x f32 1 -3\noutput y f32 1 2\n",
     "bad dim '-3' at index 0 of input 'x'"},
    {"non-numeric dim",
     "attnc-metadata 1\ninput x f32 2 4 4x\noutput y f32 1 2\n",
     "bad dim '4x' at index 1"},
    {"dim overflow",
     "attnc-metadata 1\ninput x f32 1 9223372036854775808\n"
     "output y f32 1 2\n",
     "bad dim '9223372036854775808'"},
    {"empty symbol", "attnc-metadata 1\ninput x f32 1 ?\noutput y f32 1 2\n",
     "bad symbol '?' in dim 0 of input 'x'"},
    {"double space", "attnc-metadata 1\ninput x  f32 1 2\noutput y f32 1 2\n",
     "line 2: empty field"},
    {"trailing space", "attnc-metadata 1\ninput x f32 1 2 \noutput y f32 1 2\n",
     "line 2: empty field"},
    {"CRLF line ends",
     "attnc-metadata 1\ninput x f32 1 2\r\noutput y f32 1 2\r\n",
     "bad dim '2\r'"},
    {"name with tab",
     "attnc-metadata 1\ninput x\ty f32 1 2\noutput y f32 1 2\n",
     "invalid byte 0x09 in name"},
    {"bad escape", "attnc-metadata 1\ninput x%2 f32 1 2\noutput y f32 1 2\n",
     "bad percent escape in name 'x%2'"},
    {"lower-case escape",
     "attnc-metadata 1\ninput x%2a f32 1 2\noutput y f32 1 2\n",
     "bad percent escape"},
    {"escaped NUL", "attnc-metadata 1\ninput x%00 f32 1 2\noutput y f32 1 2\n",
     "NUL byte"},
    {"duplicate input",
     "attnc-metadata 1\ninput x f32 1 2\ninput x f32 1 2\noutput y f32 1 2\n",
     "line 3: duplicate input name 'x'"},
    {"duplicate output",
     "attnc-metadata 1\ninput x f32 1 2\noutput y f32 1 2\noutput y f32 1 2\n",
     "duplicate output name 'y'"},
    {"duplicate compiler",
     "attnc-metadata 1\ncompiler a\ncompiler b\noutput y f32 1 2\n",
     "duplicate 'compiler' line"},
    {"compiler without value", "attnc-metadata 1\ncompiler\noutput y f32 1 2\n",
     "'compiler' takes exactly one value"},
    {"no outputs", "attnc-metadata 1\ninput x f32 1 2\n",
     "declares no outputs"},
    {"device without archs",
     "attnc-metadata 1\ndevice cuda\noutput y f32 1 2\n",
     "line 2: 'device' expects 'device cuda <archs>'"},
    {"unknown device",
     "attnc-metadata 1\ndevice rocm gfx90a\noutput y f32 1 2\n",
     "'device' expects 'device cuda <archs>'"},
    {"device with extra field",
     "attnc-metadata 1\ndevice cuda sm_80 sm_90\noutput y f32 1 2\n",
     "'device' expects 'device cuda <archs>'"},
    {"duplicate device",
     "attnc-metadata 1\ndevice cuda sm_80\ndevice cuda sm_90\n"
     "output y f32 1 2\n",
     "line 3: duplicate 'device' line"},
    {"unbound output symbol",
     "attnc-metadata 1\ninput x f32 1 ?n\noutput y f32 1 ?m\n",
     "output 'y' dim 0 uses symbol 'm' that no input binds"},
    {"input expression over an unbound symbol",
     "attnc-metadata 1\ninput x f32 1 =$n,1,+\noutput y f32 1 2\n",
     "input 'x' dim 0 uses symbol 'n' that no input binds"},
    {"input expression binds nothing",
     "attnc-metadata 1\ninput x f32 1 ?n\ninput z f32 1 =$n,1,+\n"
     "output y f32 1 =$z\n",
     "output 'y' dim 0 uses symbol 'z' that no input binds"},
    {"expression missing operand",
     "attnc-metadata 1\ninput x f32 1 ?n\noutput y f32 1 =$n,+\n",
     "operator '+' lacks operands"},
    {"expression leaves two values",
     "attnc-metadata 1\ninput x f32 1 ?n\noutput y f32 1 =$n,1\n",
     "does not reduce to one value"},
    {"expression bad token",
     "attnc-metadata 1\ninput x f32 1 ?n\noutput y f32 1 =$n,x,+\n",
     "bad token 'x'"},
    {"expression empty", "attnc-metadata 1\ninput x f32 1 ?n\noutput y f32 1 =\n",
     "bad token ''"},
    {"expression unbound symbol",
     "attnc-metadata 1\ninput x f32 1 ?n\noutput y f32 1 =$n,$m,+\n",
     "output 'y' dim 0 uses symbol 'm' that no input binds"},
};

TEST_F(MetadataTest, MalformedIsRejected) {
  for (const BadCase &c : kBadCases) {
    SCOPED_TRACE(c.label);
    ModelPtr m;
    EXPECT_STATUS_MSG(load(c.text, m), ATTNC_STATUS_INCOMPATIBLE, c.message);
    EXPECT_EQ(m, nullptr);
  }
}

// A well-formed `device cuda` line makes the model a GPU model, which must
// export attnc_model_set_gpu (docs/abi.md); this CPU fixture does not.
TEST_F(MetadataTest, DeviceLineNeedsGPUHooks) {
  ModelPtr m;
  EXPECT_STATUS_MSG(load("attnc-metadata 1\ndevice cuda sm_80,sm_90\n"
                         "input x f32 1 2\noutput y f32 1 2\n",
                         m),
                    ATTNC_STATUS_INCOMPATIBLE,
                    "declares a CUDA device but has no attnc_model_set_gpu "
                    "symbol");
  EXPECT_EQ(m, nullptr);
}

// `append <output> <input> <axis>` (a KV cache that may grow in place):
// both tensors must exist, agree in everything but the axis and be in one
// pair only; the line may come before the tensors it names.
TEST_F(MetadataTest, AppendLines) {
  const std::string head = "attnc-metadata 1\n"
                           "input past f32 3 ?b 2 ?p\n"
                           "input new f32 3 ?b 2 ?s\n"
                           "output present f32 3 ?b 2 =$p,$s,+\n"
                           "output other f32 3 ?b 2 =$p,$s,+\n";
  ModelPtr m;
  EXPECT_EQ(
      load("attnc-metadata 1\nappend present past 2\n" + head.substr(17), m),
      ATTNC_STATUS_OK)
      << lastError();
  struct Case {
    const char *line, *message;
  } cases[] = {
      {"append present past", "'append' expects 'append <output> <input> "
                              "<axis>'"},
      {"append present past x", "bad axis 'x'"},
      {"append nothing past 2", "no output named 'nothing'"},
      {"append present nothing 2", "no input named 'nothing'"},
      {"append present past 3", "axis 3 is not below rank 3"},
      {"append present past 1", "dim 2 differs"},
      {"append present past 2\nappend other past 2",
       "already in an 'append' line"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.line);
    EXPECT_STATUS_MSG(load(head + c.line + "\n", m), ATTNC_STATUS_INCOMPATIBLE,
                      c.message);
  }
  // A rank or dtype mismatch.
  EXPECT_STATUS_MSG(load("attnc-metadata 1\ninput past f32 2 ?b ?p\n"
                         "output present f16 2 ?b ?p\n"
                         "append present past 1\n",
                         m),
                    ATTNC_STATUS_INCOMPATIBLE, "differ in dtype or rank");
}

// Output dims may be computed from input symbols (KV-cache concat, reshape
// merges): `=` followed by RPN over integers, $symbols and + * / %.
TEST_F(MetadataTest, ExpressionDimsSizeOutputs) {
  ModelPtr m;
  ASSERT_EQ(load("attnc-metadata 1\ninput x f32 1 ?n\n"
                 "output y f32 1 =$n,3,*,2,/,$n,7,%,+\n",
                 m),
            ATTNC_STATUS_OK)
      << lastError();
  attnc_tensor_info info;
  ASSERT_EQ(attnc_model_output_info(m.get(), 0, &info), ATTNC_STATUS_OK);
  EXPECT_EQ(info.dims[0], -1);
  SessionPtr session = sessionOk(m.get());
  for (int64_t n : {0, 1, 5, 9}) {
    TensorPtr x = zeros(ATTNC_DTYPE_F32, {n});
    const attnc_tensor *inputs[] = {x.get()};
    attnc_tensor *out = nullptr;
    ASSERT_EQ(attnc_session_run(session.get(), inputs, 1, &out, 1),
              ATTNC_STATUS_OK)
        << lastError();
    TensorPtr y(out);
    EXPECT_EQ(dimsOf(y.get()), std::vector<int64_t>{n * 3 / 2 + n % 7});
  }
}

TEST_F(MetadataTest, ExpressionDimsRejectNegativeAndZeroDivision) {
  ModelPtr m;
  ASSERT_EQ(load("attnc-metadata 1\ninput x f32 1 ?n\n"
                 "output y f32 1 =$n,-2,+\n",
                 m),
            ATTNC_STATUS_OK)
      << lastError();
  SessionPtr session = sessionOk(m.get());
  TensorPtr x = zeros(ATTNC_DTYPE_F32, {1});
  const attnc_tensor *inputs[] = {x.get()};
  attnc_tensor *out = nullptr;
  EXPECT_STATUS_MSG(attnc_session_run(session.get(), inputs, 1, &out, 1),
                    ATTNC_STATUS_SHAPE_MISMATCH, "computed size -1 is negative");
  EXPECT_EQ(out, nullptr);

  ModelPtr m2;
  ASSERT_EQ(load("attnc-metadata 1\ninput x f32 1 ?n\n"
                 "output y f32 1 =4,$n,/\n",
                 m2),
            ATTNC_STATUS_OK)
      << lastError();
  SessionPtr s2 = sessionOk(m2.get());
  TensorPtr zero = zeros(ATTNC_DTYPE_F32, {0});
  const attnc_tensor *inputs2[] = {zero.get()};
  EXPECT_STATUS_MSG(attnc_session_run(s2.get(), inputs2, 1, &out, 1),
                    ATTNC_STATUS_SHAPE_MISMATCH, "division by zero");
}

TEST_F(MetadataTest, InputExpressionDimsAreChecked) {
  // A KV cache: the mask's length must be past + seq (docs/abi.md); the
  // model's code relies on it.
  ModelPtr m;
  ASSERT_EQ(load("attnc-metadata 1\ninput x f32 1 ?past\n"
                 "input mask f32 1 =$past,$seq,+\ninput s f32 1 ?seq\n"
                 "output y f32 1 =$past,$seq,+\n",
                 m),
            ATTNC_STATUS_OK)
      << lastError();
  attnc_tensor_info info;
  ASSERT_EQ(attnc_model_input_info(m.get(), 1, &info), ATTNC_STATUS_OK);
  EXPECT_EQ(info.dims[0], -1);
  EXPECT_STREQ(info.dim_symbols[0], "=$past,$seq,+");
  SessionPtr session = sessionOk(m.get());
  TensorPtr x = zeros(ATTNC_DTYPE_F32, {3}), s = zeros(ATTNC_DTYPE_F32, {2});
  TensorPtr good = zeros(ATTNC_DTYPE_F32, {5}), bad = zeros(ATTNC_DTYPE_F32, {3});
  attnc_tensor *out = nullptr;
  const attnc_tensor *ok[] = {x.get(), good.get(), s.get()};
  ASSERT_EQ(attnc_session_run(session.get(), ok, 3, &out, 1), ATTNC_STATUS_OK)
      << lastError();
  EXPECT_EQ(dimsOf(out), (std::vector<int64_t>{5}));
  attnc_tensor_destroy(out);
  out = nullptr;
  const attnc_tensor *wrong[] = {x.get(), bad.get(), s.get()};
  EXPECT_STATUS_MSG(attnc_session_run(session.get(), wrong, 3, &out, 1),
                    ATTNC_STATUS_SHAPE_MISMATCH,
                    "input 'mask' dim 0: expected 5 (=$past,$seq,+ from the "
                    "other inputs), got 3");
  EXPECT_EQ(out, nullptr);
}

TEST_F(MetadataTest, MaximumRankIsAccepted) {
  std::string dims;
  for (int i = 0; i < ATTNC_MAX_RANK; ++i)
    dims += " 1";
  ModelPtr m;
  EXPECT_EQ(
      load("attnc-metadata 1\ninput x f32 32" + dims + "\noutput y f32 1 1\n",
           m),
      ATTNC_STATUS_OK)
      << lastError();
}

} // namespace
