#!/usr/bin/env python3
"""GPT-2 (Hugging Face GPT2LMHeadModel, random weights) exported with
torch.onnx.export as two graphs, with Hugging Face / optimum names:

  gpt2_<config>            full sequence (prefill)
      input_ids i64[batch_size, sequence_length]
      attention_mask i64[batch_size, sequence_length]
   -> logits f32[batch_size, sequence_length, vocab]
      present.N.key, present.N.value f32[batch_size, heads, sequence_length, head_dim]
      (N = 0 .. layers-1; --no-present drops them)

  gpt2_<config>_with_past  one decode step with the KV cache
      input_ids i64[batch_size, sequence_length]
      attention_mask i64[batch_size, total_sequence_length]
      past_key_values.N.key, past_key_values.N.value
          f32[batch_size, heads, past_sequence_length, head_dim]
   -> logits, present.N.key, present.N.value (total_sequence_length long)

Test data: full sequence (batch, seq) = (1, 5), (2, 7) and (1, 20); step
with a past (batch, past, seq) = (1, 5, 1), (2, 7, 2) and (1, 4, 17), with
the past computed by the torch model. The third sets have more than 16
query rows: on the CPU they run attention through the reference expansion,
the others through the online-softmax loop nest
(attnc-lower-attention-flash, docs/generated/AttncTransformsPasses.md). In the batch-2 sets the second row is left-padded (two zeros at
the start of attention_mask), as batched generation does.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import common  # noqa: E402

FAMILY = "gpt2"

# tiny: for the tests (seconds). small/medium: the real GPT-2 sizes (124M,
# 355M parameters), generated on demand only.
CONFIGS = {
    "tiny": dict(n_layer=2, n_embd=64, n_head=4, vocab_size=1000,
                 n_positions=128, initializer_range=0.1),
    # tiny with GPT-2's real vocabulary size, so that the ids of the real
    # tokenizer are valid (gpt2-generate's test, docs/apps.md).
    "tiny_vocab": dict(n_layer=2, n_embd=64, n_head=4, vocab_size=50257,
                       n_positions=128, initializer_range=0.1),
    "small": dict(n_layer=12, n_embd=768, n_head=12, vocab_size=50257,
                  n_positions=1024),
    "medium": dict(n_layer=24, n_embd=1024, n_head=16, vocab_size=50257,
                   n_positions=1024),
}
FULL_SHAPES = [(1, 5), (2, 7), (1, 20)]   # (batch, seq)
PAST_SHAPES = [(1, 5, 1), (2, 7, 2), (1, 4, 17)]  # (batch, past, seq)
LEFT_PAD = 2                              # padded positions of row 1


def attention_mask(batch, length):
    mask = np.ones((batch, length), dtype=np.int64)
    if batch > 1:
        mask[1, :LEFT_PAD] = 0
    return mask


def make_compressible(model, seed, period=16):
    """Overwrites the weights with row-periodic random values.

    Every matrix W[K, N] becomes W[i, :] = R[i % period, :] (R random with
    the model's init scale), and the token embedding (tied to the LM head)
    the sum of two such patterns with periods 16 and 19, so that no two
    tokens closer than 16 * 19 share logits. Shapes, graph and compute are GPT-2's;
    the compiled .so compresses to about 1% of its size (xz -9), which is
    how a 355M-parameter model is shipped to a GPU machine that can only
    receive 64 MiB (docs/performance.md). Biases and LayerNorms stay random.
    """
    torch = common.import_torch()
    gen = torch.Generator().manual_seed(seed + 7)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.dim() != 2:
                continue
            rows, cols = param.shape
            std = float(param.std()) or 0.02

            def pattern(p):
                r = torch.randn(p, cols, generator=gen) * std
                return r.repeat((rows + p - 1) // p, 1)[:rows]

            if name.endswith("wte.weight"):
                param.copy_((pattern(period) + pattern(period + 3)) / 2 ** 0.5)
            else:
                param.copy_(pattern(period))


def build(config, seed, compressible=False):
    torch = common.import_torch()
    transformers = common.import_transformers()
    cfg = transformers.GPT2Config(**CONFIGS[config], resid_pdrop=0.0,
                                  embd_pdrop=0.0, attn_pdrop=0.0)
    common.seed_everything(seed)
    model = transformers.GPT2LMHeadModel(cfg).eval()
    if compressible:
        make_compressible(model, seed)

    class Full(torch.nn.Module):
        def __init__(self, lm, present):
            super().__init__()
            self.lm, self.present = lm, present

        def forward(self, input_ids, attention_mask):
            out = self.lm(input_ids=input_ids, attention_mask=attention_mask,
                          use_cache=self.present, return_dict=True)
            if not self.present:
                return out.logits
            return (out.logits,) + tuple(t for kv in out.past_key_values
                                         for t in kv)

    class WithPast(torch.nn.Module):
        def __init__(self, lm):
            super().__init__()
            self.lm = lm

        def forward(self, input_ids, attention_mask, *past):
            pairs = tuple((past[2 * i], past[2 * i + 1])
                          for i in range(len(past) // 2))
            out = self.lm(input_ids=input_ids, attention_mask=attention_mask,
                          past_key_values=pairs, use_cache=True,
                          return_dict=True)
            return (out.logits,) + tuple(t for kv in out.past_key_values
                                         for t in kv)

    return cfg, model, Full, WithPast


def kv_names(prefix, n_layer):
    return [f"{prefix}.{i}.{kv}" for i in range(n_layer) for kv in ("key", "value")]


def main(argv=None):
    parser = common.family_arg_parser(__doc__.split("\n\n")[0], CONFIGS)
    parser.add_argument("--no-present", action="store_true",
                        help="full-sequence graph outputs only logits")
    parser.add_argument("--compressible-weights", action="store_true",
                        help="row-periodic random weights (see "
                             "make_compressible); for shipping a compiled "
                             "full-size model to a remote machine")
    args = parser.parse_args(argv)
    torch = common.import_torch()
    cfg, model, Full, WithPast = build(args.config, args.seed,
                                       args.compressible_weights)
    rng = np.random.default_rng(args.seed + 1)
    n = cfg.n_layer
    ok = True

    # --- full sequence ------------------------------------------------------
    name = common.graph_name(FAMILY, args.config, "", args.opset)
    present = not args.no_present
    outs = ["logits"] + (kv_names("present", n) if present else [])
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for o in outs[1:]:
        axes[o] = {0: "batch_size", 2: "sequence_length"}
    sets = [{"input_ids": rng.integers(0, cfg.vocab_size, (b, s), dtype=np.int64),
             "attention_mask": attention_mask(b, s)} for b, s in FULL_SHAPES]
    ok &= common.export_and_write(name, Full(model, present), sets,
                                  ["input_ids", "attention_mask"], outs, axes,
                                  args.out, args.opset)

    # --- decode step with the KV cache --------------------------------------
    name = common.graph_name(FAMILY, args.config, "with_past", args.opset)
    past_in = kv_names("past_key_values", n)
    ins = ["input_ids", "attention_mask"] + past_in
    outs = ["logits"] + kv_names("present", n)
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for p in past_in:
        axes[p] = {0: "batch_size", 2: "past_sequence_length"}
    for o in outs[1:]:
        axes[o] = {0: "batch_size", 2: "total_sequence_length"}
    sets = []
    for b, past, s in PAST_SHAPES:
        mask = attention_mask(b, past + s)
        prefix = rng.integers(0, cfg.vocab_size, (b, past), dtype=np.int64)
        kv = common.torch_outputs(Full(model, True), [
            torch.from_numpy(prefix), torch.from_numpy(mask[:, :past])])[1:]
        inputs = {"input_ids": rng.integers(0, cfg.vocab_size, (b, s),
                                            dtype=np.int64),
                  "attention_mask": mask}
        inputs.update(zip(past_in, kv))
        sets.append(inputs)
    ok &= common.export_and_write(name, WithPast(model), sets, ins, outs, axes,
                                  args.out, args.opset)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
