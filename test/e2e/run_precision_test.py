#!/usr/bin/env python3
"""Reduced-precision test (label `e2e;models`, test/e2e/models.cmake):
compiles a model with `attnc --precision=P`, runs it on every
test_data_set_* of its test data and compares each output with ONNX
Runtime's fp32 reference by a relative error over the whole tensor:

  err = max |attnc - reference| / max |reference|

  run_precision_test.py --attnc BIN --attnc-run BIN --model M.onnx
                        --test-data DIR --work DIR --precision bf16
                        --tol T [--attnc-flag=--pack-weights=false]
                        [--vector-ext bfloat]

Exit 0 iff every output of every data set has err <= T. Elementwise
tolerances (attnc-run --rtol/--atol) do not fit here: bf16 weights perturb
every value by about 2^-9 of the values it sums, so small outputs near zero
get large relative errors while the tensor as a whole is close. Also prints
whether the argmax over the last axis (the next token for logits) agrees.
"""

import argparse
import glob
import os
import re
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from run_model_test import run_cmd  # noqa: E402


def load(path):
    import onnx
    from onnx import numpy_helper
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return tensor.name, numpy_helper.to_array(tensor)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--attnc", required=True)
    parser.add_argument("--attnc-run", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--test-data", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--precision", required=True)
    parser.add_argument("--tol", type=float, required=True)
    parser.add_argument("--attnc-flag", action="append", default=[],
                        help="extra attnc option (repeatable)")
    parser.add_argument("--vector-ext", metavar="ELEM",
                        help="also check the LLVM IR: every extension of "
                        "ELEM (bfloat) to float is on vectors")
    args = parser.parse_args(argv)
    import numpy as np

    os.makedirs(args.work, exist_ok=True)
    stem = os.path.splitext(os.path.basename(args.model))[0]
    so = os.path.join(args.work, f"{stem}.{args.precision}.so")
    if os.path.exists(so):
        os.remove(so)
    code, _ = run_cmd([args.attnc, args.model, "-o", so,
                       f"--precision={args.precision}"] + args.attnc_flag)
    if code:
        print("FAILED: attnc did not compile the model")
        return 1

    if args.vector_ext:
        ll = os.path.join(args.work, f"{stem}.{args.precision}.ll")
        code, _ = run_cmd([args.attnc, args.model, "-o", ll, "--emit=llvm",
                           f"--precision={args.precision}"] + args.attnc_flag)
        if code:
            return 1
        with open(ll) as f:
            text = f.read()
        vector = len(re.findall(rf"fpext <\d+ x {args.vector_ext}>", text))
        scalar = len(re.findall(rf"fpext {args.vector_ext} ", text))
        print(f"LLVM IR: {vector} vector and {scalar} scalar extensions of "
              f"{args.vector_ext}")
        if vector == 0 or scalar:
            print("FAILED: the weights are not extended as vectors")
            return 1

    sets = sorted(glob.glob(os.path.join(args.test_data, "test_data_set_*")))
    if not sets:
        print(f"error: no test_data_set_* in {args.test_data}")
        return 1
    worst = 0.0
    for data in sets:
        inputs = sorted(glob.glob(os.path.join(data, "input_*.pb")),
                        key=lambda p: int(p.rsplit("_", 1)[1].split(".")[0]))
        out_dir = os.path.join(args.work, f"{args.precision}_{os.path.basename(data)}")
        os.makedirs(out_dir, exist_ok=True)
        cmd = [args.attnc_run, so, "--output-dir", out_dir]
        for path in inputs:
            cmd += ["--input", f"{load(path)[0]}={path}"]
        # Not run_cmd: the printed outputs would bury the comparison.
        print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
        proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        if proc.returncode:
            print(proc.stdout)
            print(f"FAILED: attnc-run reported an error (exit code "
                  f"{proc.returncode})")
            return 1
        expected = sorted(glob.glob(os.path.join(data, "output_*.pb")))
        for ref_path in expected:
            name, ref = load(ref_path)
            _, got = load(os.path.join(out_dir, os.path.basename(ref_path)))
            if got.shape != ref.shape:
                print(f"FAILED: {name}: shape {got.shape}, expected {ref.shape}")
                return 1
            scale = float(np.max(np.abs(ref))) or 1.0
            err = float(np.max(np.abs(got.astype(np.float64) - ref))) / scale
            worst = max(worst, err)
            same = np.mean(np.argmax(got, axis=-1) == np.argmax(ref, axis=-1))
            print(f"{os.path.basename(data)} {name}: max|err|/max|ref| = "
                  f"{err:.3g}, argmax agrees on {same:.0%} "
                  f"{'ok' if err <= args.tol else 'ABOVE ' + str(args.tol)}")
    if worst > args.tol:
        print(f"FAILED: relative error {worst:.3g} > {args.tol}")
        return 1
    print(f"PASS: worst relative error {worst:.3g} <= {args.tol}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
