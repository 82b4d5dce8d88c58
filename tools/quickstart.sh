#!/usr/bin/env bash
# attnc in one command: set up and build (tools/setup.sh), then compile and
# run two models and compare them with ONNX Runtime:
#
#   seed_attention    softmax(query . key^T) . value; prints [[2.2716, 3.2716]],
#                     the seed's [[2.2717, 3.2717]] to 4 decimal places
#   tiny_transformer  2 attention + feed-forward layers, d_model 32; prints
#                     the max abs/rel error vs ONNX Runtime per data set
#
# Models and test data go to $ATTNC_BUILD_DIR/models (default build/models).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=${ATTNC_BUILD_DIR:-build}

bash tools/setup.sh

PY=.venv/bin/python
BIN=$BUILD_DIR/bin
OUT=$BUILD_DIR/models
DRIVER=test/e2e/run_model_test.py
mkdir -p "$OUT"

section() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

section "Generating models and ONNX Runtime reference outputs in $OUT"
run "$PY" models/seed_attention.py --out "$OUT"
run "$PY" models/tiny_transformer.py --out "$OUT" --layers 2 --d-model 32 --seed 0

section "Compiling with attnc"
run "$BIN/attnc" "$OUT/seed_attention.onnx" -o "$OUT/seed_attention.so"
run "$BIN/attnc" "$OUT/tiny_transformer.onnx" -o "$OUT/tiny_transformer.so"
ls -l "$OUT"/*.so

status=0

section "Seed attention example: softmax(query . key^T) . value"
SEED_DATA=$OUT/seed_attention/test_data_set_0
echo "query = [[1, 0, 0]], key = identity(3), value = [[1, 2], [3, 4], [5, 6]]"
# Prints the output and checks it is [[2.2717, 3.2717]] to 4 decimal places.
"$PY" "$DRIVER" print --attnc-run "$BIN/attnc-run" --so "$OUT/seed_attention.so" \
  --input "query=$SEED_DATA/input_0.pb" --input "key=$SEED_DATA/input_1.pb" \
  --input "value=$SEED_DATA/input_2.pb" --expect "[[2.2717, 3.2717]]" || status=1
run "$BIN/attnc-run" "$OUT/seed_attention.so" --test-data "$OUT/seed_attention" || status=1

section "Tiny transformer vs ONNX Runtime (rtol 1e-4, atol 1e-5)"
echo "x: f32[batch, seq, 32]; data sets (batch, seq) = (1, 5) and (2, 7)"
run "$BIN/attnc-run" "$OUT/tiny_transformer.so" --test-data "$OUT/tiny_transformer" \
  --rtol 1e-4 --atol 1e-5 || status=1
echo
echo "Its output on data set 0:"
run "$BIN/attnc-run" "$OUT/tiny_transformer.so" \
  --input "x=$OUT/tiny_transformer/test_data_set_0/input_0.pb" || status=1

echo
if ((status == 0)); then
  printf '\033[1mquickstart: OK\033[0m (models, .so files and data in %s)\n' "$OUT"
else
  printf '\033[1mquickstart: FAILED\033[0m (see above)\n' >&2
fi
exit $status
