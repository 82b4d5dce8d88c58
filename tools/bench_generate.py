#!/usr/bin/env python3
"""Greedy generation with GPT-2 small: attnc against ONNX Runtime (CPU).

The issue's "GPT-2 greedy 32 tokens after a 16-token prompt" workload, and
the same after a long prompt (480 tokens), where the KV cache is large:

  * attnc:       `attnc-run gpt2_small_with_past.so --generate N
                 --prompt-ids ... --threads T` (attnc_generate: the KV cache
                 grows in place, docs/c-api.md);
  * attnc copy:  the same with ATTNC_KV_CACHE=copy (present tensors handed
                 over, the model's Concat copying the cache every step): what
                 the in-place cache saves;
  * ORT:         an ONNX Runtime session on the same .onnx, a Python greedy
                 loop feeding the presents back as pasts (numpy argmax),
                 `intra_op_num_threads=T`, graph optimizations 'all'.

All three must produce the same ids (checked every round). Rounds are
interleaved; reported are tokens/s after the first token (the decode rate)
and the time to the first token (prompt + first step), medians over rounds
with [min-max]. With `--doc FILE` the table replaces the part of FILE
between `<!-- bench-generate: begin -->` and `<!-- bench-generate: end -->`.

This is a benchmark, not a test.

    .venv/bin/python tools/bench_generate.py [--build build] [--threads 1,2]
        [--rounds 5] [--work-dir DIR] [--doc docs/performance.md]
"""

import argparse
import datetime
import os
import re
import shlex
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, ROOT)

import bench  # noqa: E402  (export_family, cpu_name, ORT_SESSION)

BEGIN = "<!-- bench-generate: begin -->"
END = "<!-- bench-generate: end -->"

ORT_RUNNER = r"""
import sys, time
import numpy as np
import onnxruntime as ort
model, threads, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
prompt = [int(t) for t in sys.argv[4].split(",")]
""" + bench.ORT_SESSION + r"""
ins = {i.name: i for i in s.get_inputs()}
outs = [x.name for x in s.get_outputs()]
past = [k for k in ins if k.startswith("past_key_values.")]
def empty(name):
    shape = [d if isinstance(d, int) else 1 for d in ins[name].shape]
    shape[2] = 0
    return np.zeros(shape, np.float32)
def run_once():
    cache = {p: empty(p) for p in past}
    feed_ids, past_len, ids = list(prompt), 0, []
    t0 = time.perf_counter()
    first = None
    for _ in range(n):
        feed = {"input_ids": np.array([feed_ids], np.int64)}
        if "attention_mask" in ins:
            feed["attention_mask"] = np.ones((1, past_len + len(feed_ids)), np.int64)
        if "position_ids" in ins:
            feed["position_ids"] = np.arange(past_len, past_len + len(feed_ids), dtype=np.int64)[None]
        feed.update(cache)
        r = dict(zip(outs, s.run(outs, feed)))
        cache = {p: r["present." + p[len("past_key_values."):]] for p in past}
        tok = int(np.argmax(r["logits"][0, -1]))
        ids.append(tok)
        past_len += len(feed_ids)
        feed_ids = [tok]
        if first is None:
            first = time.perf_counter() - t0
    total = time.perf_counter() - t0
    return ids, first, total
run_once()  # warm-up
ids, first, total = run_once()
print("ids", " ".join(map(str, ids)))
print("first_ms", first * 1e3)
print("rate", (n - 1) / (total - first))
"""


