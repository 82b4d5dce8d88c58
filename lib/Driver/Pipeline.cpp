//===- Pipeline.cpp - The staged attnc compilation pipeline ---------------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Driver/Pipeline.h"

#include "attnc/Conversion/Passes.h"
#include "attnc/Dialect/Attn/AttnOps.h"
#include "attnc/Transforms/Fusion.h"
#include "attnc/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/Timing.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Target/TargetMachine.h"

using namespace mlir;
using namespace attnc;

void attnc::registerAttncDialects(DialectRegistry &registry) {
  registry.insert<attn::AttnDialect>();
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
}

// The lowering below linalg is a textual pipeline so that `attnc-opt
// --attnc-lower-to-llvm` and the docs show exactly what the compiler runs.
// `{codegen}` is replaced by the options of attnc-cpu-tile-and-vectorize,
// `{omp}`/`{omp-llvm}` by the OpenMP stages (or nothing) from
// CompileOptions.
static const char *const kLLVMLowering =
    "func.func(attnc-cpu-tile-and-vectorize{codegen}),"
    "canonicalize,"
    "cse,"
    "eliminate-empty-tensors,"
    "one-shot-bufferize,"
    "canonicalize,"
    "buffer-deallocation-pipeline,"
    "convert-bufferization-to-memref,"
    "scf-forall-to-parallel,"
    "attnc-lower-strided-copies,"
    "convert-linalg-to-loops,"
    "{omp}"
    "func.func(lower-vector-multi-reduction{lowering-strategy=inner-reduction}),"
    "convert-vector-to-scf{full-unroll=true},"
    "expand-strided-metadata,"
    "lower-affine,"
    "convert-scf-to-cf,"
    "convert-vector-to-llvm{vector-contract-lowering=outerproduct "
    "reassociate-fp-reductions=true},"
    "finalize-memref-to-llvm,"
    "convert-math-to-llvm,"
    "convert-arith-to-llvm,"
    "convert-index-to-llvm,"
    "convert-func-to-llvm,"
    "convert-cf-to-llvm,"
    "convert-ub-to-llvm,"
    "{omp-llvm}"
    "reconcile-unrealized-casts";

void attnc::resolveCodegenOptions(CompileOptions &options) {
  if (options.vectorBits > 0 && options.vectorRegisters > 0)
    return;
  int64_t bits = 128, regs = 16;
  std::string error;
  FailureOr<std::unique_ptr<llvm::TargetMachine>> tm =
      createTargetMachine(options.target, error);
  if (succeeded(tm)) {
    const llvm::MCSubtargetInfo *sti = (*tm)->getMCSubtargetInfo();
    llvm::Triple::ArchType arch = (*tm)->getTargetTriple().getArch();
    if (arch == llvm::Triple::x86_64 || arch == llvm::Triple::x86) {
      if (sti->checkFeatures("+avx512f"))
        bits = 512, regs = 32;
      else if (sti->checkFeatures("+avx"))
        bits = 256, regs = 16;
    } else if (arch == llvm::Triple::aarch64) {
      regs = 32;
    }
  }
  if (options.vectorBits <= 0)
    options.vectorBits = bits;
  if (options.vectorRegisters <= 0)
    options.vectorRegisters = regs;
}

static std::string llvmLoweringPipeline(const CompileOptions &options) {
  std::string codegen = "{vector-bits=" + std::to_string(options.vectorBits) +
                        " vector-registers=" +
                        std::to_string(options.vectorRegisters) +
                        " parallel=" + (options.parallel ? "true" : "false") +
                        "}";
  std::string text = kLLVMLowering;
  auto replace = [&](StringRef key, StringRef value) {
    size_t pos = text.find(key.str());
    if (pos != std::string::npos)
      text.replace(pos, key.size(), value.str());
  };
  replace("{codegen}", codegen);
  replace("{omp}", options.parallel ? "convert-scf-to-openmp,canonicalize,"
                                    : "");
  replace("{omp-llvm}", options.parallel ? "convert-openmp-to-llvm," : "");
  return text;
}

void attnc::buildAttnPipeline(OpPassManager &pm, bool fuse) {
  // Constant folding first: fusion patterns read scales, epsilons and the
  // GELU constants as scalars, which exporters often compute in the graph.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (!fuse)
    return;
  pm.addPass(createFuseNormalization());
  pm.addPass(createFuseActivations());
  pm.addPass(createFuseAttention());
  pm.addPass(createFuseLinear());
  // The transposes and reshapes fusion leaves compose with their producers.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void attnc::buildLinalgPipeline(OpPassManager &pm) {
  pm.addPass(createConvertAttnToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createFuseElementwise());
  pm.addPass(createCanonicalizerPass());
}

LogicalResult attnc::buildLLVMPipeline(OpPassManager &pm,
                                       const CompileOptions &options) {
  ExternalizeWeightsOptions weights;
  weights.minElements = options.minWeightElements;
  pm.addPass(createExternalizeWeights(weights));
  pm.addPass(createEntryABI());
  CompileOptions resolved = options;
  resolveCodegenOptions(resolved);
  // Needs the MLIR passes registered (registerAttncPasses).
  return parsePassPipeline(llvmLoweringPipeline(resolved), pm, llvm::errs());
}

