"""Shared helpers for the attnc model generators.

Every generator in this folder builds an ONNX graph, checks it with the ONNX
checker, runs it under ONNX Runtime (the numerical reference) and writes an
ONNX backend-test style data folder next to it:

    DIR/<name>.onnx
    DIR/<name>/test_data_set_K/input_N.pb   (TensorProto named after graph input N)
    DIR/<name>/test_data_set_K/output_N.pb  (TensorProto named after graph output N)

`attnc-run model.so --test-data DIR/<name>` consumes exactly that layout.
"""

import os
import sys

import numpy as np

try:
    import onnx
    from onnx import helper, numpy_helper
except ImportError as e:  # pragma: no cover - exercised on broken setups only
    sys.exit(f"error: cannot import onnx ({e}); run tools/setup.sh or "
             "`pip install onnx` into the Python that runs this script")

# The C++ side links onnx 1.12, whose checker rejects ir_version > 8, and
# opset 17 is the newest opset it knows.
OPSET = 17
IR_VERSION = 8


def make_model(graph, opset=OPSET):
    """Wraps `graph` in a ModelProto pinned to IR version 8 / the given opset."""
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", opset)],
        producer_name="attnc-models",
    )
    # make_model picks the IR version of the installed onnx package; newer
    # packages pick > 8, which onnx 1.12 (used by attnc) refuses.
    model.ir_version = IR_VERSION
    return model


def save_model(model, path):
    """Checks `model` (including shape inference) and writes it to `path`."""
    onnx.checker.check_model(model, full_check=True)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    onnx.save(model, path)
    # Check the file as written too (this is what attnc will read).
    onnx.checker.check_model(path)
    return path


def _import_ort():
    try:
        import onnxruntime
    except ImportError as e:
        sys.exit(f"error: cannot import onnxruntime ({e}); the reference "
                 "outputs come from ONNX Runtime. Run tools/setup.sh or "
                 "`pip install onnxruntime` into this Python "
                 f"({sys.executable})")
    return onnxruntime


def run_ort(model_path, inputs):
    """Runs the model at `model_path` on CPU with ONNX Runtime.

    `inputs` maps graph input names to numpy arrays. Returns the outputs as a
    list in graph-output order.
    """
    ort = _import_ort()
    opts = ort.SessionOptions()
    opts.log_severity_level = 3  # errors only
    sess = ort.InferenceSession(model_path, sess_options=opts,
                                providers=["CPUExecutionProvider"])
    output_names = [o.name for o in sess.get_outputs()]
    return sess.run(output_names, inputs)


def graph_io_names(model):
    """Returns (input names, output names) of `model`, initializers excluded."""
    inits = {t.name for t in model.graph.initializer}
    ins = [i.name for i in model.graph.input if i.name not in inits]
    outs = [o.name for o in model.graph.output]
    return ins, outs


def write_test_data_set(model, data_dir, index, inputs, outputs):
    """Writes `data_dir/test_data_set_<index>/{input,output}_N.pb`.

    `inputs` maps input names to arrays; `outputs` is a list in graph-output
    order. TensorProto names are the graph input/output names.
    """
    in_names, out_names = graph_io_names(model)
    if set(inputs) != set(in_names):
        raise ValueError(f"inputs {sorted(inputs)} != graph inputs {in_names}")
    if len(outputs) != len(out_names):
        raise ValueError(f"{len(outputs)} outputs for graph outputs {out_names}")
    set_dir = os.path.join(data_dir, f"test_data_set_{index}")
    os.makedirs(set_dir, exist_ok=True)
    for n, name in enumerate(in_names):
        tensor = numpy_helper.from_array(np.asarray(inputs[name]), name)
        with open(os.path.join(set_dir, f"input_{n}.pb"), "wb") as f:
            f.write(tensor.SerializeToString())
    for n, (name, value) in enumerate(zip(out_names, outputs)):
        tensor = numpy_helper.from_array(np.asarray(value), name)
        with open(os.path.join(set_dir, f"output_{n}.pb"), "wb") as f:
            f.write(tensor.SerializeToString())
    return set_dir


