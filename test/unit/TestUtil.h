//===- TestUtil.h - Helpers for the runtime unit tests ----------*- C++ -*-===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TEST_UNIT_TESTUTIL_H
#define ATTNC_TEST_UNIT_TESTUTIL_H

#include "attnc-c/runtime.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace attnc::test {

struct ModelDeleter {
  void operator()(attnc_model *m) const { attnc_model_destroy(m); }
};
struct SessionDeleter {
  void operator()(attnc_session *s) const { attnc_session_destroy(s); }
};
struct TensorDeleter {
  void operator()(attnc_tensor *t) const { attnc_tensor_destroy(t); }
};
using ModelPtr = std::unique_ptr<attnc_model, ModelDeleter>;
using SessionPtr = std::unique_ptr<attnc_session, SessionDeleter>;
using TensorPtr = std::unique_ptr<attnc_tensor, TensorDeleter>;

inline std::string lastError() { return attnc_last_error(); }

/// Loads a model that must load.
inline ModelPtr loadOk(const char *path) {
  attnc_model *m = nullptr;
  attnc_status s = attnc_model_load(path, &m);
  EXPECT_EQ(s, ATTNC_STATUS_OK) << lastError();
  return ModelPtr(m);
}

inline SessionPtr sessionOk(attnc_model *model) {
  attnc_session *s = nullptr;
  EXPECT_EQ(attnc_session_create(model, nullptr, &s), ATTNC_STATUS_OK)
      << lastError();
  return SessionPtr(s);
}

template <typename T>
TensorPtr tensorOf(attnc_dtype dtype, std::vector<int64_t> dims,
                   const std::vector<T> &values) {
  attnc_tensor *t = nullptr;
  EXPECT_EQ(attnc_tensor_create_copy(dtype, dims.size(), dims.data(),
                                     values.data(), values.size() * sizeof(T),
                                     &t),
            ATTNC_STATUS_OK)
      << lastError();
  return TensorPtr(t);
}

inline TensorPtr zeros(attnc_dtype dtype, std::vector<int64_t> dims) {
  attnc_tensor *t = nullptr;
  EXPECT_EQ(attnc_tensor_create(dtype, dims.size(), dims.data(), &t),
            ATTNC_STATUS_OK)
      << lastError();
  return TensorPtr(t);
}

template <typename T> std::vector<T> valuesOf(const attnc_tensor *t) {
  void *data = nullptr;
  size_t n = 0;
  EXPECT_EQ(attnc_tensor_data(t, &data), ATTNC_STATUS_OK);
  EXPECT_EQ(attnc_tensor_num_elements(t, &n), ATTNC_STATUS_OK);
  const T *p = static_cast<const T *>(data);
  return std::vector<T>(p, p + n);
}

inline std::vector<int64_t> dimsOf(const attnc_tensor *t) {
  size_t rank = 0;
  const int64_t *dims = nullptr;
  EXPECT_EQ(attnc_tensor_rank(t, &rank), ATTNC_STATUS_OK);
  EXPECT_EQ(attnc_tensor_dims(t, &dims), ATTNC_STATUS_OK);
  return std::vector<int64_t>(dims, dims + rank);
}

/// Sets (or, with NULL, unsets) an environment variable for a scope and
/// restores the old value, so an early ASSERT return leaks nothing.
class EnvGuard {
public:
  EnvGuard(const char *name, const char *value) : name(name) {
    if (const char *old = std::getenv(name))
      saved = old, hadValue = true;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~EnvGuard() {
    if (hadValue)
      setenv(name.c_str(), saved.c_str(), 1);
    else
      unsetenv(name.c_str());
  }
  EnvGuard(const EnvGuard &) = delete;
  EnvGuard &operator=(const EnvGuard &) = delete;

private:
  std::string name, saved;
  bool hadValue = false;
};

} // namespace attnc::test

/// Checks a status and that the error message mentions `substr`.
#define EXPECT_STATUS_MSG(expr, status, substr)                                \
  do {                                                                         \
    attnc_status s_ = (expr);                                                  \
    EXPECT_EQ(s_, status) << attnc_status_string(s_) << ": "                   \
                          << attnc_last_error();                               \
    EXPECT_NE(std::string(attnc_last_error()).find(substr), std::string::npos) \
        << "message: " << attnc_last_error();                                  \
  } while (0)

#endif // ATTNC_TEST_UNIT_TESTUTIL_H
