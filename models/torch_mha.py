#!/usr/bin/env python3
"""The seed's TransformerLayer: a post-norm transformer layer around
torch.nn.MultiheadAttention, sequence-first, exported with torch.onnx.export:

    x = LayerNorm(x + MultiheadAttention(x, x, x))
    y = LayerNorm(x + Linear(ReLU(Linear(x))))

  torch_mha_<config>
      x f32[sequence_length, batch_size, d_model]
   -> y f32[sequence_length, batch_size, d_model]

Configs: `seed` is the original example (d_model 512, 8 heads, feed-forward
2048, input (10, 32, 512)); `tiny` (d_model 32, 4 heads) is the test size.
Test data: (seq, batch) = (5, 1) and (7, 3) for tiny, (10, 32) and (12, 4)
for seed.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import common  # noqa: E402

FAMILY = "torch_mha"

CONFIGS = {
    "tiny": dict(d_model=32, nhead=4, d_ff=64, shapes=[(5, 1), (7, 3)]),
    "seed": dict(d_model=512, nhead=8, d_ff=2048, shapes=[(12, 4), (10, 32)]),
}


def make_layer(d_model, nhead, d_ff):
    torch = common.import_torch()
    nn = torch.nn

    class TransformerLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(d_model, nhead)  # seq-first
            self.norm1 = nn.LayerNorm(d_model)
            self.ff = nn.Sequential(nn.Linear(d_model, d_ff), nn.ReLU(),
                                    nn.Linear(d_ff, d_model))
            self.norm2 = nn.LayerNorm(d_model)

        def forward(self, x):
            a, _ = self.attn(x, x, x, need_weights=False)
            x = self.norm1(x + a)
            return self.norm2(x + self.ff(x))

    return TransformerLayer()


def main(argv=None):
    args = common.family_arg_parser(__doc__.split("\n\n")[0], CONFIGS).parse_args(argv)
    cfg = CONFIGS[args.config]
    common.seed_everything(args.seed)
    layer = make_layer(cfg["d_model"], cfg["nhead"], cfg["d_ff"]).eval()
    rng = np.random.default_rng(args.seed + 1)
    sets = [{"x": rng.standard_normal((s, b, cfg["d_model"])).astype(np.float32)}
            for s, b in cfg["shapes"]]
    axes = {n: {0: "sequence_length", 1: "batch_size"} for n in ("x", "y")}
    ok = common.export_and_write(
        common.graph_name(FAMILY, args.config, "", args.opset), layer, sets,
        ["x"], ["y"], axes, args.out, args.opset)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
