#!/usr/bin/env python3
"""Benchmarks attnc-compiled models against ONNX Runtime on the CPU.

For each workload it makes an ONNX model (the `models/` scripts or
`onnx.helper`), writes one input set and ONNX Runtime's outputs for it,
compiles the model with `attnc`, and then times, interleaved round by round,

  * attnc:  `attnc-run M.so --test-data D --benchmark N --threads T`
            (also checks the outputs against ONNX Runtime's), and
  * ORT:    an ONNX Runtime CPU session on the same model file and inputs,
            `intra_op_num_threads=T`, `inter_op_num_threads=1`, graph
            optimizations 'all',

at each thread count. It reports the median over rounds of each round's
median latency, the spread of the round medians (min-max), GFLOP/s and the
percentage of the machine's fp32 peak (per core: measured with a loop of
independent vector FMAs, or given with `--peak-gflops`). With `--doc FILE`
it also writes the table as Markdown (docs/performance.md).

Further engines ("peers", `--peers`, default `openvino,iree`) run the same
ONNX file on the same inputs and thread count in the same rounds:

  * OpenVINO: `core.compile_model(model, "CPU")` with
            `INFERENCE_NUM_THREADS`=T, one stream, the latency hint and
            fp32 inference precision;
  * IREE:   `iree-import-onnx` + `iree-compile` for the llvm-cpu backend
            (`--iree-llvmcpu-target-cpu=host`), run by `iree.runtime` on
            the local-task driver with T workers.

Their Python packages need a newer numpy than Debian's torch 1.13 works
with, so they live in their own venv (`--peers-venv`, default
`.venv-peers`), which this script makes on first use; each peer's outputs
are checked against ONNX Runtime's, and a peer that does not install,
compile or match is reported as such in the doc, not left out silently.
Every compile is timed (wall time and peak resident memory of the
compiler process) for the doc's compile table; `--compile-only gpt2_medium`
adds models that are compiled but not run.

This is a benchmark driver, not a test: timings on a shared machine are
noisy, which is why the engines run side by side in every round.

    .venv/bin/python tools/bench.py [--build build] [--threads 1,2]
        [--rounds 5] [--runs 20] [--only matmul] [--peers openvino,iree]
        [--compile-only gpt2_medium] [--doc docs/performance.md]
"""

import argparse
import datetime
import math
import os
import shlex
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models"))

import common  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


# --------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------

def make_matmul(out_dir, m, k, n, seed=0):
    """Y[m, n] = X[m, k] . W[k, n] with W an initializer and m dynamic."""
    rng = np.random.default_rng(seed)
    w = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        f"matmul_{k}x{n}",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["m", k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["m", n])],
        [numpy_helper.from_array(w, "w")])
    name = f"matmul_{m}x{k}x{n}"
    path = os.path.join(out_dir, name + ".onnx")
    common.save_model(common.make_model(graph), path)
    x = rng.standard_normal((m, k)).astype(np.float32)
    return name, path, {"x": x}, 2.0 * m * k * n


def make_tiny_transformer(out_dir, batch, seq, d_model, layers, seed=0):
    """models/tiny_transformer.py at a realistic width."""
    d_ff = 2 * d_model
    subprocess.run([sys.executable, os.path.join(ROOT, "models",
                                                 "tiny_transformer.py"),
                    "--out", out_dir, "--d-model", str(d_model),
                    "--layers", str(layers), "--seed", str(seed)],
                   check=True, stdout=subprocess.DEVNULL)
    path = os.path.join(out_dir, "tiny_transformer.onnx")
    name = f"tiny_transformer_d{d_model}_l{layers}_s{seq}"
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, seq, d_model)).astype(np.float32)
    s, d = batch * seq, d_model
    per_layer = (4 * 2 * s * d * d          # q, k, v, o projections
                 + 2 * 2 * batch * seq * seq * d  # scores and context
                 + 2 * 2 * s * d * d_ff)    # feed-forward
    return name, path, {"x": x}, float(layers * per_layer)


def export_family(out_dir, script, config, name):
    """Runs models/<script>.py --config <config> into out_dir (once: an
    existing <name>.onnx there is reused, so --work-dir caches exports)."""
    path = os.path.join(out_dir, name + ".onnx")
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(ROOT, "models", script),
                        "--out", out_dir, "--config", config],
                       check=True, stdout=subprocess.DEVNULL)
    return path


def synth_inputs(path, dims, seed=0):
    """Inputs for every graph input of `path`, with symbolic dims from
    `dims`: token ids uniform in [0, vocab), masks of ones, token types
    zero, positions 0.., floats N(0, 1) (past keys/values scaled by 0.5)."""
    import onnx
    m = onnx.load(path, load_external_data=False)
    rng = np.random.default_rng(seed)
    inputs = {}
    for gi in m.graph.input:
        shape = []
        for d in gi.type.tensor_type.shape.dim:
            if d.dim_param:
                if d.dim_param not in dims:
                    sys.exit(f"{path}: no size for dim '{d.dim_param}'")
                shape.append(dims[d.dim_param])
            else:
                shape.append(d.dim_value)
        if gi.type.tensor_type.elem_type == TensorProto.INT64:
            if "mask" in gi.name:
                a = np.ones(shape, np.int64)
            elif "token_type" in gi.name:
                a = np.zeros(shape, np.int64)
            elif "position" in gi.name:
                a = np.broadcast_to(np.arange(shape[-1]), shape).astype(np.int64)
            else:
                a = rng.integers(0, dims["vocab"], shape).astype(np.int64)
        else:
            a = rng.standard_normal(shape).astype(np.float32)
            if "past" in gi.name:
                a *= 0.5
        inputs[gi.name] = a
    return inputs


