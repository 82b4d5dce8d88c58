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
