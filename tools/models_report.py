#!/usr/bin/env python3
"""Compiles the full-size reference models and reports how attnc does on them.

For every graph of the model families in models/ (GPT-2 small/medium, BERT
base, ViT-B/16, Marian opus-mt, the seed's torch MHA layer, torch
TransformerEncoder) it

  1. generates the graph and its test data with models/<family>.py unless
     MODELS_DIR/<family>/<graph>.onnx already exists (`--generate`);
  2. compiles it, `attnc <graph>.onnx -o <graph>.so`, under
     `/usr/bin/time -v` and records wall time, CPU time (user + system) and
     peak resident memory of the compiler, and the size of the .so;
  3. runs the .so on every test data set (`attnc-run --input ...
     --output-dir`) and compares each output with ONNX Runtime's:
     max |a - e|, max |a - e| / max |e| (per output, the error relative to
     the output's scale), and whether every element satisfies
     |a - e| <= atol + rtol |e| (rtol = atol = 1e-4, as `ctest -L models`).

Results accumulate in a JSON file (one graph at a time, so a long run can be
resumed or split: `--only bert_base`), and `--markdown FILE` replaces the
table between the `<!-- models-report -->` markers of FILE (docs/models.md)
with the results. Run it niced on a shared machine:

    nice -n 10 .venv/bin/python tools/models_report.py --build build \\
        --models-dir /tmp/full --generate --results /tmp/full/report.json \\
        --only bert_base --markdown docs/models.md
    .venv/bin/python tools/models_report.py --models-dir /tmp/full \\
        --results /tmp/full/report.json --table-only --markdown docs/models.md

Compile times are wall-clock on whatever machine runs it (the CPU column
shows how much of it was the compiler's own work when the machine is shared).
"""

import argparse
import datetime
import glob
import json
import os
import platform
import re
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

try:
    import onnx
    from onnx import numpy_helper
except ImportError as e:  # pragma: no cover - broken setups only
    sys.exit(f"error: cannot import onnx ({e}); run tools/setup.sh")

RTOL = 1e-4
ATOL = 1e-4

# (graph, family script, config, what it is). Ordered small to large; GPT-2
# medium last because generating and compiling it takes longest.
GRAPHS = [
    ("torch_mha_seed", "torch_mha", "seed",
     "torch `nn.MultiheadAttention` layer (the seed, d_model 512)"),
    ("torch_encoder_base", "torch_encoder", "base",
     "torch `nn.TransformerEncoder` (6 × 512)"),
    ("bert_base", "bert", "base", "BERT-base"),
    ("vit_b16", "vit", "b16", "ViT-B/16, 224×224"),
    ("marian_opus-mt_encoder", "marian", "opus-mt", "Marian opus-mt encoder"),
    ("marian_opus-mt_decoder", "marian", "opus-mt",
     "Marian opus-mt decoder, first step"),
    ("marian_opus-mt_decoder_with_past", "marian", "opus-mt",
     "Marian opus-mt decoder step with past"),
    ("gpt2_small", "gpt2", "small", "GPT-2 small, full sequence"),
    ("gpt2_small_with_past", "gpt2", "small", "GPT-2 small, step with past"),
    ("gpt2_medium", "gpt2", "medium", "GPT-2 medium, full sequence"),
    ("gpt2_medium_with_past", "gpt2", "medium",
     "GPT-2 medium, step with past"),
]

BEGIN_MARK = "<!-- models-report: begin (tools/models_report.py) -->"
END_MARK = "<!-- models-report: end -->"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def generate(python, script, config, out_dir):
    cmd = [python, os.path.join(ROOT, "models", script + ".py"), "--out",
           out_dir, "--config", config, "--seed", "0"]
    log("generate: " + " ".join(cmd))
    subprocess.run(cmd, check=True)


def parse_time_v(text):
    """Wall seconds, CPU seconds and peak RSS (bytes) from `time -v` output."""
    def field(name):
        m = re.search(r"^\s*" + re.escape(name) + r":\s*(.+)$", text, re.M)
        if not m:
            raise RuntimeError(f"no '{name}' in /usr/bin/time output")
        return m.group(1).strip()

    wall = 0.0
    for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
        wall = wall * 60 + float(part)
    cpu = float(field("User time (seconds)")) + float(
        field("System time (seconds)"))
    rss = int(field("Maximum resident set size (kbytes)")) * 1024
    return wall, cpu, rss


