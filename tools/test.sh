#!/usr/bin/env bash
# Sets up and builds attnc (tools/setup.sh), then runs every test: lit (IR),
# GoogleTest (runtime), end-to-end models vs ONNX Runtime, ONNX node tests.
# Extra arguments go to ctest, e.g.  bash tools/test.sh -L e2e  or  -LE slow
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=${ATTNC_BUILD_DIR:-build}

bash tools/setup.sh
exec ctest --test-dir "$BUILD_DIR" --output-on-failure -j"${ATTNC_JOBS:-2}" "$@"
