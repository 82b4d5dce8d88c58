#!/usr/bin/env python3
"""Tests of the gpt2-generate app (runtime/examples/gpt2-generate).

  run_gpt2_generate_test.py tokenizer --app BIN --vocab DIR
  run_gpt2_generate_test.py greedy --app BIN --vocab DIR --attnc BIN
                            --model gpt2_tiny_vocab_with_past.onnx --work DIR

tokenizer: `gpt2-generate --encode TEXT` gives the same ids as
  transformers.GPT2Tokenizer on the same encoder.json/vocab.bpe for sample
  texts with Unicode, spaces, tabs, new lines, contractions and numbers, and
  `--decode` gives the text back byte for byte.
greedy: the app's greedy ids after a text prompt equal ONNX Runtime's greedy
  decode of the same .onnx (tiny GPT-2 with the real 50257-token
  vocabulary; stops at <|endoftext|> like the app), and the streamed text
  is the prompt followed by the decoded ids.

Exit 77 (ctest's SKIP_RETURN_CODE) when the vocabulary is absent.
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

SAMPLES = [
    "Hello world, this is a test of the compiler.",
    "  leading and trailing spaces  ",
    "multiple   spaces\tand\ttabs\nnew lines\n\n  indented",
    "Unicode: café, naïve, Zürich, 東京, 😀👍, Ελληνικά, русский, ｆｕｌｌ",
    "contractions: I'm, you're, it's, we've, they'll, he'd, DON'T, 'sup",
    "numbers 12345 and 3.14159, ½ and ٣ and ²",
    "symbols: @#$%^&*()_+-=[]{}|;':\",./<>?`~ ...",
    "non\u00a0breaking\u2009thin\u3000ideographic space",
    "e\u0301 decomposed vs é composed",
]
SKIP = 77


def need_vocab(vocab):
    files = [os.path.join(vocab, f) for f in ("encoder.json", "vocab.bpe")]
    missing = [f for f in files if not os.path.exists(f)]
    if missing:
        print(f"SKIP: GPT-2 vocabulary not found ({', '.join(missing)}); "
              "set -DATTNC_TOKENIZERS_DIR=<dir with gpt2/>")
        sys.exit(SKIP)
    return files


def hf_tokenizer(vocab):
    from transformers import GPT2Tokenizer
    encoder, merges = need_vocab(vocab)
    return GPT2Tokenizer(vocab_file=encoder, merges_file=merges)


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        sys.exit(f"FAIL: {' '.join(cmd[:3])}... exited {proc.returncode}")
    return proc.stdout, proc.stderr.decode(errors="replace")


def token_bytes(tok, ids):
    """The bytes of `ids` through transformers' own byte decoder."""
    return b"".join(bytes(tok.byte_decoder[c] for c in t)
                    for t in tok.convert_ids_to_tokens(ids))


def test_tokenizer(args):
    tok = hf_tokenizer(args.vocab)
    failures = 0
    for text in SAMPLES:
        want = tok.encode(text)
        out, _ = run([args.app, "--vocab", args.vocab, "--encode", text])
        got = [int(t) for t in out.split()]
        back, _ = run([args.app, "--vocab", args.vocab, "--decode",
                       ",".join(map(str, got))])
        ok = got == want and back == text.encode("utf-8")
        ok &= back == token_bytes(tok, want)
        print(f"{'ok  ' if ok else 'FAIL'} {text!r}: {len(got)} ids")
        if not ok:
            print(f"     app: {got}\n     HF:  {want}\n     decoded: {back!r}")
            failures += 1
    if failures:
        sys.exit(f"FAIL: {failures} of {len(SAMPLES)} samples differ")
    print(f"PASS: {len(SAMPLES)} samples encode like GPT2Tokenizer and "
          "decode back")


def parse_ids(stderr, label):
    for line in stderr.splitlines():
        if line.startswith(label + ":"):
            return [int(t) for t in line[len(label) + 1:].split()]
    sys.exit(f"FAIL: no '{label}:' line in the app's stderr")


def test_greedy(args):
    from run_generate_test import OrtLm
    tok = hf_tokenizer(args.vocab)
    if not os.path.exists(args.model):
        sys.exit(f"FAIL: {args.model} does not exist (its generate step "
                 "failed or did not run)")
    os.makedirs(args.work, exist_ok=True)
    so = os.path.join(args.work, "gpt2_tiny_vocab_with_past.so")
    run([args.attnc, args.model, "-o", so])
    prompt = "The compiler turns ONNX into a shared object, and"
    n = 20
    out, err = run([args.app, so, "--vocab", args.vocab, "-n", str(n),
                    "--print-ids", prompt])
    sys.stdout.write(err)
    prompt_ids = parse_ids(err, "prompt ids")
    got = parse_ids(err, "generated ids")
    if prompt_ids != tok.encode(prompt):
        sys.exit("FAIL: the app's prompt ids differ from GPT2Tokenizer's")

    eos = tok.convert_tokens_to_ids("<|endoftext|>")
    want, margins = OrtLm(args.model).greedy(prompt_ids, n)
    if eos in want:
        want = want[:want.index(eos) + 1]
    print(f"ONNX Runtime greedy: {want}")
    if got != want:
        k = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                 min(len(got), len(want)))
        sys.exit(f"FAIL: ids differ from ONNX Runtime's at step {k} "
                 f"(ORT top-2 margin {margins[min(k, len(margins) - 1)]:.3g})")
    text = prompt.encode() + token_bytes(tok, got) + b"\n"
    if out != text:
        sys.exit(f"FAIL: streamed text {out!r} != {text!r}")
    print(f"PASS: {len(got)} greedy ids equal ONNX Runtime's; streamed text "
          "matches")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("mode", choices=["tokenizer", "greedy"])
    parser.add_argument("--app", required=True)
    parser.add_argument("--vocab", required=True)
    parser.add_argument("--attnc")
    parser.add_argument("--model")
    parser.add_argument("--work")
    args = parser.parse_args(argv)
    need_vocab(args.vocab)
    if args.mode == "tokenizer":
        test_tokenizer(args)
    else:
        if not (args.attnc and args.model and args.work):
            parser.error("greedy needs --attnc, --model and --work")
        test_greedy(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
