#!/usr/bin/env python3
"""Tests of the vit-classify app (runtime/examples/vit-classify).

  run_vit_classify_test.py preprocess --app BIN --work DIR
  run_vit_classify_test.py classify --app BIN --attnc BIN --model vit_tiny.onnx
                           --work DIR
  run_vit_classify_test.py errors --app BIN --attnc BIN --model vit_tiny.onnx
                           --work DIR

preprocess: synthetic images (several sizes, upscaling, downscaling, mixed,
  identity; PNG and PPM) through the app's Halide pipeline
  (`--preprocess IMG --size WxH --dump F`) equal `reference()` below, a
  numpy version of the same documented algorithm (Pillow's fixed-point
  antialiased bilinear, rescale, normalize), within 1e-5; and equal
  transformers.ViTImageProcessor (which resizes with PIL) within 1e-6 (the
  algorithm is meant to be Pillow's exactly; measured difference: 0).
classify: the tiny ViT (models/vit.py --config tiny, 32x32 images) compiled
  by attnc; the app's top-5 class ids equal ONNX Runtime's on the tensor the
  app fed the model (--dump), and its probabilities equal ONNX Runtime's
  softmax within 1e-5; --labels prints the labels of those ids.
errors: missing image, truncated PNG, truncated PPM, a text file, a PNG
  whose header claims 60000x60000 pixels, a model
  that is not a ViT, a missing model and a bad --size each exit non-zero
  (not by a signal) with a one-line "vit-classify: error: ..." message.
"""

import argparse
import os
import subprocess
import sys

import numpy as np

REF_ATOL = 1e-5  # Halide vs. the numpy reference of the same algorithm
HF_ATOL = 1e-6   # Halide vs. ViTImageProcessor (the same algorithm as PIL)
PROB_ATOL = 1e-5
PRECISION_BITS = 22

# (width, height) of the source image -> (width, height) of the output.
CASES = [
    ((640, 480), (224, 224), "png"),   # downscale 2.9x / 2.1x
    ((97, 61), (224, 224), "ppm"),     # upscale
    ((300, 150), (224, 224), "png"),   # downscale x, upscale y
    ((224, 224), (224, 224), "ppm"),   # identity
    ((45, 29), (32, 32), "png"),       # the tiny model's size
    ((1, 1), (32, 32), "ppm"),         # one pixel
    ((1000, 7), (32, 32), "png"),      # 31x downscale: wide filter
]


def run(cmd, check=True):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    if check and proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit(f"FAIL: {' '.join(cmd[:4])}... exited {proc.returncode}")
    return proc


def synthetic_image(width, height, seed):
    """Smooth gradients plus noise and a sharp edge: exercises rounding."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    img = np.stack([xx * 255.0 / max(width - 1, 1),
                    yy * 255.0 / max(height - 1, 1),
                    ((xx // 7 + yy // 5) % 2) * 255.0], axis=-1)
    img += rng.normal(0, 20, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def write_image(path, img, kind):
    if kind == "png":
        from PIL import Image
        Image.fromarray(img, "RGB").save(path)
    else:
        h, w, _ = img.shape
        with open(path, "wb") as f:
            f.write(b"P6\n# synthetic\n%d %d\n255\n" % (w, h))
            f.write(img.tobytes())


def pil_coefficients(in_size, out_size):
    """Pillow's precompute_coeffs + normalize_coeffs_8bpc, bilinear filter."""
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = filterscale * 1.0
    starts, weights = [], []
    for i in range(out_size):
        center = (i + 0.5) * scale
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        w = np.array([max(1.0 - abs((k + lo - center + 0.5) * (1.0 / filterscale)),
                          0.0) for k in range(hi - lo)])
        if w.sum() != 0.0:
            w = w / w.sum()
        starts.append(lo)
        weights.append(np.floor(w * (1 << PRECISION_BITS) + 0.5).astype(np.int64))
    return starts, weights


def resample_axis0(img, out_size):
    """One fixed-point pass along axis 0 of an (N, M, 3) uint8 array."""
    starts, weights = pil_coefficients(img.shape[0], out_size)
    out = np.empty((out_size,) + img.shape[1:], np.uint8)
    src = img.astype(np.int64)
    for i, (lo, w) in enumerate(zip(starts, weights)):
        acc = (1 << (PRECISION_BITS - 1)) + np.tensordot(
            w, src[lo:lo + len(w)], axes=(0, 0))
        out[i] = np.clip(acc >> PRECISION_BITS, 0, 255)
    return out