def transformer_flops(layers, d, d_ff, tokens, context, cross=0):
    """Linear layers (q, k, v, o and the feed-forward) on `tokens` rows plus
    scores and context products against `context` keys (counted in full,
    causal or not); `cross` adds cross-attention (q and o projections on
    the tokens, K/V given) against that many encoder positions."""
    per_layer = 2 * tokens * (4 * d * d + 2 * d * d_ff)
    per_layer += 2 * 2 * tokens * context * d
    if cross:
        per_layer += 2 * tokens * 2 * d * d + 2 * 2 * tokens * cross * d
    return layers * per_layer


def make_gpt2_prefill(out_dir, seq=128):
    path = export_family(out_dir, "gpt2.py", "small", "gpt2_small")
    inputs = synth_inputs(path, {"batch_size": 1, "sequence_length": seq,
                                 "vocab": 50257})
    flops = transformer_flops(12, 768, 3072, seq, seq) + 2 * seq * 768 * 50257
    return f"gpt2_small_prefill_{seq}", path, inputs, float(flops)


def make_gpt2_decode(out_dir, past=127):
    path = export_family(out_dir, "gpt2.py", "small", "gpt2_small_with_past")
    inputs = synth_inputs(path, {"batch_size": 1, "sequence_length": 1,
                                 "past_sequence_length": past,
                                 "total_sequence_length": past + 1,
                                 "vocab": 50257})
    flops = transformer_flops(12, 768, 3072, 1, past + 1) + 2 * 768 * 50257
    return f"gpt2_small_decode_past{past}", path, inputs, float(flops)


def make_bert(out_dir, seq=128):
    path = export_family(out_dir, "bert.py", "base", "bert_base")
    inputs = synth_inputs(path, {"batch_size": 1, "sequence_length": seq,
                                 "vocab": 30522})
    flops = transformer_flops(12, 768, 3072, seq, seq) + 2 * 768 * 768
    return f"bert_base_{seq}", path, inputs, float(flops)


def make_vit(out_dir):
    path = export_family(out_dir, "vit.py", "b16", "vit_b16")
    inputs = synth_inputs(path, {"batch_size": 1})
    tokens = 197  # 14 x 14 patches + the class token
    flops = (transformer_flops(12, 768, 3072, tokens, tokens)
             + 2 * 196 * 3 * 16 * 16 * 768 + 2 * 768 * 1000)
    return "vit_b16_224", path, inputs, float(flops)


def make_marian_step(out_dir, past=31, enc=32):
    path = export_family(out_dir, "marian.py", "opus-mt",
                         "marian_opus-mt_decoder_with_past")
    inputs = synth_inputs(path, {"batch_size": 1, "decoder_sequence_length": 1,
                                 "past_decoder_sequence_length": past,
                                 "encoder_sequence_length": enc,
                                 "vocab": 54688})
    flops = (transformer_flops(6, 512, 2048, 1, past + 1, cross=enc)
             + 2 * 512 * 54688)
    return f"marian_decoder_step_past{past}_enc{enc}", path, inputs, float(flops)


WORKLOADS = {
    "matmul_768": lambda d: make_matmul(d, 128, 768, 768),
    "matmul_3072": lambda d: make_matmul(d, 128, 768, 3072),
    "tiny_transformer": lambda d: make_tiny_transformer(d, 1, 128, 768, 2),
    "gpt2_prefill": make_gpt2_prefill,
    "gpt2_decode": make_gpt2_decode,
    "gpt2_decode_bf16": make_gpt2_decode,  # VARIANTS
    "bert": make_bert,
    "vit": make_vit,
    "marian_step": make_marian_step,
}

# Models only compiled (the compile table): key -> maker returning the
# model path.
COMPILE_ONLY = {
    "gpt2_medium": lambda d: export_family(d, "gpt2.py", "medium",
                                           "gpt2_medium"),
}

# Variants compiled with extra attnc options: key -> (base workload, name
# suffix, attnc options, attnc-run --rtol/--atol). They share the base's
# folder (the model is exported once) and compare with the same ONNX Runtime
# fp32 model; the tolerances only catch broken outputs (accuracy:
# docs/performance.md).
VARIANTS = {
    "gpt2_decode_bf16": ("gpt2_decode", "_bf16", ["--precision=bf16"],
                         ("5e-2", "5e-2")),
}

# Workloads bound by reading the weights (one token): their table row also
# gives GB/s of weights streamed per run.
MEMORY_BOUND = {"gpt2_decode", "marian_step", "gpt2_decode_bf16"}


# --------------------------------------------------------------------------
# Runners
# --------------------------------------------------------------------------

# ONNX Runtime's CPU session as every runner here makes it (`model` and
# `threads` defined before): `threads` intra-op threads, sequential, all
# graph optimizations.
ORT_SESSION = r"""
o = ort.SessionOptions()
o.intra_op_num_threads = threads
o.inter_op_num_threads = 1
o.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
o.log_severity_level = 3
s = ort.InferenceSession(model, sess_options=o, providers=["CPUExecutionProvider"])
"""

ORT_RUNNER = r"""
import sys, time, json
import numpy as np
import onnxruntime as ort
from onnx import numpy_helper, load_tensor
model, threads, runs, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
inputs = {}
for f in sys.argv[5:]:
    t = load_tensor(f)
    inputs[t.name] = numpy_helper.to_array(t)
""" + ORT_SESSION + r"""
ms = []
for i in range(warmup + runs):
    t0 = time.perf_counter()
    s.run(None, inputs)
    t1 = time.perf_counter()
    if i >= warmup:
        ms.append((t1 - t0) * 1e3)
ms.sort()
print("median_ms", ms[len(ms) // 2])
"""