def compile_graph(attnc, onnx_path, so_path):
    cmd = ["/usr/bin/time", "-v", attnc, onnx_path, "-o", so_path]
    log("compile: " + " ".join(cmd[2:]))
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    wall, cpu, rss = parse_time_v(proc.stderr)
    # attnc's own messages come before time's report.
    messages = proc.stderr.split("\tCommand being timed:")[0].strip()
    return proc.returncode, messages, wall, cpu, rss


def read_pb(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return tensor.name, numpy_helper.to_array(tensor)


def numbered(folder, prefix):
    files = glob.glob(os.path.join(folder, prefix + "_*.pb"))
    return sorted(files, key=lambda p: int(re.search(r"_(\d+)\.pb$", p)[1]))


def compare_set(attnc_run, so_path, set_dir):
    """Runs one test data set; returns [(output, max_abs, max_rel, ok)]."""
    cmd = [attnc_run, so_path]
    for path in numbered(set_dir, "input"):
        name, _ = read_pb(path)
        cmd += ["--input", f"{name}={path}"]
    with tempfile.TemporaryDirectory(prefix="attnc-report-") as out_dir:
        cmd += ["--output-dir", out_dir]
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"attnc-run failed on {set_dir}: "
                               f"{proc.stderr.strip()}")
        results = []
        for index, ref_path in enumerate(numbered(set_dir, "output")):
            name, expected = read_pb(ref_path)
            _, actual = read_pb(os.path.join(out_dir, f"output_{index}.pb"))
            if actual.shape != expected.shape:
                results.append((name, float("inf"), float("inf"), False))
                continue
            diff = np.abs(actual.astype(np.float64) - expected)
            scale = float(np.max(np.abs(expected))) if expected.size else 0.0
            max_abs = float(diff.max()) if diff.size else 0.0
            max_rel = max_abs / scale if scale > 0 else max_abs
            ok = bool(np.all(diff <= ATOL + RTOL * np.abs(expected)))
            results.append((name, max_abs, max_rel, ok))
        return results


def count_parameters(onnx_path):
    model = onnx.load(onnx_path, load_external_data=False)
    return sum(int(np.prod(t.dims)) for t in model.graph.initializer)


