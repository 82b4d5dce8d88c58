#!/usr/bin/env bash
# The sanitizer lane (docs/reliability.md). Run after tools/setup.sh (it
# reuses its packages and .venv; .ci/run calls it after the main suite):
#
#   1. build-asan: attnc, attnc-opt, attnc-run, the runtime, the unit tests
#      and both fuzzers with ASan+UBSan (no recovery: any report fails) and
#      libFuzzer coverage; run the unit, lit, hostile, concurrency and tiny
#      e2e tests there, with LeakSanitizer on;
#   2. each fuzzer for $ATTNC_FUZZ_SECONDS (default 60) from the ONNX node
#      tests as seeds;
#   3. build-tsan: the runtime and attnc-stress with ThreadSanitizer; 8
#      threads x 100 runs of fixture models and of a compiled model.
#
# Knobs: ATTNC_JOBS (default 2), ATTNC_FUZZ_SECONDS (0 skips fuzzing),
# ATTNC_ASAN_BUILD_DIR (build-asan), ATTNC_TSAN_BUILD_DIR (build-tsan).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
JOBS=${ATTNC_JOBS:-2}
FUZZ_SECONDS=${ATTNC_FUZZ_SECONDS:-60}
ASAN_DIR=${ATTNC_ASAN_BUILD_DIR:-build-asan}
TSAN_DIR=${ATTNC_TSAN_BUILD_DIR:-build-tsan}
PYTHON=${ATTNC_PYTHON:-$ROOT/.venv/bin/python}
start=$(date +%s)
log() { printf '\033[1m[sanitize %4ds]\033[0m %s\n' $(($(date +%s) - start)) "$*"; }

configure() { # dir sanitizer extra-args...
  local dir=$1 san=$2
  shift 2
  mkdir -p "$dir"
  cmake -G Ninja -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir -DATTNC_PYTHON="$PYTHON" \
    -DATTNC_SANITIZER="$san" "$@" >"$dir/configure.log" 2>&1 ||
    { cat "$dir/configure.log"; exit 1; }
}

# Why each option (see docs/reliability.md, "Sanitizer settings"):
# - detect_leaks=1: LeakSanitizer on at exit of every test process, with no
#   suppressions (none are needed, not even for the Debian LLVM libraries);
# - allocator_may_return_null=1: the runtime must turn a failed huge
#   allocation into ATTNC_STATUS_OUT_OF_MEMORY (TensorTest.CreateReports-
#   OutOfMemory); by default ASan aborts on such a request instead;
# - exitcode=99: never confused with attnc's own exit status 1 (hostile.py).
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99
# hostile.py's 4 GiB address-space limit cannot coexist with ASan's shadow.
export ATTNC_HOSTILE_NO_RLIMIT=1

# --- 1. ASan + UBSan -----------------------------------------------------------
log "configuring $ASAN_DIR (address;undefined + fuzzers)"
configure "$ASAN_DIR" "address;undefined" -DATTNC_ENABLE_FUZZERS=ON
fixtures=$(ninja -C "$ASAN_DIR" -t targets all | grep -o '^attnc_fixture_[a-z_]*' | sort -u)
log "building $ASAN_DIR (-j$JOBS)"
nice -n 10 ninja -C "$ASAN_DIR" -j"$JOBS" attnc attnc-opt attnc-run \
  attnc_runtime attnc-unittests attnc-run-testdata attnc-stress \
  attnc-fuzz-import attnc-fuzz-tensorproto $fixtures
log "testing in $ASAN_DIR"
ctest --test-dir "$ASAN_DIR" --output-on-failure -j"$JOBS" \
  -R '^(lit|hostile\..*|attnc-run\..*|fuzz\..*|(Fixtures/)?[A-Za-z]+Test\..*|(e2e|stress)\.(seed_attention|tiny_transformer)(\..*)?|stress\.(add|two_output|threads)_model)$'

# --- 2. Fuzzing ----------------------------------------------------------------
if ((FUZZ_SECONDS > 0)); then
  for kind in import tensorproto; do
    log "fuzzing $kind for ${FUZZ_SECONDS}s"
    test/fuzz/run_fuzzer.sh "$ASAN_DIR/bin/attnc-fuzz-$kind" "$kind" \
      "$FUZZ_SECONDS" "$ASAN_DIR/fuzz-$kind" 2>&1 | tail -n 12
  done
fi

# --- 3. ThreadSanitizer --------------------------------------------------------
log "configuring $TSAN_DIR (thread)"
configure "$TSAN_DIR" thread
log "building $TSAN_DIR (-j$JOBS)"
nice -n 10 ninja -C "$TSAN_DIR" -j"$JOBS" attnc_runtime attnc-stress $fixtures
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
log "testing in $TSAN_DIR"
ctest --test-dir "$TSAN_DIR" --output-on-failure -j"$JOBS" \
  -R '^stress\.(add_model|two_output_model|threads_model)$'
# A compiled model (OpenMP inside; the model itself is not instrumented,
# the runtime and the test are).
"$TSAN_DIR/bin/attnc-stress" \
  "$ASAN_DIR/test/e2e/tiny_transformer/tiny_transformer.so" \
  --threads 8 --runs 100 --dim batch=2 --dim seq=7

log "sanitizer lane passed in $(($(date +%s) - start)) s"
