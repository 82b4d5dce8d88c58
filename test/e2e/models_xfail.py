#!/usr/bin/env python3
"""Suggests test/e2e/models-xfail.txt lines from what attnc says today.

    models_xfail.py --attnc build/bin/attnc [--models build/test/e2e/models]

Runs `attnc GRAPH.onnx --emit=attn` on every graph the e2e.models generate
tests wrote (ctest -L models -R generate makes them) and prints, for each
graph attnc rejects, `e2e.models.<graph>.run  # <reason>`, the reason being
the op types from the importer's "unsupported ONNX ops" message (or the
first error line). Graphs that import are listed as comments. Review the
output before replacing the file: it describes today's attnc.
"""

import argparse
import glob
import os
import re
import subprocess
import sys

NODE = re.compile(r"node '.*': (\S+?)::(\S+) \(opset \d+\)")


def reason(attnc, model):
    proc = subprocess.run([attnc, model, "--emit=attn", "-o", os.devnull],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode == 0:
        return None
    ops = sorted({op if domain == "ai.onnx" else f"{domain}::{op}"
                  for domain, op in NODE.findall(proc.stdout)})
    if ops:
        return f"unsupported ONNX ops: {', '.join(ops)}"
    lines = [l for l in proc.stdout.splitlines() if "error" in l]
    text = lines[0] if lines else f"attnc exit code {proc.returncode}"
    return text.split("error: ", 1)[-1].strip()


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attnc", default=os.path.join(root, "build/bin/attnc"))
    parser.add_argument("--models", default=os.path.join(root, "build/test/e2e/models"),
                        help="folder with one subfolder per generate test")
    args = parser.parse_args(argv)
    graphs = sorted(glob.glob(os.path.join(args.models, "*", "*.onnx")))
    if not graphs:
        print(f"error: no graphs under {args.models}; run "
              "`ctest --test-dir build -L models -R generate` first", file=sys.stderr)
        return 1
    width = max(len(f"e2e.models.{os.path.basename(g)[:-5]}.run") for g in graphs)
    for g in graphs:
        test = f"e2e.models.{os.path.basename(g)[:-5]}.run"
        why = reason(args.attnc, g)
        if why is None:
            print(f"# {test}: imports today")
        else:
            print(f"{test:<{width}}  # {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
