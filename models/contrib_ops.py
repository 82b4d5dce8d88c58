#!/usr/bin/env python3
"""Small graphs of the com.microsoft ops ONNX Runtime's transformer
optimizer writes, with ONNX Runtime's CPU kernels as the reference.

    contrib_ops.py --case CASE --out DIR

writes DIR/CASE.onnx and DIR/CASE/test_data_set_{0,1} (two (batch, seq)
shapes, so dynamic dims are exercised). Cases:

  ms_attention       com.microsoft Attention: packed QKV weight + bias,
                     [B, S] key-padding mask_index, unidirectional
  ms_attention_past  the same with past [2, B, N, P, D] and present
  mha                MultiHeadAttention: bias, key_padding_mask,
                     attention_bias, past_key/past_value -> present_*
  skip_layernorm     SkipLayerNormalization with bias; outputs y, mean,
                     inv_std_var and the input + skip + bias sum
  gelus              FastGelu (with bias), BiasGelu, Gelu
  fused_matmul       FusedMatMul with transA, transB, alpha, batch dims
  rms_norms          SimplifiedLayerNormalization and
                     SkipSimplifiedLayerNormalization (RMSNorm)
  layernorm_opset14  LayerNormalization in an opset-14 model (ONNX
                     Runtime's contrib op before opset 17)
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import common  # noqa: E402

F32 = TensorProto.FLOAT
I32 = TensorProto.INT32
MS = "com.microsoft"
HIDDEN, HEADS = 16, 2
HEAD = HIDDEN // HEADS


def vi(name, dims, dtype=F32):
    return helper.make_tensor_value_info(name, dtype, dims)


def init(rng, name, shape, scale=0.3):
    return numpy_helper.from_array(
        (rng.standard_normal(shape) * scale).astype(np.float32), name)


def model(nodes, inputs, outputs, inits, opset=common.OPSET):
    graph = helper.make_graph(nodes, "contrib", inputs, outputs, inits)
    m = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", opset), helper.make_opsetid(MS, 1)],
        producer_name="attnc-models")
    m.ir_version = common.IR_VERSION
    return m


def padding_mask(rng, b, t):
    """[B, T] int32 mask, 1 = attend; every row keeps its first key."""
    mask = (rng.random((b, t)) > 0.3).astype(np.int32)
    mask[:, 0] = 1
    return mask


def case_ms_attention(rng, past):
    nodes = [helper.make_node(
        "Attention", ["x", "w", "b", "mask"] + (["past"] if past else []),
        ["y"] + (["present"] if past else []), domain=MS,
        num_heads=HEADS, unidirectional=1)]
    inputs = [vi("x", ["B", "S", HIDDEN]), vi("mask", ["B", "T"], I32)]
    outputs = [vi("y", ["B", "S", HIDDEN])]
    if past:
        inputs.append(vi("past", [2, "B", HEADS, "P", HEAD]))
        outputs.append(vi("present", [2, "B", HEADS, "T", HEAD]))
    inits = [init(rng, "w", [HIDDEN, 3 * HIDDEN]),
             init(rng, "b", [3 * HIDDEN])]
    sets = []
    for b, s, p in [(1, 5, 3), (2, 3, 4)]:
        p = p if past else 0
        d = {"x": rng.standard_normal((b, s, HIDDEN)).astype(np.float32),
             "mask": padding_mask(rng, b, p + s)}
        if past:
            d["past"] = rng.standard_normal(
                (2, b, HEADS, p, HEAD)).astype(np.float32)
        sets.append(d)
    return model(nodes, inputs, outputs, inits), sets


def case_mha(rng):
    nodes = [helper.make_node(
        "MultiHeadAttention",
        ["q", "k", "v", "bias", "kpm", "ab", "past_k", "past_v"],
        ["y", "present_k", "present_v"], domain=MS, num_heads=HEADS)]
    inputs = [vi("q", ["B", "S", HIDDEN]), vi("k", ["B", "L", HIDDEN]),
              vi("v", ["B", "L", HIDDEN]), vi("kpm", ["B", "T"], I32),
              vi("ab", [1, HEADS, "S", "T"]),
              vi("past_k", ["B", HEADS, "P", HEAD]),
              vi("past_v", ["B", HEADS, "P", HEAD])]
    outputs = [vi("y", ["B", "S", HIDDEN]),
               vi("present_k", ["B", HEADS, "T", HEAD]),
               vi("present_v", ["B", HEADS, "T", HEAD])]
    inits = [init(rng, "bias", [3 * HIDDEN])]
    sets = []
    for b, s, l, p in [(1, 4, 4, 2), (2, 3, 3, 5)]:
        t = p + l
        sets.append({
            "q": rng.standard_normal((b, s, HIDDEN)).astype(np.float32),
            "k": rng.standard_normal((b, l, HIDDEN)).astype(np.float32),
            "v": rng.standard_normal((b, l, HIDDEN)).astype(np.float32),
            "kpm": padding_mask(rng, b, t),
            "ab": rng.standard_normal((1, HEADS, s, t)).astype(np.float32),
            "past_k": rng.standard_normal((b, HEADS, p, HEAD)).astype(np.float32),
            "past_v": rng.standard_normal((b, HEADS, p, HEAD)).astype(np.float32),
        })
    return model(nodes, inputs, outputs, inits), sets


def case_skip_layernorm(rng):
    nodes = [helper.make_node(
        "SkipLayerNormalization", ["x", "skip", "gamma", "beta", "bias"],
        ["y", "mean", "inv_std", "sum"], domain=MS, epsilon=1e-5)]
    inputs = [vi("x", ["B", "S", HIDDEN]), vi("skip", ["B", "S", HIDDEN])]
    outputs = [vi("y", ["B", "S", HIDDEN]), vi("mean", ["B", "S", 1]),
               vi("inv_std", ["B", "S", 1]), vi("sum", ["B", "S", HIDDEN])]
    inits = [init(rng, "gamma", [HIDDEN], 1.0), init(rng, "beta", [HIDDEN]),
             init(rng, "bias", [HIDDEN])]
    sets = [{"x": rng.standard_normal((b, s, HIDDEN)).astype(np.float32),
             "skip": rng.standard_normal((b, s, HIDDEN)).astype(np.float32)}
            for b, s in [(1, 5), (3, 2)]]
    return model(nodes, inputs, outputs, inits), sets


def case_gelus(rng):
    nodes = [
        helper.make_node("FastGelu", ["x", "bias"], ["fast"], domain=MS),
        helper.make_node("BiasGelu", ["x", "bias"], ["biasgelu"], domain=MS),
        helper.make_node("Gelu", ["x"], ["gelu"], domain=MS),
    ]
    inputs = [vi("x", ["B", "S", HIDDEN])]
    outputs = [vi("fast", ["B", "S", HIDDEN]),
               vi("biasgelu", ["B", "S", HIDDEN]),
               vi("gelu", ["B", "S", HIDDEN])]
    inits = [init(rng, "bias", [HIDDEN])]
    sets = [{"x": (rng.standard_normal((b, s, HIDDEN)) * 2).astype(np.float32)}
            for b, s in [(1, 5), (2, 3)]]
    return model(nodes, inputs, outputs, inits), sets


def case_fused_matmul(rng):
    nodes = [
        helper.make_node("FusedMatMul", ["a", "b"], ["ab"], domain=MS,
                         transA=1, alpha=0.125),
        helper.make_node("FusedMatMul", ["a2", "w"], ["aw"], domain=MS,
                         transB=1, alpha=2.0),
    ]
    inputs = [vi("a", ["B", "H", 8, "S"]), vi("b", ["B", "H", 8, "T"]),
              vi("a2", ["B", "S", HIDDEN])]
    outputs = [vi("ab", ["B", "H", "S", "T"]), vi("aw", ["B", "S", 4])]
    inits = [init(rng, "w", [4, HIDDEN])]
    sets = []
    for b, h, s, t in [(1, 2, 3, 5), (2, 1, 4, 4)]:
        sets.append({
            "a": rng.standard_normal((b, h, 8, s)).astype(np.float32),
            "b": rng.standard_normal((b, h, 8, t)).astype(np.float32),
            "a2": rng.standard_normal((b, s, HIDDEN)).astype(np.float32)})
    return model(nodes, inputs, outputs, inits), sets


def case_rms_norms(rng):
    """SimplifiedLayerNormalization (ai.onnx domain, ONNX Runtime's RMSNorm)
    and SkipSimplifiedLayerNormalization, as the optimizer writes them."""
    nodes = [
        helper.make_node("SimplifiedLayerNormalization", ["x", "gamma"],
                         ["rms"], axis=-1, epsilon=1e-5),
        helper.make_node("SkipSimplifiedLayerNormalization",
                         ["x", "skip", "gamma", "bias"],
                         ["srms", "", "inv_std", "sum"], domain=MS,
                         epsilon=1e-5),
    ]
    inputs = [vi("x", ["B", "S", HIDDEN]), vi("skip", ["B", "S", HIDDEN])]
    outputs = [vi("rms", ["B", "S", HIDDEN]), vi("srms", ["B", "S", HIDDEN]),
               vi("inv_std", ["B", "S", 1]), vi("sum", ["B", "S", HIDDEN])]
    inits = [init(rng, "gamma", [HIDDEN], 1.0), init(rng, "bias", [HIDDEN])]
    sets = [{"x": rng.standard_normal((b, s, HIDDEN)).astype(np.float32),
             "skip": rng.standard_normal((b, s, HIDDEN)).astype(np.float32)}
            for b, s in [(1, 5), (3, 2)]]
    return model(nodes, inputs, outputs, inits), sets


def case_layernorm_opset14(rng):
    """LayerNormalization in an opset-14 model: ONNX Runtime's contrib op in
    the ai.onnx domain, which its optimizer writes before opset 17."""
    nodes = [helper.make_node("LayerNormalization", ["x", "gamma", "beta"],
                              ["y"], axis=-1, epsilon=1e-5)]
    inputs = [vi("x", ["B", "S", HIDDEN])]
    outputs = [vi("y", ["B", "S", HIDDEN])]
    inits = [init(rng, "gamma", [HIDDEN], 1.0), init(rng, "beta", [HIDDEN])]
    sets = [{"x": rng.standard_normal((b, s, HIDDEN)).astype(np.float32)}
            for b, s in [(1, 5), (2, 3)]]
    return model(nodes, inputs, outputs, inits, opset=14), sets


CASES = {
    "ms_attention": lambda rng: case_ms_attention(rng, past=False),
    "ms_attention_past": lambda rng: case_ms_attention(rng, past=True),
    "mha": case_mha,
    "skip_layernorm": case_skip_layernorm,
    "gelus": case_gelus,
    "fused_matmul": case_fused_matmul,
    "rms_norms": case_rms_norms,
    "layernorm_opset14": case_layernorm_opset14,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", required=True, choices=sorted(CASES))
    parser.add_argument("--out", required=True, help="output folder")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(7)
    m, sets = CASES[args.case](rng)
    # The ONNX checker of onnx 1.12 does not know com.microsoft ops; ONNX
    # Runtime validates the graph when it loads it.
    path = os.path.join(args.out, f"{args.case}.onnx")
    os.makedirs(args.out, exist_ok=True)
    import onnx
    onnx.save(m, path)
    data_dir = os.path.join(args.out, args.case)
    if os.path.isdir(data_dir):
        import shutil
        shutil.rmtree(data_dir)
    for k, inputs in enumerate(sets):
        outputs = common.run_ort(path, inputs)
        for o in outputs:
            if not np.all(np.isfinite(o)):
                sys.exit(f"error: ONNX Runtime produced non-finite outputs "
                         f"for {args.case}")
        common.write_test_data_set(m, data_dir, k, inputs, outputs)
    print(f"wrote {path} and {len(sets)} data sets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