def measure(args, graph, script, config):
    family_dir = os.path.join(args.models_dir, script)
    onnx_path = os.path.join(family_dir, graph + ".onnx")
    data_dir = os.path.join(family_dir, graph)
    if not os.path.exists(onnx_path):
        if not args.generate:
            return None
        generate(args.python, script, config, family_dir)
    so_path = os.path.join(args.work, graph + ".so")
    os.makedirs(args.work, exist_ok=True)
    row = {
        "graph": graph,
        "onnx_mib": os.path.getsize(onnx_path) / 2**20,
        "parameters": count_parameters(onnx_path),
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    rc, messages, wall, cpu, rss = compile_graph(args.attnc, onnx_path,
                                                 so_path)
    row.update(compile_rc=rc, compile_wall_s=wall, compile_cpu_s=cpu,
               peak_rss_mib=rss / 2**20)
    if rc != 0:
        row["error"] = messages.splitlines()[0] if messages else f"rc {rc}"
        return row
    row["so_mib"] = os.path.getsize(so_path) / 2**20
    sets = sorted(glob.glob(os.path.join(data_dir, "test_data_set_*")))
    outputs = []
    try:
        if not sets:
            raise RuntimeError(f"no test_data_set_* in {data_dir}")
        for set_dir in sets:
            outputs += compare_set(args.attnc_run, so_path, set_dir)
    except RuntimeError as e:
        row.update(error=str(e).splitlines()[0], match=False)
        return row
    row["test_sets"] = len(sets)
    row["max_abs"] = max(r[1] for r in outputs)
    row["max_rel"] = max(r[2] for r in outputs)
    row["worst_output"] = max(outputs, key=lambda r: r[2])[0]
    row["match"] = all(r[3] for r in outputs)
    if not args.keep_so:
        os.remove(so_path)
    return row


def fmt_row(label, row):
    if row is None:
        return f"| {label} | not measured | | | | | | |"
    params = f"{row['parameters'] / 1e6:.0f}M"
    time = f"{row['compile_wall_s']:.0f} s ({row['compile_cpu_s']:.0f} s CPU)"
    mem = f"{row['peak_rss_mib'] / 1024:.2f} GiB"
    if row["compile_rc"] != 0:
        return (f"| {label} | {params} | compile fails: {row['error']} | | "
                f"{time} | {mem} | | {row['date']} |")
    if "error" in row:
        return (f"| {label} | {params} | **run fails**: {row['error']} | | "
                f"{time} | {mem} | {row['so_mib']:.0f} MiB | {row['date']} |")
    verdict = "yes" if row["match"] else "**no**"
    return (f"| {label} | {params} | {verdict} ({row['test_sets']} sets) | "
            f"{row['max_abs']:.1e} / {row['max_rel']:.1e} | {time} | {mem} | "
            f"{row['so_mib']:.0f} MiB | {row['date']} |")


def markdown(results):
    lines = [
        "| graph | parameters | matches ONNX Runtime (rtol = atol = 1e-4) "
        "| max abs / rel error | compile time, wall (CPU) "
        "| peak compile memory | .so size | measured |",
        "|---|---:|---|---|---:|---:|---:|---|",
    ]
    for graph, _, _, label in GRAPHS:
        lines.append(fmt_row(f"`{graph}`: {label}", results.get(graph)))
    return "\n".join(lines)


def update_markdown(path, table):
    with open(path) as f:
        text = f.read()
    begin, end = text.find(BEGIN_MARK), text.find(END_MARK)
    if begin < 0 or end < begin:
        sys.exit(f"error: {path} has no '{BEGIN_MARK}' ... '{END_MARK}' "
                 "markers")
    text = (text[:begin + len(BEGIN_MARK)] + "\n" + table + "\n" +
            text[end:])
    with open(path, "w") as f:
        f.write(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"),
                        help="build folder with bin/attnc, bin/attnc-run")
    parser.add_argument("--attnc", help="default: BUILD/bin/attnc")
    parser.add_argument("--attnc-run", help="default: BUILD/bin/attnc-run")
    parser.add_argument("--python", default=sys.executable,
                        help="Python with torch/transformers for --generate")
    parser.add_argument("--models-dir", required=True,
                        help="DIR/<family>/<graph>.onnx (+ test data)")
    parser.add_argument("--generate", action="store_true",
                        help="generate graphs that are missing")
    parser.add_argument("--work", help="where the .so files go "
                        "(default: MODELS_DIR/so)")
    parser.add_argument("--keep-so", action="store_true")
    parser.add_argument("--results", required=True,
                        help="JSON file the measurements accumulate in")
    parser.add_argument("--only", action="append", default=[],
                        help="measure only this graph (repeatable)")
    parser.add_argument("--markdown",
                        help="write the table into this file's markers")
    parser.add_argument("--table-only", action="store_true",
                        help="measure nothing; print (and write) the table "
                        "of the results file")
    args = parser.parse_args(argv)
    args.attnc = args.attnc or os.path.join(args.build, "bin", "attnc")
    args.attnc_run = args.attnc_run or os.path.join(args.build, "bin",
                                                    "attnc-run")
    args.work = args.work or os.path.join(args.models_dir, "so")
    if not args.table_only and not os.access("/usr/bin/time", os.X_OK):
        sys.exit("error: /usr/bin/time (GNU time, Debian package 'time') is "
                 "needed to measure peak compile memory; tools/setup.sh "
                 "installs it")
    for tool in [args.attnc, args.attnc_run]:
        if not args.table_only and not os.access(tool, os.X_OK):
            sys.exit(f"error: {tool} is not an executable (build first, or "
                     "give --build/--attnc/--attnc-run)")
    known = {g[0] for g in GRAPHS}
    for name in args.only:
        if name not in known:
            sys.exit(f"error: unknown graph '{name}' (known: "
                     f"{', '.join(sorted(known))})")

    results = {}
    if os.path.exists(args.results):
        with open(args.results) as f:
            results = json.load(f)
    failed = False
    for graph, script, config, _ in GRAPHS:
        if args.table_only or (args.only and graph not in args.only):
            continue
        row = measure(args, graph, script, config)
        if row is None:
            log(f"{graph}: not generated (use --generate)")
            continue
        results[graph] = row
        failed |= row["compile_rc"] != 0 or not row["match"]
        log(f"{graph}: " + json.dumps(row))
        with open(args.results, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
    table = markdown(results)
    print(table)
    if args.markdown:
        update_markdown(args.markdown, table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
