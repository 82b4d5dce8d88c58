#!/usr/bin/env python3
"""Token generation (`attnc-run --generate`, the runtime's attnc_generate)
against ONNX Runtime on the same .onnx file.

  run_generate_test.py --attnc BIN --attnc-run BIN --model M.onnx --work DIR
                       --prompt-ids 1,2,3 [--tokens 16] [--top-k K --seed S]
                       [--decoder D.onnx [--decoder-with-past P.onnx]
                        --decoder-start S [--suppress-id I] [--eos-id E]]

Compiles M.onnx with attnc, then:

1. greedy: `attnc-run M.so --generate N --prompt-ids ...` must print the
   same N ids as a greedy decode of M.onnx with ONNX Runtime (numpy argmax
   of the last position's logits, the KV cache fed back when the graph has
   past_key_values inputs, otherwise the whole sequence re-run);
2. with --top-k: two sampled runs with the same seed print the same ids,
   and every sampled id is among ONNX Runtime's K most likely tokens after
   the same prefix (up to a logit slack of 1e-3 for ties at the boundary).

With --decoder, M.onnx is an encoder and the loop is
attnc_generate_seq2seq (`attnc-run --decoder ...`); --prompt-ids is the
source. ONNX Runtime's reference then re-runs the decoder on the whole
target every step (no cache at all), so a cache handed over wrongly by
attnc shows up as a difference.

On a mismatch it prints the first differing step and ONNX Runtime's margin
between its two best tokens there (a tiny margin means a near-tie that
float32 rounding may legitimately flip).
"""

import argparse
import os
import subprocess
import sys

import numpy as np


