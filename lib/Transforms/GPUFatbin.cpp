//===- GPUFatbin.cpp - PTX to a multi-architecture fatbin -----------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

namespace attnc {
#define GEN_PASS_DEF_GPUFATBIN
#include "attnc/Transforms/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

/// Finds `tool` in the toolkit's bin folder (see the pass description).
std::string findCudaTool(StringRef tool, StringRef toolkit) {
  SmallVector<std::string> roots;
  // A folder the user named is the only place looked at: falling back to
  // another toolkit would hide a typo.
  if (!toolkit.empty()) {
    SmallString<256> path(toolkit);
    llvm::sys::path::append(path, "bin", tool);
    return llvm::sys::fs::can_execute(path) ? std::string(path) : "";
  }
  for (const char *env : {"ATTNC_CUDA_PATH", "CUDA_PATH"})
    if (const char *v = std::getenv(env))
      roots.push_back(v);
  roots.push_back("/usr/local/cuda");
  for (const std::string &root : roots) {
    SmallString<256> path(root);
    llvm::sys::path::append(path, "bin", tool);
    if (llvm::sys::fs::can_execute(path))
      return std::string(path);
  }
  if (toolkit.empty())
    if (auto onPath = llvm::sys::findProgramByName(tool))
      return *onPath;
  return "";
}

/// Runs `args` (args[0] is the program), capturing its output in `log`.
LogicalResult run(ArrayRef<std::string> args, StringRef logPath,
                  std::string &error) {
  SmallVector<StringRef> refs(args.begin(), args.end());
  std::optional<StringRef> redirects[] = {std::nullopt, logPath, logPath};
  int rc = llvm::sys::ExecuteAndWait(args[0], refs, std::nullopt, redirects,
                                     /*SecondsToWait=*/0, /*MemoryLimit=*/0,
                                     &error);
  if (rc == 0)
    return success();
  auto log = llvm::MemoryBuffer::getFile(logPath);
  error = llvm::sys::path::filename(args[0]).str() + " failed (exit " +
          std::to_string(rc) + ")" + (error.empty() ? "" : ": " + error);
  if (log)
    error += ":\n" + (*log)->getBuffer().str();
  return failure();
}

struct GPUFatbinPass : public attnc::impl::GPUFatbinBase<GPUFatbinPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::BinaryOp> binaries =
        llvm::to_vector(module.getOps<gpu::BinaryOp>());
    if (binaries.empty())
      return;
    std::string ptxas = findCudaTool("ptxas", toolkit);
    std::string fatbinary = findCudaTool("fatbinary", toolkit);
    if (ptxas.empty() || fatbinary.empty()) {
      module.emitError("the CUDA target needs the CUDA toolkit's ptxas and "
                       "fatbinary (searched ")
          << (toolkit.empty() ? "" : toolkit + ", ")
          << "$ATTNC_CUDA_PATH, $CUDA_PATH, /usr/local/cuda and PATH)";
      return signalPassFailure();
    }
    SmallVector<std::string> archList(archs.begin(), archs.end());
    if (archList.empty())
      archList = {"sm_80", "sm_90"};
    for (const std::string &arch : archList) {
      if (!attnc::parseGPUArch(arch)) {
        module.emitError("bad GPU architecture '") << arch << "' (want sm_XY)";
        return signalPassFailure();
      }
    }
    SmallString<128> dir;
    if (auto ec = llvm::sys::fs::createUniqueDirectory("attnc-cuda", dir)) {
      module.emitError("cannot create a temporary folder: ") << ec.message();
      return signalPassFailure();
    }
    auto cleanup =
        llvm::make_scope_exit([&] { llvm::sys::fs::remove_directories(dir); });
    for (gpu::BinaryOp binary : binaries)
      if (failed(assemble(binary, archList, ptxas, fatbinary, dir)))
        return signalPassFailure();
  }

  LogicalResult assemble(gpu::BinaryOp binary, ArrayRef<std::string> archList,
                         StringRef ptxas, StringRef fatbinary, StringRef dir) {
    if (binary.getObjects().size() != 1)
      return binary.emitError("expected one PTX object");
    auto object = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
    if (object.getFormat() != gpu::CompilationTarget::Assembly)
      return binary.emitError("expected PTX (gpu-module-to-binary "
                              "format=isa)");
    auto path = [&](const Twine &name) {
      SmallString<256> p(dir);
      llvm::sys::path::append(p, binary.getName() + name);
      return std::string(p);
    };
    std::string ptxPath = path(".ptx"), logPath = path(".log");
    {
      std::error_code ec;
      llvm::raw_fd_ostream os(ptxPath, ec);
      if (ec)
        return binary.emitError("cannot write ") << ptxPath;
      os << object.getObject().getValue();
    }
    unsigned ptxSm = 0;
    if (auto target = dyn_cast<NVVM::NVVMTargetAttr>(object.getTarget()))
      ptxSm = attnc::parseGPUArch(target.getChip()).value_or(0);
    std::vector<std::string> fatArgs = {fatbinary.str(), "-64",
                                        "--create=" + path(".fatbin")};
    std::string error;
    for (const std::string &arch : archList) {
      std::string cubin = path("." + arch + ".cubin");
      if (failed(run({ptxas.str(), "-arch=" + arch, "-O3", ptxPath, "-o",
                      cubin},
                     logPath, error)))
        return binary.emitError("kernels rejected for ")
               << arch << ": " << error;
      fatArgs.push_back("--image3=kind=elf,sm=" + arch.substr(3) +
                        ",file=" + cubin);
    }
    if (ptxSm)
      fatArgs.push_back("--image3=kind=ptx,sm=" + std::to_string(ptxSm) +
                        ",file=" + ptxPath);
    if (failed(run(fatArgs, logPath, error)))
      return binary.emitError(error);
    auto fatbin = llvm::MemoryBuffer::getFile(path(".fatbin"));
    if (!fatbin)
      return binary.emitError("fatbinary wrote no output");
    MLIRContext *ctx = binary.getContext();
    auto result = gpu::ObjectAttr::get(
        ctx, object.getTarget(), gpu::CompilationTarget::Fatbin,
        StringAttr::get(ctx, (*fatbin)->getBuffer()), object.getProperties(),
        object.getKernels());
    binary.setObjectsAttr(ArrayAttr::get(ctx, {result}));
    return success();
  }
};
} // namespace
