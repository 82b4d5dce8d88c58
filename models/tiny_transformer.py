#!/usr/bin/env python3
"""A tiny transformer built only from the ops attnc's first slice supports
(MatMul, Transpose, Softmax, Add, Sub, Mul, Div, Constant, initializers).

Per layer, on x f32[batch, seq, d_model]:

    q, k, v = x.Wq + bq, x.Wk + bk, x.Wv + bv       (MatMul, then Add(bias, .))
    s       = q . Transpose(k, [0,2,1]) / sqrt(d)   (Div by a scalar Constant)
    a       = Softmax(s, axis=-1) . v
    x       = x + (a.Wo + bo)                        (residual)
    x       = x + ((x.W1 + b1).W2 + b2)              (feed-forward, residual)

There is no LayerNorm and the feed-forward block has NO activation: attnc
does not support Relu/Gelu/Erf/Tanh yet. Add one here when it does.

Linear layers follow what torch.onnx.export emits for 3-D inputs: MatMul with
the (pre-transposed) weight, then Add with the bias as the FIRST operand.
Most weights are initializers; Wo and b2 are `Constant` nodes, as some real
exporters store weights that way.

Writes DIR/tiny_transformer.onnx and DIR/tiny_transformer/test_data_set_{0,1}
(batch, seq) = (1, 5) and (2, 7), with ONNX Runtime outputs as the reference,
after cross-checking ONNX Runtime against a numpy version of the same maths.
"""

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import common  # noqa: E402

NAME = "tiny_transformer"
SHAPES = [(1, 5), (2, 7)]  # (batch, seq) of the test data sets


def make_weights(layers, d_model, d_ff, seed):
    """Returns one dict of float32 arrays per layer (weights stored as [in, out])."""
    rng = np.random.default_rng(seed)

    def w(fan_in, fan_out):
        return (rng.standard_normal((fan_in, fan_out)) /
                math.sqrt(fan_in)).astype(np.float32)

    def b(n):
        return (0.1 * rng.standard_normal(n)).astype(np.float32)

    weights = []
    for _ in range(layers):
        weights.append({
            "wq": w(d_model, d_model), "bq": b(d_model),
            "wk": w(d_model, d_model), "bk": b(d_model),
            "wv": w(d_model, d_model), "bv": b(d_model),
            "wo": w(d_model, d_model), "bo": b(d_model),
            "w1": w(d_model, d_ff), "b1": b(d_ff),
            "w2": w(d_ff, d_model), "b2": b(d_model),
        })
    return weights


# Weights emitted as Constant nodes rather than initializers.
CONSTANT_NODE_WEIGHTS = {"wo", "b2"}