def run_attnc(args, so, prompt, n, threads, copy):
    env = dict(os.environ)
    env.pop("ATTNC_KV_CACHE", None)
    if copy:
        env["ATTNC_KV_CACHE"] = "copy"
    # One unmeasured generation first in the same session, as ORT's
    # warm-up run below: both then start with their buffers allocated.
    cmd = [args.attnc_run, so, "--generate", str(n), "--prompt-ids",
           ",".join(map(str, prompt)), "--threads", str(threads),
           "--warmup", "1"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    ids = re.search(r"generated: ([0-9 ]+)", p.stdout)
    # The timing line goes to stderr.
    m = re.search(r"prompt of \d+ \+ first token ([0-9.]+) ms, then "
                  r"([0-9.]+) tokens/s", p.stdout + p.stderr)
    if p.returncode != 0 or not ids or not m:
        sys.exit(f"attnc-run failed ({p.returncode}): {shlex.join(cmd)}\n"
                 f"{p.stdout}\n{p.stderr}")
    return ids.group(1).split(), float(m.group(1)), float(m.group(2))


def run_ort(model, prompt, n, threads):
    p = subprocess.run([sys.executable, "-c", ORT_RUNNER, model, str(threads),
                        str(n), ",".join(map(str, prompt))],
                       capture_output=True, text=True)
    ids = re.search(r"ids ([0-9 ]+)", p.stdout)
    first = re.search(r"first_ms ([0-9.]+)", p.stdout)
    rate = re.search(r"rate ([0-9.]+)", p.stdout)
    if p.returncode != 0 or not (ids and first and rate):
        sys.exit(f"ONNX Runtime runner failed:\n{p.stdout}\n{p.stderr}")
    return ids.group(1).split(), float(first.group(1)), float(rate.group(1))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.path.join(os.path.dirname(ROOT),
                                                        "build"))
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--prompts", default="16,480",
                        help="comma-separated prompt lengths")
    parser.add_argument("--work-dir", default="/tmp/attnc-bench-generate",
                        help="GPT-2 small export and .so (kept for reuse)")
    parser.add_argument("--reuse-so", action="store_true")
    parser.add_argument("--conditions", default="")
    parser.add_argument("--doc", default="")
    args = parser.parse_args(argv)
    args.attnc = os.path.join(args.build, "bin", "attnc")
    args.attnc_run = os.path.join(args.build, "bin", "attnc-run")
    os.makedirs(args.work_dir, exist_ok=True)
    model = bench.export_family(args.work_dir, "gpt2.py", "small",
                                "gpt2_small_with_past")
    so = os.path.join(args.work_dir, "gpt2_small_with_past.so")
    if not (args.reuse_so and os.path.exists(so)):
        subprocess.run([args.attnc, model, "-o", so], check=True)
    rng = np.random.default_rng(0)
    rows = []
    for plen in [int(p) for p in args.prompts.split(",")]:
        prompt = rng.integers(0, 50257, plen).tolist()
        for t in [int(x) for x in args.threads.split(",")]:
            res = {"attnc": [], "attnc copy": [], "ORT": []}
            ref = None
            for r in range(args.rounds):
                engines = list(res)
                if r % 2:
                    engines.reverse()
                for e in engines:
                    if e == "ORT":
                        out = run_ort(model, prompt, args.new_tokens, t)
                    else:
                        out = run_attnc(args, so, prompt, args.new_tokens, t,
                                        copy=e == "attnc copy")
                    if ref is None:
                        ref = out[0]
                    elif out[0] != ref:
                        sys.exit(f"{e}: ids differ from the first engine's:\n"
                                 f"{' '.join(out[0])}\n{' '.join(ref)}")
                    res[e].append(out[1:])
            row = {"prompt": plen, "threads": t}
            for e, vals in res.items():
                firsts = [v[0] for v in vals]
                rates = [v[1] for v in vals]
                row[e] = (statistics.median(rates), min(rates), max(rates),
                          statistics.median(firsts))
            rows.append(row)
            print(f"prompt {plen:4d} T={t}  " + "   ".join(
                f"{e} {v[0]:6.1f} tok/s [{v[1]:.1f}-{v[2]:.1f}] first "
                f"{v[3]:.0f} ms" for e, v in
                ((e, row[e]) for e in res)) +
                f"   attnc/ORT rate {row['attnc'][0] / row['ORT'][0]:.2f}x",
                flush=True)
    if args.doc:
        write_doc(args, rows, argv if argv is not None else sys.argv[1:])
    return 0


def write_doc(args, rows, argv):
    import onnxruntime
    lines = [BEGIN,
             f"Measured {datetime.date.today().isoformat()} on "
             f"{bench.cpu_name()}, {os.cpu_count()} logical CPUs"
             + (f" ({args.conditions})" if args.conditions else "")
             + f", ONNX Runtime {onnxruntime.__version__}; "
             "`.venv/bin/python tools/bench_generate.py "
             + shlex.join(argv) + "`. GPT-2 small (random weights, "
             f"`gpt2_small_with_past.onnx`), greedy, {args.new_tokens} new "
             f"tokens, batch 1; {args.rounds} rounds, engines interleaved, "
             "median [min-max] of the rounds; every engine's ids equal in "
             "every round. Rate: tokens/s after the first token; first: "
             "prompt + first token.\n",
             "| prompt | threads | attnc tokens/s | attnc, cache copied "
             "(`ATTNC_KV_CACHE=copy`) | ORT tokens/s | attnc / ORT rate | "
             "first token: attnc / ORT ms |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        a, c, o = r["attnc"], r["attnc copy"], r["ORT"]
        lines.append(
            f"| {r['prompt']} | {r['threads']} | {a[0]:.1f} [{a[1]:.1f}-"
            f"{a[2]:.1f}] | {c[0]:.1f} [{c[1]:.1f}-{c[2]:.1f}] | {o[0]:.1f} "
            f"[{o[1]:.1f}-{o[2]:.1f}] | {a[0] / o[0]:.2f}x | {a[3]:.0f} / "
            f"{o[3]:.0f} |")
    lines.append(END)
    with open(args.doc) as f:
        text = f.read()
    if BEGIN in text and END in text:
        text = (text[:text.index(BEGIN)] + "\n".join(lines) +
                text[text.index(END) + len(END):])
    else:
        text += "\n## Generation\n\n" + "\n".join(lines) + "\n"
    with open(args.doc, "w") as f:
        f.write(text)
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    sys.exit(main())
