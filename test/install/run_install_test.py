#!/usr/bin/env python3
"""The installed package, used by an out-of-tree app (ctest label `install`).

1. `cmake --install BUILD --prefix WORK/prefix`, and checks that the
   compiler, the runtime, its header and the CMake package are there;
2. generates models/tiny_transformer.py (ONNX Runtime reference outputs);
3. configures test/install/app against the prefix only
   (-Dattnc_DIR=PREFIX/lib/cmake/attnc), builds it: attnc_add_model
   compiles the model with the *installed* attnc and generates tiny.h;
4. runs the app on every test data set, once loading the .so from the
   header's default path and once from a copy elsewhere (an installed app),
   and compares its outputs with ONNX Runtime's: rtol = atol = 1e-4, as
   the e2e model tests;
5. compiles another model (seed_attention) with the installed attnc by
   hand and checks that the app's tiny_load refuses it (its header's
   signature check).

Exits non-zero with a message on the first failure.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

RTOL = 1e-4
ATOL = 1e-4


def run(cmd, **kwargs):
    print("+ " + " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kwargs)
    print(proc.stdout, end="", flush=True)
    if proc.returncode != 0:
        sys.exit(f"FAILED (exit {proc.returncode}): {' '.join(cmd)}")
    return proc.stdout


def read_pb(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return numpy_helper.to_array(tensor)


def check_installed(prefix):
    for rel in ["bin/attnc", "bin/attnc-run", "include/attnc-c/runtime.h",
                "lib/libattnc_runtime.so", "lib/cmake/attnc/attncConfig.cmake",
                "lib/cmake/attnc/attncConfigVersion.cmake",
                "lib/cmake/attnc/attncTargets.cmake",
                "lib/cmake/attnc/AttncModel.cmake"]:
        if not os.path.exists(os.path.join(prefix, rel)):
            sys.exit(f"FAILED: {rel} was not installed into {prefix}")
    # The installed tools must run from the prefix (rpaths to the runtime
    # and to LLVM/MLIR).
    run([os.path.join(prefix, "bin", "attnc"), "--version"])


def main():
    parser = argparse.ArgumentParser()
    for arg in ["build", "source", "work", "cmake", "generator",
                "make-program", "c-compiler"]:
        parser.add_argument("--" + arg, required=True)
    args = parser.parse_args()

    shutil.rmtree(args.work, ignore_errors=True)
    prefix = os.path.join(args.work, "prefix")
    run([args.cmake, "--install", args.build, "--prefix", prefix])
    check_installed(prefix)

    models = os.path.join(args.work, "models")
    run([sys.executable,
         os.path.join(args.source, "models", "tiny_transformer.py"),
         "--out", models])
    model = os.path.join(models, "tiny_transformer.onnx")

    app_build = os.path.join(args.work, "app-build")
    # Only the prefix is visible: no path into the attnc build tree.
    run([args.cmake, "-S", os.path.join(args.source, "test", "install", "app"),
         "-B", app_build, "-G", args.generator,
         f"-DCMAKE_MAKE_PROGRAM={args.make_program}",
         f"-DCMAKE_C_COMPILER={args.c_compiler}",
         f"-Dattnc_DIR={os.path.join(prefix, 'lib', 'cmake', 'attnc')}",
         f"-DAPP_MODEL={model}"])
    run([args.cmake, "--build", app_build])

    info = dict(line.split("=", 1) for line in
                open(os.path.join(app_build, "app-info.txt")).read().split())
    if not os.path.realpath(info["compiler"]).startswith(
            os.path.realpath(prefix)):
        sys.exit(f"FAILED: the app used {info['compiler']}, not the "
                 f"installed attnc in {prefix}")
    header = os.path.join(app_build, "attnc_models", "tiny_model", "include",
                          "tiny.h")
    if not os.path.exists(header):
        sys.exit(f"FAILED: no generated header {header}")
    moved_so = os.path.join(args.work, "elsewhere", "tiny.so")
    os.makedirs(os.path.dirname(moved_so))
    shutil.copy(info["model_so"], moved_so)

    app = os.path.join(app_build, "app")
    sets = sorted(glob.glob(os.path.join(models, "tiny_transformer",
                                         "test_data_set_*")))
    if not sets:
        sys.exit("FAILED: the generator wrote no test data sets")
    for set_dir in sets:
        x = read_pb(os.path.join(set_dir, "input_0.pb")).astype(np.float32)
        expected = read_pb(os.path.join(set_dir, "output_0.pb"))
        x_path = os.path.join(args.work, "x.bin")
        x.tofile(x_path)
        for so_arg in [[], [moved_so]]:
            y_path = os.path.join(args.work, "y.bin")
            run([app, x_path, y_path, str(x.shape[0]), str(x.shape[1])] +
                so_arg)
            y = np.fromfile(y_path, dtype=np.float32)
            if y.size != expected.size:
                sys.exit(f"FAILED: {set_dir}: {y.size} output values, "
                         f"expected {expected.size}")
            y = y.reshape(expected.shape)
            err = np.abs(y - expected)
            print(f"{os.path.basename(set_dir)} {so_arg or ['default path']}: "
                  f"max_abs_err={err.max():.3g}")
            if not np.all(err <= ATOL + RTOL * np.abs(expected)):
                sys.exit(f"FAILED: {set_dir}: outputs differ from ONNX "
                         f"Runtime's (max abs err {err.max():.3g})")
    other = os.path.join(args.work, "other")
    run([sys.executable,
         os.path.join(args.source, "models", "seed_attention.py"),
         "--out", other])
    other_so = os.path.join(other, "seed_attention.so")
    run([os.path.join(prefix, "bin", "attnc"),
         os.path.join(other, "seed_attention.onnx"), "-o", other_so])
    run([app, "--expect-incompatible", other_so])
    print("install test: OK")


if __name__ == "__main__":
    main()
