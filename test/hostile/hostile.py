#!/usr/bin/env python3
"""Hostile ONNX models for attnc (ctest label `hostile`).

Every case builds one malformed model in a fresh folder and runs `attnc` on
it. The case passes only if attnc exits with status 1 or 2 (not a signal,
not 0), within the time limit, under an address-space limit (so a huge
allocation fails the test instead of swapping), and its stderr matches the
case's regular expression, which names the problem.

    hostile.py list                       # case names, one per line
    hostile.py run CASE --attnc BIN --work DIR

test/hostile/CMakeLists.txt registers one ctest test per `@case` line; it
reads the names from this file, so a new case needs no CMake edit.
"""

import argparse
import os
import random
import re
import resource
import shutil
import subprocess
import sys
from pathlib import Path

from onnx import TensorProto, helper

CASES = {}


def case(name, expect, emit="so", mutants=0):
    """Registers a builder `fn(dir) -> model path`; `expect` must match
    attnc's stderr. `mutants` > 0 makes a sweep: the builder returns a list
    of models, each must be refused or compiled, never crash."""

    def wrap(fn):
        CASES[name] = (fn, expect, emit, mutants)
        return fn

    return wrap


F = TensorProto.FLOAT
I64 = TensorProto.INT64


def model(nodes, inputs, outputs, inits=(), opset=17, ir=8, **kw):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                          **kw)
    m.ir_version = ir
    return m


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def add_model():
    return model([helper.make_node("Add", ["x", "w"], ["y"])],
                 [vi("x", F, ["n", 4])], [vi("y", F, ["n", 4])],
                 [helper.make_tensor("w", F, [4], [1.0, 2.0, 3.0, 4.0])])


def save(d, m, name="model.onnx"):
    p = Path(d) / name
    p.write_bytes(m.SerializeToString() if not isinstance(m, bytes) else m)
    return p


def gemm_chain():
    """A valid model with several ops and a large initializer, the base of
    the truncation and bit-flip sweeps."""
    w = helper.make_tensor("w", F, [8, 8], [float(i) for i in range(64)])
    b = helper.make_tensor("b", F, [8], [0.5] * 8)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"]),
             helper.make_node("Add", ["h", "b"], ["a"]),
             helper.make_node("Softmax", ["a"], ["y"], axis=-1)]
    return model(nodes, [vi("x", F, ["n", 8])], [vi("y", F, ["n", 8])],
                 [w, b])


# --- Damaged files -------------------------------------------------------

@case("empty-file", r"unsupported ONNX IR version 0")
def _(d):
    return save(d, b"")


@case("garbage", r"not a valid ONNX model: the protobuf cannot be parsed")
def _(d):
    return save(d, bytes(random.Random(1).randrange(256) for _ in range(4096)))