# Peers: each runs in the peers venv, on the same input files, and checks
# its outputs against ONNX Runtime's (output_<i>.pb, matched by name).
PEER_RUNNER = r"""
import os, sys, time
import numpy as np
from onnx import numpy_helper, load_tensor
engine, model, artifact, data_dir = sys.argv[1:5]
threads, runs, warmup = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
def tensors(prefix):
    out, i = [], 0
    while os.path.exists(os.path.join(data_dir, f"{prefix}_{i}.pb")):
        t = load_tensor(os.path.join(data_dir, f"{prefix}_{i}.pb"))
        out.append((t.name, numpy_helper.to_array(t)))
        i += 1
    return out
inputs, refs = tensors("input"), tensors("output")
if engine == "openvino":
    import openvino as ov
    cm = ov.Core().compile_model(model, "CPU", {
        "INFERENCE_NUM_THREADS": threads, "NUM_STREAMS": 1,
        "PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"})
    req = cm.create_infer_request()
    feed = dict(inputs)
    index = {n: i for i, o in enumerate(cm.outputs) for n in o.get_names()}
    def run():
        req.infer(feed)
        return {n: req.get_output_tensor(index[n]).data for n, _ in refs}
else:
    import iree.runtime as rt
    rt.flags.parse_flags(f"--task_topology_max_group_count={threads}")
    config = rt.Config("local-task")
    ctx = rt.SystemContext(config=config)
    vm = rt.VmModule.mmap(config.vm_instance, artifact)
    ctx.add_vm_module(vm)
    fn = ctx.modules[vm.name][sys.argv[8]]
    args = [a for _, a in inputs]
    def run():
        out = fn(*args)
        if not isinstance(out, (list, tuple)):
            out = [out]
        return {n: np.asarray(o) for (n, _), o in zip(refs, out)}
ms = []
for i in range(warmup + runs):
    t0 = time.perf_counter()
    got = run()
    t1 = time.perf_counter()
    if i >= warmup:
        ms.append((t1 - t0) * 1e3)
err, bad = 0.0, []
for n, r in refs:
    g = np.asarray(got[n], dtype=np.float64).reshape(r.shape)
    if r.size:
        e = float(np.max(np.abs(g - r))) / max(float(np.max(np.abs(r))), 1e-6)
        err = max(err, e)
        if e > float(sys.argv[-1]):
            bad.append(n)
ms.sort()
print("median_ms", ms[len(ms) // 2])
print("max_rel_err", err)
print("differing", f"{len(bad)} of {len(refs)} outputs, first {bad[0]}" if bad else "none")
"""

# A peer's outputs may differ from ONNX Runtime's by reassociated sums;
# beyond this (max |err| / max |ref| over each output) its time is not
# reported.
PEER_TOLERANCE = 1e-3

PEER_PACKAGES = ["openvino==2026.4.1", "iree-base-compiler==3.13.0",
                 "iree-base-runtime==3.13.0", "onnx"]


# Runs argv[1:] and prints its peak RSS (KiB) last. A child forked from this
# (large) Python process inherits its RSS high-water mark through exec, so
# rusage of a direct child would report the bench's own size; a grandchild
# of this small helper starts fresh.
MAXRSS_HELPER = r"""
import os, subprocess, sys
p = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(p.pid, 0)
sys.stdout.flush()
print("ATTNC_BENCH_MAXRSS_KIB", usage.ru_maxrss, flush=True)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def timed(cmd, timeout=None):
    """Runs `cmd`; returns (exit code or -1 on timeout, wall seconds, peak
    resident memory of the command in MiB, its combined output)."""
    with tempfile.TemporaryFile("w+") as log:
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-c", MAXRSS_HELPER] + cmd,
                             stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        try:
            code = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            p.wait()
            code = -1
        wall = time.perf_counter() - t0
        log.seek(0)
        out = log.read()
    m = re.search(r"ATTNC_BENCH_MAXRSS_KIB (\d+)", out)
    out = re.sub(r"ATTNC_BENCH_MAXRSS_KIB \d+\n?", "", out)
    return code, wall, int(m.group(1)) / 1024.0 if m else 0.0, out


def last_line(out, code):
    """The last non-empty line of a failed command's output (what it said
    went wrong), or its exit code when it printed nothing."""
    lines = [l for l in out.strip().splitlines() if l.strip()]
    return lines[-1] if lines else f"exit {code}"


def ensure_peers(args):
    """The peers venv's python (made on first use), or None with the reason
    in args.peer_notes."""
    py = os.path.join(args.peers_venv, "bin", "python")
    if not os.path.exists(py):
        print(f"making {args.peers_venv} for {', '.join(args.peers)} "
              "(pip install " + " ".join(PEER_PACKAGES) + ")", flush=True)
        code, _, _, out = timed(["/usr/bin/python3", "-m", "venv",
                                 args.peers_venv])
        if code == 0:
            code, _, _, out = timed([py, "-m", "pip", "install", "--quiet"]
                                    + PEER_PACKAGES)
        if code != 0:
            shutil.rmtree(args.peers_venv, ignore_errors=True)
            for peer in args.peers:
                args.peer_notes[peer] = ("did not install: "
                                         + last_line(out, code))
            return None
    versions = subprocess.run(
        [py, "-c", "import importlib.metadata as m; print(m.version("
         "'openvino'), m.version('iree-base-runtime'))"],
        capture_output=True, text=True).stdout.split()
    if len(versions) == 2:
        args.peer_versions = {"openvino": versions[0], "iree": versions[1]}
    return py


def compile_iree(args, model, wdir, name):
    """iree-import-onnx + iree-compile (llvm-cpu, host CPU) into
    <wdir>/<name>.vmfb; returns (vmfb, function name) or (None, reason).
    Records the compile's wall time and peak memory."""
    import onnx
    graph_name = onnx.load(model, load_external_data=False).graph.name
    vmfb = os.path.join(wdir, name + ".vmfb")
    if args.reuse_so and os.path.exists(vmfb):
        return vmfb, graph_name
    bindir = os.path.dirname(args.peers_python)
    mlir = os.path.join(wdir, name + ".iree.mlir")
    steps = [
        [os.path.join(bindir, "iree-import-onnx"), model, "-o", mlir],
        [os.path.join(bindir, "iree-compile"), mlir,
         "--iree-hal-target-device=local",
         "--iree-hal-local-target-device-backends=llvm-cpu",
         "--iree-llvmcpu-target-cpu=host", "-o", vmfb],
    ]
    wall, rss = 0.0, 0.0
    try:
        for cmd in steps:
            code, w, r, out = timed(cmd, timeout=args.peer_compile_timeout)
            wall, rss = wall + w, max(rss, r)
            if code != 0:
                why = ("timed out" if code == -1 else
                       last_line(out, code))
                return None, (f"{os.path.basename(cmd[0])} failed after "
                              f"{w:.0f} s: {why[:160]}")
    finally:
        if os.path.exists(mlir):
            os.remove(mlir)
    args.compiles.append({"workload": os.path.basename(model),
                          "engine": "IREE",
                          "seconds": wall, "rss_mib": rss,
                          "weights": os.path.getsize(model)})
    return vmfb, graph_name


