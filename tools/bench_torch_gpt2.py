#!/usr/bin/env python3
"""PyTorch reference timings of GPT-2 on a GPU, for docs/performance.md.

The GPU peer of attnc's CUDA target where ONNX Runtime's CUDA execution
provider is not installed: GPT-2 written out in plain PyTorch (the same
blocks as Hugging Face's GPT2LMHeadModel: pre-LayerNorm, fused QKV, tanh
GELU, tied LM head; attention through F.scaled_dot_product_attention),
random weights in fp16 or fp32 on the GPU, eager mode, KV cache kept on the
device. Prints the median latency of a prefill, of one decode step after a
past, and the tokens/s of a greedy generation, each after warm-up with a
CUDA synchronize around every timed call.

  bench_torch_gpt2.py --config medium --dtype fp16 --prefill 128 --past 127
"""

import argparse
import statistics
import sys
import time

CONFIGS = {
    "small": dict(n_layer=12, n_embd=768, n_head=12),
    "medium": dict(n_layer=24, n_embd=1024, n_head=16),
}
VOCAB, POSITIONS = 50257, 1024


def build(torch, config, dtype, device):
    nn, F = torch.nn, torch.nn.functional
    cfg = CONFIGS[config]
    d, heads = cfg["n_embd"], cfg["n_head"]

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.c_attn, self.c_proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.c_fc, self.mlp_proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

        def forward(self, x, past):
            b, t, _ = x.shape
            q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=2)
            q, k, v = (y.view(b, t, heads, d // heads).transpose(1, 2)
                       for y in (q, k, v))
            if past is not None:
                k = torch.cat([past[0], k], dim=2)
                v = torch.cat([past[1], v], dim=2)
            # A new token attends to the whole past: causal only in prefill.
            y = F.scaled_dot_product_attention(q, k, v,
                                               is_causal=past is None and t > 1)
            x = x + self.c_proj(y.transpose(1, 2).reshape(b, t, d))
            h = F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")
            return x + self.mlp_proj(h), (k, v)

    class GPT2(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(VOCAB, d)
            self.wpe = nn.Embedding(POSITIONS, d)
            self.blocks = nn.ModuleList(Block() for _ in range(cfg["n_layer"]))
            self.ln_f = nn.LayerNorm(d)

        def forward(self, ids, pasts=None):
            start = 0 if pasts is None else pasts[0][0].shape[2]
            pos = torch.arange(start, start + ids.shape[1], device=ids.device)
            x = self.wte(ids) + self.wpe(pos)
            presents = []
            for i, block in enumerate(self.blocks):
                x, kv = block(x, None if pasts is None else pasts[i])
                presents.append(kv)
            return self.ln_f(x) @ self.wte.weight.t(), presents

    torch.manual_seed(0)
    model = GPT2().to(device=device, dtype=dtype).eval()
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.normal_(0.0, 0.02)
    return model


def median_ms(torch, fn, runs, warmup):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), sorted(times)[int(0.9 * (runs - 1))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="medium")
    parser.add_argument("--dtype", choices=("fp16", "fp32"), default="fp16")
    parser.add_argument("--prefill", type=int, default=128)
    parser.add_argument("--past", type=int, default=127)
    parser.add_argument("--prompt", type=int, default=16)
    parser.add_argument("--generate", type=int, default=32)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError as e:
        sys.exit(f"error: cannot import torch ({e})")
    if not torch.cuda.is_available():
        print("no CUDA device: nothing to measure", file=sys.stderr)
        return 77
    dtype = torch.float16 if args.dtype == "fp16" else torch.float32
    device = torch.device("cuda")
    model = build(torch, args.config, dtype, device)
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}, "
          f"GPT-2 {args.config} {args.dtype}, eager")
    with torch.no_grad():
        ids = torch.zeros((1, args.prefill), dtype=torch.long, device=device)
        med, p90 = median_ms(torch, lambda: model(ids), args.runs, 5)
        print(f"prefill {args.prefill} tokens: median {med:.3f} ms, "
              f"p90 {p90:.3f} ms")
        _, pasts = model(torch.zeros((1, args.past), dtype=torch.long,
                                     device=device))
        one = torch.zeros((1, 1), dtype=torch.long, device=device)
        med, p90 = median_ms(torch, lambda: model(one, pasts), args.runs, 5)
        print(f"decode 1 token after {args.past}: median {med:.3f} ms, "
              f"p90 {p90:.3f} ms")

        def generate():
            prompt = torch.arange(1, args.prompt + 1, device=device)[None]
            logits, kv = model(prompt)
            out = []
            for i in range(args.generate):
                token = logits[:, -1].argmax(-1, keepdim=True)
                out.append(token)
                if i + 1 < args.generate:
                    logits, kv = model(token, kv)
            return torch.cat(out, dim=1).tolist()

        med, _ = median_ms(torch, generate, 5, 1)
        print(f"greedy {args.generate} tokens after a {args.prompt}-token "
              f"prompt: {med:.1f} ms, {args.generate / med * 1e3:.1f} "
              "tokens/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
