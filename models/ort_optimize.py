#!/usr/bin/env python3
"""Runs ONNX Runtime's transformer optimizer on an exported model.

    ort_optimize.py --model M.onnx --model-type bert --out M_opt.onnx \
        --expect com.microsoft::Attention --expect ...

The optimizer fuses attention, LayerNorm and GELU subgraphs into the
com.microsoft ops (Attention, SkipLayerNormalization, BiasGelu, ...) that
attnc imports; the optimized model is then compiled and compared with the
original model's ONNX Runtime outputs. The optimizer's default fusions
are used. Fails unless every --expect op type
(domain::op) occurs in the result, so the test never passes on a graph the
optimizer left alone.
"""

import argparse
import collections
import sys

import onnx


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--model-type", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--expect", action="append", default=[])
    args = parser.parse_args(argv)
    try:
        from onnxruntime.transformers import optimizer
        from onnxruntime.transformers.fusion_options import FusionOptions
    except ImportError as e:
        sys.exit(f"error: cannot import onnxruntime.transformers ({e})")
    options = FusionOptions(args.model_type)
    model = optimizer.optimize_model(
        args.model, model_type=args.model_type, num_heads=0, hidden_size=0,
        opt_level=0, optimization_options=options)
    model.save_model_to_file(args.out)
    ops = collections.Counter(
        f"{n.domain or 'ai.onnx'}::{n.op_type}"
        for n in onnx.load(args.out).graph.node)
    print("ops:", ", ".join(f"{k} x{v}" for k, v in sorted(ops.items())))
    missing = [e for e in args.expect if e not in ops]
    if missing:
        sys.exit(f"error: the optimizer did not produce {', '.join(missing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
