#!/usr/bin/env python3
"""ViT (Hugging Face ViTForImageClassification, random weights) exported
with torch.onnx.export, with Hugging Face / optimum names:

  vit_<config>
      pixel_values f32[batch_size, num_channels, height, width]
   -> logits f32[batch_size, num_labels]

Only the batch axis is dynamic: the position embeddings fix the image size
(tiny: 3x32x32, patch 8 -> 16 patches + [CLS]; b16: 3x224x224, patch 16 ->
196 patches + [CLS]). Test data: batch 1 and batch 3, pixels ~ N(0, 1).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import common  # noqa: E402

FAMILY = "vit"

CONFIGS = {
    "tiny": dict(image_size=32, patch_size=8, num_channels=3,
                 num_hidden_layers=2, hidden_size=64, num_attention_heads=4,
                 intermediate_size=128, num_labels=10, initializer_range=0.1),
    # ViT-B/16 at 224x224 (86M parameters, ImageNet's 1000 classes), on demand only.
    "b16": dict(image_size=224, patch_size=16, num_channels=3,
                num_hidden_layers=12, hidden_size=768, num_attention_heads=12,
                intermediate_size=3072, num_labels=1000),
}
BATCHES = [1, 3]


def main(argv=None):
    args = common.family_arg_parser(__doc__.split("\n\n")[0], CONFIGS).parse_args(argv)
    torch = common.import_torch()
    transformers = common.import_transformers()
    cfg = transformers.ViTConfig(**CONFIGS[args.config], hidden_dropout_prob=0.0,
                                 attention_probs_dropout_prob=0.0)
    common.seed_everything(args.seed)
    vit = transformers.ViTForImageClassification(cfg).eval()

    class Wrapper(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, pixel_values):
            return self.model(pixel_values=pixel_values, return_dict=True).logits

    rng = np.random.default_rng(args.seed + 1)
    c, hw = cfg.num_channels, cfg.image_size
    sets = [{"pixel_values": rng.standard_normal((b, c, hw, hw)).astype(np.float32)}
            for b in BATCHES]
    name = common.graph_name(FAMILY, args.config, "", args.opset)
    ok = common.export_and_write(
        name, Wrapper(vit), sets, ["pixel_values"], ["logits"],
        {"pixel_values": {0: "batch_size"}, "logits": {0: "batch_size"}},
        args.out, args.opset)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
