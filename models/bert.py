#!/usr/bin/env python3
"""BERT (Hugging Face BertModel, random weights) exported with
torch.onnx.export, with Hugging Face / optimum names:

  bert_<config>
      input_ids i64[batch_size, sequence_length]
      attention_mask i64[batch_size, sequence_length]
      token_type_ids i64[batch_size, sequence_length]
   -> last_hidden_state f32[batch_size, sequence_length, hidden]
      pooler_output f32[batch_size, hidden]

Test data: (batch, seq) = (1, 6) and (3, 9); two token types (a sentence
pair: segment 1 starts halfway), and in the batch-3 set rows 1 and 2 are
right-padded (attention_mask zeros at the end), as tokenizers pad for BERT.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import common  # noqa: E402

FAMILY = "bert"

CONFIGS = {
    "tiny": dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4,
                 intermediate_size=128, vocab_size=1000,
                 max_position_embeddings=128, initializer_range=0.1),
    # tiny with bert-base-uncased's vocabulary size, so that the ids of the
    # real tokenizer are valid (bert-embed's test, docs/apps.md).
    "tiny_vocab": dict(num_hidden_layers=2, hidden_size=64,
                       num_attention_heads=4, intermediate_size=128,
                       vocab_size=30522, max_position_embeddings=128,
                       initializer_range=0.1),
    # bert-base-uncased sizes (110M parameters), on demand only.
    "base": dict(num_hidden_layers=12, hidden_size=768, num_attention_heads=12,
                 intermediate_size=3072, vocab_size=30522,
                 max_position_embeddings=512),
}
SHAPES = [(1, 6), (3, 9)]  # (batch, seq)
PADDING = {1: 2, 2: 4}     # row -> number of right-padded positions


def make_inputs(rng, vocab, batch, seq):
    mask = np.ones((batch, seq), dtype=np.int64)
    for row, pad in PADDING.items():
        if row < batch:
            mask[row, seq - pad:] = 0
    types = np.zeros((batch, seq), dtype=np.int64)
    types[:, seq // 2:] = 1
    return {"input_ids": rng.integers(0, vocab, (batch, seq), dtype=np.int64),
            "attention_mask": mask, "token_type_ids": types}


def main(argv=None):
    args = common.family_arg_parser(__doc__.split("\n\n")[0], CONFIGS).parse_args(argv)
    torch = common.import_torch()
    transformers = common.import_transformers()
    cfg = transformers.BertConfig(**CONFIGS[args.config], hidden_dropout_prob=0.0,
                                  attention_probs_dropout_prob=0.0)
    common.seed_everything(args.seed)
    bert = transformers.BertModel(cfg).eval()

    class Wrapper(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.model(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids, return_dict=True)
            return out.last_hidden_state, out.pooler_output

    rng = np.random.default_rng(args.seed + 1)
    sets = [make_inputs(rng, cfg.vocab_size, b, s) for b, s in SHAPES]
    ins = ["input_ids", "attention_mask", "token_type_ids"]
    outs = ["last_hidden_state", "pooler_output"]
    axes = {n: {0: "batch_size", 1: "sequence_length"} for n in ins + outs[:1]}
    axes["pooler_output"] = {0: "batch_size"}
    name = common.graph_name(FAMILY, args.config, "", args.opset)
    ok = common.export_and_write(name, Wrapper(bert), sets, ins, outs, axes,
                                 args.out, args.opset)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
