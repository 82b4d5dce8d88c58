#!/usr/bin/env python3
"""Tests of the bert-embed app (runtime/examples/bert-embed).

  run_bert_embed_test.py tokenizer --app BIN --vocab vocab.txt
  run_bert_embed_test.py embedding --app BIN --vocab vocab.txt --attnc BIN
                         --model bert_tiny_vocab.onnx --work DIR

tokenizer: `bert-embed --tokenize TEXT` gives the same ids as
  transformers.BertTokenizer (uncased) on the same vocab.txt for sample
  sentences (accents, Greek final sigma, CJK, punctuation, control
  characters, long and unknown words).
embedding: for two sentences run as one right-padded batch, the app's
  mean-pooled embeddings (mean of last_hidden_state over attention_mask)
  equal the same pooling of ONNX Runtime's last_hidden_state on the same
  .onnx and ids, within rtol 1e-4 / atol 1e-5, and so do the printed norms
  and cosine similarity.

Exit 77 (ctest's SKIP_RETURN_CODE) when the vocabulary is absent.
"""

import argparse
import os
import subprocess
import sys

import numpy as np

SAMPLES = [
    "Hello, World! This is a test of the compiler.",
    "Café naïve résumé Zürich Ångström façade",
    "ΟΔΟΣ και Σ σ ς, русский ТЕКСТ",
    "東京は日本の首都です。 中文字符",
    "unaffable supercalifragilisticexpialidocious xqzvw",
    "tabs\tand\nnew lines\r\n  and\u00a0no-break\u3000spaces",
    "control\u0007chars\u200band zero\ufeffwidth",
    "emoji 😀👍 and symbols @#$%^&*()[]{}<>~`|\\/",
    "numbers 3.14159, 1,000,000 and ½ ٣ ²",
    "İstanbul ǅ ﬁ ligature",
    "a" * 120 + " long word",
]
RTOL, ATOL = 1e-4, 1e-5
SKIP = 77


def need_vocab(vocab):
    if not os.path.exists(vocab):
        print(f"SKIP: BERT vocabulary not found ({vocab}); set "
              "-DATTNC_TOKENIZERS_DIR=<dir with bert-base-uncased/>")
        sys.exit(SKIP)


def hf_tokenizer(vocab):
    from transformers import BertTokenizer
    return BertTokenizer(vocab_file=vocab, do_lower_case=True)


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit(f"FAIL: {' '.join(cmd[:3])}... exited {proc.returncode}")
    return proc.stdout


def test_tokenizer(args):
    tok = hf_tokenizer(args.vocab)
    failures = 0
    for text in SAMPLES:
        want = tok.encode(text)
        got = [int(t) for t in
               run([args.app, "--vocab", args.vocab, "--tokenize", text]).split()]
        ok = got == want
        print(f"{'ok  ' if ok else 'FAIL'} {text[:60]!r}: {len(got)} ids")
        if not ok:
            print(f"     app: {got}\n     HF:  {want}")
            failures += 1
    if failures:
        sys.exit(f"FAIL: {failures} of {len(SAMPLES)} samples differ")
    print(f"PASS: {len(SAMPLES)} samples tokenize like BertTokenizer")


def parse_app(out):
    emb, norms, cosine = [], [], None
    for line in out.splitlines():
        if line.startswith("embedding "):
            emb.append([float(v) for v in line.split(":", 1)[1].split()])
        elif line.startswith("sentence "):
            norms.append(float(line.rsplit("norm", 1)[1]))
        elif line.startswith("cosine similarity:"):
            cosine = float(line.split(":", 1)[1])
    return np.array(emb), np.array(norms), cosine


def test_embedding(args):
    import onnxruntime as ort
    tok = hf_tokenizer(args.vocab)
    if not os.path.exists(args.model):
        sys.exit(f"FAIL: {args.model} does not exist (its generate step "
                 "failed or did not run)")
    os.makedirs(args.work, exist_ok=True)
    so = os.path.join(args.work, "bert_tiny_vocab.so")
    run([args.attnc, args.model, "-o", so])
    sentences = ["The compiler turns ONNX models into shared objects.",
                 "A short one."]
    out = run([args.app, so, "--vocab", args.vocab, "--full"] + sentences)
    print(out, end="")
    got, norms, cosine = parse_app(out)

    # The same batch for ONNX Runtime: right-padded, one segment each.
    ids = [tok.encode(s) for s in sentences]
    length = max(map(len, ids))
    feed = {"input_ids": np.zeros((2, length), np.int64),
            "attention_mask": np.zeros((2, length), np.int64),
            "token_type_ids": np.zeros((2, length), np.int64)}
    for r, row in enumerate(ids):
        feed["input_ids"][r, :len(row)] = row
        feed["input_ids"][r, len(row):] = tok.pad_token_id
        feed["attention_mask"][r, :len(row)] = 1
    sess = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    hidden = sess.run(["last_hidden_state"], feed)[0].astype(np.float64)
    mask = feed["attention_mask"][:, :, None].astype(np.float64)
    want = (hidden * mask).sum(1) / mask.sum(1)
    want_norms = np.linalg.norm(want, axis=1)
    want_cos = float(want[0] @ want[1] / (want_norms[0] * want_norms[1]))

    if got.shape != want.shape:
        sys.exit(f"FAIL: app printed embeddings of shape {got.shape}, "
                 f"ONNX Runtime gives {want.shape}")
    err = np.abs(got - want).max()
    print(f"max abs error vs ONNX Runtime: {err:.3g}; cosine app {cosine} "
          f"ORT {want_cos:.6f}")
    ok = np.allclose(got, want, rtol=RTOL, atol=ATOL)
    # Norms and cosine are printed with 6 decimals.
    ok &= np.allclose(norms, want_norms, rtol=RTOL, atol=1e-6)
    ok &= abs(cosine - want_cos) <= 1e-4
    if not ok:
        sys.exit(f"FAIL: embeddings differ from ONNX Runtime's (rtol {RTOL}, "
                 f"atol {ATOL})")
    print("PASS: mean-pooled embeddings, norms and cosine equal ONNX "
          "Runtime's")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("mode", choices=["tokenizer", "embedding"])
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
            parser.error("embedding needs --attnc, --model and --work")
        test_embedding(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
