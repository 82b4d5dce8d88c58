# lit configuration of attnc's IR tests (test/<area>/*.mlir, *.onnxtxt).
import os
import lit.formats

config.name = "attnc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".onnxtxt", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attnc_obj_root, "test")
config.excludes = ["unit", "e2e", "lit.cfg.py", "CMakeLists.txt", "Inputs"]

# Our tools first, then FileCheck/not/count from LLVM.
path = os.pathsep.join([config.attnc_tools_dir, config.llvm_tools_dir,
                        config.environment.get("PATH", os.environ["PATH"])])
config.environment["PATH"] = path
config.substitutions.append(("%attnc_src", config.attnc_src_root))

# Linking aarch64 models needs Debian's cross libc (libc6-dev-arm64-cross).
if os.path.exists("/usr/aarch64-linux-gnu/lib/libc.so"):
    config.available_features.add("aarch64-sysroot")

# The CUDA target's tests that run ptxas/fatbinary (attnc-gpu-fatbin): the
# toolkit where the pass looks for it ($ATTNC_CUDA_PATH, $CUDA_PATH,
# /usr/local/cuda, then PATH).
def _has_cuda_toolkit():
    import shutil
    roots = [os.environ.get(v) for v in ("ATTNC_CUDA_PATH", "CUDA_PATH")]
    roots.append("/usr/local/cuda")
    for root in filter(None, roots):
        tools = [os.path.join(root, "bin", t) for t in ("ptxas", "fatbinary")]
        if all(os.access(t, os.X_OK) for t in tools):
            return True
    return all(shutil.which(t) for t in ("ptxas", "fatbinary"))


if _has_cuda_toolkit():
    config.available_features.add("ptxas")
# attnc-gpu-fatbin reads these; lit passes only what the config sets.
for var in ("ATTNC_CUDA_PATH", "CUDA_PATH"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