def write_model_and_data(model, out_dir, name, input_sets):
    """Saves `model` as `out_dir/<name>.onnx`, runs ONNX Runtime on every
    input dict in `input_sets` and writes `out_dir/<name>/test_data_set_K`.

    Returns (model path, list of ORT output lists).
    """
    model_path = save_model(model, os.path.join(out_dir, f"{name}.onnx"))
    data_dir = os.path.join(out_dir, name)
    # Start from a clean data folder so stale data sets never linger.
    if os.path.isdir(data_dir):
        import shutil
        shutil.rmtree(data_dir)
    results = []
    for k, inputs in enumerate(input_sets):
        outputs = run_ort(model_path, inputs)
        write_test_data_set(model, data_dir, k, inputs, outputs)
        results.append(outputs)
    return model_path, results


def fmt(array, decimals=4):
    """numpy-style text with a fixed number of decimals (as attnc-run prints)."""
    return np.array2string(np.asarray(array), precision=decimals,
                           floatmode="fixed", separator=", ")


# ---------------------------------------------------------------------------
# torch.onnx.export helpers for the exported-model families (gpt2.py, bert.py,
# vit.py, marian.py, torch_mha.py, torch_encoder.py). torch and transformers
# are imported lazily: the onnx.helper generators above do not need them.
#
# Every family script takes the same arguments (`family_arg_parser`):
#   --out DIR --config NAME --seed S [--opset 14|17]
# and names its graphs `<family>_<config>[_<part>][_opset14]`, so the tiny
# GPT-2 writes DIR/gpt2_tiny.onnx, DIR/gpt2_tiny_with_past.onnx and their
# test data folders.

EXPORT_OPSETS = (14, 17)
DEFAULT_EXPORT_OPSET = 17

# ONNX Runtime (the reference written to the test data) against the PyTorch
# model it was exported from: both float32 on CPU.
TORCH_RTOL = 1e-4
TORCH_ATOL = 1e-4


def family_arg_parser(description, configs, default_config="tiny"):
    """The common command line of the family scripts."""
    import argparse
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--config", choices=list(configs),
                        default=default_config,
                        help=f"model size (default {default_config}); "
                             "only tiny is used by the tests, the others "
                             "are generated on demand")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the random weights and inputs")
    parser.add_argument("--opset", type=int, choices=EXPORT_OPSETS,
                        default=DEFAULT_EXPORT_OPSET,
                        help="ONNX opset for torch.onnx.export "
                             f"(default {DEFAULT_EXPORT_OPSET}; 14 "
                             "decomposes LayerNormalization)")
    return parser


def graph_name(family, config, part="", opset=DEFAULT_EXPORT_OPSET):
    """`gpt2`, `tiny`, `with_past`, 14 -> `gpt2_tiny_with_past_opset14`."""
    name = f"{family}_{config}"
    if part:
        name += f"_{part}"
    if opset != DEFAULT_EXPORT_OPSET:
        name += f"_opset{opset}"
    return name


def import_torch():
    try:
        import torch
    except ImportError as e:
        sys.exit(f"error: cannot import torch ({e}); Debian's python3-torch "
                 "(1.13) is visible in .venv (--system-site-packages); run "
                 "tools/setup.sh")
    return torch


def import_transformers():
    try:
        import transformers
    except ImportError as e:
        sys.exit(f"error: cannot import transformers ({e}); tools/setup.sh "
                 "pins the release that works with torch 1.13 into .venv")
    transformers.logging.set_verbosity_error()
    return transformers


def seed_everything(seed):
    """Seeds torch and numpy; the random weights depend only on `seed`."""
    torch = import_torch()
    torch.manual_seed(seed)
    np.random.seed(seed)


def export_torch(module, args, input_names, output_names, dynamic_axes,
                 opset=DEFAULT_EXPORT_OPSET, trace_with_grad=False):
    """torch.onnx.export of `module(*args)` -> ModelProto at IR version <= 8.

    `dynamic_axes` maps input/output names to {axis: dim_param name}.
    Constant folding is on (what users export with), so transposed weights
    and folded shape computations appear as real exports have them.
    `trace_with_grad` traces with autograd on: torch 1.13's
    nn.TransformerEncoderLayer otherwise takes its fused inference fast path
    (aten::_transformer_encoder_layer_fwd), which has no ONNX export.
    """
    import tempfile
    import warnings
    torch = import_torch()
    module.eval()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        with torch.set_grad_enabled(trace_with_grad), warnings.catch_warnings():
            # TracerWarnings about Python bools from shapes are expected:
            # the exported graphs are checked against torch below.
            warnings.simplefilter("ignore")
            torch.onnx.export(module, tuple(args), path,
                              input_names=list(input_names),
                              output_names=list(output_names),
                              dynamic_axes=dynamic_axes,
                              opset_version=opset,
                              do_constant_folding=True)
        model = onnx.load(path)
    # torch may pick a newer IR version than onnx 1.12 (attnc) accepts.
    model.ir_version = min(model.ir_version, IR_VERSION)
    model.producer_name = f"attnc-models (torch {torch.__version__})"
    in_names, out_names = graph_io_names(model)
    if in_names != list(input_names) or out_names != list(output_names):
        raise RuntimeError(f"exported graph has inputs {in_names} and outputs "
                           f"{out_names}, expected {list(input_names)} and "
                           f"{list(output_names)} (unused inputs are dropped "
                           "by the exporter)")
    return model


