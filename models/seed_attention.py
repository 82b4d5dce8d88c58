#!/usr/bin/env python3
"""The seed example: basic (unscaled, single-head) attention.

    attention(query, key, value) = softmax(query . key^T) . value

as an ONNX graph  MatMul(query, Transpose(key)) -> Softmax(axis=-1) -> MatMul(., value)
with three graph inputs: query f32[n,3] (n dynamic), key f32[3,3], value f32[3,2].

Writes DIR/seed_attention.onnx and DIR/seed_attention/test_data_set_0/ with
query=[[1,0,0]], key=I(3), value=[[1,2],[3,4],[5,6]]. The expected output is
[[2.2717, 3.2717]] to 4 decimal places (the exact value is 2.2716493...,
3.2716493...); the script fails if ONNX Runtime or numpy disagree.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

import common  # noqa: E402

NAME = "seed_attention"
EXPECTED = np.array([[2.2717, 3.2717]], dtype=np.float32)


def build_model():
    f32 = TensorProto.FLOAT
    graph = helper.make_graph(
        nodes=[
            helper.make_node("Transpose", ["key"], ["key_t"], perm=[1, 0]),
            helper.make_node("MatMul", ["query", "key_t"], ["scores"]),
            helper.make_node("Softmax", ["scores"], ["probs"], axis=-1),
            helper.make_node("MatMul", ["probs", "value"], ["output"]),
        ],
        name="seed_attention",
        inputs=[
            helper.make_tensor_value_info("query", f32, ["n", 3]),
            helper.make_tensor_value_info("key", f32, [3, 3]),
            helper.make_tensor_value_info("value", f32, [3, 2]),
        ],
        outputs=[helper.make_tensor_value_info("output", f32, ["n", 2])],
    )
    return common.make_model(graph)


def numpy_attention(query, key, value):
    scores = query.astype(np.float64) @ key.astype(np.float64).T
    scores = scores - scores.max(axis=-1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=-1, keepdims=True)
    return probs @ value.astype(np.float64)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="output folder")
    args = parser.parse_args(argv)

    inputs = {
        "query": np.array([[1, 0, 0]], dtype=np.float32),
        "key": np.eye(3, dtype=np.float32),
        "value": np.array([[1, 2], [3, 4], [5, 6]], dtype=np.float32),
    }
    model_path, results = common.write_model_and_data(
        build_model(), args.out, NAME, [inputs])
    (ort_out,) = results[0]

    reference = numpy_attention(**inputs)
    ok = True
    if not np.allclose(ort_out, reference, rtol=1e-5, atol=1e-6):
        print(f"FAIL: ONNX Runtime {common.fmt(ort_out)} != numpy "
              f"{common.fmt(reference)}", file=sys.stderr)
        ok = False
    # "Equal to 4 decimal places" in numpy's sense (assert_almost_equal,
    # decimal=4): |actual - expected| < 1.5e-4. Note the exact value is
    # (1 + 8/e) / (1 + 2/e) = 2.2716493..., which rounds once to 2.2716; the
    # seed's 2.2717 is 2.27165 rounded again.
    if not np.all(np.abs(ort_out - EXPECTED) < 1.5e-4):
        print(f"FAIL: ONNX Runtime {common.fmt(ort_out, 7)} != expected "
              f"{common.fmt(EXPECTED)} (4 decimal places)", file=sys.stderr)
        ok = False
    if not ok:
        return 1
    print(f"wrote {model_path} and {os.path.join(args.out, NAME)}/test_data_set_0")
    print(f"ONNX Runtime output: {common.fmt(ort_out, 7)} "
          f"(expected {common.fmt(EXPECTED)} to 4 decimal places)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