def run(cmd, env=None):
    print("$ " + " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=env)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        sys.exit(f"FAIL: exit code {proc.returncode}")
    return proc.stdout


def parse_ids(stdout, label):
    for line in stdout.splitlines():
        if line.startswith(label + ":"):
            return [int(t) for t in line[len(label) + 1:].split()]
    sys.exit(f"FAIL: no '{label}:' line in attnc-run's output")


class OrtLm:
    """ONNX Runtime session with the Hugging Face input/output names."""

    def __init__(self, path):
        import onnxruntime as ort
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        self.sess = ort.InferenceSession(path, sess_options=opts,
                                         providers=["CPUExecutionProvider"])
        self.inputs = {i.name: i for i in self.sess.get_inputs()}
        self.outputs = [o.name for o in self.sess.get_outputs()]
        self.past = [n for n in self.inputs if n.startswith("past_key_values.")]

    def empty_past(self, name):
        # [batch, heads, past, head_dim] with batch 1 and past 0.
        shape = [1 if not isinstance(d, int) else d
                 for d in self.inputs[name].shape]
        shape[2] = 0
        return np.zeros(shape, dtype=np.float32)

    def step(self, ids, past_len, cache):
        """Runs `ids` after `past_len` cached tokens; returns the last
        position's logits and the new cache."""
        feed = {"input_ids": np.array([ids], dtype=np.int64)}
        if "attention_mask" in self.inputs:
            feed["attention_mask"] = np.ones((1, past_len + len(ids)),
                                             dtype=np.int64)
        if "position_ids" in self.inputs:
            feed["position_ids"] = np.arange(
                past_len, past_len + len(ids), dtype=np.int64)[None]
        feed.update(cache)
        out = dict(zip(self.outputs, self.sess.run(self.outputs, feed)))
        new_cache = {p: out["present." + p[len("past_key_values."):]]
                     for p in self.past}
        return out["logits"][0, -1], new_cache

    def logits_after(self, seq):
        """Last-position logits after the whole of `seq` (no cache reuse)."""
        cache = {p: self.empty_past(p) for p in self.past}
        return self.step(list(seq), 0, cache)[0]

    def greedy(self, prompt, n, suppress=-1, eos=-1):
        """Greedy decode; returns the ids and each step's top-2 margin."""
        seq, ids, margins = list(prompt), [], []
        cache = {p: self.empty_past(p) for p in self.past}
        feed, past_len = list(prompt), 0
        for _ in range(n):
            if not self.past:  # no cache: the whole sequence every step
                feed, past_len = seq, 0
            logits, cache = self.step(feed, past_len, cache)
            token = pick_greedy(logits, suppress, margins)
            ids.append(token)
            past_len += len(feed)
            seq.append(token)
            feed = [token]
            if token == eos:
                break
        return ids, margins


def session(path):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(path, sess_options=opts,
                                providers=["CPUExecutionProvider"])


def pick_greedy(logits, suppress, margins):
    """numpy argmax after removing `suppress`; records the top-2 margin."""
    logits = np.array(logits, dtype=np.float32)
    if suppress >= 0:
        logits[suppress] = -np.inf
    top2 = np.sort(logits)[-2:]
    margins.append(float(top2[1] - top2[0]))
    return int(np.argmax(logits))


class OrtSeq2Seq:
    """Encoder + first-step decoder, the decoder re-run on the whole target
    every step (the reference needs no cache)."""

    def __init__(self, encoder, decoder, start):
        self.encoder, self.decoder, self.start = (session(encoder),
                                                  session(decoder), start)
        self.source = None

    def encode(self, source):
        if self.source != list(source):
            ids = np.array([source], dtype=np.int64)
            self.mask = np.ones_like(ids)
            self.hidden = self.encoder.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": self.mask})[0]
            self.source = list(source)

    def logits(self, target):
        names = {i.name for i in self.decoder.get_inputs()}
        feed = {"input_ids": np.array([target], dtype=np.int64),
                "encoder_attention_mask": self.mask,
                "encoder_hidden_states": self.hidden}
        feed = {k: v for k, v in feed.items() if k in names}
        return self.decoder.run(["logits"], feed)[0][0, -1]

    def greedy(self, source, n, suppress=-1, eos=-1):
        self.encode(source)
        target, margins = [self.start], []
        for _ in range(n):
            token = pick_greedy(self.logits(target), suppress, margins)
            target.append(token)
            if token == eos:
                break
        return target[1:], margins

    def logits_after(self, source, generated):
        self.encode(source)
        return self.logits([self.start] + list(generated))


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--attnc", required=True)
    parser.add_argument("--attnc-run", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--prompt-ids", required=True)
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--top-k", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--decoder")
    parser.add_argument("--decoder-with-past")
    parser.add_argument("--decoder-start", type=int)
    parser.add_argument("--suppress-id", type=int, default=-1)
    parser.add_argument("--eos-id", type=int, default=-1)
    args = parser.parse_args(argv)
    if args.decoder and args.decoder_start is None:
        parser.error("--decoder needs --decoder-start")

    os.makedirs(args.work, exist_ok=True)

    def compile_model(path):
        if not os.path.exists(path):
            sys.exit(f"FAIL: {path} does not exist (its generate step "
                     "failed or did not run)")
        so = os.path.join(args.work,
                          os.path.splitext(os.path.basename(path))[0] + ".so")
        run([args.attnc, path, "-o", so])
        # A decode-step graph's KV cache must grow in place: one `append`
        # line per past input (docs/abi.md), or attnc_generate silently
        # takes the copying fallback.
        import onnx
        pasts = [i.name for i in onnx.load(path).graph.input
                 if i.name.startswith("past_key_values.")
                 and ".encoder." not in i.name]
        with open(so, "rb") as f:
            blob = f.read()
        missing = [p for p in pasts
                   if b"\nappend present." + p[len("past_key_values."):]
                   .encode() + b" " + p.encode() not in blob]
        if missing:
            sys.exit(f"FAIL: {so} has no `append` line for {missing}")
        if pasts:
            print(f"{os.path.basename(so)}: {len(pasts)} append lines "
                  "(KV cache grows in place)")
        return so

    so = compile_model(args.model)
    prompt = [int(t) for t in args.prompt_ids.split(",")]
    gen = [args.attnc_run, so, "--generate", str(args.tokens),
           "--prompt-ids", args.prompt_ids]
    for flag, value in (("--suppress-id", args.suppress_id),
                        ("--eos-id", args.eos_id)):
        if value >= 0:
            gen += [flag, str(value)]
    if args.decoder:
        gen += ["--decoder", compile_model(args.decoder),
                "--decoder-start", str(args.decoder_start)]
        if args.decoder_with_past:
            gen += ["--decoder-with-past",
                    compile_model(args.decoder_with_past)]
        ref = OrtSeq2Seq(args.model, args.decoder, args.decoder_start)
        logits_after = ref.logits_after
        print("model: encoder-decoder, "
              f"{'with' if args.decoder_with_past else 'without'} a cached "
              "decode step")
    else:
        ref = OrtLm(args.model)
        logits_after = lambda prompt, generated: ref.logits_after(
            list(prompt) + list(generated))
        print(f"model: {'KV cache' if ref.past else 'no cache (full re-run)'}"
              f", {len(ref.past)} past inputs")
    out = run(gen)
    if parse_ids(out, "prompt") != prompt:
        sys.exit("FAIL: the printed prompt differs from --prompt-ids")
    got = parse_ids(out, "generated")
    want, margins = ref.greedy(prompt, args.tokens, args.suppress_id,
                               args.eos_id)
    print(f"ONNX Runtime greedy: {' '.join(map(str, want))}")
    print(f"smallest top-2 logit margin: {min(margins):.3g}")
    if got != want:
        k = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                 min(len(got), len(want)))
        margin = f"{margins[k]:.3g}" if k < len(margins) else "n/a"
        sys.exit(f"FAIL: greedy ids differ from ONNX Runtime's at step {k} "
                 f"(attnc {got[k:k + 1]}, ORT {want[k:k + 1]}; ORT top-2 "
                 f"margin there {margin})")
    print(f"greedy: {len(got)} ids equal ONNX Runtime's")
    copied = parse_ids(run(gen, env=dict(os.environ, ATTNC_KV_CACHE="copy")),
                       "generated")
    if copied != got:
        sys.exit(f"FAIL: ATTNC_KV_CACHE=copy gave other ids: {copied}")
    print("ATTNC_KV_CACHE=copy: the same ids")
    # A second generation in the same sessions (attnc-run --warmup) starts
    # from the workspaces the first one grew: the same ids must come out.
    again = parse_ids(run(gen + ["--warmup", "1"]), "generated")
    if again != got:
        sys.exit(f"FAIL: a second generation in the same session gave other "
                 f"ids: {again}")
    print("second generation in the same session (--warmup 1): the same ids")
    if len(set(got)) < 2:
        print("note: greedy repeats one id; the sampled run below checks "
              "varied prefixes")

    if args.top_k:
        sampled = gen + ["--top-k", str(args.top_k), "--seed", str(args.seed)]
        first = parse_ids(run(sampled), "generated")
        second = parse_ids(run(sampled), "generated")
        if first != second:
            sys.exit("FAIL: the same seed gave different ids")
        for i, token in enumerate(first):
            logits = np.array(logits_after(prompt, first[:i]))
            if args.suppress_id >= 0:
                if token == args.suppress_id:
                    sys.exit(f"FAIL: sampled the suppressed id at step {i}")
                logits[args.suppress_id] = -np.inf
            kth = np.sort(logits)[-args.top_k]
            if logits[token] < kth - 1e-3:
                sys.exit(f"FAIL: sampled id {token} at step {i} is not among "
                         f"ONNX Runtime's top {args.top_k}")
        print(f"top-k {args.top_k}, seed {args.seed}: repeatable, every id "
              "within ONNX Runtime's top k")
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
