#!/usr/bin/env python3
"""Llama-style decoder (Hugging Face LlamaForCausalLM, random weights),
exported by torch.onnx.export as two graphs with the HF names:

  llama_<config>[_opsetN].onnx            full sequence: input_ids,
      attention_mask -> logits, present.N.key/value
  llama_<config>_with_past[_opsetN].onnx  decode step: input_ids,
      attention_mask, past_key_values.N.key/value -> logits, present.N.*

The tiny config has grouped-query attention (4 query heads, 2 key/value
heads), RoPE, RMSNorm and a SiLU-gated MLP: the pieces a Llama-style model
adds to GPT-2. Eager attention (torch 1.13 has no SDPA).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import common  # noqa: E402
from gpt2 import attention_mask, kv_names  # noqa: E402

FAMILY = "llama"

CONFIGS = {
    "tiny": dict(vocab_size=1000, hidden_size=64, intermediate_size=128,
                 num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, max_position_embeddings=128,
                 rms_norm_eps=1e-6, initializer_range=0.1),
}
FULL_SHAPES = [(1, 5), (2, 7), (1, 20)]   # (batch, seq): see gpt2.py
PAST_SHAPES = [(1, 5, 1), (2, 7, 2), (1, 4, 17)]  # (batch, past, seq)


def build(config, seed):
    torch = common.import_torch()
    transformers = common.import_transformers()
    cfg = transformers.LlamaConfig(**CONFIGS[config],
                                   attn_implementation="eager")
    common.seed_everything(seed)
    model = transformers.LlamaForCausalLM(cfg).eval()

    class Full(torch.nn.Module):
        def __init__(self, lm):
            super().__init__()
            self.lm = lm

        def forward(self, input_ids, attention_mask):
            out = self.lm(input_ids=input_ids, attention_mask=attention_mask,
                          use_cache=True, return_dict=True)
            past = out.past_key_values
            if hasattr(past, "to_legacy_cache"):
                past = past.to_legacy_cache()
            return (out.logits,) + tuple(t for kv in past for t in kv)

    class WithPast(torch.nn.Module):
        def __init__(self, lm):
            super().__init__()
            self.lm = lm

        def forward(self, input_ids, attention_mask, *past):
            pairs = tuple((past[2 * i], past[2 * i + 1])
                          for i in range(len(past) // 2))
            b, s = input_ids.shape
            total = attention_mask.shape[1]
            position_ids = torch.arange(total - s, total).unsqueeze(0)
            out = self.lm(input_ids=input_ids, attention_mask=attention_mask,
                          position_ids=position_ids.expand(b, s),
                          past_key_values=pairs, use_cache=True,
                          return_dict=True)
            past = out.past_key_values
            if hasattr(past, "to_legacy_cache"):
                past = past.to_legacy_cache()
            return (out.logits,) + tuple(t for kv in past for t in kv)

    return cfg, model, Full, WithPast


def main(argv=None):
    parser = common.family_arg_parser(__doc__.split("\n\n")[0], CONFIGS)
    args = parser.parse_args(argv)
    cfg, model, Full, WithPast = build(args.config, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    n = cfg.num_hidden_layers
    ok = True

    name = common.graph_name(FAMILY, args.config, "", args.opset)
    outs = ["logits"] + kv_names("present", n)
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for o in outs[1:]:
        axes[o] = {0: "batch_size", 2: "sequence_length"}
    sets = [{"input_ids": rng.integers(0, cfg.vocab_size, (b, s), dtype=np.int64),
             "attention_mask": np.ones((b, s), dtype=np.int64)}
            for b, s in FULL_SHAPES]
    ok &= common.export_and_write(name, Full(model), sets,
                                  ["input_ids", "attention_mask"], outs, axes,
                                  args.out, args.opset)

    name = common.graph_name(FAMILY, args.config, "with_past", args.opset)
    past_in = kv_names("past_key_values", n)
    ins = ["input_ids", "attention_mask"] + past_in
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for p in past_in:
        axes[p] = {0: "batch_size", 2: "past_sequence_length"}
    for o in outs[1:]:
        axes[o] = {0: "batch_size", 2: "total_sequence_length"}
    head_dim = cfg.hidden_size // cfg.num_attention_heads
    sets = []
    for b, past, s in PAST_SHAPES:
        inputs = {"input_ids": rng.integers(0, cfg.vocab_size, (b, s),
                                            dtype=np.int64),
                  "attention_mask": np.ones((b, past + s), dtype=np.int64)}
        for p in past_in:
            inputs[p] = rng.standard_normal(
                (b, cfg.num_key_value_heads, past, head_dim)).astype(np.float32)
        sets.append(inputs)
    ok &= common.export_and_write(name, WithPast(model), sets, ins, outs, axes,
                                  args.out, args.opset)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