@case("truncated", r"not a valid ONNX model: the protobuf cannot be parsed")
def _(d):
    data = gemm_chain().SerializeToString()
    return save(d, data[: len(data) // 2])


@case("truncated-sweep", r"error: ", emit="attn", mutants=1)
def _(d):
    data = gemm_chain().SerializeToString()
    cuts = sorted(set(range(1, len(data), max(1, len(data) // 60))))
    return [save(d, data[:n], f"cut{n}.onnx") for n in cuts]


@case("bitflip-sweep", r"error: ", emit="attn", mutants=1)
def _(d):
    data = gemm_chain().SerializeToString()
    rng = random.Random(8)
    out = []
    for i in range(120):
        b = bytearray(data)
        for _ in range(rng.choice([1, 1, 2, 4])):
            pos = rng.randrange(len(b))
            b[pos] ^= 1 << rng.randrange(8)
        out.append(save(d, bytes(b), f"flip{i}.onnx"))
    return out


@case("text-garbage", r"cannot parse the ONNX text syntax")
def _(d):
    p = Path(d) / "model.onnxtxt"
    p.write_text("<ir_version: 8, opset_import: [\"\" : 17]>\ng (float[2 x) "
                 "=> (\n{ y = Add(x, }\n")
    return p


@case("textproto-garbage", r"cannot parse the protobuf text format")
def _(d):
    p = Path(d) / "model.textproto"
    p.write_text("ir_version: 8 graph { node { input: \"x\" ")
    return p


@case("no-graph", r"(has no graph|graph)")
def _(d):
    m = add_model()
    m.ClearField("graph")
    return save(d, m)


# --- Versions --------------------------------------------------------------

@case("future-opset", r"ai.onnx opset 99 is newer than attnc supports")
def _(d):
    m = add_model()
    m.opset_import[0].version = 99
    return save(d, m)


@case("huge-opset", r"ai.onnx opset 9223372036854775807 is newer")
def _(d):
    m = add_model()
    m.opset_import[0].version = 2**63 - 1
    return save(d, m)


@case("negative-opset", r"invalid opset version -3")
def _(d):
    m = add_model()
    m.opset_import[0].version = -3
    return save(d, m)


@case("future-ir", r"unsupported ONNX IR version 99")
def _(d):
    m = add_model()
    m.ir_version = 99
    return save(d, m)


@case("no-ai-onnx-opset", r"does not import the ai.onnx opset")
def _(d):
    m = add_model()
    m.opset_import[0].domain = "com.example"
    return save(d, m)


# --- Types -------------------------------------------------------------------

@case("input-undefined-type", r"graph input 'x': element type UNDEFINED is not supported")
def _(d):
    m = add_model()
    m.graph.input[0].type.tensor_type.elem_type = 0
    return save(d, m)


@case("input-invalid-type", r"graph input 'x': element type <invalid> is not supported")
def _(d):
    m = add_model()
    m.graph.input[0].type.tensor_type.elem_type = 12345
    return save(d, m)


@case("input-missing-type", r"graph input 'x': only tensor inputs are supported")
def _(d):
    m = add_model()
    m.graph.input[0].ClearField("type")
    return save(d, m)


@case("input-sequence-type", r"graph input 'x': only tensor inputs are supported")
def _(d):
    m = add_model()
    m.graph.input[0].type.CopyFrom(helper.make_sequence_type_proto(
        helper.make_tensor_type_proto(F, [2])))
    return save(d, m)


@case("init-invalid-type", r"tensor 'w' has element type <invalid>")
def _(d):
    m = add_model()
    m.graph.initializer[0].data_type = 777
    return save(d, m)


@case("init-string-type", r"tensor 'w' has element type STRING")
def _(d):
    m = add_model()
    m.graph.initializer[0].CopyFrom(helper.make_tensor("w", TensorProto.STRING,
                                                       [1], [b"a"]))
    return save(d, m)


@case("operand-type-mismatch", r"operands have different element types")
def _(d):
    m = add_model()
    m.graph.initializer[0].CopyFrom(helper.make_tensor("w", TensorProto.DOUBLE,
                                                       [4], [1.0] * 4))
    return save(d, m)


@case("output-type-mismatch", r"graph output 'y' is declared as INT64 but computed as FLOAT")
def _(d):
    m = add_model()
    m.graph.output[0].type.tensor_type.elem_type = I64
    return save(d, m)


# --- Dims ------------------------------------------------------------------

@case("negative-input-dim", r"graph input 'x': dim 1 is negative \(-4\)")
def _(d):
    m = add_model()
    m.graph.input[0].type.tensor_type.shape.dim[1].dim_value = -4
    return save(d, m)


@case("enormous-input-dim", r"graph input 'x': .*too large")
def _(d):
    return save(d, model([helper.make_node("Relu", ["x"], ["y"])],
                         [vi("x", F, [2**62, 2])], [vi("y", F, [2**62, 2])]),)


@case("input-dims-overflow", r"graph input 'x': .*too large")
def _(d):
    return save(d, model([helper.make_node("Relu", ["x"], ["y"])],
                         [vi("x", F, [2**32, 2**32, 2**32])],
                         [vi("y", F, [2**32, 2**32, 2**32])]))


@case("huge-rank", r"graph input 'x': rank 100 is more than")
def _(d):
    return save(d, model([helper.make_node("Relu", ["x"], ["y"])],
                         [vi("x", F, [1] * 100)], [vi("y", F, [1] * 100)]))


@case("negative-init-dim", r"tensor 'w' has negative dim -4")
def _(d):
    m = add_model()
    m.graph.initializer[0].dims[0] = -4
    return save(d, m)


@case("enormous-init", r"tensor 'w' is too large")
def _(d):
    m = add_model()
    del m.graph.initializer[0].dims[:]
    m.graph.initializer[0].dims.extend([2**31, 2**31, 2**31])
    return save(d, m)


@case("init-too-few-elements", r"tensor 'w' holds 4 elements, but its shape needs 8")
def _(d):
    m = add_model()
    m.graph.initializer[0].dims[0] = 8
    return save(d, m)


@case("init-raw-size-mismatch", r"tensor 'w' has 12 bytes of raw data, but its shape and type need 16")
def _(d):
    m = add_model()
    t = m.graph.initializer[0]
    t.ClearField("float_data")
    t.raw_data = b"\0" * 12
    return save(d, m)


@case("init-raw-empty-large-shape", r"tensor 'w' has 0 bytes of raw data, but its shape and type need 4000000000")
def _(d):
    m = add_model()
    t = m.graph.initializer[0]
    t.ClearField("float_data")
    t.raw_data = b""
    del t.dims[:]
    t.dims.extend([1000000000])
    return save(d, m)


@case("constant-without-value", r"Constant")
def _(d):
    return save(d, model([helper.make_node("Constant", [], ["c"]),
                          helper.make_node("Add", ["x", "c"], ["y"])],
                         [vi("x", F, [2])], [vi("y", F, [2])]))


@case("reshape-to-huge", r"node 'r' \(Reshape, opset 17\): .*too large")
def _(d):
    shape = helper.make_tensor("s", I64, [3], [2**40, 2**40, 2**40])
    return save(d, model([helper.make_node("Reshape", ["x", "s"], ["y"],
                                           name="r")],
                         [vi("x", F, [2])], [vi("y", F, None)], [shape]))


@case("constant-of-shape-huge", r"node 'c' \(ConstantOfShape, opset 17\): .*too large")
def _(d):
    shape = helper.make_tensor("s", I64, [3], [2**20, 2**20, 2**20])
    return save(d, model([helper.make_node("ConstantOfShape", ["s"], ["y"],
                                           name="c")],
                         [], [vi("y", F, None)], [shape]))


@case("range-huge", r"node 'r' \(Range, opset 17\): .*too large")
def _(d):
    lo = helper.make_tensor("lo", I64, [], [0])
    hi = helper.make_tensor("hi", I64, [], [2**62])
    st = helper.make_tensor("st", I64, [], [1])
    return save(d, model([helper.make_node("Range", ["lo", "hi", "st"], ["y"],
                                           name="r")],
                         [], [vi("y", I64, None)], [lo, hi, st]))


# --- Graph structure ---------------------------------------------------------

@case("cycle", r"node 'a' \(Add, opset 17\): input 'q' is not produced by an earlier node")
def _(d):
    return save(d, model([helper.make_node("Add", ["x", "q"], ["p"], name="a"),
                          helper.make_node("Relu", ["p"], ["q"], name="b")],
                         [vi("x", F, [2])], [vi("q", F, [2])]))


@case("self-loop", r"input 'y' is not produced by an earlier node")
def _(d):
    return save(d, model([helper.make_node("Add", ["x", "y"], ["y"])],
                         [vi("x", F, [2])], [vi("y", F, [2])]))


@case("undefined-input", r"input 'ghost' is not produced by an earlier node")
def _(d):
    return save(d, model([helper.make_node("Add", ["x", "ghost"], ["y"])],
                         [vi("x", F, [2])], [vi("y", F, [2])]))


@case("undefined-output", r"graph output 'z' is not produced by any node")
def _(d):
    m = add_model()
    m.graph.output[0].name = "z"
    return save(d, m)


@case("duplicate-input", r"graph input 'x' is declared twice")
def _(d):
    m = add_model()
    m.graph.input.append(m.graph.input[0])
    return save(d, m)


@case("duplicate-initializer", r"initializer 'w' is defined twice")
def _(d):
    m = add_model()
    m.graph.initializer.append(helper.make_tensor("w", F, [4], [9.0] * 4))
    return save(d, m)


@case("duplicate-node-output", r"output 'y' is already defined")
def _(d):
    return save(d, model([helper.make_node("Relu", ["x"], ["y"]),
                          helper.make_node("Neg", ["x"], ["y"])],
                         [vi("x", F, [2])], [vi("y", F, [2])]))


@case("node-redefines-input", r"output 'x' is already defined")
def _(d):
    return save(d, model([helper.make_node("Relu", ["x"], ["x"])],
                         [vi("x", F, [2])], [vi("x", F, [2])]))


@case("unsupported-op", r"unsupported ONNX ops: 1 node\(s\) of 1 op type\(s\)")
def _(d):
    return save(d, model([helper.make_node("Hardmax", ["x"], ["y"])],
                         [vi("x", F, [2])], [vi("y", F, [2])]))


@case("missing-required-input", r"Add.*input")
def _(d):
    return save(d, model([helper.make_node("Add", ["x"], ["y"])],
                         [vi("x", F, [2])], [vi("y", F, [2])]))


@case("attr-wrong-type", r"node 't' \(Transpose, opset 17\): ")
def _(d):
    n = helper.make_node("Transpose", ["x"], ["y"], name="t")
    n.attribute.append(helper.make_attribute("perm", [1.5, 0.5]))
    return save(d, model([n], [vi("x", F, [2, 3])], [vi("y", F, [3, 2])]))


@case("axis-out-of-range", r"node 'g' \(Gather, opset 17\): axis")
def _(d):
    idx = helper.make_tensor("i", I64, [1], [0])
    return save(d, model([helper.make_node("Gather", ["x", "i"], ["y"],
                                           axis=2**62, name="g")],
                         [vi("x", F, [2, 3])], [vi("y", F, None)], [idx]))


@case("axis-int-min", r"node 's' \(Softmax, opset 17\): axis")
def _(d):
    return save(d, model([helper.make_node("Softmax", ["x"], ["y"],
                                           axis=-2**63, name="s")],
                         [vi("x", F, [2, 3])], [vi("y", F, [2, 3])]))


# --- External data -----------------------------------------------------------

def external_model(d, location, size=16, offset=None, length=None):
    m = add_model()
    t = m.graph.initializer[0]
    t.ClearField("float_data")
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", offset),
                 ("length", length)):
        if v is not None:
            e = t.external_data.add()
            e.key, e.value = k, str(v)
    sub = Path(d) / "model"
    sub.mkdir()
    (Path(d) / "outside.bin").write_bytes(b"\x01" * 64)
    (sub / "w.bin").write_bytes(b"\0" * size)
    return save(sub, m)


@case("external-dotdot", r"external data location '../outside.bin' escapes the model's folder")
def _(d):
    return external_model(d, "../outside.bin")


@case("external-nested-dotdot", r"escapes the model's folder")
def _(d):
    return external_model(d, "sub/../../outside.bin")


@case("external-absolute", r"external data location '/etc/passwd' is absolute")
def _(d):
    return external_model(d, "/etc/passwd")


@case("external-symlink-out", r"external data location 'link.bin' resolves outside the model's folder")
def _(d):
    p = external_model(d, "link.bin")
    os.symlink(Path(d).resolve() / "outside.bin", p.parent / "link.bin")
    return p


@case("external-missing", r"cannot open external data file '.*nothere.bin'")
def _(d):
    return external_model(d, "nothere.bin")


@case("external-short-file", r"external data file '.*w.bin' has 8 bytes, too few")
def _(d):
    return external_model(d, "w.bin", size=8)


@case("external-offset-past-end", r"has 16 bytes, too few for offset 1000")
def _(d):
    return external_model(d, "w.bin", offset=1000)


@case("external-offset-huge", r"too few for offset 9223372036854775807")
def _(d):
    return external_model(d, "w.bin", offset=2**63 - 1)


@case("external-negative-offset", r"external data offset '-1' is not a non-negative integer")
def _(d):
    return external_model(d, "w.bin", offset=-1)


@case("external-bad-length", r"external data length 8 does not match the 16 bytes")
def _(d):
    return external_model(d, "w.bin", length=8)


@case("external-no-location", r"external data has no location")
def _(d):
    m = add_model()
    t = m.graph.initializer[0]
    t.ClearField("float_data")
    t.data_location = TensorProto.EXTERNAL
    return save(d, m)


@case("external-directory", r"external data .*'.*sub'")
def _(d):
    p = external_model(d, "sub")
    (p.parent / "sub").mkdir()
    return p


# --- Hostile run-time inputs to valid models ---------------------------------
#
# A @runcase builder returns (model, inputs, expected outputs) as numpy
# arrays; the driver compiles the model, writes ONNX test data and checks
# `attnc-run --test-data` (exact match: exit 0).

RUNCASES = {}


def runcase(name):
    def wrap(fn):
        RUNCASES[name] = fn
        return fn
    return wrap


@runcase("gather-indices-out-of-range")
def _():
    # Indices past either end are clamped (docs/reliability.md): never read
    # outside the table.
    import numpy as np
    table = np.arange(15, dtype=np.float32).reshape(5, 3)
    idx = np.array([-100, 7, 2**62, -2**63, 4, -1, 0, 2], dtype=np.int64)
    m = model([helper.make_node("Gather", ["t", "i"], ["y"])],
              [vi("i", I64, ["n"])], [vi("y", F, ["n", 3])],
              [helper.make_tensor("t", F, [5, 3], table.flatten())])
    clamped = [0, 4, 4, 0, 4, 4, 0, 2]
    return m, {"i": idx}, {"y": table[clamped]}


@runcase("gather-empty-table")
def _():
    # An empty axis has no valid index at all: the result is zeros rather
    # than a read before the start of the (empty) buffer.
    import numpy as np
    m = model([helper.make_node("Gather", ["t", "i"], ["y"])],
              [vi("t", F, ["v", 3]), vi("i", I64, ["n"])],
              [vi("y", F, ["n", 3])])
    return (m, {"t": np.zeros((0, 3), np.float32),
                "i": np.array([0, 1, -1], np.int64)},
            {"y": np.zeros((3, 3), np.float32)})


def kv_cache_model():
    # present = Concat(past, new) has past + seq rows; adding the mask
    # unifies that with the mask's own length symbol `total`.
    axes = helper.make_tensor("axes", I64, [1], [1])
    return model([helper.make_node("Concat", ["past", "new"], ["cat"], axis=0),
                  helper.make_node("Unsqueeze", ["mask", "axes"], ["m"]),
                  helper.make_node("Add", ["cat", "m"], ["y"])],
                 [vi("past", F, ["past", 2]), vi("new", F, ["seq", 2]),
                  vi("mask", F, ["total"])],
                 [vi("y", F, ["total", 2])], [axes])


@runcase("kv-cache-consistent")
def _():
    import numpy as np
    past = np.arange(6, dtype=np.float32).reshape(3, 2)
    new = np.full((2, 2), 10, np.float32)
    mask = np.arange(5, dtype=np.float32)
    y = np.concatenate([past, new]) + mask[:, None]
    return kv_cache_model(), {"past": past, "new": new, "mask": mask}, {"y": y}


@runcase("kv-cache-inconsistent-dims")
def _():
    # total != past + seq: the code writes past + seq rows, the output has
    # room for total. The runtime must refuse the run (it used to overflow
    # the output buffer).
    import numpy as np
    z = np.zeros((3, 2), np.float32)
    return (kv_cache_model(), {"past": z, "new": z,
                               "mask": np.zeros(3, np.float32)},
            r"attnc-run: error: input 'mask' dim 0: expected 6 \(")


# --- Driver ------------------------------------------------------------------

def limit_resources():
    # 4 GiB of address space: a huge allocation fails instead of swapping.
    # Sanitizer builds reserve terabytes of shadow memory, so they skip it
    # (ASan reports huge allocations itself).
    if not os.environ.get("ATTNC_HOSTILE_NO_RLIMIT"):
        lim = 4 << 30
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_attnc(attnc, path, emit, timeout):
    try:
        p = subprocess.run([attnc, str(path), f"--emit={emit}", "-o",
                            str(path) + ".out"],
                           capture_output=True, text=True, errors="replace",
                           timeout=timeout,
                           preexec_fn=limit_resources)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s"
    if re.search(r"Sanitizer|runtime error:", p.stderr):
        return -1, p.stderr  # a sanitizer report is a failure, whatever rc
    return p.returncode, p.stderr


def run_runcase(a, work):
    from onnx import numpy_helper
    m, inputs, outputs = RUNCASES[a.case]()
    path = save(work, m)
    so = work / "model.so"
    rc, err = run_attnc(a.attnc, path, "so", a.timeout)
    if rc != 0:
        print(f"FAIL: attnc could not compile the model (exit {rc})\n{err}")
        return 1
    data = work / "data" / "test_data_set_0"
    data.mkdir(parents=True)
    for i, (name, arr) in enumerate(inputs.items()):
        (data / f"input_{i}.pb").write_bytes(
            numpy_helper.from_array(arr, name).SerializeToString())
    expect_error = outputs if isinstance(outputs, str) else None
    for i, (name, arr) in enumerate({} if expect_error else outputs.items()):
        (data / f"output_{i}.pb").write_bytes(
            numpy_helper.from_array(arr, name).SerializeToString())
    args = ["--test-data", str(work / "data"), "--rtol", "0", "--atol", "0"]
    if expect_error:
        args = []
        for i, name in enumerate(inputs):
            args += ["--input", f"{name}={data}/input_{i}.pb"]
    p = subprocess.run([a.attnc_run, str(path) + ".out"] + args,
                       capture_output=True, text=True, errors="replace",
                       timeout=a.timeout)
    print(p.stdout + p.stderr)
    if re.search(r"Sanitizer|runtime error:", p.stderr):
        print("FAIL: sanitizer report")
        return 1
    if expect_error:
        if p.returncode == 2 and re.search(expect_error, p.stderr):
            print(f"PASS: refused, /{expect_error}/")
            return 0
        print(f"FAIL: expected exit 2 and /{expect_error}/, got "
              f"{p.returncode}")
        return 1
    if p.returncode != 0:
        print(f"FAIL: attnc-run exit {p.returncode}")
        return 1
    print("PASS")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["list", "run"])
    ap.add_argument("case", nargs="?")
    ap.add_argument("--attnc")
    ap.add_argument("--attnc-run")
    ap.add_argument("--work")
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    if a.command == "list":
        print("\n".join(list(CASES) + list(RUNCASES)))
        return 0
    work = Path(a.work) / a.case
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    if a.case in RUNCASES:
        return run_runcase(a, work)
    fn, expect, emit, mutants = CASES[a.case]
    built = fn(work)
    if mutants:
        # Sweeps: each mutant is refused with a message or compiles; count.
        refused = compiled = 0
        for p in built:
            rc, err = run_attnc(a.attnc, p, emit, a.timeout)
            if rc == 0:
                compiled += 1
            elif rc in (1, 2) and re.search(expect, err):
                refused += 1
            else:
                print(f"FAIL {p.name}: exit {rc}\n{err}")
                return 1
        print(f"{a.case}: {len(built)} mutants, {refused} refused with a "
              f"message, {compiled} still valid")
        return 0 if refused > 0 else 1
    rc, err = run_attnc(a.attnc, built, emit, a.timeout)
    sys.stdout.write(err)
    if rc not in (1, 2):
        print(f"FAIL: attnc exit status {rc} (expected 1 or 2)")
        return 1
    if not re.search(expect, err):
        print(f"FAIL: stderr does not match /{expect}/")
        return 1
    print(f"PASS: exit {rc}, stderr matches /{expect}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
