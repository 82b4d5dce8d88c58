#!/usr/bin/env python3
"""torch.nn.TransformerEncoder (post-norm nn.TransformerEncoderLayer, ReLU,
batch-first) with a key padding mask, exported with torch.onnx.export:

  torch_encoder_<config>
      src f32[batch_size, sequence_length, d_model]
      src_key_padding_mask bool[batch_size, sequence_length]  (true = padding)
   -> output f32[batch_size, sequence_length, d_model]

Configs: `tiny` (2 layers, d_model 32, 4 heads, feed-forward 64) for the
tests and `base` (6 layers, d_model 512, 8 heads, feed-forward 2048: the
"Attention is all you need" encoder). Test data: (batch, seq) = (1, 5) and
(3, 8); in the batch-3 set rows 1 and 2 have 2 and 5 padded positions at
the end (padded rows' outputs are compared too: they are finite). The
reference PyTorch outputs come from torch's fused inference path, the export
from the traced (non-fused) layers, so the cross-check compares two
implementations.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import common  # noqa: E402

FAMILY = "torch_encoder"

CONFIGS = {
    "tiny": dict(num_layers=2, d_model=32, nhead=4, d_ff=64),
    "base": dict(num_layers=6, d_model=512, nhead=8, d_ff=2048),
}
SHAPES = [(1, 5), (3, 8)]   # (batch, seq)
PADDING = {1: 2, 2: 5}      # row -> padded positions at the end


def main(argv=None):
    args = common.family_arg_parser(__doc__.split("\n\n")[0], CONFIGS).parse_args(argv)
    torch = common.import_torch()
    cfg = CONFIGS[args.config]
    common.seed_everything(args.seed)
    layer = torch.nn.TransformerEncoderLayer(
        cfg["d_model"], cfg["nhead"], dim_feedforward=cfg["d_ff"], dropout=0.0,
        batch_first=True)
    # No nested-tensor fast path: it is not exportable.
    encoder = torch.nn.TransformerEncoder(layer, cfg["num_layers"],
                                          enable_nested_tensor=False).eval()

    class Wrapper(torch.nn.Module):
        def __init__(self, enc):
            super().__init__()
            self.enc = enc

        def forward(self, src, src_key_padding_mask):
            return self.enc(src, src_key_padding_mask=src_key_padding_mask)

    rng = np.random.default_rng(args.seed + 1)
    sets = []
    for b, s in SHAPES:
        mask = np.zeros((b, s), dtype=bool)
        for row, pad in PADDING.items():
            if row < b:
                mask[row, s - pad:] = True
        sets.append({"src": rng.standard_normal((b, s, cfg["d_model"])).astype(np.float32),
                     "src_key_padding_mask": mask})
    axes = {n: {0: "batch_size", 1: "sequence_length"}
            for n in ("src", "src_key_padding_mask", "output")}
    ok = common.export_and_write(
        common.graph_name(FAMILY, args.config, "", args.opset), Wrapper(encoder),
        sets, ["src", "src_key_padding_mask"], ["output"], axes, args.out,
        args.opset, trace_with_grad=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
