#!/usr/bin/env bash
# Sets up a Debian 12 machine for attnc and builds it. Idempotent: run it as
# often as you like; it only installs what is missing.
#
#   1. apt packages (LLVM/MLIR 22 from bookworm-security, ONNX, protobuf,
#      GoogleTest, Ninja, ccache, torch/onnx for Python, the ONNX node tests,
#      qemu-user and the arm64 cross libraries for the aarch64 tests)
#   2. .venv: /usr/bin/python3 -m venv --system-site-packages, plus
#      onnxruntime and onnx from PyPI (the reference for the e2e tests) and
#      transformers==4.40.2 (the exported-model generators in models/)
#   3. cmake -G Ninja ... && cmake --build
#
# Environment knobs:
#   ATTNC_SKIP_APT=1     don't touch apt (packages already managed elsewhere)
#   ATTNC_BUILD_DIR=DIR  build folder (default: build)
#   ATTNC_JOBS=N         parallel build jobs (default: 2)
#   ATTNC_SKIP_BUILD=1   stop after steps 1-2 (prerequisites only)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BUILD_DIR=${ATTNC_BUILD_DIR:-build}
JOBS=${ATTNC_JOBS:-2}

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

APT_PACKAGES=(
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22
  libomp-22-dev libclang-rt-22-dev
  libonnx-dev libprotobuf-dev protobuf-compiler libgtest-dev
  ninja-build ccache cmake
  python3-venv python3-torch python3-onnx
  zlib1g-dev libzstd-dev libedit-dev libcurl4-openssl-dev libxml2-dev
  libonnx-testdata
  time  # GNU time: peak compile memory in tools/models_report.py
  # aarch64 cross-build of the runtime and the `aarch64` tests under qemu
  # (docs/targets.md): user-mode qemu and the arm64 cross libc/libstdc++.
  qemu-user libc6-dev-arm64-cross libgcc-12-dev-arm64-cross
  libstdc++-12-dev-arm64-cross
  libsentencepiece-dev python3-sentencepiece  # translate app + its test
  # vit-classify: Halide 14 (preprocessing generator), libpng, and PIL for
  # the test's transformers.ViTImageProcessor reference.
  libhalide14-0-dev libpng-dev python3-pil
)

# --- 1. apt ------------------------------------------------------------------
if [[ "${ATTNC_SKIP_APT:-0}" == 1 ]]; then
  log "ATTNC_SKIP_APT=1: skipping apt"
else
  missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    log "apt packages: all ${#APT_PACKAGES[@]} installed"
  else
    log "installing apt packages: ${missing[*]}"
    SUDO=()
    if [[ $(id -u) != 0 ]]; then
      command -v sudo >/dev/null || { echo "error: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
      SUDO=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update
    if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y "${missing[@]}"; then
      echo "error: apt-get install failed. LLVM/MLIR 22 come from" \
           "bookworm-security: check that /etc/apt/sources.list(.d) has" \
           "'deb http://deb.debian.org/debian-security bookworm-security main'." >&2
      exit 1
    fi
  fi
fi

# --- 2. Python venv ----------------------------------------------------------
# --system-site-packages: Debian's python3-torch (1.13) and numpy stay visible.
if [[ ! -x .venv/bin/python ]]; then
  log "creating .venv (with system site packages)"
  /usr/bin/python3 -m venv --system-site-packages .venv
fi
if ! .venv/bin/python -c 'import numpy, onnx, onnxruntime' 2>/dev/null; then
  log "pip install onnxruntime onnx into .venv"
  .venv/bin/python -m pip install --quiet onnxruntime onnx
fi
.venv/bin/python -c 'import numpy, onnx, onnxruntime' || {
  echo "error: .venv cannot import numpy, onnx and onnxruntime" >&2; exit 1; }
# Hugging Face transformers for the exported-model generators (models/gpt2.py,
# bert.py, vit.py, marian.py; random weights, no downloads). Pinned: 4.40.2
# runs on Debian's torch 1.13 (eager attention, torch.onnx.export works for
# all families) and its tokenizers 0.19 / safetensors have wheels for
# Python 3.11. See docs/models.md before changing it.
TRANSFORMERS_PIN=4.40.2
if ! .venv/bin/python -c "import transformers, sys; sys.exit(transformers.__version__ != '$TRANSFORMERS_PIN')" 2>/dev/null; then
  log "pip install transformers==$TRANSFORMERS_PIN into .venv"
  .venv/bin/python -m pip install --quiet "transformers==$TRANSFORMERS_PIN"
fi
log ".venv: $(.venv/bin/python -c 'import onnx, onnxruntime, numpy, torch, transformers; print("onnx", onnx.__version__, "| onnxruntime", onnxruntime.__version__, "| numpy", numpy.__version__, "| torch", torch.__version__, "| transformers", transformers.__version__)')"

# --- 3. configure and build --------------------------------------------------
if [[ "${ATTNC_SKIP_BUILD:-0}" == 1 ]]; then
  log "ATTNC_SKIP_BUILD=1: not configuring/building"
  exit 0
fi
log "configuring $BUILD_DIR"
cmake -G Ninja -S . -B "$BUILD_DIR" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
  -DATTNC_PYTHON="$ROOT/.venv/bin/python"
log "building $BUILD_DIR (-j$JOBS)"
cmake --build "$BUILD_DIR" -j"$JOBS"
log "done: tools are in $BUILD_DIR/bin"
