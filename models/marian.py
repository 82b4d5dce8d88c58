#!/usr/bin/env python3
"""Marian NMT (Hugging Face MarianMTModel, random weights) exported with
torch.onnx.export as three graphs, with Hugging Face / optimum names:

  marian_<config>_encoder
      input_ids i64[batch_size, encoder_sequence_length]
      attention_mask i64[batch_size, encoder_sequence_length]
   -> last_hidden_state f32[batch_size, encoder_sequence_length, d_model]

  marian_<config>_decoder            first decoder step (no cache yet)
      input_ids i64[batch_size, decoder_sequence_length]
      encoder_attention_mask i64[batch_size, encoder_sequence_length]
      encoder_hidden_states f32[batch_size, encoder_sequence_length, d_model]
   -> logits f32[batch_size, decoder_sequence_length, vocab]
      present.N.decoder.key/value  f32[batch_size, heads, decoder_sequence_length, head_dim]
      present.N.encoder.key/value  f32[batch_size, heads, encoder_sequence_length, head_dim]

  marian_<config>_decoder_with_past  a decode step with the KV cache
      input_ids i64[batch_size, decoder_sequence_length]
      encoder_attention_mask i64[batch_size, encoder_sequence_length]
      past_key_values.N.decoder.key/value  (self-attention cache, past_decoder_sequence_length)
      past_key_values.N.encoder.key/value  (cross-attention keys/values of the encoder output)
   -> logits, present.N.decoder.key/value (past + new positions)

The with-past graph takes the cross-attention keys/values from the cache,
so it has no encoder_hidden_states input (as optimum exports it).

Test data: encoder (batch, enc_seq) = (1, 6) and (2, 9), the second row of
the batch-2 set right-padded by 3; the decoder graphs use the encoder's
outputs for those inputs; decoder (dec_seq) = 1 and 3 for the first step,
and (past, seq) = (3, 1) and (4, 2) with the past from the decoder graph run
in torch. The activation is swish (SiLU), as in the opus-mt models.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import common  # noqa: E402

FAMILY = "marian"

_COMMON = dict(activation_function="swish", scale_embedding=True,
               static_position_embeddings=True, dropout=0.0,
               attention_dropout=0.0, activation_dropout=0.0)
CONFIGS = {
    "tiny": dict(vocab_size=1000, d_model=64, encoder_layers=2,
                 decoder_layers=2, encoder_attention_heads=4,
                 decoder_attention_heads=4, encoder_ffn_dim=128,
                 decoder_ffn_dim=128, max_position_embeddings=128,
                 pad_token_id=999, decoder_start_token_id=999,
                 eos_token_id=0, init_std=0.1, **_COMMON),
    # tiny with opus-mt-en-mg's vocabulary (54688, pad 54687), so that the
    # ids of the real tokenizer are valid (translate's test, docs/apps.md).
    "tiny_vocab": dict(vocab_size=54688, d_model=64, encoder_layers=2,
                       decoder_layers=2, encoder_attention_heads=4,
                       decoder_attention_heads=4, encoder_ffn_dim=128,
                       decoder_ffn_dim=128, max_position_embeddings=128,
                       pad_token_id=54687, decoder_start_token_id=54687,
                       eos_token_id=0, init_std=0.1, **_COMMON),
    # Helsinki-NLP opus-mt-en-mg sizes (config.json in
    # /work/shared/tokenizers/marian-opus-mt-en-mg; 75M parameters), on demand only.
    "opus-mt": dict(vocab_size=54688, d_model=512, encoder_layers=6,
                    decoder_layers=6, encoder_attention_heads=8,
                    decoder_attention_heads=8, encoder_ffn_dim=2048,
                    decoder_ffn_dim=2048, max_position_embeddings=512,
                    pad_token_id=54687, decoder_start_token_id=54687,
                    eos_token_id=0, init_std=0.02, **_COMMON),
}
ENCODER_SHAPES = [(1, 6), (2, 9)]   # (batch, encoder seq)
DECODER_SEQ = [1, 3]                # first step: decoder tokens per set
PAST_STEPS = [(3, 1), (4, 2)]       # with past: (past, new) decoder tokens
PAD = 3                             # right padding of row 1 in the encoder


def encoder_mask(batch, seq):
    mask = np.ones((batch, seq), dtype=np.int64)
    if batch > 1:
        mask[1, seq - PAD:] = 0
    return mask


def kv_names(prefix, layers, parts=("decoder", "encoder")):
    return [f"{prefix}.{i}.{part}.{kv}" for i in range(layers)
            for part in parts for kv in ("key", "value")]


def main(argv=None):
    args = common.family_arg_parser(__doc__.split("\n\n")[0], CONFIGS).parse_args(argv)
    torch = common.import_torch()
    transformers = common.import_transformers()
    cfg = transformers.MarianConfig(**CONFIGS[args.config])
    common.seed_everything(args.seed)
    mt = transformers.MarianMTModel(cfg).eval()
    n = cfg.decoder_layers

    class Encoder(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model.get_encoder()(
                input_ids=input_ids, attention_mask=attention_mask,
                return_dict=True).last_hidden_state

    class Decoder(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, encoder_attention_mask, encoder_hidden_states):
            out = self.model(decoder_input_ids=input_ids,
                             attention_mask=encoder_attention_mask,
                             encoder_outputs=(encoder_hidden_states,),
                             use_cache=True, return_dict=True)
            # per layer: self-attention key, value, cross-attention key, value
            return (out.logits,) + tuple(t for kv in out.past_key_values
                                         for t in kv)

    class DecoderWithPast(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, encoder_attention_mask, *past):
            layers = tuple(tuple(past[4 * i:4 * i + 4]) for i in range(len(past) // 4))
            # The cross-attention reuses the cached encoder keys/values; the
            # encoder output only provides its shape to the model code (and
            # is not part of the exported graph).
            batch, _, enc_len, _ = past[2].shape
            dummy = torch.zeros(batch, enc_len, cfg.d_model)
            out = self.model(decoder_input_ids=input_ids,
                             attention_mask=encoder_attention_mask,
                             encoder_outputs=(dummy,), past_key_values=layers,
                             use_cache=True, return_dict=True)
            return (out.logits,) + tuple(t for kv in out.past_key_values
                                         for t in kv[:2])

    rng = np.random.default_rng(args.seed + 1)
    vocab = cfg.vocab_size
    ok = True

    # --- encoder --------------------------------------------------------------
    enc_sets = [{"input_ids": rng.integers(0, vocab - 1, (b, s), dtype=np.int64),
                 "attention_mask": encoder_mask(b, s)} for b, s in ENCODER_SHAPES]
    axes = {n_: {0: "batch_size", 1: "encoder_sequence_length"}
            for n_ in ("input_ids", "attention_mask", "last_hidden_state")}
    ok &= common.export_and_write(
        common.graph_name(FAMILY, args.config, "encoder", args.opset),
        Encoder(mt), enc_sets, ["input_ids", "attention_mask"],
        ["last_hidden_state"], axes, args.out, args.opset)
    hidden = [common.torch_outputs(Encoder(mt), [
        torch.from_numpy(s["input_ids"]), torch.from_numpy(s["attention_mask"])])[0]
        for s in enc_sets]

    # --- first decoder step ---------------------------------------------------
    ins = ["input_ids", "encoder_attention_mask", "encoder_hidden_states"]
    outs = ["logits"] + kv_names("present", n)
    axes = {"input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
            "encoder_attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
            "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
            "logits": {0: "batch_size", 1: "decoder_sequence_length"}}
    for o in outs[1:]:
        part = o.split(".")[2]
        axes[o] = {0: "batch_size", 2: f"{part}_sequence_length"}
    dec_sets = []
    for enc, h, t in zip(enc_sets, hidden, DECODER_SEQ):
        b = h.shape[0]
        ids = rng.integers(0, vocab - 1, (b, t), dtype=np.int64)
        ids[:, 0] = cfg.decoder_start_token_id
        dec_sets.append({"input_ids": ids,
                         "encoder_attention_mask": enc["attention_mask"],
                         "encoder_hidden_states": h})
    ok &= common.export_and_write(
        common.graph_name(FAMILY, args.config, "decoder", args.opset),
        Decoder(mt), dec_sets, ins, outs, axes, args.out, args.opset)

    # --- decoder step with the KV cache ---------------------------------------
    past_in = kv_names("past_key_values", n)
    ins = ["input_ids", "encoder_attention_mask"] + past_in
    outs = ["logits"] + kv_names("present", n, ("decoder",))
    axes = {"input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
            "encoder_attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
            "logits": {0: "batch_size", 1: "decoder_sequence_length"}}
    for p in past_in:
        seq = ("past_decoder_sequence_length" if ".decoder." in p
               else "encoder_sequence_length")
        axes[p] = {0: "batch_size", 2: seq}
    for o in outs[1:]:
        axes[o] = {0: "batch_size", 2: "total_decoder_sequence_length"}
    past_sets = []
    for enc, h, (past, t) in zip(enc_sets, hidden, PAST_STEPS):
        b = h.shape[0]
        prefix = rng.integers(0, vocab - 1, (b, past), dtype=np.int64)
        prefix[:, 0] = cfg.decoder_start_token_id
        kv = common.torch_outputs(Decoder(mt), [
            torch.from_numpy(prefix), torch.from_numpy(enc["attention_mask"]),
            torch.from_numpy(h)])[1:]
        inputs = {"input_ids": rng.integers(0, vocab - 1, (b, t), dtype=np.int64),
                  "encoder_attention_mask": enc["attention_mask"]}
        inputs.update(zip(past_in, kv))
        past_sets.append(inputs)
    ok &= common.export_and_write(
        common.graph_name(FAMILY, args.config, "decoder_with_past", args.opset),
        DecoderWithPast(mt), past_sets, ins, outs, axes, args.out, args.opset)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