def run_peer(args, peer, model, artifact, data_dir, threads):
    """(median ms, max relative error, which outputs differ) of one peer,
    or (None, reason, None)."""
    cmd = [args.peers_python, "-c", PEER_RUNNER, peer, model,
           artifact[0] if artifact else "", data_dir, str(threads),
           str(args.cur_runs), str(args.cur_warmup)]
    cmd.append(artifact[1] if artifact else "")
    cmd.append(str(PEER_TOLERANCE))
    p = subprocess.run(cmd, capture_output=True, text=True)
    m = re.search(r"median_ms ([0-9.]+)", p.stdout)
    e = re.search(r"max_rel_err ([0-9.eE+-]+|nan|inf)", p.stdout)
    if p.returncode != 0 or not m or not e:
        return None, ("run failed: "
                      + last_line(p.stderr or p.stdout, p.returncode)[:160]), None
    d = re.search(r"differing (.*)", p.stdout)
    return float(m.group(1)), float(e.group(1)), d.group(1) if d else ""


def compile_attnc(args, model, so, flags):
    """attnc model -o so, timed; exits on failure."""
    code, wall, rss, out = timed([args.attnc, model, "-o", so] + flags)
    if code != 0:
        sys.exit(f"attnc failed ({code}) on {model}:\n{out}")
    args.compiles.append({"workload": os.path.basename(model)
                          + "".join(" " + f for f in flags),
                          "engine": "attnc", "seconds": wall, "rss_mib": rss,
                          "weights": os.path.getsize(model)})


def run_attnc(args, so, data_dir, threads, tol=("1e-4", "1e-4")):
    cmd = [args.attnc_run, so, "--test-data", data_dir, "--benchmark",
           str(args.cur_runs), "--warmup", str(args.cur_warmup), "--threads",
           str(threads), "--rtol", tol[0], "--atol", tol[1]]
    p = subprocess.run(cmd, capture_output=True, text=True)
    m = re.search(r"median ([0-9.]+) ms", p.stdout)
    if p.returncode != 0 or not m:
        sys.exit(f"attnc-run failed ({p.returncode}):\n{' '.join(cmd)}\n"
                 f"{p.stdout}\n{p.stderr}")
    return float(m.group(1))


def run_ort(args, model, input_files, threads):
    cmd = [sys.executable, "-c", ORT_RUNNER, model, str(threads),
           str(args.cur_runs), str(args.cur_warmup)] + input_files
    p = subprocess.run(cmd, capture_output=True, text=True)
    m = re.search(r"median_ms ([0-9.]+)", p.stdout)
    if p.returncode != 0 or not m:
        sys.exit(f"ONNX Runtime runner failed:\n{p.stdout}\n{p.stderr}")
    return float(m.group(1))


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


# A chain of independent FMAs on the widest vectors (24 accumulators hide
# the FMA latency on every x86 core we know of); timed on one core.
PEAK_KERNEL = r"""
#include <stdio.h>
#include <time.h>
typedef float v __attribute__((vector_size(LANES * 4)));
int main(void) {
  v acc[24], x, y;
  for (int i = 0; i < LANES; ++i) { x[i] = 1.0f + 1e-7f; y[i] = 1e-7f; }
  for (int j = 0; j < 24; ++j) acc[j] = y * (float)j;
  const long iters = 40000000;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < iters; ++i) {
#pragma clang loop unroll(full)
    for (int j = 0; j < 24; ++j) acc[j] = acc[j] * x + y;
    __asm__ volatile("" : "+x"(x));
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  float s = 0;
  for (int j = 0; j < 24; ++j) for (int i = 0; i < LANES; ++i) s += acc[j][i];
  double sec = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
  printf("%f %f\n", 2.0 * 24 * LANES * iters / sec / 1e9, s);
  return 0;
}
"""


