#!/usr/bin/env python3
"""Fetches the ONNX backend node tests of a newer onnx release.

The venv keeps Debian's onnx 1.12; the node tests of newer opsets ship only
inside the PyPI `onnx` wheel. This downloads that wheel with pip (without
installing it) and extracts only onnx/backend/test/data/node/* into OUT/node.

  fetch_node_tests.py --version 1.19.1 --out DIR

Exits 0 when OUT/node is complete (a stamp file records the version), else
non-zero with a one-line reason on stderr. Only the standard library and
pip are used.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

PREFIX = "onnx/backend/test/data/node/"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--version", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    stamp = os.path.join(args.out, "fetched-onnx-version")
    node_dir = os.path.join(args.out, "node")
    if os.path.isfile(stamp) and os.path.isdir(node_dir):
        with open(stamp) as f:
            if f.read().strip() == args.version:
                return 0

    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet",
               "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
               "-d", tmp, f"onnx=={args.version}"]
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True,
                                  timeout=600)
        except (OSError, subprocess.TimeoutExpired) as e:
            print(f"pip download onnx=={args.version} failed: {e}",
                  file=sys.stderr)
            return 1
        if proc.returncode != 0:
            last = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
            print(f"pip download onnx=={args.version} failed: {last}",
                  file=sys.stderr)
            return 1
        wheels = glob.glob(os.path.join(tmp, "onnx-*.whl"))
        if not wheels:
            print("pip download produced no onnx wheel", file=sys.stderr)
            return 1
        staging = os.path.join(args.out, "node.partial")
        shutil.rmtree(staging, ignore_errors=True)
        count = 0
        with zipfile.ZipFile(wheels[0]) as wheel:
            for info in wheel.infolist():
                name = info.filename
                if not name.startswith(PREFIX) or name.endswith("/"):
                    continue
                rel = name[len(PREFIX):]
                if ".." in rel.split("/"):
                    continue
                dest = os.path.join(staging, rel)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with wheel.open(info) as src, open(dest, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                count += 1
        if count == 0:
            print(f"{os.path.basename(wheels[0])} holds no node tests",
                  file=sys.stderr)
            return 1
        shutil.rmtree(node_dir, ignore_errors=True)
        os.replace(staging, node_dir)
        with open(stamp, "w") as f:
            f.write(args.version + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