def reference(img, out_w, out_h):
    """The documented algorithm in numpy: horizontal pass, vertical pass,
    x * (1/255) in double to float32, (x - 0.5) / 0.5 in float32; returns
    f32 [3, out_h, out_w]."""
    horizontal = resample_axis0(img.transpose(1, 0, 2), out_w).transpose(1, 0, 2)
    resized = resample_axis0(horizontal, out_h)
    rescaled = (resized.astype(np.float64) * (1 / 255)).astype(np.float32)
    normalized = (rescaled - np.float32(0.5)) / np.float32(0.5)
    return normalized.transpose(2, 0, 1)


def hf_reference(img, out_w, out_h):
    from transformers import ViTImageProcessor
    proc = ViTImageProcessor(size={"height": out_h, "width": out_w})
    return proc(images=img, return_tensors="np",
                input_data_format="channels_last")["pixel_values"][0]


def app_preprocess(app, image_path, out_w, out_h, dump):
    run([app, "--preprocess", image_path, "--size", f"{out_w}x{out_h}",
         "--dump", dump])
    return np.fromfile(dump, np.float32).reshape(3, out_h, out_w)


def test_preprocess(args):
    os.makedirs(args.work, exist_ok=True)
    failures = 0
    for n, ((w, h), (ow, oh), kind) in enumerate(CASES):
        img = synthetic_image(w, h, seed=n)
        path = os.path.join(args.work, f"img{n}_{w}x{h}.{kind}")
        write_image(path, img, kind)
        got = app_preprocess(args.app, path, ow, oh,
                             os.path.join(args.work, f"img{n}.f32"))
        want = reference(img, ow, oh)
        hf = hf_reference(img, ow, oh)
        err_ref = float(np.abs(got - want).max())
        err_hf = float(np.abs(got - hf).max())
        ok = err_ref <= REF_ATOL and err_hf <= HF_ATOL
        print(f"{'ok  ' if ok else 'FAIL'} {kind} {w}x{h} -> {ow}x{oh}: max abs "
              f"diff vs numpy reference {err_ref:.3g}, vs ViTImageProcessor "
              f"{err_hf:.3g}")
        failures += not ok
    if failures:
        sys.exit(f"FAIL: {failures} of {len(CASES)} images differ (numpy "
                 f"reference atol {REF_ATOL}, ViTImageProcessor atol {HF_ATOL})")
    print(f"PASS: {len(CASES)} images preprocess like the numpy reference and "
          "ViTImageProcessor")


def compile_model(args):
    if not os.path.exists(args.model):
        sys.exit(f"FAIL: {args.model} does not exist (its generate step "
                 "failed or did not run)")
    os.makedirs(args.work, exist_ok=True)
    so = os.path.join(args.work, "vit_tiny.so")
    run([args.attnc, args.model, "-o", so])
    return so


def parse_top(out):
    ids, probs, labels = [], [], []
    for line in out.splitlines():
        head, sep, rest = line.partition(": class ")
        if not sep or not head.isdigit():
            continue
        fields = rest.split(None, 3)  # id, "p", prob, [label]
        ids.append(int(fields[0]))
        probs.append(float(fields[2]))
        labels.append(fields[3] if len(fields) > 3 else None)
    return ids, np.array(probs), labels


def test_classify(args):
    import onnxruntime as ort
    so = compile_model(args)
    sess = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    _, c, h, w = sess.get_inputs()[0].shape
    num_labels = sess.get_outputs()[0].shape[1]
    labels_path = os.path.join(args.work, "labels.txt")
    with open(labels_path, "w") as f:
        for i in range(num_labels):
            f.write(f"label number {i}\n")
    failures = 0
    for n, (size, kind) in enumerate([((45, 29), "png"), ((300, 150), "ppm"),
                                      ((32, 32), "png")]):
        img = synthetic_image(*size, seed=10 + n)
        path = os.path.join(args.work, f"classify{n}.{kind}")
        write_image(path, img, kind)
        dump = os.path.join(args.work, f"classify{n}.f32")
        out = run([args.app, so, path, "--dump", dump, "--labels",
                   labels_path]).stdout
        print(out, end="")
        ids, probs, labels = parse_top(out)
        pixels = np.fromfile(dump, np.float32).reshape(1, c, h, w)
        # The fed tensor is the documented preprocessing (see `preprocess`).
        if np.abs(pixels[0] - reference(img, w, h)).max() > REF_ATOL:
            sys.exit(f"FAIL: {path}: the tensor fed to the model differs "
                     "from the numpy reference preprocessing")
        logits = sess.run(None, {sess.get_inputs()[0].name: pixels})[0][0]
        p = np.exp(logits.astype(np.float64) - logits.max())
        p /= p.sum()
        want_ids = [int(i) for i in np.argsort(-p, kind="stable")[:5]]
        ok = ids == want_ids and np.allclose(probs, p[want_ids], rtol=0,
                                             atol=PROB_ATOL)
        ok &= labels == [f"label number {i}" for i in want_ids]
        err = np.abs(probs - p[want_ids]).max() if len(probs) == 5 else np.inf
        print(f"{'ok  ' if ok else 'FAIL'} {kind} {size}: app ids {ids}, ORT "
              f"ids {want_ids}, max prob diff {err:.3g}")
        failures += not ok
    if failures:
        sys.exit(f"FAIL: {failures} images: top-5 differs from ONNX Runtime's")
    print("PASS: top-5 ids, probabilities (atol 1e-5) and labels equal ONNX "
          "Runtime's")