def measured_peak():
    """fp32 GFLOP/s of one core, measured: a C loop of independent vector
    FMAs (the widest the CPU has: 16 lanes with AVX-512, else 8) compiled
    with clang-22 -O2 -march=native, best of 3. The clock it runs at is the
    one the models see (turbo included), unlike /proc/cpuinfo's."""
    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    lanes = 16 if "avx512f" in flags else 8 if "fma" in flags else 4
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = os.path.join(tmp, "peak.c"), os.path.join(tmp, "peak")
        with open(src, "w") as f:
            f.write(PEAK_KERNEL)
        subprocess.run(["clang-22", "-O2", "-march=native",
                        "-ffp-contract=fast", f"-DLANES={lanes}", src, "-o",
                        exe], check=True)
        best = max(float(subprocess.run([exe], capture_output=True,
                                        text=True, check=True).stdout.split()[0])
                   for _ in range(3))
    return best, (f"measured: independent {lanes}-lane FMAs on one core "
                  "(tools/bench.py's PEAK_KERNEL, best of 3)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"),
                        help="attnc build folder (bin/attnc, bin/attnc-run)")
    parser.add_argument("--threads", default="1,2",
                        help="comma-separated thread counts")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=50,
                        help="timed runs per round and engine")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=0.5,
                        help="seconds of timed runs per round and engine at "
                             "least (more runs than --runs for short "
                             "workloads; warm-up: a quarter of it)")
    parser.add_argument("--only", default="",
                        help="comma-separated workloads (default: all of "
                             + ", ".join(WORKLOADS) + ")")
    parser.add_argument("--peak-gflops", type=float, default=0.0,
                        help="fp32 peak GFLOP/s of one core (default: "
                             "measured with a loop of vector FMAs)")
    parser.add_argument("--work-dir", default="",
                        help="keep models here (default: a temp folder)")
    parser.add_argument("--conditions", default="",
                        help="a note on the machine's state for the doc, "
                             "e.g. 'otherwise idle'")
    parser.add_argument("--reuse-so", action="store_true",
                        help="use an existing <work-dir>/<workload>/<name>.so "
                             "instead of compiling (full-size models take "
                             "minutes to compile)")
    parser.add_argument("--peers", default="openvino,iree",
                        help="further engines run beside attnc and ORT "
                             "(comma-separated: openvino, iree; '' for none)")
    parser.add_argument("--peers-venv", default=os.path.join(ROOT,
                                                             ".venv-peers"),
                        help="venv with the peers' packages (made on first "
                             "use)")
    parser.add_argument("--peer-compile-timeout", type=float, default=1200,
                        help="seconds allowed for each IREE import/compile")
    parser.add_argument("--compile-only", default="",
                        help="models compiled (timed, peak memory) but not "
                             "run: " + ", ".join(COMPILE_ONLY))
    parser.add_argument("--doc", default="",
                        help="write the results as Markdown to this file")
    args = parser.parse_args(argv)
    args.peers = [p for p in args.peers.split(",") if p]
    for p in args.peers:
        if p not in ("openvino", "iree"):
            parser.error(f"unknown peer '{p}' (openvino, iree)")
    args.peer_notes, args.peer_versions, args.compiles = {}, {}, []
    args.peers_python = ensure_peers(args) if args.peers else None
    if args.peak_gflops <= 0:
        args.peak_gflops, args.peak_how = measured_peak()
    else:
        args.peak_how = "given with --peak-gflops"
    args.attnc = os.path.join(args.build, "bin", "attnc")
    args.attnc_run = os.path.join(args.build, "bin", "attnc-run")
    threads = [int(t) for t in args.threads.split(",")]
    names = [n for n in args.only.split(",") if n] or list(WORKLOADS)

    work = args.work_dir or tempfile.mkdtemp(prefix="attnc-bench-")
    os.makedirs(work, exist_ok=True)
    rows = []
    streamed = {}  # workload key -> (ORT, attnc) weight bytes read per run
    try:
        for key in names:
            base, suffix, flags, tol = VARIANTS.get(
                key, (key, "", [], ("1e-4", "1e-4")))
            wdir = os.path.join(work, base)
            os.makedirs(wdir, exist_ok=True)
            name, model, inputs, flops = WORKLOADS[key](wdir)
            name += suffix
            outputs = common.run_ort(model, inputs)
            import onnx
            m = onnx.load(model)
            data_dir = os.path.join(wdir, name + "_data")
            shutil.rmtree(data_dir, ignore_errors=True)
            os.makedirs(data_dir)
            input_files = []
            for i, gi in enumerate(m.graph.input):
                f = os.path.join(data_dir, f"input_{i}.pb")
                with open(f, "wb") as fh:
                    fh.write(numpy_helper.from_array(
                        inputs[gi.name], gi.name).SerializeToString())
                input_files.append(f)
            for i, (go, arr) in enumerate(zip(m.graph.output, outputs)):
                with open(os.path.join(data_dir, f"output_{i}.pb"), "wb") as fh:
                    fh.write(numpy_helper.from_array(
                        arr, go.name).SerializeToString())
            so = os.path.join(wdir, name + ".so")
            if not (args.reuse_so and os.path.exists(so)):
                compile_attnc(args, model, so, flags)
            # Peers run the fp32 model: not again for attnc's variants.
            peers = {}
            if args.peers_python and key not in VARIANTS:
                for peer in args.peers:
                    if peer == "iree":
                        vmfb, fn = compile_iree(args, model, wdir, name)
                        peers[peer] = (vmfb, fn) if vmfb else fn
                    else:
                        peers[peer] = None
            for t in threads:
                # Short workloads get more runs: a handful of 1 ms runs in a
                # fresh process mostly measures its warm-up (page faults,
                # clocks), not the kernel.
                args.cur_runs, args.cur_warmup = 3, 1
                est = run_attnc(args, so, data_dir, t, tol)
                args.cur_runs = max(args.runs,
                                    math.ceil(args.min_time * 1e3 / est))
                args.cur_warmup = max(args.warmup,
                                      math.ceil(args.min_time * 250 / est))
                res = {"attnc": [], "ort": []}
                peer_rows = {}
                for peer, art in peers.items():
                    if isinstance(art, str):
                        peer_rows[peer] = art  # did not compile
                    else:
                        res[peer] = []
                for r in range(args.rounds):
                    # Rotate which engine goes first.
                    order = list(res)
                    order = order[r % len(order):] + order[:r % len(order)]
                    for engine in order:
                        if engine == "attnc":
                            res[engine].append(
                                run_attnc(args, so, data_dir, t, tol))
                        elif engine == "ort":
                            res[engine].append(
                                run_ort(args, model, input_files, t))
                        elif engine not in peer_rows:
                            ms, err, which = run_peer(
                                args, engine, model, peers[engine], data_dir,
                                t)
                            if ms is None:
                                peer_rows[engine] = err
                            elif err > PEER_TOLERANCE:
                                peer_rows[engine] = (
                                    f"outputs differ from ONNX Runtime's "
                                    f"(max |err| / max |ref| {err:.1e}; "
                                    f"{which})")
                            else:
                                res[engine].append(ms)
                for peer in peers:
                    if peer not in peer_rows:
                        ms = res.pop(peer)
                        peer_rows[peer] = (statistics.median(ms), min(ms),
                                           max(ms))
                    else:
                        res.pop(peer, None)
                # Weights read per run (embedding tables excluded); attnc's
                # GEMM weights at 2 bytes with --precision=bf16.
                if key in MEMORY_BOUND and key not in streamed:
                    streamed[key] = (
                        streamed_weight_bytes(model),
                        streamed_weight_bytes(
                            model, 2 if "--precision=bf16" in flags else None))
                ort_bytes, attnc_bytes = streamed.get(key, (0, 0))
                row = {"workload": name, "threads": t, "gflop": flops / 1e9,
                       "weight_bytes": ort_bytes,
                       "attnc_weight_bytes": attnc_bytes}
                for engine, ms in res.items():
                    med = statistics.median(ms)
                    gflops = flops / (med * 1e-3) / 1e9
                    row[engine] = (med, min(ms), max(ms), gflops,
                                   100.0 * gflops / (args.peak_gflops * t))
                row["peers"] = peer_rows
                row["runs"] = (args.cur_warmup, args.cur_runs)
                rows.append(row)
                a, o = row["attnc"], row["ort"]
                print(f"{name:32s} T={t}  attnc {a[0]:8.3f} ms "
                      f"[{a[1]:.3f}-{a[2]:.3f}] {a[3]:6.1f} GFLOP/s "
                      f"({a[4]:4.1f}% peak)   ORT {o[0]:8.3f} ms "
                      f"[{o[1]:.3f}-{o[2]:.3f}] {o[3]:6.1f} GFLOP/s "
                      f"({o[4]:4.1f}% peak)   attnc/ORT time "
                      f"{a[0] / o[0]:.2f}x", flush=True)
                for peer, pr in peer_rows.items():
                    print(f"{'':32s} T={t}  {peer} " + (
                        f"{pr[0]:8.3f} ms [{pr[1]:.3f}-{pr[2]:.3f}]   "
                        f"attnc/{peer} time {a[0] / pr[0]:.2f}x"
                        if isinstance(pr, tuple) else pr), flush=True)
        for key in [n for n in args.compile_only.split(",") if n]:
            wdir = os.path.join(work, key)
            os.makedirs(wdir, exist_ok=True)
            model = COMPILE_ONLY[key](wdir)
            compile_attnc(args, model, os.path.join(wdir, key + ".so"), [])
    finally:
        if not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)

    if args.doc:
        write_doc(args, rows, argv if argv is not None else sys.argv[1:])
    return 0


