#!/usr/bin/env python3
"""Tests of the translate app (runtime/examples/translate).

  run_translate_test.py tokenizer --app BIN --tokenizer DIR
  run_translate_test.py translate --app BIN --tokenizer DIR --attnc BIN
                        --models DIR/marian_tiny_vocab --work DIR

tokenizer: `translate --encode TEXT` gives the same ids as
  transformers.MarianTokenizer on the same source.spm/target.spm/vocab.json,
  and `--decode` of those ids the same text as MarianTokenizer.decode
  (special tokens skipped).
translate: the three graphs of models/marian.py --config tiny_vocab (random
  weights, opus-mt-en-mg's 54688-token vocabulary) compiled by attnc; the
  app's output ids (greedy, <pad> start and suppressed, </s> ends) equal a
  greedy decode of the same .onnx files by ONNX Runtime that re-runs the
  decoder on the whole output each step, with and without the cached
  decode graph, and the printed text is MarianTokenizer's decoding of them;
  a top-5 sampled run picks only ids among ONNX Runtime's top 5 after each
  prefix.

Exit 77 (ctest's SKIP_RETURN_CODE) when the tokenizer files are absent.
"""

import argparse
import os
import subprocess
import sys
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

SAMPLES = [
    "Hello world, this is a test.",
    "  Café naïve   résumé, Zürich  ",
    "Numbers 123 and 4.56, emoji 😀 and symbols @#$%&*()",
    "Ny teny malagasy dia tsara.",
    "tabs\tand\nnew lines",
    "Unknown scripts: 東京 Ελληνικά русский",
]
SKIP = 77


def need_tokenizer(d):
    files = [os.path.join(d, f) for f in ("source.spm", "target.spm",
                                          "vocab.json")]
    missing = [f for f in files if not os.path.exists(f)]
    if missing:
        print(f"SKIP: Marian tokenizer files not found ({', '.join(missing)})"
              "; set -DATTNC_TOKENIZERS_DIR=<dir with marian-opus-mt-en-mg/>")
        sys.exit(SKIP)
    return files


def hf_tokenizer(d):
    from transformers import MarianTokenizer
    source, target, vocab = need_tokenizer(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "pip install sacremoses"
        return MarianTokenizer(source_spm=source, target_spm=target,
                               vocab=vocab)


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit(f"FAIL: {' '.join(cmd[:3])}... exited {proc.returncode}")
    return proc.stdout, proc.stderr


def test_tokenizer(args):
    tok = hf_tokenizer(args.tokenizer)
    failures = 0
    for text in SAMPLES:
        want = tok.encode(text)
        out, _ = run([args.app, "--tokenizer", args.tokenizer, "--encode",
                      text])
        got = [int(t) for t in out.split()]
        back, _ = run([args.app, "--tokenizer", args.tokenizer, "--decode",
                       ",".join(map(str, got))])
        want_back = tok.decode(want, skip_special_tokens=True)
        ok = got == want and back == want_back + "\n"
        print(f"{'ok  ' if ok else 'FAIL'} {text!r}: {len(got)} ids")
        if not ok:
            print(f"     app: {got} {back!r}\n     HF:  {want} {want_back!r}")
            failures += 1
    if failures:
        sys.exit(f"FAIL: {failures} of {len(SAMPLES)} samples differ")
    print(f"PASS: {len(SAMPLES)} samples encode and decode like "
          "MarianTokenizer")


def parse_ids(stderr, label):
    for line in stderr.splitlines():
        if line.startswith(label + ":"):
            return [int(t) for t in line[len(label) + 1:].split()]
    sys.exit(f"FAIL: no '{label}:' line in the app's stderr")


def test_translate(args):
    from run_generate_test import OrtSeq2Seq
    tok = hf_tokenizer(args.tokenizer)
    os.makedirs(args.work, exist_ok=True)
    graphs = {}
    for part in ("encoder", "decoder", "decoder_with_past"):
        onnx = f"{args.models}_{part}.onnx"
        if not os.path.exists(onnx):
            sys.exit(f"FAIL: {onnx} does not exist (its generate step failed "
                     "or did not run)")
        so = os.path.join(args.work, f"{part}.so")
        run([args.attnc, onnx, "-o", so])
        graphs[part] = (onnx, so)
    text = "The compiler turns ONNX models into shared objects."
    pad, eos = tok.pad_token_id, tok.eos_token_id
    ref = OrtSeq2Seq(graphs["encoder"][0], graphs["decoder"][0], pad)
    n = 24
    for parts in (("encoder", "decoder", "decoder_with_past"),
                  ("encoder", "decoder")):
        out, err = run([args.app] + [graphs[p][1] for p in parts] +
                       ["--tokenizer", args.tokenizer, "-n", str(n),
                        "--print-ids", text])
        print(out + err, end="")
        source = parse_ids(err, "source ids")
        got = parse_ids(err, "output ids")
        if source != tok.encode(text):
            sys.exit("FAIL: the app's source ids differ from MarianTokenizer's")
        want, margins = ref.greedy(source, n, suppress=pad, eos=eos)
        print(f"ONNX Runtime greedy: {want}")
        if got != want:
            k = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                     min(len(got), len(want)))
            sys.exit(f"FAIL: ids differ from ONNX Runtime's at step {k} "
                     f"(ORT top-2 margin {margins[min(k, len(margins) - 1)]:.3g})")
        if out != tok.decode(got, skip_special_tokens=True) + "\n":
            sys.exit("FAIL: the printed text is not MarianTokenizer's decoding")
        print(f"ok: {len(parts)} graphs, {len(got)} ids equal ONNX Runtime's")

    # Random weights make greedy output repetitive; a sampled run (top 5)
    # visits varied prefixes, each of whose ids must be among ONNX Runtime's
    # top 5 after the same prefix (slack 1e-3 for ties at the boundary).
    out, err = run([args.app] + [g[1] for g in graphs.values()] +
                   ["--tokenizer", args.tokenizer, "-n", str(n), "--top-k",
                    "5", "--seed", "1", "--print-ids", text])
    print(out + err, end="")
    got = parse_ids(err, "output ids")
    for i, token in enumerate(got):
        logits = np.array(ref.logits_after(source, got[:i]))
        logits[pad] = -np.inf
        if token == pad or logits[token] < np.sort(logits)[-5] - 1e-3:
            sys.exit(f"FAIL: sampled id {token} at step {i} is not among "
                     "ONNX Runtime's top 5")
    if out != tok.decode(got, skip_special_tokens=True) + "\n":
        sys.exit("FAIL: the printed text is not MarianTokenizer's decoding")
    print(f"ok: top-5 sampling, {len(set(got))} distinct ids, each within "
          "ONNX Runtime's top 5")
    print("PASS: translate's ids equal ONNX Runtime's greedy decode, with and "
          "without the cached decode step")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("mode", choices=["tokenizer", "translate"])
    parser.add_argument("--app", required=True)
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--attnc")
    parser.add_argument("--models", help="path prefix of the three graphs")
    parser.add_argument("--work")
    args = parser.parse_args(argv)
    need_tokenizer(args.tokenizer)
    if args.mode == "tokenizer":
        test_tokenizer(args)
    else:
        if not (args.attnc and args.models and args.work):
            parser.error("translate needs --attnc, --models and --work")
        test_translate(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
