#!/usr/bin/env python3
"""Masked multi-head attention with fully masked rows (the fusion check).

    scores = (q . k^T) / sqrt(D)
    scores = Where(keep, scores, float32 min)      boolean mask
    scores = scores + pad                          additive mask
    out    = Softmax(scores, -1) . v

with inputs q f32[B,H,Tq,D], k/v f32[B,H,Tk,D], keep bool[B,1,Tq,Tk] and
pad f32[B,1,1,Tk] (B, Tq, Tk dynamic). attnc fuses the graph into one
attn.attention; these data sets check that the fused op gives ONNX
Runtime's numbers, including rows where every key is masked (every score
becomes the fill value, so the row averages v), and a fill plus a large
negative pad.

Writes DIR/masked_attention.onnx and DIR/masked_attention/test_data_set_K.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import common  # noqa: E402

NAME = "masked_attention"
HEADS, DIM = 2, 8


def build_model():
    f32 = TensorProto.FLOAT
    scale = numpy_helper.from_array(np.array(np.sqrt(DIM), np.float32), "sqrt_d")
    fill = numpy_helper.from_array(np.array(np.finfo(np.float32).min, np.float32),
                                   "fill")
    graph = helper.make_graph(
        nodes=[
            helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
            helper.make_node("MatMul", ["q", "kt"], ["s"]),
            helper.make_node("Div", ["s", "sqrt_d"], ["s_scaled"]),
            helper.make_node("Where", ["keep", "s_scaled", "fill"], ["s_kept"]),
            helper.make_node("Add", ["s_kept", "pad"], ["s_masked"]),
            helper.make_node("Softmax", ["s_masked"], ["p"], axis=-1),
            helper.make_node("MatMul", ["p", "v"], ["out"]),
        ],
        name=NAME,
        inputs=[
            helper.make_tensor_value_info("q", f32, ["B", HEADS, "Tq", DIM]),
            helper.make_tensor_value_info("k", f32, ["B", HEADS, "Tk", DIM]),
            helper.make_tensor_value_info("v", f32, ["B", HEADS, "Tk", DIM]),
            helper.make_tensor_value_info("keep", TensorProto.BOOL,
                                          ["B", 1, "Tq", "Tk"]),
            helper.make_tensor_value_info("pad", f32, ["B", 1, 1, "Tk"]),
        ],
        outputs=[helper.make_tensor_value_info("out", f32,
                                               ["B", HEADS, "Tq", DIM])],
        initializer=[scale, fill],
    )
    return common.make_model(graph)


def make_inputs(rng, batch, tq, tk, fully_masked_rows, padded_keys,
                pad_value=-10000.0):
    shape_q = (batch, HEADS, tq, DIM)
    shape_kv = (batch, HEADS, tk, DIM)
    keep = np.tril(np.ones((tq, tk), dtype=bool), k=tk - tq)
    keep = np.broadcast_to(keep, (batch, 1, tq, tk)).copy()
    for b, row in fully_masked_rows:
        keep[b, 0, row, :] = False
    pad = np.zeros((batch, 1, 1, tk), dtype=np.float32)
    for b, key in padded_keys:
        pad[b, 0, 0, key] = pad_value
    return {
        "q": rng.standard_normal(shape_q).astype(np.float32),
        "k": rng.standard_normal(shape_kv).astype(np.float32),
        "v": rng.standard_normal(shape_kv).astype(np.float32),
        "keep": keep,
        "pad": pad,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    input_sets = [
        # Causal, one fully masked row per batch, padded keys in batch 1.
        make_inputs(rng, 2, 5, 7, [(0, 1), (1, 4)], [(1, 0), (1, 6)]),
        # Decode-like: one query row, the only row fully masked in batch 0.
        make_inputs(rng, 2, 1, 9, [(0, 0)], [(1, 3)]),
        # Longer than the decode loop nest takes (16 rows): the blocked
        # kernel of attnc-cpu-flash-attention, with rows and keys not a
        # multiple of its tiles, causal blocks it skips, fully masked rows.
        make_inputs(rng, 2, 37, 45, [(0, 2), (1, 30)], [(1, 0), (1, 44)]),
        # A whole 32-key block padded with -inf (skipped for every row).
        make_inputs(rng, 1, 20, 70, [], [(0, k) for k in range(32, 64)],
                    pad_value=-np.inf),
        # A key length above 512: the decode loop nest splits the keys into
        # ranges (split-K) and merges them; the middle range all -inf, row
        # 1 fully masked.
        make_inputs(rng, 1, 3, 1100, [(0, 1)], [(0, k) for k in range(512, 1024)],
                    pad_value=-np.inf),
    ]
    _, results = common.write_model_and_data(build_model(), args.out, NAME,
                                             input_sets)
    # A fully masked row averages v: check ONNX Runtime agrees, so the test
    # data really exercises that case.
    (out,) = results[0]
    v = input_sets[0]["v"]
    if not np.allclose(out[0, :, 1, :], v[0].mean(axis=1), atol=1e-5):
        print("FAIL: ONNX Runtime does not average v on a fully masked row",
              file=sys.stderr)
        return 1
    print(f"wrote {NAME} with {len(input_sets)} data sets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