def png_with_header(width, height):
    """A PNG file with a real IHDR for width x height RGB and one tiny
    IDAT: what a decoder that trusts the header would allocate for."""
    import struct
    import zlib

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(
            ">I", zlib.crc32(body) & 0xffffffff)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def test_errors(args):
    so = compile_model(args)
    work = args.work
    good = synthetic_image(40, 30, seed=3)
    png = os.path.join(work, "good.png")
    write_image(png, good, "png")
    data = open(png, "rb").read()
    truncated_png = os.path.join(work, "truncated.png")
    with open(truncated_png, "wb") as f:
        f.write(data[:len(data) // 2])
    ppm = os.path.join(work, "good.ppm")
    write_image(ppm, good, "ppm")
    truncated_ppm = os.path.join(work, "truncated.ppm")
    with open(truncated_ppm, "wb") as f:
        f.write(open(ppm, "rb").read()[:500])
    # A valid PNG whose header claims 60000x60000 pixels (14 GB as RGBA).
    huge_png = os.path.join(work, "huge.png")
    with open(huge_png, "wb") as f:
        f.write(png_with_header(60000, 60000))
    text = os.path.join(work, "notes.txt")
    with open(text, "w") as f:
        f.write("this is not an image\n")
    # An attnc model that is not a ViT: the test's own ONNX, one Relu.
    import onnx
    from onnx import TensorProto, helper
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    relu_onnx = os.path.join(work, "relu.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17)]), relu_onnx)
    relu_so = os.path.join(work, "relu.so")
    run([args.attnc, relu_onnx, "-o", relu_so])
    cases = [
        ("missing image", [so, os.path.join(work, "nope.png")], "cannot open"),
        ("truncated PNG", [so, truncated_png], "invalid PNG"),
        ("truncated PPM", [so, truncated_ppm], "truncated PPM"),
        ("text file", [so, text], "not a PNG or binary PPM"),
        ("huge PNG header", [so, huge_png], "is too large"),
        ("not a ViT model", [relu_so, png], "is not f32[batch, 3, height, width]"),
        ("missing model", [os.path.join(work, "nope.so"), png], "cannot load model"),
        ("not a model", [text, png], "cannot load model"),
        ("bad --size", ["--preprocess", png, "--size", "0x5", "--dump",
                        os.path.join(work, "x.f32")], "--size expects WxH"),
    ]
    failures = 0
    for name, argv, expect in cases:
        proc = run([args.app] + argv, check=False)
        msg = proc.stderr.strip()
        ok = (proc.returncode == 1 and msg.startswith("vit-classify: error:")
              and expect in msg and not proc.stdout)
        print(f"{'ok  ' if ok else 'FAIL'} {name}: exit {proc.returncode}: {msg}")
        failures += not ok
    # The good files really work, so the failures above are the inputs'.
    run([args.app, so, png])
    run([args.app, so, ppm])
    if failures:
        sys.exit(f"FAIL: {failures} of {len(cases)} bad inputs")
    print(f"PASS: {len(cases)} bad inputs give a clear error and exit 1")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("mode", choices=["preprocess", "classify", "errors"])
    parser.add_argument("--app", required=True)
    parser.add_argument("--attnc")
    parser.add_argument("--model")
    parser.add_argument("--work", required=True)
    args = parser.parse_args(argv)
    if args.mode == "preprocess":
        test_preprocess(args)
    else:
        if not (args.attnc and args.model):
            parser.error(f"{args.mode} needs --attnc and --model")
        os.makedirs(args.work, exist_ok=True)
        {"classify": test_classify, "errors": test_errors}[args.mode](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
