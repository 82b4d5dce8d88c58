#!/usr/bin/env python3
"""Compile-and-run step of the exported-model tests (label `models`,
test/e2e/models.cmake): one ctest test per graph that a models/<family>.py
script wrote.

  run_models_test.py --attnc BIN --attnc-run BIN --model M.onnx
                     --test-data DIR --work DIR [--rtol R] [--atol A]
                     [--xfail REASON] [--target T [--mcpu C] --runner CMD]

--target T compiles for T (attnc --target=T, --mcpu=C) and --runner CMD runs
attnc-run under CMD (the `aarch64` tests: the aarch64 attnc-run under
"qemu-aarch64 -L /usr/aarch64-linux-gnu", docs/targets.md).

Without --xfail: compiles M.onnx with attnc, then runs
`attnc-run M.so --test-data DIR`; exit 0 iff both succeed.

With --xfail (the test is listed in test/e2e/models-xfail.txt and registered
WILL_FAIL TRUE, so ctest inverts the exit code): the expected failure is
that attnc refuses to compile the model with an error. Exit codes, before
ctest inverts them:

  1  attnc exited with an error          -> ctest: Passed (expected failure)
  0  attnc compiled the model            -> ctest: Failed ("now compiles:
     remove the line from models-xfail.txt", so the outputs get checked)
  0  attnc crashed (signal), or the model/test data are missing
                                         -> ctest: Failed (not the expected
                                            kind of failure)

Only the standard library is used (the helpers come from run_model_test.py).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from run_model_test import attnc_run_test_data, run_cmd  # noqa: E402

XFAIL_FILE = "test/e2e/models-xfail.txt"


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--attnc", required=True)
    parser.add_argument("--attnc-run", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--test-data", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--rtol")
    parser.add_argument("--atol")
    parser.add_argument("--xfail", metavar="REASON",
                        help="expected to fail to compile (WILL_FAIL test)")
    parser.add_argument("--target", help="attnc --target")
    parser.add_argument("--mcpu", help="attnc --mcpu")
    parser.add_argument("--runner", help="command line to run attnc-run under")
    args = parser.parse_args(argv)
    xfail = args.xfail is not None
    # The value that makes ctest report a failure: 1 normally, 0 under
    # WILL_FAIL.
    broken = 0 if xfail else 1

    missing = [p for p in (args.model, os.path.join(args.test_data, "test_data_set_0"))
               if not os.path.exists(p)]
    if missing:
        print(f"error: {', '.join(missing)} missing: the generate step did not "
              "write this graph (renamed? see models/<family>.py)"
              + (" [reported as a failure although this test is WILL_FAIL]" if xfail else ""))
        return broken

    os.makedirs(args.work, exist_ok=True)
    so = os.path.join(args.work, os.path.splitext(os.path.basename(args.model))[0] + ".so")
    if os.path.exists(so):
        os.remove(so)
    target = [f"--target={args.target}"] if args.target else []
    if args.mcpu:
        target.append(f"--mcpu={args.mcpu}")
    code, _ = run_cmd([args.attnc, args.model, "-o", so] + target)
    if code < 0 or code >= 128:
        print(f"FAILED: attnc crashed (exit code {code}); an unsupported model "
              "must be rejected with an error message"
              + (" [reported as a failure although this test is WILL_FAIL]" if xfail else ""))
        return broken
    if code != 0:
        if xfail:
            print(f"expected failure: attnc cannot compile this model yet "
                  f"({XFAIL_FILE}: {args.xfail})")
            return 1
        print("FAILED: attnc could not compile the model")
        return 1
    if not os.path.isfile(so):
        print(f"FAILED: attnc exited 0 but did not write {so}")
        return broken
    if xfail:
        print(f"UNEXPECTED PASS: attnc now compiles {args.model}. Remove its "
              f"line from {XFAIL_FILE} (reason was: {args.xfail}); the test "
              "then checks the outputs against ONNX Runtime. Check now:")
        code = attnc_run_test_data(args.attnc_run, so, args.test_data,
                                   args.rtol, args.atol, args.runner)
        print("outputs " + ("match" if code == 0 else "DO NOT match")
              + " the reference")
        return 0
    return attnc_run_test_data(args.attnc_run, so, args.test_data, args.rtol,
                               args.atol, args.runner)


if __name__ == "__main__":
    sys.exit(main())