def build_model(weights, d_model):
    nodes, initializers = [], []

    def tensor(layer, key):
        name = f"layer{layer}.{key}"
        array = weights[layer][key]
        if key in CONSTANT_NODE_WEIGHTS:
            nodes.append(helper.make_node(
                "Constant", [], [name],
                value=numpy_helper.from_array(array, name + ".value")))
        else:
            initializers.append(numpy_helper.from_array(array, name))
        return name

    def linear(layer, x, w, b, out):
        mm = f"{out}.matmul"
        nodes.append(helper.make_node("MatMul", [x, tensor(layer, w)], [mm]))
        nodes.append(helper.make_node("Add", [tensor(layer, b), mm], [out]))
        return out

    nodes.append(helper.make_node(
        "Constant", [], ["sqrt_d"],
        value=numpy_helper.from_array(
            np.array(math.sqrt(d_model), dtype=np.float32), "sqrt_d.value")))

    x = "x"
    for l in range(len(weights)):
        p = f"layer{l}"
        q = linear(l, x, "wq", "bq", f"{p}.q")
        k = linear(l, x, "wk", "bk", f"{p}.k")
        v = linear(l, x, "wv", "bv", f"{p}.v")
        nodes += [
            helper.make_node("Transpose", [k], [f"{p}.k_t"], perm=[0, 2, 1]),
            helper.make_node("MatMul", [q, f"{p}.k_t"], [f"{p}.qk"]),
            helper.make_node("Div", [f"{p}.qk", "sqrt_d"], [f"{p}.scores"]),
            helper.make_node("Softmax", [f"{p}.scores"], [f"{p}.probs"], axis=-1),
            helper.make_node("MatMul", [f"{p}.probs", v], [f"{p}.ctx"]),
        ]
        attn = linear(l, f"{p}.ctx", "wo", "bo", f"{p}.attn_out")
        nodes.append(helper.make_node("Add", [x, attn], [f"{p}.res1"]))
        h = linear(l, f"{p}.res1", "w1", "b1", f"{p}.ff1")
        ff = linear(l, h, "w2", "b2", f"{p}.ff2")
        out = "y" if l == len(weights) - 1 else f"{p}.out"
        nodes.append(helper.make_node("Add", [f"{p}.res1", ff], [out]))
        x = out

    f32 = TensorProto.FLOAT
    graph = helper.make_graph(
        nodes, NAME,
        inputs=[helper.make_tensor_value_info("x", f32, ["batch", "seq", d_model])],
        outputs=[helper.make_tensor_value_info("y", f32, ["batch", "seq", d_model])],
        initializer=initializers,
    )
    return common.make_model(graph)


def numpy_forward(weights, x):
    """The same maths in float64 numpy."""
    x = x.astype(np.float64)
    for wl in weights:
        w = {k: v.astype(np.float64) for k, v in wl.items()}
        d = x.shape[-1]
        q = x @ w["wq"] + w["bq"]
        k = x @ w["wk"] + w["bk"]
        v = x @ w["wv"] + w["bv"]
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        s = np.exp(s - s.max(axis=-1, keepdims=True))
        p = s / s.sum(axis=-1, keepdims=True)
        x = x + ((p @ v) @ w["wo"] + w["bo"])
        x = x + ((x @ w["w1"] + w["b1"]) @ w["w2"] + w["b2"])
    return x


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--d-model", type=int, default=32)
    parser.add_argument("--d-ff", type=int, default=None,
                        help="feed-forward width (default 2 * d-model)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    d_ff = args.d_ff or 2 * args.d_model

    weights = make_weights(args.layers, args.d_model, d_ff, args.seed)
    model = build_model(weights, args.d_model)

    rng = np.random.default_rng(args.seed + 1)
    input_sets = [{"x": rng.standard_normal((b, s, args.d_model)).astype(np.float32)}
                  for b, s in SHAPES]
    model_path, results = common.write_model_and_data(model, args.out, NAME,
                                                      input_sets)

    for (b, s), inputs, (y,) in zip(SHAPES, input_sets, results):
        ref = numpy_forward(weights, inputs["x"])
        if y.shape != ref.shape or not np.allclose(y, ref, rtol=1e-5, atol=1e-5):
            err = np.abs(y - ref).max() if y.shape == ref.shape else float("nan")
            print(f"FAIL: ONNX Runtime and numpy disagree for batch={b} seq={s}"
                  f" (shape {y.shape} vs {ref.shape}, max abs error {err:.3g})",
                  file=sys.stderr)
            return 1
        print(f"batch={b} seq={s}: ONNX Runtime matches numpy "
              f"(max abs error {np.abs(y - ref).max():.3g}, "
              f"output range [{y.min():.3f}, {y.max():.3f}])")
    n_init = len(model.graph.initializer)
    n_const = sum(node.op_type == "Constant" for node in model.graph.node)
    print(f"wrote {model_path} ({len(model.graph.node)} nodes, {n_init} "
          f"initializers, {n_const} Constant nodes) and "
          f"{os.path.join(args.out, NAME)}/test_data_set_{{0..{len(SHAPES) - 1}}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
