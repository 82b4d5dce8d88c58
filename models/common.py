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
