//===- ModelTest.cpp - attnc_model_*
//---------------------------------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace attnc::test;

namespace {

TEST(ModelLoadTest, AddModelSignature) {
  ModelPtr m = loadOk(ATTNC_FIXTURE_ADD_MODEL);
  ASSERT_TRUE(m);
  size_t n = 0;
  ASSERT_EQ(attnc_model_num_inputs(m.get(), &n), ATTNC_STATUS_OK);
  EXPECT_EQ(n, 2u);
  ASSERT_EQ(attnc_model_num_outputs(m.get(), &n), ATTNC_STATUS_OK);
  EXPECT_EQ(n, 1u);

  attnc_tensor_info info;
  ASSERT_EQ(attnc_model_input_info(m.get(), 1, &info), ATTNC_STATUS_OK);
  EXPECT_STREQ(info.name, "b");
  EXPECT_EQ(info.dtype, ATTNC_DTYPE_F32);
  ASSERT_EQ(info.rank, 2u);
  EXPECT_EQ(info.dims[0], -1);
  EXPECT_EQ(info.dims[1], 4);
  EXPECT_STREQ(info.dim_symbols[0], "batch");
  EXPECT_EQ(info.dim_symbols[1], nullptr);

  ASSERT_EQ(attnc_model_output_info(m.get(), 0, &info), ATTNC_STATUS_OK);
  EXPECT_STREQ(info.name, "sum");
  EXPECT_STREQ(info.dim_symbols[0], "batch");

  const char *text = nullptr;
  ASSERT_EQ(attnc_model_compiler_version(m.get(), &text), ATTNC_STATUS_OK);
  EXPECT_STREQ(text, "fixture-0.1");
  ASSERT_EQ(attnc_model_target(m.get(), &text), ATTNC_STATUS_OK);
  EXPECT_STREQ(text, "x86_64-unknown-linux-gnu");
}

TEST(ModelLoadTest, PercentDecodingRankZeroAndUnknownLines) {
  ModelPtr m = loadOk(ATTNC_FIXTURE_TWO_OUTPUT_MODEL);
  ASSERT_TRUE(m);
  attnc_tensor_info info;
  ASSERT_EQ(attnc_model_input_info(m.get(), 0, &info), ATTNC_STATUS_OK);
  EXPECT_STREQ(info.dim_symbols[0], "n m");
  ASSERT_EQ(attnc_model_input_info(m.get(), 1, &info), ATTNC_STATUS_OK);
  EXPECT_STREQ(info.name, "k:scale");
  EXPECT_EQ(info.dtype, ATTNC_DTYPE_I64);
  EXPECT_EQ(info.rank, 0u);
  size_t index = 99;
  ASSERT_EQ(attnc_model_find_input(m.get(), "k:scale", &index),
            ATTNC_STATUS_OK);
  EXPECT_EQ(index, 1u);
  ASSERT_EQ(attnc_model_find_output(m.get(), "count", &index), ATTNC_STATUS_OK);
  EXPECT_EQ(index, 1u);
}

TEST(ModelLoadTest, FindInput) {
  ModelPtr m = loadOk(ATTNC_FIXTURE_ADD_MODEL);
  size_t index = 99;
  ASSERT_EQ(attnc_model_find_input(m.get(), "a", &index), ATTNC_STATUS_OK);
  EXPECT_EQ(index, 0u);
  ASSERT_EQ(attnc_model_find_input(m.get(), "b", &index), ATTNC_STATUS_OK);
  EXPECT_EQ(index, 1u);
  EXPECT_STATUS_MSG(attnc_model_find_input(m.get(), "c", &index),
                    ATTNC_STATUS_NOT_FOUND,
                    "no input named 'c' (inputs: a, b)");
  EXPECT_STATUS_MSG(attnc_model_find_output(m.get(), "a", &index),
                    ATTNC_STATUS_NOT_FOUND, "no output named 'a'");
  EXPECT_STATUS_MSG(attnc_model_find_input(m.get(), nullptr, &index),
                    ATTNC_STATUS_INVALID_ARGUMENT, "name is NULL");
  EXPECT_EQ(attnc_model_find_input(m.get(), "a", nullptr),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_model_find_input(nullptr, "a", &index),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_model_find_output(nullptr, "sum", &index),
            ATTNC_STATUS_INVALID_ARGUMENT);
}

TEST(ModelLoadTest, QueriesRejectBadArguments) {
  ModelPtr m = loadOk(ATTNC_FIXTURE_ADD_MODEL);
  size_t n;
  attnc_tensor_info info;
  const char *text;
  EXPECT_STATUS_MSG(attnc_model_num_inputs(nullptr, &n),
                    ATTNC_STATUS_INVALID_ARGUMENT, "model is NULL");
  EXPECT_EQ(attnc_model_num_inputs(m.get(), nullptr),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_model_num_outputs(nullptr, &n),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_model_num_outputs(m.get(), nullptr),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_STATUS_MSG(attnc_model_input_info(m.get(), 2, &info),
                    ATTNC_STATUS_INVALID_ARGUMENT,
                    "input index 2 out of range (model has 2)");
  EXPECT_STATUS_MSG(attnc_model_output_info(m.get(), 1, &info),
                    ATTNC_STATUS_INVALID_ARGUMENT,
                    "output index 1 out of range (model has 1)");
  EXPECT_EQ(attnc_model_input_info(nullptr, 0, &info),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_model_input_info(m.get(), 0, nullptr),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_model_output_info(nullptr, 0, &info),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_model_output_info(m.get(), 0, nullptr),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_model_compiler_version(nullptr, &text),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_model_compiler_version(m.get(), nullptr),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_model_target(nullptr, &text), ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(attnc_model_target(m.get(), nullptr),
            ATTNC_STATUS_INVALID_ARGUMENT);
}

TEST(ModelLoadTest, NullArguments) {
  attnc_model *m = nullptr;
  EXPECT_STATUS_MSG(attnc_model_load(nullptr, &m),
                    ATTNC_STATUS_INVALID_ARGUMENT, "NULL");
  EXPECT_EQ(attnc_model_load(ATTNC_FIXTURE_ADD_MODEL, nullptr),
            ATTNC_STATUS_INVALID_ARGUMENT);
  EXPECT_STATUS_MSG(attnc_model_load("", &m), ATTNC_STATUS_INVALID_ARGUMENT,
                    "empty path");
  EXPECT_EQ(m, nullptr);
  attnc_model_destroy(nullptr);
}

TEST(ModelLoadTest, MissingFile) {
  attnc_model *m = nullptr;
  EXPECT_STATUS_MSG(attnc_model_load("/nonexistent/dir/model.so", &m),
                    ATTNC_STATUS_NOT_FOUND, "/nonexistent/dir/model.so");
  EXPECT_EQ(m, nullptr);
}

TEST(ModelLoadTest, DirectoryIsNotAModel) {
  attnc_model *m = nullptr;
  EXPECT_STATUS_MSG(attnc_model_load("/", &m), ATTNC_STATUS_IO,
                    "not a regular file");
}

TEST(ModelLoadTest, TextFileIsIncompatible) {
  std::filesystem::create_directories(ATTNC_TEST_TMPDIR);
  std::string path = std::string(ATTNC_TEST_TMPDIR) + "/garbage.so";
  std::ofstream(path) << "not an ELF file\n";
  attnc_model *m = nullptr;
  EXPECT_STATUS_MSG(attnc_model_load(path.c_str(), &m),
                    ATTNC_STATUS_INCOMPATIBLE, "cannot load model");
}

TEST(ModelLoadTest, PlainSharedLibraryIsIncompatible) {
  attnc_model *m = nullptr;
  EXPECT_STATUS_MSG(attnc_model_load(ATTNC_FIXTURE_NOT_A_MODEL, &m),
                    ATTNC_STATUS_INCOMPATIBLE,
                    "is not an attnc model (no attnc_abi_version symbol)");
}

TEST(ModelLoadTest, WrongAbiVersion) {
  attnc_model *m = nullptr;
  EXPECT_STATUS_MSG(attnc_model_load(ATTNC_FIXTURE_WRONG_ABI_MODEL, &m),
                    ATTNC_STATUS_INCOMPATIBLE,
                    "has attnc ABI version 99, this runtime supports 1");
}

TEST(ModelLoadTest, BadMetadata) {
  attnc_model *m = nullptr;
  EXPECT_STATUS_MSG(attnc_model_load(ATTNC_FIXTURE_BAD_METADATA_MODEL, &m),
                    ATTNC_STATUS_INCOMPATIBLE,
                    "metadata line 2: input 'x' has rank 2 but 1 dims");
}

TEST(ModelLoadTest, MissingRunSymbol) {
  attnc_model *m = nullptr;
  EXPECT_STATUS_MSG(attnc_model_load(ATTNC_FIXTURE_NO_RUN_MODEL, &m),
                    ATTNC_STATUS_INCOMPATIBLE, "no attnc_model_run symbol");
}

TEST(ModelLoadTest, PathWithoutSlashIsRelativeToCwd) {
  std::filesystem::path file(ATTNC_FIXTURE_ADD_MODEL);
  std::filesystem::path old = std::filesystem::current_path();
  std::filesystem::current_path(file.parent_path());
  attnc_model *m = nullptr;
  attnc_status s = attnc_model_load(file.filename().c_str(), &m);
  std::filesystem::current_path(old);
  EXPECT_EQ(s, ATTNC_STATUS_OK) << lastError();
  attnc_model_destroy(m);
}

TEST(ModelLoadTest, LoadTwiceGivesIndependentHandles) {
  ModelPtr a = loadOk(ATTNC_FIXTURE_ADD_MODEL);
  ModelPtr b = loadOk(ATTNC_FIXTURE_ADD_MODEL);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a.get(), b.get());
  a.reset();
  size_t n;
  EXPECT_EQ(attnc_model_num_inputs(b.get(), &n), ATTNC_STATUS_OK);
}

} // namespace