# Reads a 512 MiB array with T OpenMP threads (static split), 16-lane adds
# into 4 accumulators and a software prefetch 8 KiB ahead: what the cores
# can stream from memory when they do nothing else.
READ_KERNEL = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
typedef float v __attribute__((vector_size(64)));
int main(void) {
  const size_t n = (size_t)512 << 20, nv = n / sizeof(v);
  v *a = aligned_alloc(64, n);
  if (!a) return 1;
  memset(a, 1, n);
  double best = 0; float keep = 0;
  for (int rep = 0; rep < 4; ++rep) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    float total = 0;
#pragma omp parallel reduction(+ : total)
    {
      v s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
#pragma omp for schedule(static)
      for (size_t i = 0; i < nv; i += 4) {
        __builtin_prefetch((const char *)(a + i) + 8192);
        s0 += a[i]; s1 += a[i + 1]; s2 += a[i + 2]; s3 += a[i + 3];
      }
      v s = s0 + s1 + s2 + s3;
      for (int j = 0; j < 16; ++j) total += s[j];
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double sec = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    if (rep > 0 && n / sec / 1e9 > best) best = n / sec / 1e9;
    keep += total;
  }
  printf("%f %g\n", best, keep);
  return 0;
}
"""


def read_bandwidth_gbs(threads):
    """Memory read bandwidth in GB/s with `threads` threads: READ_KERNEL
    (clang-22 -O2 -march=native -fopenmp), best of 3 passes after one
    warm-up pass. A one-token step reads its weights once, so this is its
    bound."""
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = os.path.join(tmp, "read.c"), os.path.join(tmp, "read")
        with open(src, "w") as f:
            f.write(READ_KERNEL)
        subprocess.run(["clang-22", "-O2", "-march=native", "-fopenmp", src,
                        "-o", exe], check=True)
        env = dict(os.environ, OMP_NUM_THREADS=str(threads),
                   OMP_PROC_BIND="false")
        out = subprocess.run([exe], capture_output=True, text=True,
                             check=True, env=env).stdout
    return float(out.split()[0])


# Bytes per element of the ONNX tensor types that initializers use.
ELEMENT_BYTES = {TensorProto.FLOAT: 4, TensorProto.FLOAT16: 2,
                 TensorProto.BFLOAT16: 2, TensorProto.DOUBLE: 8,
                 TensorProto.INT64: 8, TensorProto.INT32: 4,
                 TensorProto.INT8: 1, TensorProto.UINT8: 1,
                 TensorProto.BOOL: 1}


def streamed_weight_bytes(model_path, gemm_element_bytes=None):
    """Bytes of the initializers that one token's run reads in full: all of
    them except those used only as Gather's table (embeddings: one row per
    token). With `gemm_element_bytes` (attnc --precision=bf16: 2), the
    initializers fed to MatMul/Gemm (directly or through Transpose) count at
    that size per element."""
    import onnx
    model = onnx.load(model_path)
    graph = model.graph
    consumers = {}
    for node in graph.node:
        for i, name in enumerate(node.input):
            consumers.setdefault(name, []).append((node, i))

    def gemm_use(n, i):
        """Input `i` of node `n` is a GEMM's weight (B), perhaps transposed;
        not a Gemm's bias (input 2), which stays fp32."""
        if n.op_type in ("MatMul", "Gemm"):
            return i == 1
        return n.op_type == "Transpose" and any(
            c.op_type in ("MatMul", "Gemm") and j == 1
            for c, j in consumers.get(n.output[0], []))

    total = 0
    for init in graph.initializer:
        uses = consumers.get(init.name, [])
        if uses and all(n.op_type == "Gather" and i == 0 for n, i in uses):
            continue
        count = int(np.prod(init.dims)) if init.dims else 1
        size = ELEMENT_BYTES.get(init.data_type, 4)
        if gemm_element_bytes and any(gemm_use(n, i) for n, i in uses):
            size = gemm_element_bytes
        total += count * size
    return total


