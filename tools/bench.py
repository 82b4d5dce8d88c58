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
percentage of the machine's fp32 peak (`--peak-gflops` per core, 210 on the
Zen 5 machine this was tuned on). With `--doc FILE` it also writes the
table as Markdown (docs/performance.md).

This is a benchmark driver, not a test: timings on a shared machine are
noisy, which is why both engines run side by side in every round.

    .venv/bin/python tools/bench.py [--build build] [--threads 1,2]
        [--rounds 5] [--runs 20] [--only matmul] [--doc docs/performance.md]
"""

import argparse
import datetime
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


def run_attnc(args, so, data_dir, threads, tol=("1e-4", "1e-4")):
    cmd = [args.attnc_run, so, "--test-data", data_dir, "--benchmark",
           str(args.runs), "--warmup", str(args.warmup), "--threads",
           str(threads), "--rtol", tol[0], "--atol", tol[1]]
    p = subprocess.run(cmd, capture_output=True, text=True)
    m = re.search(r"median ([0-9.]+) ms", p.stdout)
    if p.returncode != 0 or not m:
        sys.exit(f"attnc-run failed ({p.returncode}):\n{' '.join(cmd)}\n"
                 f"{p.stdout}\n{p.stderr}")
    return float(m.group(1))


def run_ort(args, model, input_files, threads):
    cmd = [sys.executable, "-c", ORT_RUNNER, model, str(threads),
           str(args.runs), str(args.warmup)] + input_files
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


def nominal_peak():
    """fp32 GFLOP/s of one core: 2 FMA pipes x lanes x 2 FLOP x clock."""
    flags, mhz = set(), 0.0
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
                elif line.startswith("cpu MHz") and not mhz:
                    mhz = float(line.split(":", 1)[1])
    except OSError:
        pass
    lanes = 16 if "avx512f" in flags else 8 if "fma" in flags else 4
    ghz = mhz / 1000.0 or 3.0
    return (2 * lanes * 2 * ghz,
            f"2 FMA pipes x {lanes} fp32 lanes x 2 FLOP x {ghz:.2f} GHz "
            "(nominal clock from /proc/cpuinfo; boost clocks can exceed it)")


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
    parser.add_argument("--only", default="",
                        help="comma-separated workloads (default: all of "
                             + ", ".join(WORKLOADS) + ")")
    parser.add_argument("--peak-gflops", type=float, default=0.0,
                        help="fp32 peak GFLOP/s of one core (default: "
                             "FMA width x 2 x nominal clock from "
                             "/proc/cpuinfo)")
    parser.add_argument("--work-dir", default="",
                        help="keep models here (default: a temp folder)")
    parser.add_argument("--conditions", default="",
                        help="a note on the machine's state for the doc, "
                             "e.g. 'otherwise idle'")
    parser.add_argument("--reuse-so", action="store_true",
                        help="use an existing <work-dir>/<workload>/<name>.so "
                             "instead of compiling (full-size models take "
                             "minutes to compile)")
    parser.add_argument("--doc", default="",
                        help="write the results as Markdown to this file")
    args = parser.parse_args(argv)
    if args.peak_gflops <= 0:
        args.peak_gflops, args.peak_how = nominal_peak()
    else:
        args.peak_how = "given with --peak-gflops"
    args.attnc = os.path.join(args.build, "bin", "attnc")
    args.attnc_run = os.path.join(args.build, "bin", "attnc-run")
    threads = [int(t) for t in args.threads.split(",")]
    names = [n for n in args.only.split(",") if n] or list(WORKLOADS)

    work = args.work_dir or tempfile.mkdtemp(prefix="attnc-bench-")
    os.makedirs(work, exist_ok=True)
    rows = []
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
                subprocess.run([args.attnc, model, "-o", so] + flags,
                               check=True)
            for t in threads:
                res = {"attnc": [], "ort": []}
                for r in range(args.rounds):
                    # Alternate which engine goes first.
                    order = ["attnc", "ort"] if r % 2 == 0 else ["ort", "attnc"]
                    for engine in order:
                        if engine == "attnc":
                            res[engine].append(
                                run_attnc(args, so, data_dir, t, tol))
                        else:
                            res[engine].append(
                                run_ort(args, model, input_files, t))
                # Weights stored: the ONNX file for ONNX Runtime; for attnc
                # too, unless attnc options changed them (bf16: the .so).
                ort_bytes = os.path.getsize(model) if key in MEMORY_BOUND else 0
                row = {"workload": name, "threads": t, "gflop": flops / 1e9,
                       "weight_bytes": ort_bytes,
                       "attnc_weight_bytes": (os.path.getsize(so) if flags
                                              and ort_bytes else ort_bytes)}
                for engine, ms in res.items():
                    med = statistics.median(ms)
                    gflops = flops / (med * 1e-3) / 1e9
                    row[engine] = (med, min(ms), max(ms), gflops,
                                   100.0 * gflops / (args.peak_gflops * t))
                rows.append(row)
                a, o = row["attnc"], row["ort"]
                print(f"{name:32s} T={t}  attnc {a[0]:8.3f} ms "
                      f"[{a[1]:.3f}-{a[2]:.3f}] {a[3]:6.1f} GFLOP/s "
                      f"({a[4]:4.1f}% peak)   ORT {o[0]:8.3f} ms "
                      f"[{o[1]:.3f}-{o[2]:.3f}] {o[3]:6.1f} GFLOP/s "
                      f"({o[4]:4.1f}% peak)   attnc/ORT time "
                      f"{a[0] / o[0]:.2f}x", flush=True)
    finally:
        if not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)

    if args.doc:
        write_doc(args, rows, argv if argv is not None else sys.argv[1:])
    return 0


def read_bandwidth_gbs():
    """Single-thread streaming bandwidth: numpy copying 512 MiB into another
    512 MiB array (bytes read + written over the time, best of 3), a rough
    stand-in for what one decode step can stream."""
    a = np.ones(1 << 27, np.float32)
    b = np.empty_like(a)
    best = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        np.copyto(b, a)
        best = max(best, 2 * a.nbytes / (time.perf_counter() - t0) / 1e9)
    return best


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
                 f"round {args.warmup} warm-up + {args.runs} timed runs; "
                 "median of the round medians, [min-max] of the round "
                 "medians. attnc runs check the outputs against ONNX "
                 "Runtime's (rtol 1e-4) in the same process.\n")
    lines.append("| workload | GFLOP | threads | attnc ms | attnc GFLOP/s "
                 "(% peak) | ORT ms | ORT GFLOP/s (% peak) | attnc/ORT time |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for r in rows:
        a, o = r["attnc"], r["ort"]
        lines.append(
            f"| {r['workload']} | {r['gflop']:.3f} | {r['threads']} | "
            f"{a[0]:.3f} [{a[1]:.3f}-{a[2]:.3f}] | {a[3]:.1f} ({a[4]:.0f}%) | "
            f"{o[0]:.3f} [{o[1]:.3f}-{o[2]:.3f}] | {o[3]:.1f} ({o[4]:.0f}%) | "
            f"{a[0] / o[0]:.2f}x |")
    lines.append("")
    decode = [r for r in rows if r["weight_bytes"]]
    if decode:
        bw = read_bandwidth_gbs()
        lines.append("Weight-bound workloads (one token): weights streamed per "
                     "run (the ONNX file size; for attnc in `_bf16` rows the "
                     ".so size, its GEMM weights in bf16) over the median "
                     "time, against "
                     f"a single-thread streaming bandwidth of {bw:.1f} GB/s "
                     "measured in the same run (numpy copy of 512 MiB, read "
                     "+ written bytes, best of 3); the bound is the time that bandwidth needs for "
                     "the weights.\n")
        lines.append("| workload | threads | weights MB (attnc) | bound ms | "
                     "attnc GB/s | attnc / bound | ORT GB/s |")
        lines.append("|---|---|---|---|---|---|---|")
        for r in decode:
            attnc_bytes = r["attnc_weight_bytes"]
            mb = attnc_bytes / 1e6
            bound = attnc_bytes / (bw * 1e9) * 1e3
            a, o = r["attnc"][0], r["ort"][0]
            lines.append(f"| {r['workload']} | {r['threads']} | {mb:.0f} | "
                         f"{bound:.2f} | {attnc_bytes / a / 1e6:.1f} | "
                         f"{a / bound:.2f}x | "
                         f"{r['weight_bytes'] / o / 1e6:.1f} |")
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
