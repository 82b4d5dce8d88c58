#!/usr/bin/env bash
# run_fuzzer.sh FUZZER KIND SECONDS WORKDIR [TESTDATA]
#
# Runs a libFuzzer target (KIND: import or tensorproto) over
#   WORKDIR/corpus       inputs it found (kept between runs),
#   WORKDIR/seeds        the ONNX node tests' model.onnx (import) or
#                        test_data_set_0/*.pb (tensorproto) from TESTDATA,
#   regressions/KIND/    inputs that once crashed it (committed).
# SECONDS=0 only replays them all once (the `fuzz.*.replay` ctest tests);
# otherwise it fuzzes for that long. Crashing inputs land in WORKDIR/crashes;
# copy them into regressions/KIND/ with the fix.
set -euo pipefail
fuzzer=$1 kind=$2 seconds=$3 work=$4
testdata=${5:-/usr/share/libonnx-testdata/data/node}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$work/corpus" "$work/seeds" "$work/crashes"

if [[ -z "$(ls -A "$work/seeds")" ]]; then
  [[ -d "$testdata" ]] || { echo "no seed data in $testdata" >&2; exit 1; }
  for t in "$testdata"/*/; do
    name=$(basename "$t")
    if [[ $kind == import ]]; then
      [[ -f $t/model.onnx ]] && cp "$t/model.onnx" "$work/seeds/$name.onnx"
    else
      for pb in "$t"/test_data_set_0/*.pb; do
        [[ -f $pb ]] && cp "$pb" "$work/seeds/${name}_$(basename "$pb")"
      done
    fi
  done
fi
echo "seeds: $(ls "$work/seeds" | wc -l) files, $(du -sh "$work/seeds" | cut -f1)"

args=(-timeout=20 -rss_limit_mb=4096 -artifact_prefix="$work/crashes/"
      -print_final_stats=1)
if [[ $seconds == 0 ]]; then
  args+=(-runs=0)
else
  args+=(-max_total_time="$seconds")
fi
# The first folder receives new inputs; the others are read-only seeds.
dirs=("$work/corpus" "$work/seeds")
[[ -d $here/regressions/$kind ]] && dirs+=("$here/regressions/$kind")
exec "$fuzzer" "${args[@]}" "${dirs[@]}"