def write_doc(args, rows, argv):
    import onnxruntime
    lines = []
    lines.append("# Performance\n")
    lines.append("Generated by `tools/bench.py`; do not edit the tables by "
                 "hand (the Analysis section at the end is hand-written and "
                 "kept when the tables are regenerated).\n")
    lines.append(f"- date: {datetime.date.today().isoformat()}")
    lines.append(f"- machine: {cpu_name()}, {os.cpu_count()} logical CPUs"
                 + (f" ({args.conditions})" if args.conditions else "")
                 + "; fp32 peak taken as "
                 f"{args.peak_gflops:.0f} GFLOP/s per core: {args.peak_how}")
    lines.append(f"- ONNX Runtime {onnxruntime.__version__} (CPU, graph "
                 "optimizations 'all', `intra_op_num_threads` = threads)")
    lines.append("- command: `.venv/bin/python tools/bench.py "
                 + shlex.join(argv) + "`")
    lines.append(f"- method: {args.rounds} rounds, engines interleaved; each "
                 f"round at least {args.warmup} warm-up + {args.runs} "
                 f"timed runs, and at least {args.min_time:g} s of timed "
                 "runs (a quarter of that warming up), the counts set per "
                 "workload from a 3-run attnc estimate (runs column); "
                 "median of the round medians, [min-max] of the round "
                 "medians. attnc runs check the outputs against ONNX "
                 "Runtime's (rtol 1e-4) in the same process.\n")
    lines.append("| workload | GFLOP | threads | runs | attnc ms | attnc "
                 "GFLOP/s (% peak) | ORT ms | ORT GFLOP/s (% peak) | "
                 "attnc/ORT time |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        a, o = r["attnc"], r["ort"]
        lines.append(
            f"| {r['workload']} | {r['gflop']:.3f} | {r['threads']} | "
            f"{r['runs'][0]}+{r['runs'][1]} | "
            f"{a[0]:.3f} [{a[1]:.3f}-{a[2]:.3f}] | {a[3]:.1f} ({a[4]:.0f}%) | "
            f"{o[0]:.3f} [{o[1]:.3f}-{o[2]:.3f}] | {o[3]:.1f} ({o[4]:.0f}%) | "
            f"{a[0] / o[0]:.2f}x |")
    lines.append("")
    decode = [r for r in rows if r["weight_bytes"]]
    if decode:
        bw = {t: read_bandwidth_gbs(t)
              for t in sorted({r["threads"] for r in decode})}
        lines.append("Weight-bound workloads (one token): the bytes of the "
                     "weights a run reads in full (the ONNX initializers, "
                     "without the embedding tables that only Gather reads, "
                     "one row per token; for attnc in `_bf16` rows the GEMM "
                     "weights at 2 bytes) over the median time, against the "
                     "memory read bandwidth measured in the same run with "
                     "as many threads ("
                     + ", ".join(f"{t} thread{'s' if t > 1 else ''}: "
                                 f"{g:.1f} GB/s" for t, g in bw.items())
                     + "; tools/bench.py's READ_KERNEL: 512 MiB read with "
                     "16-lane loads and a software prefetch 8 KiB ahead, "
                     "best of 3); the bound is the time that bandwidth "
                     "needs for the weights.\n")
        lines.append("| workload | threads | weights MB read (attnc) | "
                     "bound ms | attnc GB/s | attnc / bound | ORT GB/s |")
        lines.append("|---|---|---|---|---|---|---|")
        for r in decode:
            attnc_bytes = r["attnc_weight_bytes"]
            mb = attnc_bytes / 1e6
            bound = attnc_bytes / (bw[r["threads"]] * 1e9) * 1e3
            a, o = r["attnc"][0], r["ort"][0]
            lines.append(f"| {r['workload']} | {r['threads']} | {mb:.0f} | "
                         f"{bound:.2f} | {attnc_bytes / a / 1e6:.1f} | "
                         f"{a / bound:.2f}x | "
                         f"{r['weight_bytes'] / o / 1e6:.1f} |")
        lines.append("")
    peer_names = {"openvino": "OpenVINO", "iree": "IREE"}
    peers = [p for p in args.peers if any(p in r.get("peers", {})
                                          for r in rows)]
    if args.peers:
        lines.append("Other engines on the same model files, inputs and "
                     "thread counts, in the same rounds (engine order "
                     "rotated): " + "; ".join(
                         f"{peer_names[p]} "
                         f"{args.peer_versions.get(p, '(not installed)')}"
                         for p in args.peers)
                     + ". OpenVINO: `compile_model(..., 'CPU')`, "
                     "`INFERENCE_NUM_THREADS` = threads, one stream, latency "
                     "hint, fp32 inference precision. IREE: `iree-import-onnx` "
                     "+ `iree-compile` for llvm-cpu with "
                     "`--iree-llvmcpu-target-cpu=host`, local-task driver "
                     "with `--task_topology_max_group_count` = threads. Their "
                     "outputs are checked against ONNX Runtime's (max |err| "
                     f"/ max |ref| <= {PEER_TOLERANCE:g}).\n")
        notes = dict(args.peer_notes)
        if peers:
            lines.append("| workload | threads | attnc ms | " + " | ".join(
                f"{peer_names[p]} ms | attnc/{peer_names[p]} time"
                for p in peers) + " |")
            lines.append("|---|---|---|" + "---|---|" * len(peers))
            for r in rows:
                if not r.get("peers"):
                    continue
                cells = []
                for p in peers:
                    pr = r["peers"].get(p)
                    if isinstance(pr, tuple):
                        cells += [f"{pr[0]:.3f} [{pr[1]:.3f}-{pr[2]:.3f}]",
                                  f"{r['attnc'][0] / pr[0]:.2f}x"]
                    else:
                        cells += ["not run (below)", ""]
                        if pr:
                            notes[f"{peer_names[p]}, {r['workload']}"] = pr
                lines.append(f"| {r['workload']} | {r['threads']} | "
                             f"{r['attnc'][0]:.3f} | " + " | ".join(cells)
                             + " |")
            lines.append("")
        for what, why in notes.items():
            lines.append(f"- {peer_names.get(what, what)}: {why}")
        if notes:
            lines.append("")
    if args.compiles:
        lines.append("Compile time and memory: wall time and peak resident "
                     "memory of the compiler process(es) (IREE: "
                     "`iree-import-onnx` then `iree-compile`, times added, "
                     "peak of the two), against the size of the ONNX file, "
                     "in the same run. attnc compiles to a "
                     "`.so` for this machine's CPU (`--mcpu` = host).\n")
        lines.append("| model | compiler | wall s | peak memory MiB | "
                     "ONNX weights MiB | peak / weights |")
        lines.append("|---|---|---|---|---|---|")
        for c in args.compiles:
            mib = c["weights"] / 2**20
            lines.append(f"| {c['workload']} | {c['engine']} | "
                         f"{c['seconds']:.1f} | {c['rss_mib']:.0f} | "
                         f"{mib:.0f} | {c['rss_mib'] / mib:.1f}x |")
        lines.append("")
    lines.append(
        "Workloads: `matmul_MxKxN` is one ONNX MatMul `x[m,K] . w[K,N]` with "
        "`w` an initializer and `m` dynamic (run at M); `tiny_transformer` is "
        "`models/tiny_transformer.py --d-model 768 --layers 2`; the full "
        "models are the `models/` exports (Hugging Face code, random "
        "weights, dynamic batch and sequence): GPT-2 small over 128 tokens "
        "(`gpt2_small.onnx`, logits + presents), one GPT-2 decode step after "
        "127 tokens (`gpt2_small_with_past.onnx`), BERT-base over 128 "
        "tokens, ViT-B/16 at 224x224 batch 1, and one opus-mt-sized Marian "
        "decoder step with 31 past tokens and 32 encoder positions; "
        "`_bf16` rows are the same model compiled with `attnc "
        "--precision=bf16` (ORT: the same fp32 model). GFLOP "
        "counts the projections, feed-forward, attention products (in full, "
        "causal or not) and the LM head / classifier; not softmax, "
        "normalization or activations.\n")
    # The hand-written analysis below the tables survives regeneration.
    marker = "\n## Analysis"
    kept = ""
    if os.path.exists(args.doc):
        with open(args.doc) as f:
            old = f.read()
        if marker in old:
            kept = old[old.index(marker):]
    with open(args.doc, "w") as f:
        f.write("\n".join(lines) + kept)
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    sys.exit(main())