void attnc::registerAttncPasses() {
  registerAllPasses();
  attnc::registerAttncTransformsPasses();
  attnc::registerAttncConversionPasses();
  PassPipelineRegistration<>(
      "attnc-lower-to-linalg",
      "attnc's attn cleanup and attn -> linalg stages (--emit=linalg)",
      [](OpPassManager &pm) {
        buildAttnPipeline(pm);
        buildLinalgPipeline(pm);
      });
  PassPipelineRegistration<>(
      "attnc-lower-to-llvm",
      "attnc's lowering from linalg on tensors to the LLVM dialect",
      [](OpPassManager &pm) {
        (void)buildLLVMPipeline(pm, CompileOptions());
      });
}

/// Runs `pm` on `module`, with the command-line pass manager options
/// (--mlir-print-ir-after-all, --mlir-timing, ...) applied.
static LogicalResult runStage(ModuleOp module, PassManager &pm) {
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  applyDefaultTimingPassManagerCLOptions(pm);
  return pm.run(module);
}

static LogicalResult writeText(StringRef path,
                               function_ref<void(raw_ostream &)> write) {
  std::string error;
  auto out = openOutputFile(path, &error);
  if (!out) {
    llvm::errs() << "attnc: error: " << error << "\n";
    return failure();
  }
  write(out->os());
  out->keep();
  return success();
}

LogicalResult attnc::compileModule(ModuleOp module,
                                   const CompileOptions &options,
                                   StringRef outputPath) {
  MLIRContext *ctx = module.getContext();
  {
    PassManager pm(ctx);
    buildAttnPipeline(pm, options.fuse);
    if (failed(runStage(module, pm)))
      return failure();
  }
  if (options.fusionReport) {
    printFusionReport(module, llvm::outs());
    // Before any `-o -` output, which goes through its own stream.
    llvm::outs().flush();
  }
  if (options.emit == EmitKind::Attn)
    return writeText(outputPath, [&](raw_ostream &os) { module.print(os); });
  {
    PassManager pm(ctx);
    buildLinalgPipeline(pm);
    if (failed(runStage(module, pm)))
      return failure();
  }
  if (options.emit == EmitKind::Linalg)
    return writeText(outputPath, [&](raw_ostream &os) { module.print(os); });
  {
    PassManager pm(ctx);
    if (failed(buildLLVMPipeline(pm, options)) ||
        failed(runStage(module, pm)))
      return failure();
  }

  std::string error;
  auto fail = [&]() {
    emitError(module.getLoc()) << error;
    return failure();
  };
  FailureOr<std::unique_ptr<llvm::TargetMachine>> tm =
      createTargetMachine(options.target, error);
  if (failed(tm))
    return fail();
  FailureOr<ModelPayload> payload = extractPayload(module);
  if (failed(payload))
    return failure();

  // Temporary folder for the weight blob and the object file.
  SmallString<128> tmpDir;
  if (auto ec = llvm::sys::fs::createUniqueDirectory("attnc", tmpDir)) {
    error = "cannot create a temporary directory: " + ec.message();
    return fail();
  }
  auto cleanup = llvm::make_scope_exit([&] {
    llvm::sys::fs::remove_directories(tmpDir);
  });
  SmallString<128> blobPath(tmpDir), objPath(tmpDir);
  llvm::sys::path::append(blobPath, "weights.bin");
  llvm::sys::path::append(objPath, "model.o");
  bool needsBlob = options.emit != EmitKind::LLVMIR;
  if (needsBlob && failed(writeWeightBlob(*payload, blobPath, error)))
    return fail();
  // The weights live on in the blob file only: code generation reads it
  // (.incbin), so the in-memory copy would double the peak.
  if (needsBlob)
    releaseWeightData(*payload);

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(module, llvmContext, **tm, *payload,
                        needsBlob ? StringRef(blobPath) : StringRef());
  if (!llvmModule)
    return failure();
  optimizeModule(*llvmModule, **tm, options.target.optLevel);
  if (options.emit == EmitKind::LLVMIR)
    return writeText(outputPath,
                     [&](raw_ostream &os) { llvmModule->print(os, nullptr); });

  StringRef objTarget =
      options.emit == EmitKind::Object ? outputPath : StringRef(objPath);
  {
    std::string openError;
    auto out = openOutputFile(objTarget, &openError);
    if (!out) {
      error = openError;
      return fail();
    }
    if (failed(emitObject(*llvmModule, **tm, out->os(), error)))
      return fail();
    out->keep();
  }
  if (options.emit == EmitKind::Object)
    return success();
  if (outputPath == "-") {
    error = "cannot write a shared object to stdout; use -o FILE";
    return fail();
  }
  bool openmp = llvmModule->getFunction("__kmpc_fork_call") != nullptr;
  if (failed(linkSharedObject(objPath, outputPath, options.target, error,
                              openmp)))
    return fail();
  return success();
}
