#!/usr/bin/env python3
"""Driver for attnc's end-to-end ctest tests (test/e2e, test/e2e/onnx-node).

Subcommands (one ctest test each):

  generate --script models/X.py --out DIR [-- ARGS...]
      Checks that this Python can import numpy, onnx and onnxruntime (and
      fails with a clear message otherwise: tests never skip silently), then
      runs the model generator, which writes DIR/X.onnx and DIR/X/test_data_set_*.

  compile --attnc BIN --model M.onnx --out M.so
      Runs `attnc M.onnx -o M.so`; fails if attnc fails or writes nothing.

  run --attnc-run BIN --so M.so --test-data DIR [--rtol R] [--atol A]
      Runs `attnc-run M.so --test-data DIR`; passes iff it exits 0.

  print --attnc-run BIN --so M.so --input NAME=FILE ... --expect TEXT [--decimal N]
      Runs `attnc-run M.so --input ...` and checks the printed output array
      equals TEXT to N decimal places (numpy's assert_almost_equal rule,
      |actual - expected| < 1.5 * 10**-N); the printed text itself is shown.

  node --attnc BIN --attnc-run BIN --test-dir DIR --work DIR [--rtol R] [--atol A]
       [--const-input NAME]...
      An ONNX backend node test: compile DIR/model.onnx, then run it against
      DIR/test_data_set_*. With --const-input, graph input NAME is compiled
      in as the constant its test data gives (`attnc --const-input`; for
      node tests that feed shape parameters as inputs), and the run uses a
      copy of the test data without it (this path needs the onnx package).

  fail --message TEXT
      Always fails, printing TEXT (used when test inputs are missing).

Cross-target runs (ctest label `aarch64`, docs/targets.md): `compile` and
`node` take --target T (passed to attnc as --target=T), and `run` and
`node` take --runner CMD, a command line put before attnc-run (e.g.
"qemu-aarch64 -L /usr/aarch64-linux-gnu" with the aarch64 attnc-run).

Only the standard library is used here, so every subcommand except
`generate` and `node --const-input` works with any python3.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys


def run_cmd(cmd):
    """Runs `cmd`, echoing it and its output; returns (exit code, stdout)."""
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    except OSError as e:
        print(f"error: cannot run {cmd[0]}: {e}", flush=True)
        return 127, ""
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        print(f"[exit code {proc.returncode}]", flush=True)
    return proc.returncode, proc.stdout


def cmd_generate(args):
    missing = []
    for mod in ("numpy", "onnx", "onnxruntime"):
        try:
            __import__(mod)
        except ImportError as e:
            missing.append(f"{mod} ({e})")
    if missing:
        print(f"error: the Python used by the e2e tests ({sys.executable}) "
              f"cannot import: {', '.join(missing)}.\n"
              "The end-to-end tests need ONNX Runtime for their reference "
              "outputs. Run tools/setup.sh (it creates .venv with onnxruntime "
              "and onnx), or reconfigure with -DATTNC_PYTHON=<a python that "
              "has them>.", flush=True)
        return 1
    extra = args.extra[1:] if args.extra[:1] == ["--"] else args.extra
    os.makedirs(args.out, exist_ok=True)
    code, _ = run_cmd([sys.executable, args.script, "--out", args.out] + extra)
    return 1 if code else 0


def cmd_compile(args):
    if os.path.exists(args.out):
        os.remove(args.out)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    target = [f"--target={args.target}"] if args.target else []
    flags = getattr(args, "flags", None) or []
    code, _ = run_cmd([args.attnc, args.model, "-o", args.out] + target + flags)
    if code:
        return 1
    if not os.path.isfile(args.out):
        print(f"error: attnc exited 0 but did not write {args.out}")
        return 1
    return 0


def attnc_run_test_data(attnc_run, so, test_data, rtol, atol, runner=None):
    """Runs attnc-run --test-data (under `runner`, a command line, if set);
    returns 0 iff every output matches."""
    cmd = shlex.split(runner or "") + [attnc_run, so, "--test-data", test_data]
    if rtol is not None:
        cmd += ["--rtol", rtol]
    if atol is not None:
        cmd += ["--atol", atol]
    code, _ = run_cmd(cmd)
    if code == 1:
        print("FAILED: outputs do not match the reference "
              f"(rtol={rtol}, atol={atol})")
    elif code != 0:
        print(f"FAILED: attnc-run reported an error (exit code {code})")
    return 0 if code == 0 else 1


def cmd_run(args):
    return attnc_run_test_data(args.attnc_run, args.so, args.test_data,
                               args.rtol, args.atol, args.runner)


NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:inf|nan)")


def numbers(text):
    return [float(m) for m in NUMBER.findall(text)]


def cmd_print(args):
    cmd = [args.attnc_run, args.so]
    for spec in args.input:
        cmd += ["--input", spec]
    code, out = run_cmd(cmd)
    if code:
        print("FAILED: attnc-run --input failed")
        return 1
    expected = numbers(args.expect)
    # The printed array is the bracketed text after '=' on the output line,
    # e.g. "output: f32[1,2] = [[2.2717, 3.2717]]".
    arrays = re.findall(r"=\s*(\[[^=]*\])\s*$", out, flags=re.M)
    if not arrays:
        print(f"FAILED: no printed array found in attnc-run's output "
              f"(expected {args.expect})")
        return 1
    tol = 1.5 * 10.0 ** (-args.decimal)
    for text in arrays:
        got = numbers(text)
        if len(got) == len(expected) and all(
                abs(g - e) < tol for g, e in zip(got, expected)):
            exact = "exactly" if text.strip() == args.expect else \
                f"to {args.decimal} decimal places"
            print(f"OK: printed {text.strip()} matches {args.expect} {exact}")
            return 0
    print(f"FAILED: printed {arrays} does not match {args.expect} to "
          f"{args.decimal} decimal places")
    return 1


def split_const_inputs(model, test_dir, names, work):
    """Copies test_dir's data sets into work/data without the inputs in
    `names`; returns (attnc flags binding them to their values, data dir).
    Every data set must give a frozen input the same value (there is one
    compiled model)."""
    import filecmp
    import shutil

    import onnx

    graph = onnx.load(model, load_external_data=False).graph
    inits = {t.name for t in graph.initializer}
    inputs = [i.name for i in graph.input if i.name not in inits]
    missing = [n for n in names if n not in inputs]
    if missing:
        raise ValueError(f"no graph input named {', '.join(missing)} "
                         f"(inputs: {', '.join(inputs)})")
    sets = sorted(d for d in os.listdir(test_dir)
                  if d.startswith("test_data_set_"))
    data = os.path.join(work, "data")
    shutil.rmtree(data, ignore_errors=True)
    frozen = {}
    for s in sets:
        src, dst = os.path.join(test_dir, s), os.path.join(data, s)
        os.makedirs(dst)
        kept = 0
        for i, name in enumerate(inputs):
            f = os.path.join(src, f"input_{i}.pb")
            if name in names:
                if name in frozen and not filecmp.cmp(frozen[name], f, False):
                    raise ValueError(f"data sets give input '{name}' "
                                     "different values")
                frozen.setdefault(name, f)
            else:
                shutil.copy(f, os.path.join(dst, f"input_{kept}.pb"))
                kept += 1
        for f in os.listdir(src):
            if f.startswith("output_"):
                shutil.copy(os.path.join(src, f), os.path.join(dst, f))
    flags = [f"--const-input={n}={frozen[n]}" for n in names]
    return flags, data


def cmd_node(args):
    model = os.path.join(args.test_dir, "model.onnx")
    if not os.path.isfile(model):
        print(f"error: {model} does not exist")
        return 1
    os.makedirs(args.work, exist_ok=True)
    so = os.path.join(args.work, "model.so")
    test_data = args.test_dir
    flags = []
    if args.const_input:
        try:
            flags, test_data = split_const_inputs(
                model, args.test_dir, args.const_input, args.work)
        except (ImportError, OSError, ValueError) as e:
            print(f"FAILED: cannot prepare --const-input {args.const_input}: "
                  f"{e}")
            return 1
        print("NOTE: compiled with graph input(s) "
              f"{', '.join(args.const_input)} fixed to the test's values "
              "(attnc --const-input)", flush=True)
    compile_args = argparse.Namespace(attnc=args.attnc, model=model, out=so,
                                      target=args.target, flags=flags)
    if cmd_compile(compile_args):
        print("FAILED: attnc could not compile the model")
        return 1
    return attnc_run_test_data(args.attnc_run, so, test_data, args.rtol,
                               args.atol, args.runner)


def cmd_fail(args):
    print(args.message)
    return 1


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="attnc end-to-end test driver",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate")
    p.add_argument("--script", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("extra", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("compile")
    p.add_argument("--attnc", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--target")
    p.set_defaults(func=cmd_compile)

    p = sub.add_parser("run")
    p.add_argument("--attnc-run", required=True)
    p.add_argument("--so", required=True)
    p.add_argument("--test-data", required=True)
    p.add_argument("--rtol")
    p.add_argument("--atol")
    p.add_argument("--runner")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("print")
    p.add_argument("--attnc-run", required=True)
    p.add_argument("--so", required=True)
    p.add_argument("--input", action="append", default=[], metavar="NAME=FILE")
    p.add_argument("--expect", required=True)
    p.add_argument("--decimal", type=int, default=4)
    p.set_defaults(func=cmd_print)

    p = sub.add_parser("node")
    p.add_argument("--attnc", required=True)
    p.add_argument("--attnc-run", required=True)
    p.add_argument("--test-dir", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--rtol")
    p.add_argument("--atol")
    p.add_argument("--target")
    p.add_argument("--runner")
    p.add_argument("--const-input", action="append", default=[],
                   metavar="NAME")
    p.set_defaults(func=cmd_node)

    p = sub.add_parser("fail")
    p.add_argument("--message", required=True)
    p.set_defaults(func=cmd_fail)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
