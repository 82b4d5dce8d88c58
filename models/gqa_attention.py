#!/usr/bin/env python3
"""Grouped-query attention as Llama exports it (the GQA fusion check).

K and V have 2 heads and are repeated for the 4 query heads with HF's
repeat_kv (Unsqueeze, Expand, Reshape); then scores / sqrt(D), a boolean
causal mask with the float32 minimum, Softmax and ·V:

    q f32[B,4,T,8], k/v f32[B,2,T,8], keep bool[1,1,T,T] -> out f32[B,4,T,8]

attnc fuses this into one attn.attention reading the 2 kv heads directly;
the data sets check its numbers against ONNX Runtime.

Writes DIR/gqa_attention.onnx and DIR/gqa_attention/test_data_set_K.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import common  # noqa: E402

NAME = "gqa_attention"
HEADS, KV_HEADS, DIM = 4, 2, 8


def repeat_kv(x, prefix):
    """Nodes of HF's repeat_kv on input `x` (shape from the graph)."""
    return [
        helper.make_node("Shape", [x], [f"{prefix}_shape"]),
        helper.make_node("Unsqueeze", [x, "axis2"], [f"{prefix}_5d"]),
        # [B, Hkv, 1, T, D] -> [B, Hkv, n, T, D]
        helper.make_node("Gather", [f"{prefix}_shape", "idx0"], [f"{prefix}_b"]),
        helper.make_node("Gather", [f"{prefix}_shape", "idx2"], [f"{prefix}_t"]),
        helper.make_node("Concat", [f"{prefix}_b", "kv_heads", "n_rep",
                                    f"{prefix}_t", "dim"],
                         [f"{prefix}_eshape"], axis=0),
        helper.make_node("Expand", [f"{prefix}_5d", f"{prefix}_eshape"],
                         [f"{prefix}_exp"]),
        helper.make_node("Concat", [f"{prefix}_b", "heads", f"{prefix}_t",
                                    "dim"], [f"{prefix}_rshape"], axis=0),
        helper.make_node("Reshape", [f"{prefix}_exp", f"{prefix}_rshape"],
                         [f"{prefix}_rep"]),
    ]


def build_model():
    f32 = TensorProto.FLOAT
    consts = [
        numpy_helper.from_array(np.array([2], np.int64), "axis2"),
        numpy_helper.from_array(np.array([0], np.int64), "idx0"),
        numpy_helper.from_array(np.array([2], np.int64), "idx2"),
        numpy_helper.from_array(np.array([KV_HEADS], np.int64), "kv_heads"),
        numpy_helper.from_array(np.array([HEADS // KV_HEADS], np.int64), "n_rep"),
        numpy_helper.from_array(np.array([HEADS], np.int64), "heads"),
        numpy_helper.from_array(np.array([DIM], np.int64), "dim"),
        numpy_helper.from_array(np.array(np.sqrt(DIM), np.float32), "sqrt_d"),
        numpy_helper.from_array(np.array(np.finfo(np.float32).min, np.float32),
                                "fill"),
    ]
    nodes = repeat_kv("k", "k") + repeat_kv("v", "v") + [
        helper.make_node("Transpose", ["k_rep"], ["kt"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["q", "kt"], ["s"]),
        helper.make_node("Div", ["s", "sqrt_d"], ["s_scaled"]),
        helper.make_node("Where", ["keep", "s_scaled", "fill"], ["s_masked"]),
        helper.make_node("Softmax", ["s_masked"], ["p"], axis=-1),
        helper.make_node("MatMul", ["p", "v_rep"], ["out"]),
    ]
    graph = helper.make_graph(
        nodes=nodes, name=NAME,
        inputs=[
            helper.make_tensor_value_info("q", f32, ["B", HEADS, "T", DIM]),
            helper.make_tensor_value_info("k", f32, ["B", KV_HEADS, "T", DIM]),
            helper.make_tensor_value_info("v", f32, ["B", KV_HEADS, "T", DIM]),
            helper.make_tensor_value_info("keep", TensorProto.BOOL,
                                          [1, 1, "T", "T"]),
        ],
        outputs=[helper.make_tensor_value_info("out", f32,
                                               ["B", HEADS, "T", DIM])],
        initializer=consts,
    )
    return common.make_model(graph)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    sets = []
    # (2, 41): longer than the decode loop nest takes (16 rows).
    for b, t in [(1, 5), (2, 7), (2, 41)]:
        sets.append({
            "q": rng.standard_normal((b, HEADS, t, DIM)).astype(np.float32),
            "k": rng.standard_normal((b, KV_HEADS, t, DIM)).astype(np.float32),
            "v": rng.standard_normal((b, KV_HEADS, t, DIM)).astype(np.float32),
            "keep": np.tril(np.ones((t, t), bool))[None, None],
        })
    common.write_model_and_data(build_model(), args.out, NAME, sets)
    print(f"wrote {NAME} with {len(sets)} data sets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