def torch_outputs(module, args):
    """Runs `module(*args)` without gradients; returns a list of numpy arrays."""
    torch = import_torch()
    with torch.no_grad():
        out = module(*args)
    if not isinstance(out, (tuple, list)):
        out = (out,)
    return [o.detach().cpu().numpy() for o in out]


def check_against_torch(name, output_names, ort_sets, torch_sets,
                        rtol=TORCH_RTOL, atol=TORCH_ATOL):
    """Compares ONNX Runtime's outputs with PyTorch's, data set by data set.

    Prints the max abs error per output; returns False (after printing what
    differs) if any output differs by more than atol + rtol * |torch|.
    """
    ok = True
    for k, (ort_outs, torch_outs) in enumerate(zip(ort_sets, torch_sets)):
        worst = []
        for out_name, got, ref in zip(output_names, ort_outs, torch_outs):
            got, ref = np.asarray(got), np.asarray(ref)
            if got.shape != ref.shape:
                print(f"FAIL: {name} set {k} {out_name}: ONNX Runtime shape "
                      f"{got.shape} != torch shape {ref.shape}", file=sys.stderr)
                ok = False
                continue
            err = float(np.abs(got.astype(np.float64) - ref).max()) if got.size else 0.0
            if not np.allclose(got, ref, rtol=rtol, atol=atol):
                print(f"FAIL: {name} set {k} {out_name}: ONNX Runtime differs "
                      f"from torch (max abs error {err:.3g}, rtol {rtol}, "
                      f"atol {atol})", file=sys.stderr)
                ok = False
            worst.append((err, out_name))
        if worst:
            err, which = max(worst)
            print(f"{name} set {k}: ONNX Runtime vs torch max abs error "
                  f"{err:.3g} ({which}; {len(worst)} outputs)")
    return ok


def export_and_write(name, module, input_sets, input_names, output_names,
                     dynamic_axes, out_dir, opset=DEFAULT_EXPORT_OPSET,
                     rtol=TORCH_RTOL, atol=TORCH_ATOL, trace_with_grad=False):
    """Exports `module`, writes OUT/<name>.onnx and its test data sets (ONNX
    Runtime outputs) and checks them against torch.

    `input_sets` is a list of {input name: numpy array}. The module is traced
    on the LAST set: put the one with the longest sequence last, because the
    model code takes shape-dependent Python branches while tracing (e.g. HF
    builds no causal mask for a 1-token step), and a trace of a 1-token step
    would be wrong for longer ones. Returns True if ONNX Runtime agrees with
    torch on every set.
    """
    torch = import_torch()

    def as_args(inputs):
        return [torch.from_numpy(np.ascontiguousarray(inputs[n]))
                for n in input_names]

    model = export_torch(module, as_args(input_sets[-1]), input_names,
                         output_names, dynamic_axes, opset, trace_with_grad)
    model_path, ort_sets = write_model_and_data(model, out_dir, name,
                                                input_sets)
    torch_sets = [torch_outputs(module, as_args(s)) for s in input_sets]
    ok = check_against_torch(name, output_names, ort_sets, torch_sets,
                             rtol, atol)
    size = os.path.getsize(model_path) / 2**20
    shapes = "; ".join(
        ", ".join(f"{n}{list(np.shape(s[n]))}" for n in input_names[:3])
        + (", ..." if len(input_names) > 3 else "") for s in input_sets)
    print(f"wrote {model_path} ({len(model.graph.node)} nodes, {size:.1f} MiB,"
          f" opset {opset}) and {len(input_sets)} data sets: {shapes}")
    return ok
